"""A small HLS package in the content storage: two variants, a few seconds of segments.

With `ffmpeg` on PATH the segments are real video (a test pattern, encoded per variant);
without it, hand-written playlists name a few small MPEG-TS files of null packets, enough
for a player to walk playlist → variant → segment and for Range requests. Either way the
master playlist names its variants, and each variant its segments, by relative URIs.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import storages

# (folder name, width, height, bandwidth in bits per second)
VARIANTS = (("360p", 640, 360, 400_000), ("720p", 1280, 720, 1_200_000))
SEGMENT_SECONDS = 2
SEGMENTS = 2
TS_PACKET = bytes([0x47, 0x1F, 0xFF, 0x10]) + b"\xff" * 184  # an MPEG-TS null packet (PID 0x1FFF)


def master_playlist() -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height, bandwidth in VARIANTS:
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}", f"{name}/index.m3u8"]
    return "\n".join(lines) + "\n"


def variant_playlist(segments: list[str]) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{SEGMENT_SECONDS:.1f},", segment]
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def handwritten_files() -> dict[str, bytes]:
    """Return the package's files by path inside its folder (segments of null TS packets)."""
    files = {"master.m3u8": master_playlist().encode()}
    for index, (name, *_rest) in enumerate(VARIANTS):
        segments = [f"segment{n}.ts" for n in range(SEGMENTS)]
        files[f"{name}/index.m3u8"] = variant_playlist(segments).encode()
        for n, segment in enumerate(segments):
            files[f"{name}/{segment}"] = TS_PACKET * (20 + 10 * index + n)
    return files


def ffmpeg_files(ffmpeg: str) -> dict[str, bytes]:
    """Encode a test pattern per variant with ffmpeg's HLS muxer; return the files by path."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, width, height, bandwidth in VARIANTS:
            (root / name).mkdir()
            subprocess.run(
                [
                    ffmpeg, "-loglevel", "error", "-f", "lavfi",
                    "-i", f"testsrc=duration={SEGMENT_SECONDS * SEGMENTS}:size={width}x{height}:rate=24",
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", str(bandwidth), "-g", "48",
                    "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
                    "-hls_segment_filename", str(root / name / "segment%d.ts"), str(root / name / "index.m3u8"),
                ],
                check=True,
                timeout=120,
            )  # fmt: skip
        (root / "master.m3u8").write_text(master_playlist())
        return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def write_hls_package(folder: str, *, use_ffmpeg: bool = True) -> str:
    """Write the package under `folder` in the content storage; return its master playlist's blob name."""
    ffmpeg = shutil.which("ffmpeg") if use_ffmpeg else None
    files = ffmpeg_files(ffmpeg) if ffmpeg else handwritten_files()
    content = storages["content"]
    for path, body in files.items():
        content.save(f"{folder}/{path}", ContentFile(body))
    return f"{folder}/master.m3u8"
