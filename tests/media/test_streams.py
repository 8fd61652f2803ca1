"""What an encode keeps besides the picture: every audio track, text subtitles, chapters, metadata."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from app.media import Options, preset_command, probe
from app.media.probe import parse_probe
from app.media.streams import left_out
from tests.conftest import FFMPEG

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


def _header(path: Path) -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return done.stderr


def _crafted(folder: Path) -> Path:
    """An MKV with three audio languages, SRT and ASS subtitles, chapters, a title and a date."""
    (folder / "a.srt").write_text(SRT)
    (folder / "b.ass").write_text(ASS)
    (folder / "meta.txt").write_text(CHAPTERS)
    source = folder / "holiday.mkv"
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


def test_every_track_the_subtitles_chapters_and_metadata_are_kept(tmp_path: Path) -> None:
    source = _crafted(tmp_path)
    info = probe(FFMPEG, source)
    assert (info.audio_tracks, info.subtitles) == (3, ("subrip", "ass"))
    output = tmp_path / "output.mp4"
    subprocess.run(preset_command(FFMPEG, source, output, Options(), info), check=True, capture_output=True)
    header = _header(output)
    audio = re.findall(r"Stream #0:\d+(?:\[\w+\])?\((\w+)\): Audio", header)
    assert audio == ["eng", "fra", "deu"]
    assert "name            : Français" in header  # a track's title, as MP4 names it
    assert re.findall(r"Stream #0:\d+(?:\[\w+\])?\((\w+)\): Subtitle: mov_text", header) == ["eng", "fra"]
    assert len(re.findall(r"Chapter #0:\d+", header)) == 2
    assert "title           : Our holiday" in header
    assert "creation_time   : 2024-07-14T10:30:00" in header


@pytest.mark.parametrize("keep", [False, True])
def test_the_recording_place_goes_unless_asked_to_stay(tmp_path: Path, keep: bool) -> None:
    source = tmp_path / "phone.mov"
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    cmd += ["-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264", "-preset", "ultrafast"]
    cmd += ["-metadata", "location=+48.8584+002.2945/", "-metadata", "creation_time=2024-07-14T10:30:00Z"]
    subprocess.run([*cmd, str(source)], check=True)
    assert "+48.8584+002.2945" in _header(source)
    output = tmp_path / "output.mp4"
    options = Options(keep_location=keep)
    subprocess.run(preset_command(FFMPEG, source, output, options, probe(FFMPEG, source)), check=True)
    header = _header(output)
    assert ("+48.8584+002.2945" in header) is keep
    assert "creation_time   : 2024-07-14T10:30:00" in header  # the date a photo library sorts by


def test_picture_subtitles_are_named_in_the_note() -> None:
    header = """Input #0, matroska,webm, from 'disc.mkv':
  Duration: 00:00:10.00, start: 0.000000, bitrate: 100 kb/s
  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1920x1080, 25 fps
  Stream #0:1(eng): Audio: ac3, 48000 Hz, 5.1(side), fltp, 448 kb/s
  Stream #0:2(eng): Subtitle: hdmv_pgs_subtitle
  Stream #0:3(fra): Subtitle: subrip
"""
    info = parse_probe(header)
    assert info.subtitles == ("hdmv_pgs_subtitle", "subrip")
    note = left_out(info)
    assert note is not None and note.startswith("1 subtitle track drawn as pictures")
    assert left_out(parse_probe(header.replace("hdmv_pgs_subtitle", "ass"))) is None
