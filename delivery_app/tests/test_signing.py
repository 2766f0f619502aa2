"""Both signers: GCS V4 verified offline with the key's public half; local HMAC links."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core.files.storage import storages

from delivery_app.signing import GcsSigner, LocalSigner, signer
from devstack.gcs_signing import throwaway_service_account, v4_signature_is_valid


def replace_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_gcs_signature_verifies_and_carries_expiry_and_type(gcs_content):
    active = signer()
    assert isinstance(active, GcsSigner)
    signed = active.sign("videos/a b/720p.mp4", content_type="video/mp4", ttl=900)
    assert v4_signature_is_valid(signed.url, gcs_content)
    query = parse_qs(urlsplit(signed.url).query)
    assert query["X-Goog-Expires"] == ["900"]
    assert query["response-content-type"] == ["video/mp4"]
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert abs((signed.expires_at - datetime.now(UTC)) - timedelta(seconds=900)) < timedelta(seconds=5)
    assert "/vividly-content/videos/a%20b/720p.mp4" in signed.url


def test_gcs_signature_fails_when_path_expiry_method_or_type_change(gcs_content):
    signed = signer().sign("videos/x/720p.mp4", content_type="video/mp4", ttl=900)
    other_path = signed.url.replace("/videos/x/720p.mp4", "/videos/x/1080p.mp4")
    assert not v4_signature_is_valid(other_path, gcs_content)
    assert not v4_signature_is_valid(replace_query(signed.url, **{"X-Goog-Expires": "604800"}), gcs_content)
    assert not v4_signature_is_valid(replace_query(signed.url, **{"response-content-type": "text/html"}), gcs_content)
    assert not v4_signature_is_valid(signed.url, gcs_content, method="PUT")
    other_key = throwaway_service_account()[1]
    assert not v4_signature_is_valid(signed.url, other_key)


def test_gcs_signing_needs_no_network(gcs_content, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("signing tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert v4_signature_is_valid(signer().sign("v.mp4", content_type="video/mp4", ttl=60).url, gcs_content)


def test_local_signer_is_used_for_a_folder():
    assert isinstance(signer(), LocalSigner)
    assert storages["content"].__class__.__name__ == "FileSystemStorage"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def link_parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return {"blob_name": parts.path.removeprefix("/files/"), **query}


def test_local_signature_round_trip_and_tampering(settings):
    settings.PUBLIC_BASE_URL = "https://vividly.example.edu"
    clock = Clock(1_800_000_000.0)
    local = LocalSigner(clock=clock)
    signed = local.sign("videos/a/720p.mp4", content_type="video/mp4", ttl=900)
    assert signed.url.startswith("https://vividly.example.edu/files/videos/a/720p.mp4?")
    assert signed.expires_at == datetime.fromtimestamp(1_800_000_900, UTC)
    parts = link_parts(signed.url)
    good = {"expires": parts["expires"], "content_type": parts["type"], "signature": parts["signature"]}
    assert local.verify("videos/a/720p.mp4", **good)
    assert not local.verify("videos/a/1080p.mp4", **good)
    assert not local.verify("videos/a/720p.mp4", **{**good, "expires": str(int(parts["expires"]) + 3600)})
    assert not local.verify("videos/a/720p.mp4", **{**good, "content_type": "text/html"})
    assert not local.verify("videos/a/720p.mp4", **{**good, "signature": parts["signature"][:-1] + "x"})
    assert not local.verify("videos/a/720p.mp4", **{**good, "expires": "soon"})
    settings.SECRET_KEY = "another-secret"
    assert not local.verify("videos/a/720p.mp4", **good)


def test_local_link_expires_exactly_on_time():
    clock = Clock(1_800_000_000.0)
    local = LocalSigner(clock=clock)
    parts = link_parts(local.sign("v.mp4", content_type="video/mp4", ttl=900).url)
    args = {"expires": parts["expires"], "content_type": parts["type"], "signature": parts["signature"]}
    clock.now += 899.999
    assert local.verify("v.mp4", **args)
    clock.now += 0.001
    assert not local.verify("v.mp4", **args)
