"""Which asset of a cached video a request designates: type, quality, blob name."""

import logging
from dataclasses import dataclass
from typing import Any

from cache_app.types import VIDEO_QUALITIES, asset_content_type, blob_name_errors
from vividly.errors import InvalidInput, NotFound

logger = logging.getLogger("delivery_app")

ASSET_TYPES = ("video", "audio", "script")
DEFAULT_TYPE, DEFAULT_QUALITY = "video", "720p"


@dataclass(frozen=True)
class AssetChoice:
    type: str
    quality: str | None  # None for audio and script


def asset_choice(*, asset_type: str | None, quality: str | None) -> AssetChoice:
    """Validate the requested type and quality (defaults: video, 720p)."""
    asset_type = asset_type or DEFAULT_TYPE
    errors = {}
    if asset_type not in ASSET_TYPES:
        errors["type"] = [f"Must be one of {', '.join(ASSET_TYPES)}."]
    if quality is not None and quality not in VIDEO_QUALITIES:
        errors["quality"] = [f"Must be one of {', '.join(VIDEO_QUALITIES)}."]
    if errors:
        raise InvalidInput(details=errors)
    return AssetChoice(asset_type, (quality or DEFAULT_QUALITY) if asset_type == "video" else None)


def signable(blob: Any) -> bool:
    """Return True for a blob name that stays inside the content bucket, of an allowed type.

    Names are checked when stored; this guards the step that turns a name into a link
    against an entry tampered with later or written by an older version.
    """
    if not blob:
        return False
    if blob_name_errors(blob) or asset_content_type(blob) is None:
        logger.error("refusing to sign an unsafe blob name: %r", blob)
        return False
    return True


def available_assets(metadata: dict[str, Any]) -> list[dict[str, str | None]]:
    assets = metadata.get("assets", {})
    video = assets.get("video", {})
    available = [{"type": "video", "quality": q} for q in VIDEO_QUALITIES if signable(video.get(q))]
    available += [{"type": kind, "quality": None} for kind in ("audio", "script") if signable(assets.get(kind))]
    return available


def blob_for(metadata: dict[str, Any], choice: AssetChoice) -> str:
    """Return the blob name of the chosen asset, or raise NotFound listing what exists."""
    assets = metadata.get("assets", {})
    blob = assets.get("video", {}).get(choice.quality) if choice.type == "video" else assets.get(choice.type)
    if not signable(blob):
        wanted = f"{choice.type} {choice.quality}" if choice.quality else choice.type
        raise NotFound(
            f"This content has no {wanted}.",
            details={"available": available_assets(metadata)},
        )
    return blob
