"""What a job delivers, with the real ffmpeg: never larger, measured quality, sizes kept,
orientation, HDR and surround sound (the corpus is made at test time)."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.media import MediaInfo, Options, probe
from app.media.command import default_crf, preset_command
from app.media.formats import CODECS, PRESETS
from app.media.picture import video_filter
from app.media.search import SEARCH_MIN_SECONDS, crf_search
from app.media.sync import first_frames_command, read_first_time
from app.units import MB
from app.work.encode import RETUNE_BEYOND, Delivery, asked_change, at_showing_frame, deliver, trimmed
from app.work.steps import Steps
from app.work.verify import frame_times as listed_frames
from tests.conftest import FFMPEG, frame_times, full_vmaf, luma_rows
from tests.media import corpus, footage
from tests.media.crafted import recording

pytestmark = pytest.mark.slow  # every test here runs real encodes
Deliver = Callable[..., Delivery]


@pytest.fixture
def run_job(app: Flask, tmp_path: Path) -> Iterator[Deliver]:
    """deliver() for a clip, as a running job's attempt would call it."""

    def run(clip: Path, **options: object) -> Delivery:
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        folder = tmp_path / f"work-{job.id}"
        folder.mkdir()
        steps = Steps(job.id, 0.0, app.config)
        asked = Options(**options)  # type: ignore[arg-type]
        info = trimmed(probe(FFMPEG, clip), asked)
        if info.trim is not None:  # as compress.encode_and_check starts a one-piece trim
            info = at_showing_frame(info, listed_frames(clip, folder, steps))
        return deliver(clip, info, asked, clip.name, folder, steps)

    with app.app_context():
        yield run


