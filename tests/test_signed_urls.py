"""Signed URLs under attack: tampered path, expiry, signature and method, expired links,
paths escaping the bucket. All refused, none with a 5xx.

Already proven elsewhere, not repeated here:
- delivery_app/tests/test_files.py: a local link with its path, expiry, type or signature
  changed, or its signature missing, is 403; an expired link is 403; a signed
  "../../etc/passwd" is 403; ranges are served.
- delivery_app/tests/test_signing.py: a GCS V4 signature fails offline verification when
  the path, the expiry, the response type, the key or the method (PUT) change; a local
  link expires exactly on time.

Here: the same promises end to end through the API for GCS, every other method, hostile
expiry and range values, query tricks, traversal encodings against a real file beside
the content folder, and an unsafe blob name in a cache entry, which is never signed.
"""

import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from rest_framework.test import APIClient

from cache_app.tiers import cold_tier, hot_tier
from delivery_app.signing import LocalSigner
from delivery_app.tests.factories import VIDEO_BYTES, requested, stored_content
from devstack.gcs_signing import throwaway_service_account, v4_signature_is_valid

pytestmark = pytest.mark.django_db

SECRET = b"a file outside the content bucket"


@pytest.fixture
def anyone() -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    return client


@pytest.fixture
def video() -> str:
    storages["content"].save("clips/v1.mp4", ContentFile(VIDEO_BYTES))
    return "clips/v1.mp4"


def local_link(blob: str, ttl: int = 900, clock=time.time) -> str:
    parts = urlsplit(LocalSigner(clock=clock).sign(blob, content_type="video/mp4", ttl=ttl).url)
    return f"{parts.path}?{parts.query}"


def with_query(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def test_a_signed_link_is_for_reading_only(anyone, video):
    link = local_link(video)
    assert anyone.get(link).status_code == 200
    head = anyone.head(link)
    assert head.status_code == 200 and head["Content-Length"] == str(len(VIDEO_BYTES))
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = anyone.generic(method, link, VIDEO_BYTES[::-1], content_type="video/mp4")
        assert response.status_code == 405, method
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}, method
    assert storages["content"].open(video).read() == VIDEO_BYTES  # nothing was written or deleted


@pytest.mark.parametrize(
    "expires",
    ["", "-1", "0", "1e309", "99999999999999999999999999999", "1.5", "0x7fffffff", " 1", "NaN", "\u0661\u0662"],
)
def test_hostile_expiry_values_are_403(anyone, video, expires):
    response = anyone.get(with_query(local_link(video), expires=expires))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_link_that_expired_a_second_ago_is_refused_even_with_a_fresh_signature_elsewhere(anyone, video):
    past = local_link(video, ttl=60, clock=lambda: time.time() - 61)
    fresh = local_link(video)
    assert anyone.get(past).status_code == 403
    # Splicing the fresh link's signature onto the old expiry does not help, nor the reverse.
    fresh_signature = parse_qs(urlsplit(fresh).query)["signature"][0]
    past_expiry = parse_qs(urlsplit(past).query)["expires"][0]
    assert anyone.get(with_query(past, signature=fresh_signature)).status_code == 403
    assert anyone.get(with_query(fresh, expires=past_expiry)).status_code == 403


def test_query_tricks_do_not_help(anyone, video):
    link = local_link(video)
    later = str(int(time.time()) + 86_400)
    assert anyone.get(f"{link}&expires={later}").status_code == 403  # a second expiry, read last
    assert anyone.get(f"{link}&type=text%2Fhtml").status_code == 403
    assert anyone.get(link.replace("signature=", "Signature=")).status_code == 403
    assert anyone.get(f"{link}&unrelated=1").status_code == 200  # unknown parameters are harmless


@pytest.mark.parametrize(
    "header", ["bytes=99999999999999999999999-", "bytes=--1", "bytes=-0", "bytes=5-1", "bytes=0-0,-1,2-", "items=0-1"]
)
def test_hostile_ranges_never_break_the_file_view(anyone, video, header):
    response = anyone.get(local_link(video), HTTP_RANGE=header)
    assert response.status_code in (200, 206, 416)


@pytest.fixture
def secret_beside_the_bucket(settings) -> Path:
    """A real file next to the content folder, for traversal attempts to find."""
    content = Path(settings.STORAGES["content"]["OPTIONS"]["location"])
    content.mkdir(parents=True, exist_ok=True)
    (content.parent / "secret.txt").write_bytes(SECRET)
    return content.parent / "secret.txt"


