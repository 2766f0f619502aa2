"""Playback grants: what lets a player open an HLS package (or, without one, a single video).

An HLS package is a master playlist, variant playlists and segments under one folder,
referenced by relative URIs that a player resolves against the playlist's URL *without its
query string*. One object's signature (GCS V4, or our `/files/` link) therefore cannot
authorise a package; a grant covers the whole folder. One interface (`FolderSigner.sign`),
chosen by configuration:

- `CdnFolderSigner` (`CDN_BASE_URL`, `CDN_KEY_NAME`, `CDN_KEY`): a Google Cloud CDN signed
  URL with `URLPrefix` for the folder, plus the equivalent `Cloud-CDN-Cookie` value (the
  cookie is what carries the authorisation to the segments), computed as Google documents
  in GoogleCloudPlatform/python-docs-samples `cdn/snippets.py`: HMAC-SHA1 with the 16-byte
  key, base64url with its padding;
- `LocalFolderSigner` (no bucket, no CDN): a Django-signed folder token carried in the
  *path* (`/files/p/<token>/<folder>/master.m3u8`), so every relative URI resolves under the
  same token; `delivery_app.playback_files` checks and serves it;
- a GCS bucket without a CDN: no folder signer (`None`); the caller answers `progressive`
  (per-viewer playlist rewriting is out of scope).
"""

import base64
import binascii
import hashlib
import hmac
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from cache_app.services import cache_entries_fetch
from cache_app.types import VIDEO_QUALITIES, ColdTierUnavailable, asset_content_type
from delivery_app.assets import AssetChoice, blob_for, signable
from delivery_app.selectors import NOT_VISIBLE, content_access
from delivery_app.signing import SignedUrl, signer
from vividly.accounts.models import User
from vividly.errors import NotFound

CDN_COOKIE_NAME = "Cloud-CDN-Cookie"
CDN_KEY_BYTES = 16  # Cloud CDN signing keys are 128-bit
HLS_TYPE = "application/vnd.apple.mpegurl"


@dataclass(frozen=True)
class FolderGrant:
    """A signed URL opening `entry` of a folder; `cookie` is the CDN cookie value, if any."""

    signed: SignedUrl
    cookie: str | None = None


class FolderSigner(Protocol):
    name: str

    def sign(self, folder: str, *, entry: str, ttl: int) -> FolderGrant: ...


def folder_url_path(folder: str, entry: str) -> str:
    return f"{quote(folder)}/{quote(entry)}"


class LocalFolderSigner:
    """Folder tokens for this service's `/files/p/` view: the folder and expiry, Django-signed.

    `.` separates payload and signature (neither base64url part contains one), so the token
    is one path segment of URL-safe characters.
    """

    name = "local"
    salt = "vividly.delivery.playback-folder"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.signer = signing.Signer(salt=self.salt, sep=".")

    def token(self, folder: str, expires: int) -> str:
        return self.signer.sign_object({"f": folder, "e": expires})

    def sign(self, folder: str, *, entry: str, ttl: int) -> FolderGrant:
        expires = int(self.clock()) + ttl
        url = f"{settings.PUBLIC_BASE_URL}/files/p/{self.token(folder, expires)}/{folder_url_path(folder, entry)}"
        return FolderGrant(SignedUrl(url=url, expires_at=datetime.fromtimestamp(expires, UTC)))

    def folder(self, token: str) -> str | None:
        """Return the folder an untampered, unexpired token grants (no grace period), else None."""
        try:
            payload: Any = self.signer.unsign_object(token)
        except (signing.BadSignature, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict):
            return None
        folder, expires = payload.get("f"), payload.get("e")
        if not isinstance(folder, str) or not isinstance(expires, int) or isinstance(expires, bool):
            return None
        return folder if self.clock() < expires else None


def b64url(data: bytes) -> str:
    """Base64url with its padding, as Google's samples (and their published outputs) encode."""
    return base64.urlsafe_b64encode(data).decode()


def cdn_key(name: str, value: str) -> bytes:
    """Decode a Cloud CDN key (base64url, padding optional); anything but 16 bytes is a misconfiguration."""
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be base64url: {exc}") from exc
    if len(key) != CDN_KEY_BYTES:
        raise ImproperlyConfigured(f"{name} must decode to {CDN_KEY_BYTES} bytes, not {len(key)}.")
    return key