def test_an_encode_is_smaller_and_its_vmaf_matches_a_full_one(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.busy(tmp_path / "busy.mp4")
    delivered = run_job(clip, preset="balanced")
    assert not delivered.kept_original and delivered.note is None
    assert delivered.path.stat().st_size < clip.stat().st_size
    assert delivered.quality is not None
    vf = video_filter(probe(FFMPEG, clip), None)
    assert abs(delivered.quality.vmaf - full_vmaf(delivered.path, clip, vf)) <= 2
    assert 0.9 < delivered.quality.ssim <= 1


def test_a_picture_that_changes_size_midway_keeps_each_parts_shape_and_is_scored(
    run_job: Deliver, tmp_path: Path
) -> None:
    """ffmpeg squeezed the 16:9 part into the 4:3 one's size, and the score failed on the mix
    (quality null); a video searched first failed outright ("Error reinitializing filters")."""
    clip = corpus.resized(tmp_path / "resized.mkv")
    delivered = run_job(clip)
    assert not delivered.kept_original and delivered.quality is not None
    out = probe(FFMPEG, delivered.path)
    assert (out.width, out.height) == (320, 240)
    assert len(frame_times(delivered.path)) == 150
    assert (
        abs(delivered.quality.vmaf - full_vmaf(delivered.path, clip, video_filter(probe(FFMPEG, clip), None)))
        <= 2
    )
    # The 480x270 part, fitted: 320x180 between two black bands of 30 rows; the first part fills the frame.
    for moment, banded in ((1.0, False), (4.0, True)):
        rows = luma_rows(delivered.path, moment, 320, 240)
        top, middle = sum(rows[:24]) / 24, sum(rows[40:200]) / 160
        assert (top < 20) is banded and middle > 40, (moment, top, middle)


def test_an_already_compressed_video_is_delivered_unchanged(run_job: Deliver, tmp_path: Path) -> None:
    for clip in (corpus.already_compressed(tmp_path / "small.mp4"), corpus.flat(tmp_path / "flat.mp4")):
        delivered = run_job(clip, preset="high")
        assert delivered.kept_original, clip
        assert delivered.path == clip and delivered.content_type == "video/mp4"
        assert delivered.note is not None and delivered.note.startswith("already well compressed")
        assert "% larger" in delivered.note
        assert delivered.quality is not None and delivered.quality.vmaf == 100


def test_an_encode_that_outgrows_the_input_is_stopped_early(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.already_compressed(tmp_path / "small.mp4", seconds=SEARCH_MIN_SECONDS)  # searched first
    delivered = run_job(clip, preset="high")
    assert delivered.kept_original
    assert delivered.note is not None and "was making it about" in delivered.note  # stopped, projected


def test_a_lower_height_asked_for_is_delivered_even_when_larger(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.flat(tmp_path / "flat.mp4")
    delivered = run_job(clip, preset="high", max_height=240)
    assert not delivered.kept_original
    assert probe(FFMPEG, delivered.path).height == 240
    if delivered.path.stat().st_size >= clip.stat().st_size:
        assert delivered.note is not None and "a height of 240 asked for" in delivered.note


@pytest.mark.parametrize("audio", [True, False])
def test_a_target_size_is_kept_and_filled(run_job: Deliver, tmp_path: Path, audio: bool) -> None:
    clip = corpus.busy(tmp_path / "busy.mp4", seconds=8, audio=audio)
    for target_mb in (0.3, 0.6):
        delivered = run_job(clip, target_size_mb=target_mb)
        size = delivered.path.stat().st_size
        assert size <= target_mb * MB, (target_mb, size)
        assert size >= 0.85 * target_mb * MB, (target_mb, size)


def test_a_target_size_keeps_the_picture_as_late_after_the_sound(run_job: Deliver, tmp_path: Path) -> None:
    """A target size encodes the video and the sound apart, each from 0: put together, the
    picture of a clip whose picture starts 0.12 s after its sound starts 0.12 s after it still."""
    clip = recording(tmp_path / "late.mp4", "mp4", 4, "320x240", picture_late=0.12)
    delivered = run_job(clip, target_size_mb=round(clip.stat().st_size / MB / 2, 3))
    assert not delivered.kept_original
    assert _picture_after_sound(delivered.path) == pytest.approx(_picture_after_sound(clip), abs=0.5 / 25)
    assert _picture_after_sound(clip) == pytest.approx(0.12, abs=0.5 / 25)


def _picture_after_sound(path: Path) -> float:
    picture, sound = path.with_suffix(".picture.crc"), path.with_suffix(".sound.crc")
    subprocess.run(first_frames_command(FFMPEG, path, picture, sound), check=True)
    return (read_first_time(picture.read_text()) or 0.0) - (read_first_time(sound.read_text()) or 0.0)


def test_a_trim_larger_than_its_share_of_the_input_says_so_plainly(run_job: Deliver, tmp_path: Path) -> None:
    """A tenth of a second of a small file: its keyframe outweighs that stretch's share of the bytes."""
    clip = corpus.already_compressed(tmp_path / "small.mp4", seconds=4)
    delivered = run_job(clip, start_seconds=1.0, end_seconds=1.1)
    assert not delivered.kept_original and delivered.note is not None
    assert re.fullmatch(
        r"\d+% larger than that part's share of the original, to give the part of the video asked for",
        delivered.note,
    ), delivered.note


def test_a_trim_keeps_each_cue_and_chapter_at_its_moment(run_job: Deliver, tmp_path: Path) -> None:
    """0.5-1.6 s of a 25 fps clip with English cues at 0-1 and 1-2 s, a French one at 0-1.5 s and
    chapters at 0-1 and 1-2 s: each timed from the trim's start, the frame on screen at 0.5 s
    (0.48), and cut at its end (ffmpeg's own seek moved the cues and kept the chapters as they
    were: the file outlasted its picture)."""
    clip = corpus.holiday(tmp_path / "holiday.mkv")
    delivered = run_job(clip, start_seconds=0.5, end_seconds=1.6)
    timed = re.compile(r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)")
    cues = [timed.findall(re.sub(r"<[^>]+>", "", _subtitles(delivered.path, track))) for track in (0, 1)]
    assert cues == [
        [("00:00:00,000", "00:00:00,520", "Hello"), ("00:00:00,520", "00:00:01,120", "World")],
        [("00:00:00,000", "00:00:01,020", "Bonjour")],
    ]
    header = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(delivered.path)], capture_output=True, text=True
    )
    assert re.findall(r"\((\w+)\): Subtitle: mov_text", header.stderr) == ["eng", "fra"]
    assert re.findall(r"\((\w+)\): Audio", header.stderr) == ["eng", "fra", "deu"]  # each cue file's
    # metadata mapping ended ffmpeg's own copy of every other track's: they came out "und"
    assert len(re.findall(r"Chapter #0:\d+: start 0.000000, end 0.520000", header.stderr)) == 1  # "One"
    assert len(re.findall(r"Chapter #0:\d+: start 0.520000, end 1.120000", header.stderr)) == 1  # "Two"
    assert probe(FFMPEG, delivered.path).duration_seconds == pytest.approx(1.12, abs=0.02)


@pytest.mark.parametrize(
    ("apart", "normalized"),
    [(False, False), (True, False), (False, True)],
    ids=["with the picture", "apart (a target size)", "normalized"],
)
def test_a_trim_where_a_track_is_silent_keeps_the_track_as_silence(
    run_job: Deliver, tmp_path: Path, apart: bool, normalized: bool
) -> None:
    """0.5-1.5 s of a 4 s clip whose sound starts at 2.5 s: ffmpeg wrote no audio track at all,
    and the file failed its check three times (0 audio tracks where the video has 1)."""
    clip = tmp_path / "late.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"]
    sound = ["-itsoffset", "2.5", "-f", "lavfi", "-i", "sine=duration=1.5"]
    cmd = [FFMPEG, "-loglevel", "error", "-y", *picture, *sound, *corpus.FAITHFUL, "-c:a", "aac", str(clip)]
    subprocess.run(cmd, check=True)
    size = {"target_size_mb": round(clip.stat().st_size / MB / 3, 3)} if apart else {}
    delivered = run_job(clip, start_seconds=0.5, end_seconds=1.5, normalize_audio=normalized, **size)
    assert not delivered.kept_original
    out = probe(FFMPEG, delivered.path)
    assert out.audio_channels == (1,)
    assert out.duration_seconds == pytest.approx(1.0, abs=0.05)
    samples = subprocess.run(
        [FFMPEG, "-loglevel", "error", "-i", str(delivered.path), "-map", "0:a", "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert len(samples) / 2 / 44_100 == pytest.approx(1.0, abs=0.05)  # the input's rate: nothing to even out
    assert not samples.strip(b"\0"), "silence: the trim holds none of the sound"


def _subtitles(path: Path, track: int) -> str:
    cmd = [FFMPEG, "-loglevel", "error", "-i", str(path), "-map", f"0:s:{track}", "-f", "srt", "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("codec", ["h265", "av1"])
def test_a_one_frame_video_is_compressed(run_job: Deliver, tmp_path: Path, codec: str) -> None:
    """SVT-AV1 reports no progress for a single frame: not a sign of a truncated input."""
    clip = tmp_path / "one.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "1"]
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *picture, *corpus.FAITHFUL, str(clip)], check=True)
    delivered = run_job(clip, codec=codec)
    assert len(frame_times(delivered.path)) == 1


@pytest.mark.parametrize("target_size", [False, True], ids=["preset", "a target size"])
def test_low_bitrate_sound_is_not_given_more_bits_than_it_had(
    run_job: Deliver, tmp_path: Path, target_size: bool
) -> None:
    """A 40 kb/s mono voice track came out at the preset's 128 kb/s (47-91 kb/s measured): bytes
    with no sound in them. With a target size, the bits it does not take go to the picture."""
    clip = tmp_path / "voice.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=6"]
    sound = ["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:duration=6:sample_rate=44100"]
    sound_rate = ["-c:a", "aac", "-b:a", "40k", "-ac", "1"]
    subprocess.run(
        [FFMPEG, "-v", "error", *picture, *sound, *corpus.FAITHFUL, *sound_rate, str(clip)], check=True
    )
    source = probe(FFMPEG, clip)
    assert source.audio_kbps is not None and source.audio_kbps <= 44
    size = {"target_size_mb": round(clip.stat().st_size / MB / 4, 3)} if target_size else {}
    delivered = run_job(clip, preset="high", **size)
    assert not delivered.kept_original
    out = probe(FFMPEG, delivered.path)
    assert out.audio_kbps is not None and out.audio_kbps <= source.audio_kbps * 1.1, out
    if target_size:
        assert (
            0.85 * size["target_size_mb"] * MB <= delivered.path.stat().st_size <= size["target_size_mb"] * MB
        )


