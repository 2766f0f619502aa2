"""GET …/playback and the folder signers behind it: local tokens, Cloud CDN, progressive fallback."""

import base64
import hashlib
import hmac
import time
from datetime import datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from delivery_app.playback import CdnFolderSigner, LocalFolderSigner, cdn_key, content_playback_sign
from delivery_app.tests.factories import requested
from delivery_app.tests.playback_factories import stored_hls_content

pytestmark = pytest.mark.django_db

# Google's published sample (python-docs-samples cdn/snippets_test.py): key, key name, expiry.
GOOGLE_KEY = "nZtRohdNF9m3cKM24IcK4w=="
GOOGLE_EXPIRES = 1549751401
CURRENT = ("key-2026-11", base64.urlsafe_b64encode(bytes(range(16))).decode().rstrip("="))
NEXT = ("key-2026-12", base64.urlsafe_b64encode(bytes(range(100, 116))).decode())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def documented_signature(key: bytes, policy: str) -> str:
    """Cloud CDN's documented algorithm, written out here independently of the code under test."""
    return b64(hmac.new(key, policy.encode("utf-8"), hashlib.sha1).digest())


def verify_cdn_url(url: str, keys: dict[str, str], now: float) -> bool:
    """What Cloud CDN checks of a URL-prefix signed URL, against any of the backend's keys."""
    base, _, query = url.partition("?")
    fields = dict(parse_qsl(query))
    if set(fields) != {"URLPrefix", "Expires", "KeyName", "Signature"} or fields["KeyName"] not in keys:
        return False
    policy = query.rsplit("&Signature=", 1)[0]
    key = base64.urlsafe_b64decode(keys[fields["KeyName"]] + "==")
    return (
        hmac.compare_digest(documented_signature(key, policy), fields["Signature"])
        and base.startswith(base64.urlsafe_b64decode(fields["URLPrefix"]).decode())
        and now < int(fields["Expires"])
    )


def verify_cdn_cookie(value: str, url: str, keys: dict[str, str], now: float) -> bool:
    policy, _, signature = value.rpartition(":Signature=")
    fields = dict(part.split("=", 1) for part in policy.split(":"))
    if set(fields) != {"URLPrefix", "Expires", "KeyName"} or fields["KeyName"] not in keys:
        return False
    key = base64.urlsafe_b64decode(keys[fields["KeyName"]] + "==")
    return (
        hmac.compare_digest(documented_signature(key, policy), signature)
        and url.startswith(base64.urlsafe_b64decode(fields["URLPrefix"]).decode())
        and now < int(fields["Expires"])
    )


def google_signer(base_url: str) -> CdnFolderSigner:
    return CdnFolderSigner(
        base_url=base_url, key_name="my-key", key=base64.urlsafe_b64decode(GOOGLE_KEY), clock=lambda: GOOGLE_EXPIRES
    )


# --- Cloud CDN signer -------------------------------------------------------------------


def test_url_prefix_signatures_match_googles_published_outputs():
    grant = google_signer("http://www.example.com").sign("some", entry="path", ttl=0)
    assert grant.signed.url == (
        "http://www.example.com/some/path?URLPrefix=aHR0cDovL3d3dy5leGFtcGxlLmNvbS9zb21lLw==&"
        "Expires=1549751401&KeyName=my-key&Signature=3th4ThmpS95I1TAKYyYSCSq3dnQ="
    )
    assert grant.signed.expires_at == datetime.fromisoformat("2019-02-09T22:30:01+00:00")


def test_cookies_match_googles_published_output():
    grant = google_signer("http://www.example.com").sign("foo", entry="master.m3u8", ttl=0)
    assert f"Cloud-CDN-Cookie={grant.cookie}" == (
        "Cloud-CDN-Cookie=URLPrefix=aHR0cDovL3d3dy5leGFtcGxlLmNvbS9mb28v:Expires=1549751401:KeyName=my-key:"
        "Signature=Z9uYAu73YHioRScZDxnP-TnS274="
    )


def test_a_fixed_key_and_expiry_give_the_documented_url_and_cookie():
    key = bytes(range(16))
    signer = CdnFolderSigner(base_url="https://media.vividly.edu/", key_name="k1", key=key, clock=lambda: 1_800_000_000)
    grant = signer.sign("videos/a b/hls", entry="master.m3u8", ttl=900)
    prefix = b64(b"https://media.vividly.edu/videos/a%20b/hls/")
    policy = f"URLPrefix={prefix}&Expires=1800000900&KeyName=k1"
    assert grant.signed.url == (
        f"https://media.vividly.edu/videos/a%20b/hls/master.m3u8?{policy}&Signature={documented_signature(key, policy)}"
    )
    cookie_policy = policy.replace("&", ":")
    assert grant.cookie == f"{cookie_policy}:Signature={documented_signature(key, cookie_policy)}"
    # The cookie authorises every file of the package, and nothing beside it.
    keys = {"k1": b64(key)}
    for path in ("master.m3u8", "720p/index.m3u8", "720p/segment0.ts"):
        assert verify_cdn_cookie(grant.cookie, f"https://media.vividly.edu/videos/a%20b/hls/{path}", keys, 1.8e9)
    assert not verify_cdn_cookie(grant.cookie, "https://media.vividly.edu/videos/a%20b/other.ts", keys, 1.8e9)
    assert not verify_cdn_cookie(grant.cookie, "https://media.vividly.edu/videos/a%20b/hls/x.ts", keys, 1_800_000_900)


