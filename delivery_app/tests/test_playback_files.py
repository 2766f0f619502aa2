"""/files/p/<token>/<folder>/<file>: the local folder token grants one folder, until it expires."""

import time
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from delivery_app.playback import LocalFolderSigner
from devstack.demo.hls import handwritten_files, write_hls_package

pytestmark = pytest.mark.django_db

FOLDER = "videos/7/hls"
SECRET = b"another student's video"


@pytest.fixture
def package() -> dict[str, bytes]:
    write_hls_package(FOLDER, use_ffmpeg=False)
    content = storages["content"]
    # Neighbours a token for FOLDER must never reach.
    content.save("videos/7/hls-other/secret.ts", ContentFile(SECRET))
    content.save("videos/7/secret.ts", ContentFile(SECRET))
    content.save("videos/8/hls/master.m3u8", ContentFile(b"#EXTM3U\n"))
    content.save(f"{FOLDER}/page.html", ContentFile(b"<script>alert(1)</script>"))
    content.save(f"{FOLDER}/audio.mp3", ContentFile(b"ID3"))
    return handwritten_files()


def master_path(*, clock=time.time, ttl: int = 900, folder: str = FOLDER) -> str:
    return urlsplit(LocalFolderSigner(clock=clock).sign(folder, entry="master.m3u8", ttl=ttl).signed.url).path


def token_of(path: str) -> str:
    return path.split("/")[3]


def test_the_master_playlist_and_what_it_names_resolve_under_the_token(client, package):
    master = master_path()
    response = client.get(master)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == package["master.m3u8"]
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    variant = urljoin(master, "360p/index.m3u8")
    assert client.get(variant).status_code == 200
    segment = client.get(urljoin(variant, "segment1.ts"))
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert b"".join(segment.streaming_content) == package["360p/segment1.ts"]
    # A variant naming its sibling with '..' (as packagers do) resolves inside the folder too.
    assert client.get(urljoin(variant, "../720p/segment0.ts")).status_code == 200


def test_range_on_a_segment(client, package):
    body = package["720p/segment0.ts"]
    segment = urljoin(master_path(), "720p/segment0.ts")
    response = client.get(segment, HTTP_RANGE="bytes=188-375")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == body[188:376]
    assert response["Content-Range"] == f"bytes 188-375/{len(body)}"
    assert response["Accept-Ranges"] == "bytes"
    unsatisfiable = client.get(segment, HTTP_RANGE=f"bytes={len(body)}-")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable["Content-Range"] == f"bytes */{len(body)}"


def test_a_tampered_token_is_403(client, package):
    master = master_path()
    token = token_of(master)
    payload, signature = token.split(".")
    forged_for_parent = LocalFolderSigner().token("videos/7", int(time.time()) + 900).split(".")[0]
    for bad in [
        f"{payload}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}",
        f"{forged_for_parent}.{signature}",  # another folder's payload under this signature
        payload,
        "",
        "not-a-token",
    ]:
        response = client.get(master.replace(token, bad, 1) if bad else master.replace(f"/{token}/", "//", 1))
        assert response.status_code == 403, bad
        assert response.json()["error"]["code"] == "invalid_signature", bad


def test_a_token_of_another_salt_is_refused(client, package):
    from django.core import signing

    token = signing.Signer(salt="vividly.delivery.local-file-url", sep=".").sign_object({"f": FOLDER, "e": 2**40})
    response = client.get(f"/files/p/{token}/{FOLDER}/master.m3u8")
    assert response.status_code == 403 and response.json()["error"]["code"] == "invalid_signature"


def test_expiry_follows_the_clock_with_no_grace(client, package):
    now = [1_800_000_000.0]
    signer = LocalFolderSigner(clock=lambda: now[0])
    token = token_of(master_path(clock=lambda: now[0], ttl=60))
    assert signer.folder(token) == FOLDER
    now[0] += 59.999
    assert signer.folder(token) == FOLDER
    now[0] += 0.001
    assert signer.folder(token) is None
    # The view checks with the real clock: a token signed 901 s ago for 900 s is dead.
    expired = master_path(clock=lambda: time.time() - 901, ttl=900)
    response = client.get(expired)
    assert response.status_code == 403 and response.json()["error"]["code"] == "invalid_signature"


@pytest.mark.parametrize(
    "outside",
    [
        "videos/7/hls-other/secret.ts",  # a sibling whose name starts with the folder's
        "videos/7/secret.ts",  # the parent
        "videos/8/hls/master.m3u8",  # another content's package
        "videos/7/hls",  # the folder itself
    ],
)
def test_a_path_outside_the_folder_is_403(client, package, outside):
    token = token_of(master_path())
    response = client.get(f"/files/p/{token}/{outside}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_folder"


@pytest.mark.parametrize(
    "suffix",
    [
        "../secret.ts",
        "%2e%2e/secret.ts",
        "%2E%2E%2Fsecret.ts",
        "..%2fsecret.ts",
        "..%5csecret.ts",
        "%2e%2e%5csecret.ts",
        "360p/%2e%2e/%2e%2e/secret.ts",
        "./360p/segment0.ts",
        "360p//segment0.ts",
        "360p/segment0.ts%00.m3u8",
        "%2fetc/passwd.ts",
    ],
)
def test_traversal_encodings_are_refused(client, package, suffix):
    token = token_of(master_path())
    response = client.get(f"/files/p/{token}/{FOLDER}/{suffix}")
    assert response.status_code == 403, suffix
    assert response.json()["error"]["code"] == "outside_folder"


def test_a_double_encoded_dot_dot_is_a_name_inside_the_folder_not_a_step_out(client, package):
    token = token_of(master_path())
    response = client.get(f"/files/p/{token}/{FOLDER}/%252e%252e/secret.ts")
    assert response.status_code == 404  # the literal name "%2e%2e/secret.ts" under the folder: no such file


@pytest.mark.parametrize("name", ["page.html", "audio.mp3"])
def test_only_hls_types_are_served(client, package, name):
    token = token_of(master_path())
    response = client.get(f"/files/p/{token}/{FOLDER}/{name}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "type_not_allowed"


def test_a_missing_segment_is_404_and_other_methods_405(client, package):
    master = master_path()
    assert client.get(urljoin(master, "360p/segment9.ts")).status_code == 404
    assert client.head(master).status_code == 200
    assert client.post(master).status_code == 405