def test_a_target_size_with_sound_longer_than_the_picture_keeps_both(
    run_job: Deliver, tmp_path: Path
) -> None:
    """4 s of picture, 7 s of sound: the picture's own encode ended at 4 s of the file's 7, and
    the job failed as a damaged input."""
    clip = tmp_path / "long-sound.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"]
    sound = ["-f", "lavfi", "-i", "sine=duration=7"]
    subprocess.run(
        [FFMPEG, "-v", "error", *picture, *sound, *corpus.FAITHFUL, "-c:a", "aac", str(clip)], check=True
    )
    target = round(clip.stat().st_size / MB / 3, 3)
    delivered = run_job(clip, target_size_mb=target)
    assert delivered.path.stat().st_size <= target * MB
    assert len(frame_times(delivered.path)) == 100
    assert probe(FFMPEG, delivered.path).duration_seconds == pytest.approx(7.0, abs=0.1)


def test_a_target_size_is_shared_by_every_sound_track(run_job: Deliver, tmp_path: Path) -> None:
    """4 s with 4 sound tracks in 0.2 MB: each track was given a fifth of the whole budget, four
    of them 80 % of it, and the job failed as too small."""
    clip = tmp_path / "tracks.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"]
    sounds = [arg for hz in (220, 330, 440, 550) for arg in ("-f", "lavfi", "-i", f"sine={hz}:duration=4")]
    tracks = [arg for n in range(5) for arg in ("-map", str(n))]
    made = [
        FFMPEG,
        "-v",
        "error",
        *picture,
        *sounds,
        *tracks,
        *corpus.FAITHFUL,
        "-c:a",
        "aac",
        "-b:a",
        "128k",
    ]
    subprocess.run([*made, str(clip)], check=True)
    delivered = run_job(clip, target_size_mb=0.2)
    assert 0.85 * 0.2 * MB <= delivered.path.stat().st_size <= 0.2 * MB
    assert probe(FFMPEG, delivered.path).audio_tracks == 4


