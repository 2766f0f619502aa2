"""A web player's fetch chain in a real Chromium, across origins: master → variant → ranged segment.

The player's blank page comes from a small server of its own on `http://127.0.0.1:<port>`
(the origin allowed here, as APP_BASE_URL's would be), the live server is
`http://localhost:<other port>`: another origin, both on loopback (Chromium refuses a page it
takes for public, such as one answered by Playwright's routing, any loopback fetch). Its script does what hls.js does:
fetch the master playlist, resolve a variant with `new URL(uri, playlistUrl)`, fetch it,
resolve a segment the same way and fetch it with a Range header. The same page from an
origin that is not allowed is refused by the browser's CORS check.
"""

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import storages

from delivery_app.tests.factories import requested
from delivery_app.tests.playback_factories import stored_hls_content
from devstack.demo.hls import write_hls_package
from vividly.accounts.tests.factories import StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


FETCH_CHAIN = """
async (masterUrl) => {
  const uris = (playlist) => playlist.split("\\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const master = await fetch(masterUrl);
  const variantUrl = new URL(uris(await master.text())[0], masterUrl).href;
  const variant = await fetch(variantUrl);
  const segmentUrl = new URL(uris(await variant.text())[0], variantUrl).href;
  const segment = await fetch(segmentUrl, { headers: { Range: "bytes=0-375" } });
  return {
    variantUrl, segmentUrl, status: segment.status,
    contentRange: segment.headers.get("Content-Range"),
    acceptRanges: segment.headers.get("Accept-Ranges"),
    contentLength: segment.headers.get("Content-Length"),
    bytes: Array.from(new Uint8Array(await segment.arrayBuffer())),
  };
}
"""

REFUSED = """
async (masterUrl) => {
  try { await fetch(masterUrl); return "read"; } catch (error) { return `${error.name}: ${error.message}`; }
}
"""


class BlankPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>player</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def player_port() -> Iterator[int]:
    """Serve the player's blank page on an ephemeral loopback port; yield the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def player_origin(player_port, settings) -> str:
    """The allowed origin: the player's page as 127.0.0.1 (as `localhost` it is another, refused, origin)."""
    origin = f"http://127.0.0.1:{player_port}"
    settings.CORS_ALLOWED_ORIGINS = [origin]
    return origin


def open_player_page(page, origin: str) -> list[str]:
    """Open the blank player page at `origin`; return the console's messages."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{origin}/watch")
    return messages


@pytest.fixture
def playback_url(live_server, settings, as_user):
    """Return a function: store HLS content (hand-written or ffmpeg-made), return its playback URL and folder."""
    settings.PUBLIC_BASE_URL = live_server.url
    assert urlsplit(live_server.url).hostname == "localhost"

    def make(*, use_ffmpeg: bool) -> tuple[str, str]:
        content = stored_hls_content()
        if use_ffmpeg:
            write_hls_package(content["folder"], use_ffmpeg=True)  # over the hand-written package
        student = StudentFactory()
        requested(student, content)
        body = as_user(student).get(f"/api/v1/content/{content['cache_key']}/playback").json()
        assert body["format"] == "hls" and body["url"].startswith(f"{live_server.url}/files/p/")
        return body["url"], content["folder"]

    return make


def stored(folder: str, path: str) -> bytes:
    with storages["content"].open(f"{folder}/{path}") as handle:
        return handle.read()


def assert_chain_fetched(result: dict, folder: str, master_url: str) -> bytes:
    base = master_url.rsplit("/", 1)[0]
    assert result["variantUrl"] == f"{base}/360p/index.m3u8"
    assert result["segmentUrl"] == f"{base}/360p/segment0.ts"
    whole = stored(folder, "360p/segment0.ts")
    assert result["status"] == 206
    assert bytes(result["bytes"]) == whole[:376]
    # Readable by the page only because the server exposes them.
    assert result["contentRange"] == f"bytes 0-375/{len(whole)}"
    assert result["acceptRanges"] == "bytes" and result["contentLength"] == "376"
    return whole


def test_a_player_on_an_allowed_origin_fetches_playlist_variant_and_a_ranged_segment(page, playback_url, player_origin):
    master_url, folder = playback_url(use_ffmpeg=False)
    open_player_page(page, player_origin)
    assert_chain_fetched(page.evaluate(FETCH_CHAIN, master_url), folder, master_url)


def test_the_same_page_on_an_origin_not_allowed_is_refused_by_the_browser(page, playback_url, player_origin):
    master_url, _ = playback_url(use_ffmpeg=False)
    messages = open_player_page(page, player_origin.replace("127.0.0.1", "localhost"))
    assert page.evaluate(REFUSED, master_url) == "TypeError: Failed to fetch"
    assert any("blocked by CORS policy" in text and "Access-Control-Allow-Origin" in text for text in messages), (
        messages
    )


def test_the_ffmpeg_made_demo_package_plays_through_the_chain(page, playback_url, player_origin):
    assert shutil.which("ffmpeg"), "ffmpeg is needed to encode the demo package (.ci/run installs it)"
    master_url, folder = playback_url(use_ffmpeg=True)
    open_player_page(page, player_origin)
    whole = assert_chain_fetched(page.evaluate(FETCH_CHAIN, master_url), folder, master_url)
    # Real MPEG-TS from ffmpeg: a sync byte every 188 bytes, a PAT (PID 0) and ffmpeg's video stream (PID 0x100).
    packets = [whole[at : at + 188] for at in range(0, len(whole), 188)]
    assert len(packets) > 50 and all(packet[0] == 0x47 for packet in packets)
    assert {0, 0x100} <= {(packet[1] & 0x1F) << 8 | packet[2] for packet in packets}
