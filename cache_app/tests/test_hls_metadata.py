"""`assets.hls` at store: the master playlist of an HLS package, inside a folder of the content bucket."""

import pytest

from cache_app.tests.factories import metadata, store_body

pytestmark = pytest.mark.django_db

STORE = "/internal/v1/cache/store"
VIDEOS = {"720p": "videos/newton/720p.mp4"}


def store_hls(api, hls, body=None):
    body = body or store_body(metadata=metadata(assets={"video": VIDEOS, "hls": hls}))
    return api.post(STORE, body, format="json")


@pytest.mark.parametrize("hls", ["videos/newton/hls/master.m3u8", "a/MASTER.M3U8", "videos/newton/hls/v/index.m3u8"])
def test_a_playlist_inside_a_folder_is_stored_and_returned(service_client, hls):
    body = store_body(metadata=metadata(assets={"video": VIDEOS, "hls": hls}))
    assert store_hls(service_client, hls, body).status_code == 201
    triple = {k: body[k] for k in ("topic_id", "interest", "style")}
    check = service_client.post("/internal/v1/cache/check", triple, format="json")
    assert check.json()["metadata"]["assets"]["hls"] == hls


@pytest.mark.parametrize(
    "hls",
    [
        "master.m3u8",  # the bucket's root: a grant for its folder would be the whole bucket
        "videos/../master.m3u8",
        "videos/./hls/master.m3u8",
        "/videos/hls/master.m3u8",
        "videos//master.m3u8",
        "videos\\hls\\master.m3u8",
        "videos/hls/master.mp4",  # not a playlist
        "videos/hls/master.m3u8.html",
        "videos/hls/",
        "",
        42,
    ],
)
def test_an_unsafe_or_foreign_hls_name_is_400(service_client, hls):
    response = store_hls(service_client, hls)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "metadata.assets.hls" in error["details"], error
