"""The drop-off chart of the analytics page: SVG coordinates, axis ticks and the labels printed on it."""

from typing import Any

WIDTH, HEIGHT = 440, 250
LEFT, RIGHT, TOP, BOTTOM = 50, 18, 26, 48  # room for the axes' ticks and titles
SHARE_TICKS = (0, 25, 50, 75, 100)


def dropoff_chart(points: list[dict[str, float]], *, views: int) -> dict[str, Any]:
    """Return what the template draws: the curve, a labelled dot per tenth, and both axes' ticks."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: float) -> float:
        return round(LEFT + at * plot_width, 1)

    def y(share: float) -> float:
        return round(TOP + (1 - share) * plot_height, 1)

    dots = [
        {"x": x(point["at"]), "y": y(point["share"]), "label": f"{round(point['share'] * 100)}%", "at": point["at"]}
        for point in points
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "base": TOP + plot_height,
        "empty": views == 0,
        "polyline": " ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        "dots": dots,
        "y_ticks": [{"y": y(tick / 100), "label": f"{tick}%"} for tick in SHARE_TICKS],
        "x_ticks": [{"x": x(tenth / 10), "label": str(tenth)} for tenth in range(11)],
        "x_title_y": HEIGHT - 6,
        "centre_x": LEFT + plot_width / 2,
        "centre_y": TOP + plot_height / 2,
    }
