"""What a generator may upload and what a completed job's metadata names: artifact rules."""

from typing import Any

from cache_app.types import ASSET_CONTENT_TYPES, asset_content_type, blob_name_errors

ARTIFACT_NAME_MAX = 200


def artifact_errors(name: Any, content_type: Any) -> dict[str, list[str]]:
    """Return what is wrong with uploading `name` as `content_type` (the contract's allowlist, by extension)."""
    errors: dict[str, list[str]] = {}
    if problems := blob_name_errors(name):
        errors["name"] = problems
    elif len(name) > ARTIFACT_NAME_MAX:
        errors["name"] = [f"Must be at most {ARTIFACT_NAME_MAX} characters."]
    allowed = asset_content_type(name) if not errors else None
    if not errors and allowed is None:
        errors["name"] = [f"The extension must be one of {', '.join(sorted(ASSET_CONTENT_TYPES))}."]
    elif allowed is not None and content_type != allowed:
        errors["content_type"] = [f"A {name.rsplit('.', 1)[-1]} file is uploaded as {allowed}."]
    return errors


def metadata_blob_names(metadata: dict[str, Any]) -> list[str]:
    """Return every blob a (validated) metadata document names, each once, in order."""
    assets = metadata.get("assets", {})
    # The HLS master playlist must exist too (its variants and segments are the generator's care).
    singles = (assets[kind] for kind in ("audio", "script", "hls") if kind in assets)
    names = [*assets.get("video", {}).values(), *singles]
    return list(dict.fromkeys(names))