def test_an_interlaced_video_is_delivered_progressive_frame_for_frame(
    run_job: Deliver, tmp_path: Path
) -> None:
    """Two fields a frame, top first (a camcorder's, a broadcast's): the combs were encoded into
    a picture flagged progressive, which no player then deinterlaced."""
    clip = tmp_path / "interlaced.mp4"
    fields = "tinterlace=interleave_top,fieldorder=tff,scale=320:240:interl=1"
    made = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=720x480:rate=60000/1001:duration=3"]
    made += ["-vf", fields, *corpus.FAITHFUL, "-flags", "+ildct+ilme", str(clip)]
    subprocess.run(made, check=True)
    assert probe(FFMPEG, clip).interlaced and _fields_seen(clip) > 0.9
    delivered = run_job(clip)
    assert not delivered.kept_original
    assert not probe(FFMPEG, delivered.path).interlaced and _fields_seen(delivered.path) < 0.1
    assert len(frame_times(delivered.path)) == len(frame_times(clip)) == 90


def _fields_seen(path: Path) -> float:
    """The share of frames ffmpeg's ``idet`` finds interlaced (combs between the lines)."""
    said = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path), "-vf", "idet", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    found = re.findall(r"Multi frame detection: TFF: *(\d+) BFF: *(\d+) Progressive: *(\d+)", said)
    tff, bff, progressive = (int(n) for n in found[-1])
    return (tff + bff) / max(tff + bff + progressive, 1)