def test_key_rotation_signs_with_the_current_key_and_the_backend_accepts_either(settings):
    settings.CDN_BASE_URL, settings.CDN_KEY_NAME, settings.CDN_KEY = "https://media.vividly.edu", *CURRENT
    settings.CDN_KEY_NAME_NEXT, settings.CDN_KEY_NEXT = NEXT
    backend = dict([CURRENT, NEXT])  # both keys are on the backend during the rollover
    from delivery_app.playback import cdn_signer

    before = cdn_signer().sign("pkg", entry="master.m3u8", ttl=900)
    assert dict(parse_qsl(urlsplit(before.signed.url).query))["KeyName"] == CURRENT[0]
    assert verify_cdn_url(before.signed.url, backend, time.time())
    assert verify_cdn_cookie(before.cookie, "https://media.vividly.edu/pkg/1.ts", backend, time.time())
    # Promotion: the next key signs; what the old one signed still verifies until it expires.
    settings.CDN_KEY_NAME, settings.CDN_KEY = NEXT
    settings.CDN_KEY_NAME_NEXT = settings.CDN_KEY_NEXT = ""
    after = cdn_signer().sign("pkg", entry="master.m3u8", ttl=900)
    assert dict(parse_qsl(urlsplit(after.signed.url).query))["KeyName"] == NEXT[0]
    assert verify_cdn_url(after.signed.url, backend, time.time())
    assert verify_cdn_url(before.signed.url, backend, time.time())
    # A backend without the key a URL names refuses it; so does one given a wrong key under that name.
    assert not verify_cdn_url(after.signed.url, dict([CURRENT]), time.time())
    assert not verify_cdn_url(after.signed.url, {NEXT[0]: CURRENT[1]}, time.time())


def test_a_tampered_cdn_url_fails_verification():
    signer = CdnFolderSigner(base_url="https://cdn.example", key_name="k1", key=bytes(16), clock=time.time)
    url = signer.sign("pkg", entry="master.m3u8", ttl=900).signed.url
    keys = {"k1": b64(bytes(16))}
    assert verify_cdn_url(url, keys, time.time())
    other_prefix = b64(b"https://cdn.example/")
    fields = dict(parse_qsl(urlsplit(url).query))
    assert not verify_cdn_url(url.replace(fields["URLPrefix"], other_prefix), keys, time.time())
    assert not verify_cdn_url(url.replace(f"Expires={fields['Expires']}", "Expires=9999999999"), keys, time.time())
    assert not verify_cdn_url(url, keys, time.time() + 901)