class CdnFolderSigner:
    """Cloud CDN URL-prefix signed URLs and signed cookies for a folder, with the current key.

    Rotation: the backend holds up to three keys; `CDN_KEY_NAME_NEXT`/`CDN_KEY_NEXT` names the
    one being rolled in. It is checked here (a malformed key fails at once, not on the day it
    is promoted) but never signs: URLs signed with the current key stay valid while the next
    one is added to the backend, and after promotion the old one is kept there until the
    last URL it signed has expired (`SIGNED_URL_TTL`).
    """

    name = "cdn"

    def __init__(self, *, base_url: str, key_name: str, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_name, self.key = key_name, key
        self.clock = clock

    def signature(self, policy: str) -> str:
        return b64url(hmac.new(self.key, policy.encode(), hashlib.sha1).digest())

    def sign(self, folder: str, *, entry: str, ttl: int) -> FolderGrant:
        expires = int(self.clock()) + ttl
        prefix = b64url(f"{self.base_url}/{quote(folder)}/".encode())
        url_policy = f"URLPrefix={prefix}&Expires={expires}&KeyName={self.key_name}"
        cookie_policy = f"URLPrefix={prefix}:Expires={expires}:KeyName={self.key_name}"
        url = f"{self.base_url}/{folder_url_path(folder, entry)}?{url_policy}&Signature={self.signature(url_policy)}"
        cookie = f"{cookie_policy}:Signature={self.signature(cookie_policy)}"
        return FolderGrant(SignedUrl(url=url, expires_at=datetime.fromtimestamp(expires, UTC)), cookie=cookie)


def cdn_signer(clock: Callable[[], float] = time.time) -> CdnFolderSigner:
    """Build the CDN signer from settings (raises ImproperlyConfigured when a key is malformed)."""
    if not settings.CDN_KEY_NAME:
        raise ImproperlyConfigured("CDN_BASE_URL is set: CDN_KEY_NAME and CDN_KEY are required.")
    if bool(settings.CDN_KEY_NAME_NEXT) != bool(settings.CDN_KEY_NEXT):
        raise ImproperlyConfigured("CDN_KEY_NAME_NEXT and CDN_KEY_NEXT are set together or not at all.")
    if settings.CDN_KEY_NEXT:
        cdn_key("CDN_KEY_NEXT", settings.CDN_KEY_NEXT)  # checked now, used once promoted
    return CdnFolderSigner(
        base_url=settings.CDN_BASE_URL,
        key_name=settings.CDN_KEY_NAME,
        key=cdn_key("CDN_KEY", settings.CDN_KEY),
        clock=clock,
    )


def folder_signer(clock: Callable[[], float] = time.time) -> FolderSigner | None:
    """Return the folder signer for this configuration, or None (a bucket with no CDN in front)."""
    if settings.CDN_BASE_URL:
        return cdn_signer(clock)
    from storages.backends.gcloud import GoogleCloudStorage

    if isinstance(storages["content"], GoogleCloudStorage):
        return None
    return LocalFolderSigner(clock)


@dataclass(frozen=True)
class Playback:
    cache_key: str
    format: str  # "hls" | "progressive"
    url: str
    expires_at: datetime
    expires_in: int
    cookie: str | None = None


def hls_package(metadata: dict[str, Any]) -> tuple[str, str] | None:
    """Return (folder, master playlist's file name) of the content's HLS package, if it has a sound one."""
    master = metadata.get("assets", {}).get("hls")
    if not signable(master) or asset_content_type(master) != HLS_TYPE or "/" not in master:
        return None
    return posixpath.dirname(master), posixpath.basename(master)


def best_video(metadata: dict[str, Any]) -> AssetChoice:
    """Return the highest video quality the content has (720p when it has none: blob_for then says so)."""
    videos = metadata.get("assets", {}).get("video", {})
    quality = next((q for q in reversed(VIDEO_QUALITIES) if signable(videos.get(q))), VIDEO_QUALITIES[0])
    return AssetChoice("video", quality)


def content_playback_sign(*, user: User, cache_key: str, clock: Callable[[], float] = time.time) -> Playback:
    """Return a fresh playback grant for content `user` may reach (the access rule of `…/url`).

    HLS when the content has a package and a folder signer is configured; else the best video
    quality, signed as a single asset. Never remembered: asking again renews the lifetime.
    `clock` dates the folder grant and `expires_in`.
    """
    error = content_access(user=user, cache_keys=[cache_key]).refusal(cache_key)
    if error is not None:
        raise error
    found, unavailable = cache_entries_fetch(cache_keys=[cache_key])
    if cache_key in unavailable:
        raise ColdTierUnavailable()
    if cache_key not in found:
        raise NotFound(NOT_VISIBLE)
    metadata = found[cache_key]["metadata"]
    package = hls_package(metadata)
    signed_at = clock()  # one instant for the signature and `expires_in`: a fresh grant reports the TTL
    folders = folder_signer(lambda: signed_at) if package else None
    if package and folders:
        folder, entry = package
        grant = folders.sign(folder, entry=entry, ttl=settings.SIGNED_URL_TTL)
        now = datetime.fromtimestamp(signed_at, UTC)
        return Playback(
            cache_key, "hls", grant.signed.url, grant.signed.expires_at, grant.signed.expires_in(now), grant.cookie
        )
    blob = blob_for(metadata, best_video(metadata))
    signed = signer().sign(blob, content_type=asset_content_type(blob), ttl=settings.SIGNED_URL_TTL)
    return Playback(cache_key, "progressive", signed.url, signed.expires_at, signed.expires_in())
