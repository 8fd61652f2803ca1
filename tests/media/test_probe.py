# ruff: noqa: E501 - recorded ffmpeg output keeps its long lines
import importlib
import subprocess
from pathlib import Path

import pytest

from app.media import ProbeError, probe
from app.media.probe import ContentLight, MasteringDisplay, parse_probe, read_audio_kbps
from tests.conftest import FFMPEG, make_clip
from tests.media import corpus

HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':
  Duration: 00:01:01.20, start: 0.000000, bitrate: 2633 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 30 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
"""


def test_parses_duration_size_and_codecs() -> None:
    info = parse_probe(HEADER)
    assert (info.duration_seconds, info.width, info.height) == (61.2, 1920, 1080)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.frame_rate == 30


@pytest.mark.parametrize(
    ("said", "rate"), [("29.97 fps", 29.97), ("1k fps", 1000.0), ("1 fps", 1.0), ("", None)]
)
def test_the_frame_rate_is_read_where_ffmpeg_says_it(said: str, rate: float | None) -> None:
    stream = "1920x1080 [SAR 1:1 DAR 16:9], 30 fps"
    header = HEADER.replace(stream, stream.replace(", 30 fps", f", {said}" if said else ""))
    assert parse_probe(header).frame_rate == rate


def test_a_length_from_a_subtitles_unknown_duration_is_the_picture_and_sounds() -> None:
    """ffmpeg's DVD subtitle encoder writes a packet's unknown length as 0xFFFFFFFF ms: such an
    MKV was refused as 71,583 minutes long (its own ``ffmpeg -i``'s header, recorded)."""
    header = """Input #0, matroska,webm, from 'bogus.mkv':
  Metadata:
    ENCODER         : Lavf63.1.102
  Duration: 1193:02:47.30, start: 0.000000, bitrate: N/A
  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 1k tbn
    Metadata:
      ENCODER         : Lavc63.1.102 libx264
      DURATION        : 00:00:01.000000000
  Stream #0:1: Audio: aac (LC), 44100 Hz, stereo, fltp
    Metadata:
      ENCODER         : Lavc63.1.102 aac
      DURATION        : 00:00:01.021000000
  Stream #0:2(eng): Subtitle: dvd_subtitle (dvdsub), 320x240 (default)
    Metadata:
      ENCODER         : Lavc63.1.102 dvdsub
      DURATION        : 1193:02:47.29500000
"""
    assert parse_probe(header).duration_seconds == 1.021
    assert (
        parse_probe(header.replace("      DURATION        : 00:", "      LENGTH : 00:")).duration_seconds
        is None
    )
    assert parse_probe(HEADER).duration_seconds == 61.2  # a length of its own: as it says


def test_the_timeline_starts_where_the_header_says() -> None:
    """An MPEG-TS's times start at its earliest stream's first timestamp, not at 0: a trim counts
    from there (``Trim.input_options``)."""
    assert parse_probe(HEADER).timeline_start == 0.0
    recorded = HEADER.replace("start: 0.000000", "start: 1.416778")
    assert parse_probe(recorded).timeline_start == 1.416778
    assert "timeline_start" not in parse_probe(recorded).as_input("in.ts", 1)


def test_every_audio_tracks_channels_are_counted_whatever_its_layout() -> None:
    """A layout ffmpeg names (22.2, hexagonal...), one it only counts, and one it does not say."""
    tracks = [
        "44100 Hz, 22.2, s16, 16934 kb/s",
        "48000 Hz, hexagonal, s16",
        "48000 Hz, 5.1(side), fltp",
        "48000 Hz, 3 channels (FL+FR+LFE), s16",
        "48000 Hz, mono, fltp",
        "48000 Hz, ambisonic 1, fltp",
    ]
    lines = "".join(f"  Stream #0:{n + 1}: Audio: pcm_s16le, {track}\n" for n, track in enumerate(tracks))
    info = parse_probe(HEADER.split("  Stream #0:1")[0] + lines)
    assert info.audio_channels == (24, 6, 6, 3, 1, 3) and info.audio_tracks == 6


@pytest.mark.parametrize(
    ("rates", "highest"),
    [
        (["128 kb/s (default)"], 128),
        (["32 kb/s", "96 kb/s"], 96),
        (["32 kb/s", ""], None),
        (["0 kb/s"], None),
        ([], None),
    ],
    ids=["one", "the highest of two", "one not stated", "a placeholder", "no audio"],
)
def test_the_audio_bitrate_is_the_highest_its_tracks_state(rates: list[str], highest: int | None) -> None:
    lines = "".join(
        f"  Stream #0:{n + 1}: Audio: aac (LC), 48000 Hz, stereo, fltp{', ' + rate if rate else ''}\n"
        for n, rate in enumerate(rates)
    )
    info = parse_probe(HEADER.split("  Stream #0:1")[0] + lines)
    assert info.audio_kbps == highest
    assert "audio_kbps" not in info.as_input("in.mp4", 1)


@pytest.mark.parametrize(
    "codec",
    [
        "mpeg2video (Main) ([2][0][0][0] / 0x0002), yuv420p(tv, progressive, left)",
        "mpeg4 (Simple Profile) ([16][0][0][0] / 0x0010), yuv420p",
        "h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive)",
    ],
)
def test_the_picture_size_is_not_read_from_a_codec_tag(codec: str) -> None:
    """MPEG-TS names each stream's codec by a number: MPEG-2 read as 0x2 pixels, so max_height and
    MAX_PIXELS were ignored, and the score compared pictures of different sizes."""
    text = "Input #0, mpegts, from 'in.ts':\n  Duration: 00:00:04.00, start: 1.400000, bitrate: 1000 kb/s\n"
    text += f"  Stream #0:0[0x100]: Video: {codec}, 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn\n"
    assert (parse_probe(text).width, parse_probe(text).height) == (320, 240)


def test_a_real_mpeg2_transport_stream_is_read_at_its_size(tmp_path: Path) -> None:
    clip = tmp_path / "broadcast.ts"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1"]
    subprocess.run([FFMPEG, "-v", "error", *picture, "-c:v", "mpeg2video", str(clip)], check=True)
    info = probe(FFMPEG, clip)
    assert (info.width, info.height, info.video_codec) == (320, 240, "mpeg2video")


@pytest.mark.parametrize(
    ("summary", "kbps"),
    [
        (
            "video:0KiB audio:36KiB subtitle:0KiB other streams:0KiB global headers:0KiB muxing overhead: unknown",
            49,
        ),
        (
            "video:0kB audio:36kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown",
            48,
        ),
        ("video:0KiB audio:0KiB subtitle:0KiB", None),
        ("size=N/A time=00:00:06.00 bitrate=N/A", None),
    ],
)
def test_an_audio_rate_is_read_from_ffmpegs_summary(summary: str, kbps: int | None) -> None:
    assert read_audio_kbps(f"Input #0...\n{summary}\nsize=N/A time=00:00:06.00\n", 6.0, 1) == kbps


@pytest.mark.parametrize(
    ("pixels", "interlaced"),
    [
        ("yuv420p(tv, bt709, top first)", True),
        ("yuv422p(top first)", True),
        ("yuv420p(tv, bottom coded first (swapped))", True),
        ("yuv420p(tv, bt709, progressive)", False),
        ("yuv420p", False),
    ],
)
def test_an_interlaced_picture_is_known_by_its_field_order(pixels: str, interlaced: bool) -> None:
    text = HEADER.replace("yuv420p(progressive)", pixels)
    assert parse_probe(text).interlaced is interlaced


@pytest.mark.parametrize(
    ("size", "rotation", "shown"),
    [
        ("720x480 [SAR 32:27 DAR 16:9]", 0, (854, 480)),  # a DVD's widescreen
        ("1440x1080 [SAR 4:3 DAR 16:9]", 0, (1920, 1080)),  # HDV
        ("1440x1080 [SAR 4:3 DAR 16:9]", 90, (1080, 1920)),  # stored sideways: the width is the height
        ("1920x1080 [SAR 1:1 DAR 16:9]", 0, (1920, 1080)),
        ("1920x1080 [SAR 0:1 DAR 0:1]", 0, (1920, 1080)),  # unknown: square
    ],
)
def test_the_size_reported_is_the_size_shown(size: str, rotation: int, shown: tuple[int, int]) -> None:
    """The contract's width and height are the displayed ones: an anamorphic picture's too."""
    text = HEADER.replace("1920x1080 [SAR 1:1 DAR 16:9]", size)
    if rotation:  # the video stream's side data, before the audio stream's line
        side = f"30 fps\n    Side data:\n      displaymatrix: rotation of -{rotation}.00 degrees\n"
        text = text.replace("30 fps\n", side, 1)
    info = parse_probe(text)
    assert info.shown_size == shown
    assert (info.as_input("in.mp4", 1)["width"], info.as_input("in.mp4", 1)["height"]) == shown


def test_audio_only_is_refused_with_a_reason() -> None:
    text = "Input #0, mp3, from 'a.mp3':\n  Duration: 00:00:03.00\n  Stream #0:0: Audio: mp3, 44100 Hz\n"
    with pytest.raises(ProbeError, match="no video stream"):
        parse_probe(text)


def test_an_mp3_made_with_ffmpeg_is_refused_as_no_video(tmp_path: Path) -> None:
    """A format ffmpeg knows but Squeeze does not open (its demuxers are fenced): said so, as
    for an m4a's "no video stream", not "not a video that ffmpeg can read"."""
    song = tmp_path / "song.mp3"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", str(song)], check=True
    )
    with pytest.raises(
        ProbeError, match=r"^the file is not a video: its format holds sound, pictures or text"
    ):
        probe(FFMPEG, song)


