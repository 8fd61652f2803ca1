"""A small corpus of test videos, made with ffmpeg's lavfi sources at test time.

Each maker writes ``path`` and returns it. The kinds span what a compressor meets: a flat
colour (easy), a busy synthetic picture, noise-like detail (hard), a clip that is already
small and clean, a phone's portrait clip (rotation in its metadata), 10-bit PQ HDR (with and
without HDR10's metadata), 5.1 audio, and a holiday MKV with three audio languages, text
subtitles, chapters, a title and a date, and a disc's MKV with a picture subtitle.
"""

from __future__ import annotations

import struct
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


def phone(path: Path, seconds: float = 6) -> Path:
    """A phone's variable frame rate: frames about 1/30 s apart, each up to 20 ms late (timed in
    milliseconds), with stereo sound."""
    late = "settb=1/1000,setpts=(N/30+0.02*random(1))/TB"
    inputs = _picture(f"testsrc2=size={SIZE}:rate=30,{late}", seconds) + _tone(seconds)
    timing = ["-fps_mode", "vfr", "-enc_time_base:v", "1:1000"]
    return _make(path, inputs, [*FAITHFUL, *timing, "-c:a", "aac", "-shortest"])


def noisy(path: Path, seconds: float = 6) -> Path:
    """Conway's life: fine detail that changes every frame, hard to compress."""
    life = f"life=size={SIZE}:rate=25:ratio=0.5:mold=10:death_color=#402020:life_color=#e0c080"
    return _make(path, _picture(life, seconds), FAITHFUL)


def resized(path: Path, seconds: float = 3) -> Path:
    """A Matroska recording whose picture changes size midway, at a keyframe (a call recorded as
    the network allowed, a broadcast's ad break): ``seconds`` at 320x240 (4:3), then as long
    at 480x270 (16:9). Each part's parameter sets are in its keyframes, as a stream carries them."""
    parts = []
    for size in ("320x240", "480x270"):
        part = path.with_name(f"{path.stem}-{size}.ts")
        inputs = _picture(f"testsrc2=size={size}:rate=25", seconds)
        stream = ["-bf", "0", "-g", "25", "-x264-params", "repeat-headers=1"]
        parts.append(_make(part, inputs, [*FAITHFUL, *stream]))
    listing = path.with_suffix(".txt")
    listing.write_text("".join(f"file '{part}'\n" for part in parts))
    return _make(path, ["-f", "concat", "-safe", "0", "-i", str(listing)], ["-c", "copy"])


def already_compressed(path: Path, seconds: float = 6, crf: int = 30) -> Path:
    """Small and clean already: a slow x264 encode at a modest quality (``crf``), as a phone app
    makes (at 40, smaller than any encode that reaches a preset's look of it)."""
    codec = ["-c:v", "libx264", "-preset", "slow", "-crf", str(crf), "-pix_fmt", "yuv420p"]
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


def surround(path: Path, seconds: float = 4, layouts: tuple[str, ...] = ("5.1",)) -> Path:
    """Audio tracks in ``layouts`` (5.1 by default) beside the picture, kept as PCM in a .mov."""
    inputs = _picture(f"testsrc2=size={SIZE}:rate=25", seconds)
    maps = ["-map", "0:v"]
    for track, layout in enumerate(layouts, start=1):
        inputs += _tone(seconds, layout)
        maps += ["-map", f"{track}:a"]
    return _make(path, inputs, [*maps, *FAITHFUL, "-c:a", "pcm_s16le", "-shortest"])


SRT = "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nWorld\n"
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:01.50,Default,,0,0,0,,Bonjour
"""  # noqa: E501
CHAPTERS = ";FFMETADATA1\ntitle=Our holiday\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"  # noqa: E501


def holiday(path: Path) -> Path:
    """An MKV with three audio languages, SRT and ASS subtitles, chapters, a title and a date."""
    folder = path.parent
    (folder / "a.srt").write_text(SRT)
    (folder / "b.ass").write_text(ASS)
    (folder / "meta.txt").write_text(CHAPTERS)
    source = path
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"]
    for frequency in (300, 500, 700):
        cmd += ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration=2"]
    cmd += ["-i", str(folder / "a.srt"), "-i", str(folder / "b.ass"), "-i", str(folder / "meta.txt")]
    cmd += ["-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a", "-map", "4:s", "-map", "5:s"]
    cmd += ["-map_metadata", "6", "-map_chapters", "6", "-c:v", "libx264", "-preset", "ultrafast"]
    cmd += ["-c:a", "aac", "-c:s:0", "srt", "-c:s:1", "ass"]
    for index, (language, title) in enumerate([("eng", "English"), ("fra", "Français"), ("deu", "Deutsch")]):
        cmd += [f"-metadata:s:a:{index}", f"language={language}", f"-metadata:s:a:{index}", f"title={title}"]
    cmd += ["-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra"]
    cmd += ["-metadata", "creation_time=2024-07-14T10:30:00Z", str(source)]
    subprocess.run(cmd, check=True)
    return source


def disc(path: Path, seconds: float = 2) -> Path:
    """An MKV as ripped from a Blu-ray: a PGS subtitle (drawn as a picture: one 8x2 white bar,
    shown from 0.5 s to 1.5 s) and a SubRip one beside the picture and the sound."""
    sup = path.with_suffix(".sup")
    sup.write_bytes(_pgs_display(45_000, show=True, number=0) + _pgs_display(135_000, show=False, number=1))
    srt = path.with_suffix(".srt")
    srt.write_text(SRT)
    inputs = [*_picture("testsrc2=size=320x240:rate=25", seconds), *_tone(seconds)]
    inputs += ["-f", "sup", "-i", str(sup), "-i", str(srt)]
    maps = ["-map", "0:v", "-map", "1:a", "-map", "2:s", "-map", "3:s", "-shortest"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s:0", "copy", "-c:s:1", "srt"]
    languages = ["-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra"]
    return _make(path, inputs, [*maps, *codec, *languages])


def _pgs_display(pts: int, show: bool, number: int) -> bytes:
    """One PGS display set (the segments a Blu-ray subtitle is made of) at ``pts`` (90 kHz):
    a composition showing one 8x2 object of palette colour 1 (white), or clearing the screen."""

    def segment(kind: int, payload: bytes) -> bytes:
        return b"PG" + struct.pack(">IIBH", pts, 0, kind, len(payload)) + payload

    placed = struct.pack(">HBBHH", 0, 0, 0, 10, 10) if show else b""
    composition = struct.pack(">HHBHBBBB", 320, 240, 0x10, number, 0x80 if show else 0, 0, 0, int(show))
    found = segment(0x16, composition + placed) + segment(0x17, struct.pack(">BBHHHH", 1, 0, 10, 10, 8, 2))
    if show:
        found += segment(0x14, struct.pack(">BBBBBBB", 0, 0, 1, 235, 128, 128, 255))  # palette: white
        rows = (b"\x00\x88\x01" + b"\x00\x00") * 2  # run-length: 8 pixels of colour 1, end of line
        picture = struct.pack(">HH", 8, 2) + rows
        found += segment(0x15, struct.pack(">HBB", 0, 0, 0xC0) + len(picture).to_bytes(3, "big") + picture)
    return found + segment(0x80, b"")
