"""Keep what a fault scenario measured: printed (see it with `pytest -s`) and written as JSON
to $TMPDIR/vividly-faults/<scenario>.json, for RELIABILITY.md."""

import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any


def report(scenario: str, **numbers: Any) -> Path:
    """Print `numbers` and write them to the scenario's JSON file; return its path."""
    folder = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "vividly-faults"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario}.json"
    text = json.dumps(numbers, indent=2, default=str)
    path.write_text(text + "\n")
    print(f"\n[{scenario}] {json.dumps(numbers, default=str)}")
    return path


def milliseconds(seconds: list[float]) -> dict[str, float]:
    """Return the median and the worst of `seconds`, in milliseconds."""
    if not seconds:
        return {"p50_ms": 0.0, "max_ms": 0.0}
    return {"p50_ms": round(statistics.median(seconds) * 1000, 1), "max_ms": round(max(seconds) * 1000, 1)}