def test_cover_art_is_not_a_video_stream() -> None:
    text = (
        "Input #0, mp3, from 'a.mp3':\n  Duration: 00:00:03.00\n  Stream #0:0: Audio: mp3, 44100 Hz\n"
        "  Stream #0:1: Video: mjpeg (Baseline), yuvj420p, 500x500, 90k tbn (attached pic)\n"
    )
    with pytest.raises(ProbeError, match="no video stream"):
        parse_probe(text)


def test_still_image_is_refused() -> None:
    text = "Input #0, png_pipe, from 'a.png':\n  Duration: N/A\n  Stream #0:0: Video: png, rgb24, 64x64\n"
    with pytest.raises(ProbeError, match="still image"):
        parse_probe(text)


def test_probe_reads_a_real_clip(tmp_path: Path) -> None:
    info = probe(FFMPEG, make_clip(tmp_path / "c.mp4", seconds=1, size="160x120"))
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (160, 120, "h264", "aac")
    assert info.duration_seconds == pytest.approx(1.0, abs=0.1)


def test_probe_refuses_text(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_text("hello")
    with pytest.raises(ProbeError, match="not a video"):
        probe(FFMPEG, path)


def test_facts_come_from_the_container_not_from_its_metadata(tmp_path: Path) -> None:
    """A title, a tag name or a handler that reads like ffmpeg's own lines changes nothing."""
    crafted = tmp_path / "crafted.mkv"
    lies = {
        "title": "Duration: 00:00:01.00, start: 0.000000\n  Duration: 00:00:01.00, start: 0.0",
        "Stream #0:9: Video: h264, yuv420p, 9999x9999": "x",
        "comment": "x\n  Stream #0:0: Video: hevc, yuv420p, 8000x8000",
    }
    args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
            "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264", "-preset", "ultrafast"]  # fmt: skip
    for name, value in lies.items():
        args += ["-metadata", f"{name}={value}"]
    args += ["-metadata:s:v:0", "displaymatrix: rotation of -90.00 degrees=yes"]
    args += ["-metadata:s:v:0", "handler_name=Duration: 10:00:00.00"]
    subprocess.run([*args, str(crafted)], check=True)
    info = probe(FFMPEG, crafted)
    assert info.duration_seconds == pytest.approx(4.0, abs=0.05)
    assert (info.width, info.height, info.video_codec, info.rotation) == (320, 240, "h264", 0)