@pytest.mark.parametrize("start", [None, 0.5], ids=["whole", "trimmed"])
def test_styled_subtitles_keep_the_fonts_they_are_drawn_in(
    run_job: Deliver, tmp_path: Path, start: float | None
) -> None:
    """An anime episode's Matroska: ASS subtitles and the fonts attached for them. The fonts
    were dropped without a word, and the subtitles drawn in whatever font the player had."""
    styled = tmp_path / "styled.ass"
    styled.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
        "Style: Default,Episode Sans,24\n\n[Events]\nFormat: Layer, Start, End, Style, Text\n"
        "Dialogue: 0,0:00:00.00,0:00:01.50,Default,Hello\n"
    )
    font = tmp_path / "EpisodeSans.ttf"
    font.write_bytes(b"\0\1\0\0" + bytes(range(256)) * 4)  # the bytes are carried, not read
    clip = tmp_path / "episode.mkv"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-i", str(styled)]
    attached = ["-attach", str(font), "-metadata:s:t:0", "mimetype=application/x-truetype-font"]
    made = [
        FFMPEG,
        "-v",
        "error",
        *picture,
        "-map",
        "0",
        "-map",
        "1",
        *corpus.FAITHFUL,
        "-c:s",
        "ass",
        *attached,
    ]
    subprocess.run([*made, str(clip)], check=True)
    delivered = run_job(clip, **({"start_seconds": start} if start else {}))
    assert not delivered.kept_original and delivered.note is None
    header = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(delivered.path)], capture_output=True, text=True
    )
    assert "Subtitle: ass" in header.stderr and "filename        : EpisodeSans.ttf" in header.stderr
    dumped = tmp_path / "dumped.ttf"
    subprocess.run(
        [FFMPEG, "-v", "error", "-dump_attachment:t:0", str(dumped), "-i", str(delivered.path)], check=False
    )  # ffmpeg complains of no output once it has written the attachment
    assert dumped.read_bytes() == font.read_bytes()


