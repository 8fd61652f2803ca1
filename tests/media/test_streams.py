"""What an encode keeps besides the picture: every audio track, text subtitles, chapters, metadata."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from app.media import Options, preset_command, probe
from app.media.command import audio_command, mux_args
from app.media.formats import CONTAINERS, MP4
from app.media.probe import parse_probe
from app.media.streams import container_for, kept, left_out
from tests.conftest import FFMPEG
from tests.media import corpus


def _header(path: Path) -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return done.stderr


def test_every_track_the_subtitles_chapters_and_metadata_are_kept(tmp_path: Path) -> None:
    source = corpus.holiday(tmp_path / "holiday.mkv")
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
    delivered = probe(FFMPEG, output)
    assert (delivered.audio_tracks, len(delivered.subtitles), delivered.chapters) == (3, 2, 2)


def test_each_audio_tracks_title_survives_an_mp4_and_a_sound_encoded_apart(tmp_path: Path) -> None:
    """A title read back from an MP4 (the m4a a target size or a split job encodes the sound into,
    or an MP4 input) is a "name", which the muxers do not write: the titles were lost."""
    titles = ("English", "Français", "Deutsch")
    source = corpus.holiday(tmp_path / "holiday.mkv")
    info = probe(FFMPEG, source)
    assert info.audio_titles == titles
    once, twice = tmp_path / "once.mp4", tmp_path / "twice.mp4"
    subprocess.run(preset_command(FFMPEG, source, once, Options(), info), check=True, capture_output=True)
    subprocess.run(preset_command(FFMPEG, once, twice, Options(), probe(FFMPEG, once)), check=True)
    assert probe(FFMPEG, twice).audio_titles == titles
    sound, picture, joined = tmp_path / "sound.m4a", tmp_path / "picture.mp4", tmp_path / "joined.mp4"
    subprocess.run(audio_command(FFMPEG, source, sound, info.audio_channels, 128), check=True)
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-i", str(once), "-map", "0:v", "-c", "copy", str(picture)], check=True
    )
    mux = mux_args(sound, source, info, keep_location=False)
    subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(picture), *mux, str(joined)], check=True)
    assert probe(FFMPEG, joined).audio_titles == titles


def test_asked_for_matroska_every_subtitle_stays_as_it_is(tmp_path: Path) -> None:
    source = corpus.holiday(tmp_path / "holiday.mkv")
    info = probe(FFMPEG, source)
    output = tmp_path / "output.mkv"
    options = Options(container="mkv")
    subprocess.run(preset_command(FFMPEG, source, output, options, info), check=True, capture_output=True)
    delivered = probe(FFMPEG, output)
    assert delivered.format_name.startswith("matroska")
    assert (delivered.audio_tracks, delivered.subtitles, delivered.chapters) == (3, ("subrip", "ass"), 2)
    assert "title           : Our holiday" in _header(output)


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
    assert container_for(info, None) == CONTAINERS["mkv"], "a disc's subtitles: Matroska by default"
    assert left_out(info, CONTAINERS["mkv"]) is None
    mkv = kept(info, container=CONTAINERS["mkv"])
    assert mkv[:8] == ["-map", "0:s:0", "-c:s:0", "copy", "-map", "0:s:1", "-c:s:1", "copy"]
    assert container_for(info, "mp4") == MP4
    note = left_out(info, MP4)
    assert note is not None and note.startswith("1 subtitle track drawn as pictures")
    assert kept(info, container=MP4)[:4] == ["-map", "0:s:1", "-c:s:0", "mov_text"]
    text_only = parse_probe(header.replace("hdmv_pgs_subtitle", "ass"))
    assert left_out(text_only) is None and container_for(text_only, None) == MP4


def test_attached_fonts_choose_matroska_and_are_named_when_mp4_is_asked_for() -> None:
    header = """Input #0, matroska,webm, from 'episode.mkv':
  Duration: 00:00:10.00, start: 0.000000, bitrate: 100 kb/s
  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1920x1080, 25 fps
  Stream #0:1(jpn): Audio: aac (LC), 48000 Hz, stereo, fltp
  Stream #0:2(eng): Subtitle: ass
  Stream #0:3: Attachment: ttf
    Metadata:
      filename        : Sans.ttf
      mimetype        : font/ttf
  Stream #0:4: Attachment: none
    Metadata:
      filename        : Serif.otf
      mimetype        : font/otf
"""
    info = parse_probe(header)
    assert (info.attachments, info.subtitles) == (2, ("ass",))
    assert container_for(info, None) == CONTAINERS["mkv"], "MP4 cannot carry them: Matroska by default"
    assert left_out(info, CONTAINERS["mkv"]) is None
    assert kept(info, container=CONTAINERS["mkv"])[4:8] == ["-map", "0:t", "-c:t", "copy"]
    assert "0:t" not in kept(info, container=MP4)
    assert (
        left_out(info, MP4) == "2 attached files (as the fonts of styled subtitles) cannot be kept in an MP4"
    )
    assert "attachments" not in info.as_input("episode.mkv", 1)


def test_a_cover_picture_and_a_second_angle_are_named_in_the_note() -> None:
    header = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'two.mp4':
  Duration: 00:00:10.00, start: 0.000000, bitrate: 100 kb/s
  Stream #0:0[0x1](und): Video: mjpeg (Baseline), yuvj420p(pc), 600x600, 90k tbr, 90k tbn (attached pic)
  Stream #0:1[0x2](und): Video: h264 (High), yuv420p(progressive), 1920x1080, 25 fps
  Stream #0:2[0x3](und): Video: h264 (High), yuv420p(progressive), 1280x720, 25 fps
"""
    info = parse_probe(header)
    assert (info.width, info.other_pictures) == (1920, 2)  # the first moving picture is compressed
    assert left_out(info) == "2 more video streams (a cover picture or another angle) not kept"
    cover_only = parse_probe(header.split("  Stream #0:2")[0])
    assert left_out(cover_only) == "1 more video stream (a cover picture or another angle) not kept"


def test_chapters_are_counted_from_their_own_lines() -> None:
    header = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'talk.mp4':
  Metadata:
    title           : Chapter #0:9: start 1.0 (a title, not a chapter)
  Duration: 00:00:10.00, start: 0.000000, bitrate: 100 kb/s
  Chapters:
    Chapter #0:0: start 0.000000, end 5.000000
      Metadata:
        title           : Intro
    Chapter #0:1: start 5.000000, end 10.000000
  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(progressive), 320x240, 25 fps
"""
    assert parse_probe(header).chapters == 2


def test_a_disc_s_picture_subtitles_go_into_matroska_as_they_are(tmp_path: Path) -> None:
    source = corpus.disc(tmp_path / "disc.mkv")
    info = probe(FFMPEG, source)
    assert info.subtitles == ("hdmv_pgs_subtitle", "subrip")
    container = container_for(info, None)
    assert container.name == "mkv" and left_out(info, container) is None
    output = tmp_path / "output.mkv"
    subprocess.run(preset_command(FFMPEG, source, output, Options(), info), check=True, capture_output=True)
    assert probe(FFMPEG, output).subtitles == ("hdmv_pgs_subtitle", "subrip")
    as_mp4 = tmp_path / "output.mp4"
    subprocess.run(preset_command(FFMPEG, source, as_mp4, Options(container="mp4"), info), check=True)
    assert probe(FFMPEG, as_mp4).subtitles == ("mov_text",)