@pytest.mark.parametrize(
    ("format_name", "filename", "expected"),
    [
        ("mov,mp4,m4a,3gp,3g2,mj2", "x.html", "video/mp4"),  # the name does not decide the type
        ("mov,mp4,m4a,3gp,3g2,mj2", "holiday.MOV", "video/quicktime"),
        ("matroska,webm", "a.webm", "video/webm"),
        ("matroska,webm", "a.mp4", "video/x-matroska"),
        ("avi", "a.mkv", "video/x-msvideo"),
        ("rm", "a.rm", "application/octet-stream"),
    ],
)
def test_a_files_type_comes_from_its_container(format_name: str, filename: str, expected: str) -> None:
    info = parse_probe(HEADER.replace("mov,mp4,m4a,3gp,3g2,mj2", format_name))
    assert info.content_type(filename) == expected


HDR10_HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'hdr.mp4':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 855 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hev1 / 0x31766568), yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive), 320x240 [SAR 1:1 DAR 4:3], 838 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
    Metadata:
      handler_name    : Content light level metadata: MaxCLL=9999, MaxFALL=9999
    Side data:
      Mastering display metadata: has_primaries:1 has_luminance:1 r(0.6800,0.3200) g(0.2650,0.6900) b(0.1500 0.0600) wp(0.3127, 0.3290) min_luminance=0.000100, max_luminance=1000.000000
      Content light level metadata: MaxCLL=1000, MaxFALL=400