@pytest.mark.parametrize(
    "escape",
    [
        "../secret.txt",
        "clips/../../secret.txt",
        "..%2Fsecret.txt",
        "%2E%2E/secret.txt",
        "%252E%252E%252Fsecret.txt",
        "..\\secret.txt",
        "..%5Csecret.txt",
        "clips/%2E%2E/%2E%2E/secret.txt",
        "/secret.txt",
        "secret.txt%00.mp4",
    ],
)
def test_no_path_leaves_the_bucket_even_when_signed(anyone, secret_beside_the_bucket, escape):
    """An attacker cannot sign; even a link this service signed for such a name is refused."""
    for link in (f"/files/{escape}", local_link(escape), f"/files/{escape}?{urlsplit(local_link(escape)).query}"):
        response = anyone.get(link)
        assert response.status_code in (403, 404), (link, response.status_code)
        assert SECRET not in b"".join(getattr(response, "streaming_content", [response.content]))


@pytest.mark.parametrize("unsafe", ["../../secret.txt", "videos/page.html", "videos/image.svg"])
def test_an_unsafe_blob_name_in_a_cache_entry_is_never_signed(as_user, school, anyone, unsafe):
    """Names and types are checked when stored; an entry tampered with later (or written by
    an older version) must still not turn into a link outside the bucket, or to a type the
    contract does not allow (an .html or .svg asset would run script on our origin)."""
    content = stored_content()
    requested(school["student_a"], content)
    document = cold_tier.get(content["cache_key"])
    document["metadata"]["assets"]["video"]["720p"] = unsafe
    cold_tier.put(content["cache_key"], document)
    hot_tier.set(content["cache_key"], document)
    api = as_user(school["student_a"])
    response = api.get(f"/api/v1/content/{content['cache_key']}/url?quality=720p")
    assert response.status_code == 404
    assert "url" not in response.json()
    batch = api.post(
        "/api/v1/content/urls/batch", {"items": [{"cache_key": content["cache_key"], "quality": "720p"}]}, format="json"
    )
    assert batch.status_code == 200 and "url" not in batch.json()["results"][0]
    # The safe assets of the same entry are still served.
    assert api.get(f"/api/v1/content/{content['cache_key']}/url?quality=1080p").status_code == 200


@pytest.fixture
def requested_video(school) -> dict:
    content = stored_content()  # its assets are written to the local folder
    requested(school["student_a"], content)
    return content


@pytest.fixture
def gcs_content(settings, requested_video):
    """From here on, sign content URLs as GCS V4 with a throwaway key (no network needed)."""
    credentials, public_key, _ = throwaway_service_account()
    settings.STORAGES = {
        **settings.STORAGES,
        "content": {
            "BACKEND": "vividly.storage.BoundedGoogleCloudStorage",
            "OPTIONS": {"bucket_name": "vividly-content", "credentials": credentials, "project_id": "p"},
        },
    }
    return public_key


def test_gcs_links_from_the_api_are_for_get_only_and_expire_as_announced(
    as_user, school, settings, requested_video, gcs_content
):
    public_key = gcs_content
    body = as_user(school["student_a"]).get(f"/api/v1/content/{requested_video['cache_key']}/url?quality=1080p").json()
    url = body["url"]
    assert urlsplit(url).path.startswith("/vividly-content/videos/")
    assert v4_signature_is_valid(url, public_key, method="GET")
    for method in ("HEAD", "POST", "PUT", "PATCH", "DELETE"):
        assert not v4_signature_is_valid(url, public_key, method=method), method
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Goog-Expires"][0]) == body["expires_in"] == settings.SIGNED_URL_TTL
    tampered = {
        "path": url.replace("/1080p.mp4", "/720p.mp4"),
        "bucket": url.replace("/vividly-content/", "/another-bucket/"),
        "escape": url.replace("/vividly-content/videos/", "/vividly-content/videos/../../another-bucket/"),
        "expiry": with_query(url, **{"X-Goog-Expires": "604800"}),
        "date": with_query(url, **{"X-Goog-Date": "20990101T000000Z"}),
        "signature": with_query(url, **{"X-Goog-Signature": "00" * 256}),
        "encoding": url.replace("/videos/", "/" + quote("videos/", safe="") + ""),
    }
    for what, changed in tampered.items():
        assert not v4_signature_is_valid(changed, public_key), what