def test_a_target_the_original_already_meets_keeps_it(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.already_compressed(tmp_path / "small.mp4")
    delivered = run_job(clip, target_size_mb=5)
    assert delivered.kept_original and delivered.note == "already under the 5 MB asked for"


def test_a_portrait_phone_video_stays_upright(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.portrait(tmp_path / "portrait.mp4")
    assert (probe(FFMPEG, clip).width, probe(FFMPEG, clip).height) == (360, 640)  # as displayed
    delivered = run_job(clip, max_height=320)
    out = probe(FFMPEG, delivered.path)
    assert (out.width, out.height, out.rotation) == (180, 320, 0)


def test_a_phones_variable_frame_rate_keeps_every_frame_at_its_time(run_job: Deliver, tmp_path: Path) -> None:
    """Frames about 1/30 s apart, each up to 20 ms late: none moved onto an even grid or dropped
    where two met on one tick, and each scored against its own picture (moved, they scored 47
    and were retuned to CRF 19)."""
    clip = corpus.phone(tmp_path / "phone.mp4")
    delivered = run_job(clip, preset="balanced")
    assert not delivered.kept_original and delivered.quality is not None
    before, after = frame_times(clip), frame_times(delivered.path)
    assert len(after) == len(before)
    assert max(abs(kept - own) for kept, own in zip(after, before, strict=True)) <= 0.001
    assert abs(delivered.quality.vmaf - PRESETS["balanced"].vmaf_target) <= RETUNE_BEYOND


def test_hdr_is_delivered_as_tone_mapped_8_bit_sdr(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.hdr_pq(tmp_path / "hdr.mp4")
    delivered = run_job(clip, codec="h264")
    out = probe(FFMPEG, delivered.path)
    assert (out.bit_depth, out.transfer, out.video_codec) == (8, "bt709", "h264")


def _colour_tags(path: Path) -> str:
    """The video's matrix/primaries/transfer as ffmpeg prints them (one name when all agree)."""
    header = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return re.search(r"Video: .*?\((?:tv|pc), ([^,)]+)", header).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("codec", "transfer"), [("h265", "smpte2084"), ("av1", "smpte2084"), ("h265", "arib-std-b67")]
)
def test_hdr_stays_10_bit_hdr_with_its_metadata_where_the_codec_carries_it(
    run_job: Deliver, tmp_path: Path, codec: str, transfer: str
) -> None:
    clip = corpus.hdr10(tmp_path / "hdr.mp4", transfer=transfer)
    source = probe(FFMPEG, clip)
    delivered = run_job(clip, codec=codec)
    assert not delivered.kept_original
    out = probe(FFMPEG, delivered.path)
    assert (out.video_codec, out.bit_depth, out.transfer) == (CODECS[codec].probe_name, 10, transfer)
    assert _colour_tags(delivered.path) == f"bt2020nc/bt2020/{transfer}"
    assert out.mastering == source.mastering and out.light == source.light
    assert delivered.quality is not None and delivered.quality.vmaf > 80  # scored 10-bit to 10-bit


@pytest.mark.parametrize(("codec", "sdr"), [("h264", False), ("h265", True), ("av1", True)])
def test_h264_and_sdr_tone_map_hdr10_to_8_bit_bt709_without_its_metadata(
    run_job: Deliver, tmp_path: Path, codec: str, sdr: bool
) -> None:
    clip = corpus.hdr10(tmp_path / "hdr.mp4")
    delivered = run_job(clip, codec=codec, sdr=sdr)
    assert not delivered.kept_original  # another codec, or SDR: asked for, delivered even if larger
    out = probe(FFMPEG, delivered.path)
    assert (out.video_codec, out.bit_depth, _colour_tags(delivered.path)) == (
        CODECS[codec].probe_name,
        8,
        "bt709",
    )
    assert (out.mastering, out.light) == (None, None)


def test_sdr_is_a_change_asked_for_only_of_an_hdr_input() -> None:
    hdr = MediaInfo(10.0, 320, 240, "hevc", None, "mov", transfer="smpte2084", bit_depth=10)
    assert asked_change(hdr, Options(codec="h265", sdr=True)) == "SDR picture"
    assert asked_change(hdr, Options(codec="h265")) is None
    assert asked_change(replace(hdr, transfer="bt709"), Options(codec="h265", sdr=True)) is None


def test_surround_sound_is_delivered_as_stereo_track_by_track(run_job: Deliver, tmp_path: Path) -> None:
    """Each track as it is: mono stays mono, any surround (22.2 and 6.0 too) becomes stereo."""
    clip = corpus.surround(tmp_path / "surround.mov", layouts=("mono", "5.1", "22.2", "6.0"))
    assert probe(FFMPEG, clip).audio_channels == (1, 6, 24, 6)
    delivered = run_job(clip)
    assert probe(FFMPEG, delivered.path).audio_channels == (1, 2, 2, 2)


def test_a_short_video_that_misses_its_target_is_encoded_once_more(run_job: Deliver, tmp_path: Path) -> None:
    """Too short for a search: the preset's CRF (29) scores ~95 on testsrc2 against `small`'s
    87, so the score points to a higher CRF, and that smaller encode is delivered."""
    clip = corpus.busy(tmp_path / "busy.mp4", seconds=8, audio=False)
    delivered = run_job(clip, preset="small")
    assert not delivered.kept_original and delivered.quality is not None
    assert delivered.crf is not None and delivered.crf > default_crf(Options(preset="small")), delivered
    assert abs(delivered.quality.vmaf - PRESETS["small"].vmaf_target) <= 2, delivered.quality


def test_the_crf_search_lands_each_preset_near_its_target(tmp_path: Path) -> None:
    clip = corpus.busy(tmp_path / "busy.mp4", seconds=12, audio=False)  # a segment's length: searched
    info: MediaInfo = probe(FFMPEG, clip)
    vf = video_filter(info, None)

    def run(cmd: list[str], _seconds: float) -> str:
        done = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return done.stderr.decode()

    chosen = {}
    for preset, target in (("small", 87.0), ("high", 96.0)):
        found = crf_search(FFMPEG, clip, 12.0, vf, "h264", 25.0, target, tmp_path, run)
        assert 1 <= len(found.tries) <= 2
        encoded = tmp_path / f"{preset}.mp4"
        subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-i", str(clip), "-c:v", "libx264", "-crf",
                        f"{found.crf:g}", "-vf", vf, str(encoded)], check=True)  # fmt: skip
        assert abs(full_vmaf(encoded, clip, vf) - target) <= 2, (preset, found)
        chosen[preset] = found.crf
    assert chosen["small"] > chosen["high"]