@pytest.mark.parametrize(
    ("name", "value"),
    [("CDN_KEY", b64(bytes(15))), ("CDN_KEY", b64(bytes(32))), ("CDN_KEY", "not base64!"), ("CDN_KEY", "")],
)
def test_a_malformed_key_is_a_configuration_error(name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        cdn_key(name, value)


def test_a_next_key_is_checked_before_it_is_promoted(settings):
    settings.CDN_BASE_URL, settings.CDN_KEY_NAME, settings.CDN_KEY = "https://media.vividly.edu", *CURRENT
    from delivery_app.playback import cdn_signer

    settings.CDN_KEY_NAME_NEXT, settings.CDN_KEY_NEXT = "next", b64(bytes(8))
    with pytest.raises(ImproperlyConfigured, match="CDN_KEY_NEXT"):
        cdn_signer()
    settings.CDN_KEY_NAME_NEXT, settings.CDN_KEY_NEXT = "", NEXT[1]
    with pytest.raises(ImproperlyConfigured, match="together"):
        cdn_signer()
    settings.CDN_KEY_NAME_NEXT = settings.CDN_KEY_NEXT = settings.CDN_KEY_NAME = ""
    with pytest.raises(ImproperlyConfigured, match="CDN_KEY_NAME"):
        cdn_signer()


# --- the endpoint -----------------------------------------------------------------------


def playback(api, key: str):
    return api.get(f"/api/v1/content/{key}/playback")


def test_local_hls_opens_the_master_playlist_under_a_folder_token(as_user, school, client, settings):
    content = stored_hls_content()
    requested(school["student_a"], content)
    response = playback(as_user(school["student_a"]), content["cache_key"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"cache_key", "format", "url", "expires_at", "expires_in"}
    assert body["format"] == "hls" and body["expires_in"] == settings.SIGNED_URL_TTL
    assert body["url"].startswith(f"{settings.PUBLIC_BASE_URL}/files/p/")
    assert body["url"].endswith(f"/{content['folder']}/master.m3u8")
    master = urlsplit(body["url"]).path
    assert client.get(master).status_code == 200
    assert client.get(urljoin(master, "720p/segment1.ts")).status_code == 200


def test_content_without_hls_falls_back_to_the_best_progressive_video(as_user, school, client):
    content = stored_hls_content(hls=False)
    requested(school["student_a"], content)
    body = playback(as_user(school["student_a"]), content["cache_key"]).json()
    assert body["format"] == "progressive" and "cookie" not in body
    assert urlsplit(body["url"]).path.endswith("/1080p.mp4")
    parts = urlsplit(body["url"])
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200


def test_a_gcs_bucket_without_a_cdn_answers_progressive(as_user, school, request):
    content = stored_hls_content()
    requested(school["student_a"], content)
    request.getfixturevalue("gcs_content")  # the bucket from now on: signing reads no object
    body = playback(as_user(school["student_a"]), content["cache_key"]).json()
    assert body["format"] == "progressive"
    # The host is GCS's, or the emulator's when a test before this one started it.
    url = urlsplit(body["url"])
    assert url.path.startswith("/vividly-content/hls-videos/") and url.path.endswith("/1080p.mp4")
    assert "X-Goog-Signature" in dict(parse_qsl(url.query))


def test_with_cloud_cdn_the_answer_is_a_url_prefix_signature_and_its_cookie(as_user, school, settings):
    settings.CDN_BASE_URL, settings.CDN_KEY_NAME, settings.CDN_KEY = "https://media.vividly.edu", *CURRENT
    content = stored_hls_content()
    requested(school["student_a"], content)
    body = playback(as_user(school["student_a"]), content["cache_key"]).json()
    assert body["format"] == "hls" and body["expires_in"] == settings.SIGNED_URL_TTL
    assert body["url"].startswith(f"https://media.vividly.edu/{content['folder']}/master.m3u8?URLPrefix=")
    keys = dict([CURRENT])
    assert verify_cdn_url(body["url"], keys, time.time())
    segment = f"https://media.vividly.edu/{content['folder']}/720p/segment0.ts"
    assert verify_cdn_cookie(body["cookie"], segment, keys, time.time())
    expires = int(dict(parse_qsl(urlsplit(body["url"]).query))["Expires"])
    assert datetime.fromisoformat(body["expires_at"]).timestamp() == expires


def test_asking_again_renews_the_lifetime(school, settings):
    content = stored_hls_content()
    requested(school["student_a"], content)
    now = [1_800_000_000.0]
    first = content_playback_sign(user=school["student_a"], cache_key=content["cache_key"], clock=lambda: now[0])
    now[0] += 600.5
    second = content_playback_sign(user=school["student_a"], cache_key=content["cache_key"], clock=lambda: now[0])
    assert first.expires_in == second.expires_in == settings.SIGNED_URL_TTL
    assert second.expires_at.timestamp() == int(now[0]) + settings.SIGNED_URL_TTL
    assert second.url != first.url
    token = urlsplit(first.url).path.split("/")[3]
    assert LocalFolderSigner(clock=lambda: now[0]).folder(token) == content["folder"]  # still valid until it ends


def test_a_tampered_hls_entry_is_not_signed_as_a_package(as_user, school):
    """An entry written before the rules (or tampered with) naming a root playlist gets progressive."""
    from cache_app.services import cache_entries_fetch
    from cache_app.tiers import cold_tier, hot_tier

    content = stored_hls_content()
    requested(school["student_a"], content)
    [document] = cache_entries_fetch(cache_keys=[content["cache_key"]])[0].values()
    document["metadata"]["assets"]["hls"] = "master.m3u8"
    cold_tier.put(content["cache_key"], document)
    hot_tier.delete([content["cache_key"]])
    body = playback(as_user(school["student_a"]), content["cache_key"]).json()
    assert body["format"] == "progressive"


def test_content_still_pending_or_unknown_is_404(as_user, school):
    """The roles are in tests/test_access_matrix.py; these are the refusals before any read."""
    pending = stored_hls_content()
    requested(school["student_a"], pending, status="pending")
    assert playback(as_user(school["student_a"]), pending["cache_key"]).status_code == 404
    assert playback(as_user(school["staff"]), "0" * 64).status_code == 404
    assert playback(as_user(school["staff"]), "not-a-key").status_code == 404


def test_an_unreachable_cold_tier_is_a_503_not_a_false_404(as_user, school, monkeypatch):
    from cache_app.tiers import ColdTier, hot_tier
    from cache_app.types import ColdTierUnavailable

    content = stored_hls_content()
    requested(school["student_a"], content)
    hot_tier.delete([content["cache_key"]])

    def unreachable(self, cache_key):
        raise ColdTierUnavailable()

    monkeypatch.setattr(ColdTier, "get", unreachable)
    response = playback(as_user(school["student_a"]), content["cache_key"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "cold_tier_unavailable"
