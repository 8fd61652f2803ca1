"""A small corpus of test videos, made with ffmpeg's lavfi sources at test time.

Each maker writes ``path`` and returns it. The kinds span what a compressor meets: a flat
colour (easy), a busy synthetic picture, noise-like detail (hard), a clip that is already
small and clean, a phone's portrait clip (rotation in its metadata), 10-bit PQ HDR (with and
without HDR10's metadata), 5.1 audio.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import FFMPEG

SIZE = "640x360"


def _make(path: Path, inputs: list[str], codec: list[str], extra: tuple[str, ...] = ()) -> Path:
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *inputs, *codec, *extra, str(path)]
    subprocess.run(cmd, check=True)
    return path


def _picture(source: str, seconds: float) -> list[str]:
    return ["-f", "lavfi", "-t", str(seconds), "-i", source]


def _tone(seconds: float, layout: str = "stereo") -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds},aformat=channel_layouts={layout}"]


FAITHFUL = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-pix_fmt", "yuv420p"]


def flat(path: Path, seconds: float = 6) -> Path:
    return _make(path, _picture(f"color=c=0x336699:size={SIZE}:rate=25", seconds), FAITHFUL)


def busy(path: Path, seconds: float = 6, audio: bool = True) -> Path:
    inputs = _picture(f"testsrc2=size={SIZE}:rate=25", seconds) + (_tone(seconds) if audio else [])
    return _make(path, inputs, FAITHFUL + (["-c:a", "aac", "-shortest"] if audio else []))


def noisy(path: Path, seconds: float = 6) -> Path:
    """Conway's life: fine detail that changes every frame, hard to compress."""
    life = f"life=size={SIZE}:rate=25:ratio=0.5:mold=10:death_color=#402020:life_color=#e0c080"
    return _make(path, _picture(life, seconds), FAITHFUL)


def already_compressed(path: Path, seconds: float = 6) -> Path:
    """Small and clean already: a slow x264 encode at a modest quality, as a phone app makes."""
    codec = ["-c:v", "libx264", "-preset", "slow", "-crf", "30", "-pix_fmt", "yuv420p"]
    codec += ["-c:a", "aac", "-b:a", "64k", "-shortest"]
    return _make(path, _picture(f"testsrc2=size={SIZE}:rate=25", seconds) + _tone(seconds), codec)


def portrait(path: Path, seconds: float = 4) -> Path:
    """A phone held upright: 640x360 coded, a 90° rotation in the metadata (displayed 360x640)."""
    plain = busy(path.with_name(path.stem + "-plain.mp4"), seconds)
    return _make(path, ["-display_rotation", "90", "-i", str(plain)], ["-c", "copy"])


def hdr_pq(path: Path, seconds: float = 4) -> Path:
    """10-bit HEVC tagged BT.2020 / PQ, as HDR phones and cameras record."""
    params = "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"
    codec = ["-vf", "format=yuv420p10le", "-c:v", "libx265", "-x265-params", params, "-crf", "16"]
    codec += ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
    return _make(path, _picture(f"testsrc2=size={SIZE}:rate=25", seconds), codec)


# A P3 display of 1000 nits (x265's units: 1/50000, 1/10000 cd/m²), as HDR10 grading often is.
MASTERING_DISPLAY = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
MAX_CLL, MAX_FALL = 1000, 400


def hdr10(path: Path, seconds: float = 2, transfer: str = "smpte2084") -> Path:
    """Small 10-bit HEVC tagged BT.2020 with ``transfer`` (PQ, or HLG: arib-std-b67) and HDR10's
    metadata in the container, where the probe reads it: x265 writes the metadata into the
    stream, and a second encode (ffmpeg hands on what it decodes) puts it in the mp4 too."""
    tags = f"colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    metadata = f"master-display={MASTERING_DISPLAY}:max-cll={MAX_CLL},{MAX_FALL}"
    x265 = ["-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast", "-crf", "16"]
    picture = _picture("testsrc2=size=320x240:rate=25", seconds)
    first = path.with_name(f"{path.stem}-stream-only.mp4")
    _make(first, picture, [*x265, "-x265-params", f"log-level=error:{tags}:{metadata}"])
    return _make(path, ["-i", str(first)], [*x265, "-x265-params", "log-level=error"])


def surround(path: Path, seconds: float = 4) -> Path:
    """5.1 audio beside the picture."""
    inputs = _picture(f"testsrc2=size={SIZE}:rate=25", seconds) + _tone(seconds, "5.1")
    return _make(path, inputs, [*FAITHFUL, "-c:a", "aac", "-b:a", "256k", "-shortest"])