"""


def test_hdr10_metadata_is_read_from_the_side_data() -> None:
    """As ffmpeg 9 prints it (blue's x and y parted by a space); a tag that reads the same is not it."""
    info = parse_probe(HDR10_HEADER)
    assert (info.transfer, info.bit_depth, info.hdr) == ("smpte2084", 10, True)
    assert info.mastering == MasteringDisplay(
        red=(0.68, 0.32), green=(0.265, 0.69), blue=(0.15, 0.06), white=(0.3127, 0.329),
        min_luminance=0.0001, max_luminance=1000.0,
    )  # fmt: skip
    assert info.light == ContentLight(max_cll=1000, max_fall=400)
    assert "mastering" not in info.as_input("hdr.mp4", 1) and "light" not in info.as_input("hdr.mp4", 1)


def test_older_ffmpegs_spelling_of_hdr10_metadata_is_read_too() -> None:
    older = HDR10_HEADER.replace("Mastering display metadata:", "Mastering Display Metadata,")
    older = older.replace("Content light level metadata:", "Content Light Level Metadata,")
    info = parse_probe(older)
    assert info.mastering is not None and info.mastering.max_luminance == 1000.0
    assert info.light == ContentLight(1000, 400)


def test_a_mastering_display_without_its_primaries_is_not_read() -> None:
    info = parse_probe(HDR10_HEADER.replace("has_primaries:1", "has_primaries:0"))
    assert info.mastering is None and info.light == ContentLight(1000, 400)
    plain = parse_probe(HEADER)
    assert (plain.mastering, plain.light, plain.hdr) == (None, None, False)


def test_probe_reads_a_real_hdr10_clip(tmp_path: Path) -> None:
    info = probe(FFMPEG, corpus.hdr10(tmp_path / "hdr.mp4", seconds=1))
    assert (info.transfer, info.bit_depth) == ("smpte2084", 10)
    assert info.mastering is not None and info.mastering.green == (0.265, 0.69)
    assert (info.mastering.min_luminance, info.mastering.max_luminance) == (0.0001, 1000.0)
    assert info.light == ContentLight(corpus.MAX_CLL, corpus.MAX_FALL)


def test_a_file_whose_header_gives_no_length_is_measured(tmp_path: Path) -> None:
    """As a browser's MediaRecorder writes WebM: the length is not known when the header is.
    Limits, quotas and the split into segments count on it."""
    clip = tmp_path / "recorded.mkv"
    sources = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=3",
    ]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus"]
    piped = subprocess.run([FFMPEG, "-loglevel", "error", *sources, *codecs, "-f", "matroska", "-"],
                           capture_output=True, check=True)  # fmt: skip
    clip.write_bytes(piped.stdout)  # written as it came: no length in its header
    header = subprocess.run([FFMPEG, "-hide_banner", "-i", str(clip)], capture_output=True, text=True).stderr
    assert "Duration: N/A" in header
    assert probe(FFMPEG, clip).duration_seconds == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize(
    ("seconds", "limit", "said"),
    [(70, 60, "the video is 70 s long; this server takes at most 1 minute"),
     (750, 600, "the video is 12.5 minutes long; this server takes at most 10 minutes")],
)  # fmt: skip
def test_a_video_past_the_length_limit_is_told_both_lengths_plainly(
    seconds: float, limit: float, said: str
) -> None:
    """It said "the video is 1 minutes long; this server takes at most 1 minutes" of 70 s."""
    info = parse_probe(HEADER.replace("00:01:01.20", f"00:{seconds // 60:02.0f}:{seconds % 60:05.2f}"))
    reason = info.beyond(10**9, limit)
    assert reason is not None and reason.startswith(said)


def test_a_length_that_cannot_be_read_in_time_stays_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every packet of a huge headerless file may pass the probe's time limit: the file
    is still a video (its length unknown, as before), not refused as "no video"."""
    probing = importlib.import_module("app.media.probe")  # the module (``app.media.probe`` is the function)

    header = HEADER.replace("Duration: 00:01:01.20", "Duration: N/A")

    def slow(ffmpeg: str, path: str | Path, *more: str) -> str:
        if more:
            raise ProbeError("reading the file's header took too long; is it a video?")
        return header

    monkeypatch.setattr(probing, "_ffmpeg_says", slow)
    huge = tmp_path / "huge.webm"
    huge.write_bytes(b"\x1a\x45\xdf\xa3")  # read by ffmpeg only through the stand-in above
    assert probe(FFMPEG, huge).duration_seconds is None