@pytest.mark.parametrize("name", footage.CLIPS)
def test_real_footage_already_compressed_never_comes_back_larger(
    run_job: Deliver, tmp_path: Path, name: str
) -> None:
    """The clips the issue was found with: `high` made them 1.15-2.2x larger, `small` 1.19x."""
    clip = footage.clip(name, tmp_path)
    source = probe(FFMPEG, clip)
    for preset in ("small", "balanced", "high"):
        delivered = run_job(clip, preset=preset)
        assert delivered.path.stat().st_size <= clip.stat().st_size, (preset, delivered.note)
        assert delivered.quality is not None
        if delivered.kept_original:
            assert preset == "high", "both clips compress at small and balanced"
            assert delivered.path == clip and delivered.note is not None
            continue
        # Within the band a short video's retunes keep (bikes at `balanced` missed it both ways:
        # 98.5, then 89.1 after a retune stepped 11 CRF along the usual slope).
        assert abs(delivered.quality.vmaf - PRESETS[preset].vmaf_target) <= RETUNE_BEYOND, preset
        out = probe(FFMPEG, delivered.path)
        assert (out.width, out.height) == (source.width, source.height)
        assert out.audio_channels == (2,) * source.audio_tracks
        if preset == "balanced":  # the sampled score against every frame's (once: it decodes all)
            full = full_vmaf(delivered.path, clip, video_filter(source, None))
            assert abs(delivered.quality.vmaf - full) <= 2
            # No larger than ffmpeg's own encode at the CRF chosen: a short video is scored by
            # decoding it whole, not from keyframes added at its scored spans (four in 5 s of
            # animation made it 36 % larger, and larger than the input, which was then kept).
            plain = tmp_path / f"plain-{name}"
            subprocess.run(
                preset_command(FFMPEG, clip, plain, Options(preset=preset), source, delivered.crf), check=True
            )
            assert delivered.path.stat().st_size <= plain.stat().st_size * 1.01


@pytest.mark.parametrize("rate", [1, 2])
def test_a_silent_video_of_few_frames_a_second_is_read_whole(
    run_job: Deliver, tmp_path: Path, rate: int
) -> None:
    """ffmpeg's progress ends at the last frame's start (and an encoder's delay may hold one
    more): at 1 or 2 frames a second that is a second or more short, not a damaged file."""
    clip = tmp_path / "slow.mp4"
    picture = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate={rate}:duration=6"]
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *picture, *corpus.FAITHFUL, str(clip)], check=True)
    delivered = run_job(clip)
    assert len(frame_times(delivered.path)) == 6 * rate


def test_a_trim_into_matroska_keeps_every_tracks_language_and_title(run_job: Deliver, tmp_path: Path) -> None:
    clip = corpus.holiday(tmp_path / "holiday.mkv")
    delivered = run_job(clip, start_seconds=0.5, container="mkv")
    header = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(delivered.path)], capture_output=True, text=True
    )
    tracks = re.findall(r"Stream #0:\d+\((\w+)\): (Audio|Subtitle)", header.stderr)
    assert tracks == [
        ("eng", "Audio"),
        ("fra", "Audio"),
        ("deu", "Audio"),
        ("eng", "Subtitle"),
        ("fra", "Subtitle"),
    ]
    titles = re.findall(r"^ +title +: (.+)$", header.stderr.split("Stream #0:1")[1], re.MULTILINE)
    assert titles[:3] == ["English", "Français", "Deutsch"]


def test_a_container_asked_for_is_delivered_even_when_the_original_is_smaller(
    run_job: Deliver, tmp_path: Path
) -> None:
    """A WebM or MKV original kept "as it is smaller" came back in its own container, though
    MP4 was asked for: the container asked for is a change, as a lower height is."""
    small = corpus.already_compressed(tmp_path / "small.mp4")
    clip = tmp_path / "small.mkv"
    subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(small), "-c", "copy", str(clip)], check=True)
    assert run_job(clip).kept_original  # nothing asked: the smaller original, in its own container
    delivered = run_job(clip, container="mp4")
    assert not delivered.kept_original and delivered.content_type == "video/mp4"
    assert "mp4" in probe(FFMPEG, delivered.path).format_name.split(",")
