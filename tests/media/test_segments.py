"""Cutting a video into segments and joining them: frame-exact, timing kept, no decode error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.media import probe
from app.media.command import KEYFRAME_LEEWAY, Rate, mux_args
from app.media.picture import kept_hdr, video_filter
from app.media.quality import measure_spans
from app.media.segments import (
    Segment,
    concat_list,
    difficulty_command,
    frame_times_command,
    join_command,
    keyframes_for,
    plan,
    read_bytes_read,
    read_frame_sizes,
    read_frame_times,
    read_keyframe_times,
    same_frames,
    seek_cost_command,
    segment_command,
    segment_weights,
    should_split,
)
from app.media.verify import seam_keyframe, segment_problems
from tests.conftest import FFMPEG, luma_rows
from tests.media import corpus
from tests.media.crafted import seek_indexed


def test_a_plan_covers_every_frame_once_starting_near_each_nominal_point() -> None:
    times = [k / 25 for k in range(300)]  # 12 s at 25 fps
    segments = plan(times, 12.0, 4.0)
    assert [s.first_frame for s in segments] == [0, 100, 200]
    assert sum(s.frames for s in segments) == 300
    assert [s.start for s in segments] == [0.0, 4.0, 8.0]
    assert segments[1].seek == pytest.approx(4.0 - 0.02)  # half-way to the frame before
    assert sum(s.duration for s in segments) == pytest.approx(12.0)


def test_a_short_tail_joins_the_segment_before() -> None:
    times = [k / 10 for k in range(100)]  # 10 s
    segments = plan(times, 10.0, 4.0)
    assert len(segments) == 2 and segments[-1].frames == 60


def test_only_long_videos_split() -> None:
    assert should_split(60.0, 60.0, 30.0)
    assert not should_split(59.9, 60.0, 30.0)
    assert not should_split(50.0, 10.0, 30.0)  # fewer than two segments
    assert not should_split(None, 60.0, 30.0)


def test_a_segment_names_its_time_range() -> None:
    assert Segment(3, 0, 1, 90.0, 30.0, 89.98).time_range() == "1:30-2:00"


def test_weights_line_frames_up_with_segments_even_when_the_counts_differ() -> None:
    segments = plan([k / 10 for k in range(40)], 4.0, 2.0)  # two segments of 20 frames
    assert segment_weights([1] * 20 + [3] * 20, segments) == [20, 60]
    assert segment_weights([1] * 21 + [3] * 21, segments) == [21, 63]  # a frame more in the listing
    assert segment_weights([], segments) == [2.0, 2.0]  # nothing listed: by duration


def test_keyframes_are_read_from_the_packet_listing(tmp_path: Path) -> None:
    source = tmp_path / "gop.mp4"
    _run([FFMPEG, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=5",
          "-c:v", "libx264", "-g", "50", "-sc_threshold", "0", str(source)])  # fmt: skip
    listing = tmp_path / "gop.crc"
    _run(frame_times_command(FFMPEG, source, listing))
    assert read_keyframe_times(listing.read_text()) == [0.0, 2.0, 4.0]
    assert len(read_frame_times(listing.read_text())) == 125


def test_packets_an_edit_list_hides_are_no_frames() -> None:
    """Flag 0x4 (discard): decoded to reach the first frame shown, never shown themselves,
    wherever the flags stand on the line (side data may follow them)."""
    listing = "#tb 0: 1/25\n" + "".join(
        f"0, {n}, {n}, 1, 100, 0x1{flags}\n"
        for n, flags in enumerate([", F=0x5", ", F=0x4, S=1, 8, 0x2", "", ", F=0x0", ", F=0x0, S=1, 8, 0x3"])
    )
    assert read_frame_times(listing) == [0.08, 0.12, 0.16]
    assert read_keyframe_times(listing) == [0.08]


def test_the_difficulty_encode_finds_the_hard_half_of_a_video(tmp_path: Path) -> None:
    """Flat colour for 2 s, then noise for 2 s: the second segment weighs far more."""
    source = tmp_path / "halves.mp4"
    flat = "color=c=gray:size=320x240:rate=25:duration=2"
    noisy = "color=c=gray:size=320x240:rate=25:duration=2,noise=alls=60:allf=t+u"
    inputs = ["-f", "lavfi", "-i", flat, "-f", "lavfi", "-i", noisy]
    _run([FFMPEG, "-loglevel", "error", *inputs, "-filter_complex", "[0][1]concat=n=2:v=1", str(source)])
    info = probe(FFMPEG, source)
    segments = plan(_frame_times(source, tmp_path), info.duration_seconds or 0.0, 2.0)
    listing = tmp_path / "difficulty.crc"
    _run(difficulty_command(FFMPEG, source, video_filter(info, None), listing))
    sizes = read_frame_sizes(listing.read_text())
    assert len(sizes) == 100
    easy, hard = segment_weights(sizes, segments)
    assert hard > 10 * easy


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def _frame_times(path: Path, folder: Path) -> list[float]:
    listing = folder / f"{path.stem}.crc"
    _run(frame_times_command(FFMPEG, path, listing))
    return read_frame_times(listing.read_text())


def _split_and_join(source: Path, folder: Path, seconds: float) -> tuple[list[float], list[float], Path]:
    info = probe(FFMPEG, source)
    times = _frame_times(source, folder)
    parts = []
    for segment in plan(times, info.duration_seconds or 0.0, seconds):
        part = folder / f"part-{segment.number}.mp4"
        crf = 20 + 6 * segment.number  # each its own CRF, as each segment searches its own
        # where it will be scored, and where the check of its seam starts decoding
        starts = [*(start for start, _ in measure_spans(segment.duration)), seam_keyframe(segment.duration)]
        vf = video_filter(info, None)
        _run(segment_command(FFMPEG, source, part, segment, vf, "h264", Rate(crf=crf), keyframes=starts))
        assert len(_frame_times(part, folder)) == segment.frames
        _assert_keyframes_start(part, folder, starts)
        parts.append((part, segment))
    listing = folder / "list.ffconcat"
    listing.write_text(concat_list(parts))
    audio = folder / "audio.m4a"
    _run([FFMPEG, "-loglevel", "error", "-y", "-i", str(source), "-map", "0:a:0", "-c:a", "aac", str(audio)])
    joined = folder / "joined.mp4"
    _run(join_command(FFMPEG, listing, mux_args(audio, source, info, keep_location=False), joined))
    return times, _frame_times(joined, folder), joined


def _assert_keyframes_start(path: Path, folder: Path, starts: list[float]) -> None:
    """A seek to each of ``starts`` in ``path`` lands on a keyframe: the first frame there is one."""
    listing = folder / f"{path.stem}.crc"
    _run(frame_times_command(FFMPEG, path, listing))
    times, keyframes = read_frame_times(listing.read_text()), read_keyframe_times(listing.read_text())
    for start in starts:
        first = min(time for time in times if time >= start - KEYFRAME_LEEWAY)
        assert first in keyframes, (start, keyframes)


def _decode_errors(path: Path) -> str:
    done = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True)
    return done.stderr.decode(errors="replace")


@pytest.mark.parametrize(
    ("name", "picture", "codec"),
    [
        # keyframes 10 s apart: every cut falls between keyframes
        ("sparse-keyframes", "testsrc2=size=320x240:rate=25",
         ["-g", "250", "-keyint_min", "250", "-sc_threshold", "0"]),
        # a phone's variable frame rate: 30 fps, then 12 fps with jitter
        ("vfr", "testsrc2=size=320x240:rate=30,setpts='if(lt(N,150),N/30,5+(N-150)/12+0.013*mod(N,3))/TB'",
         ["-fps_mode", "vfr", "-bf", "2"]),
    ],
)  # fmt: skip
def test_segments_join_into_the_inputs_frames_and_timing(
    tmp_path: Path, name: str, picture: str, codec: list[str]
) -> None:
    source = tmp_path / f"{name}.mov"
    inputs = ["-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", "sine", "-t", "12"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", *codec, "-c:a", "aac", "-shortest"]
    _run([FFMPEG, "-loglevel", "error", "-y", *inputs, *encode, str(source)])
    times, joined_times, joined = _split_and_join(source, tmp_path, 6.0)  # each scored on 4 spans
    assert len(joined_times) == len(times)
    start, joined_start = times[0], joined_times[0]
    assert (
        max(abs((a - start) - (b - joined_start)) for a, b in zip(times, joined_times, strict=True)) < 0.002
    )
    assert _decode_errors(joined) == ""
    info, joined_info = probe(FFMPEG, source), probe(FFMPEG, joined)
    assert joined_info.has_audio
    assert abs((joined_info.duration_seconds or 0) - (info.duration_seconds or 0)) < 1 / 12


def test_a_segment_across_a_change_of_picture_size_keeps_its_frames_and_their_shape(tmp_path: Path) -> None:
    """ffmpeg built the segment's filters again where the size changed, its timestamps began
    again, and frames went missing (made up from the next segment's: the job still passed)."""
    source = corpus.resized(tmp_path / "resized.mkv", seconds=4)
    info = probe(FFMPEG, source)
    parts = []
    for segment in plan(_frame_times(source, tmp_path), info.duration_seconds or 0.0, 3.0):
        part = tmp_path / f"part-{segment.number}.mp4"
        _run(segment_command(FFMPEG, source, part, segment, video_filter(info, None), "h264", Rate(crf=23)))
        times = _frame_times(part, tmp_path)
        assert segment_problems(times, segment.frames, segment.duration) == [], segment
        assert len(times) == segment.frames
        parts.append((part, segment))
    assert parts[1][1].start < 4.0 < parts[1][1].start + parts[1][1].duration  # one crosses the change
    listing = tmp_path / "list.ffconcat"
    listing.write_text(concat_list(parts))
    joined = tmp_path / "joined.mp4"
    _run(join_command(FFMPEG, listing, mux_args(None, source, info, keep_location=False), joined))
    assert len(_frame_times(joined, tmp_path)) == 200 and _decode_errors(joined) == ""
    for moment, banded in ((3.5, False), (5.0, True)):  # in the segment across the change
        rows = luma_rows(joined, moment, 320, 240)
        assert (sum(rows[:24]) / 24 < 20) is banded, moment


def test_an_hdr_videos_segments_keep_its_hdr_through_the_join(tmp_path: Path) -> None:
    """H.265 keeps HDR10 in a split job too: 10-bit, BT.2020, PQ, the metadata, in every segment."""
    source = corpus.hdr10(tmp_path / "hdr.mp4", seconds=2)
    info = probe(FFMPEG, source)
    hdr = kept_hdr(info, "h265", sdr=False)
    parts = []
    for segment in plan(_frame_times(source, tmp_path), info.duration_seconds or 0.0, 1.0):
        part = tmp_path / f"part-{segment.number}.mp4"
        _run(
            segment_command(
                FFMPEG, source, part, segment, video_filter(info, None, hdr), "h265", Rate(crf=28), hdr
            )
        )
        assert probe(FFMPEG, part).mastering == info.mastering
        parts.append((part, segment))
    assert len(parts) == 2
    listing = tmp_path / "list.ffconcat"
    listing.write_text(concat_list(parts))
    joined = tmp_path / "joined.mp4"
    _run(join_command(FFMPEG, listing, mux_args(None, source, info, keep_location=False), joined))
    out = probe(FFMPEG, joined)
    assert (out.bit_depth, out.transfer, out.mastering, out.light) == (
        10,
        "smpte2084",
        info.mastering,
        info.light,
    )
    assert "bt2020nc/bt2020/smpte2084" in _header(joined)
    assert _decode_errors(joined) == ""


def _header(path: Path) -> str:
    return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def test_a_segment_keeps_the_keyframe_before_its_seek_and_those_within_it() -> None:
    keyframes = [0.0, 2.0, 4.0, 10.0, 12.0]
    assert keyframes_for(Segment(1, 100, 150, 4.0, 6.0, 3.98), keyframes) == [2.0, 4.0]
    assert keyframes_for(Segment(2, 250, 100, 10.0, 4.0, 9.98), keyframes) == [4.0, 10.0, 12.0]
    assert keyframes_for(Segment(0, 0, 100, 0.0, 4.0, 0.0), keyframes) == [0.0, 2.0]


@pytest.mark.parametrize("indexed", [True, False], ids=["mp4", "matroska, no cues"])
def test_a_seek_reads_little_only_where_the_file_has_an_index(tmp_path: Path, indexed: bool) -> None:
    """What decides whether helpers read an input in place (``work.segments.seeks_cheaply``): an
    mp4 seeks from its sample tables, a Matroska stream written to a pipe (as a browser records)
    has no cues, so a seek reads everything before it."""
    source = seek_indexed(tmp_path / "source", indexed)
    done = subprocess.run(
        seek_cost_command(FFMPEG, source, 10.001), capture_output=True, text=True, check=True
    )
    read = read_bytes_read(done.stderr)
    assert read is not None
    share = read / source.stat().st_size
    assert (share < 0.05) if indexed else (share > 0.45), share


def test_a_copys_frames_are_the_same_within_a_quarter_of_the_shortest_gap() -> None:
    """Rounded to a millisecond time base they are the same; a frame moved, dropped or added
    (a seek half-way between two frames could then take another) they are not."""
    times = [round(frame / 30, 6) for frame in range(90)]  # 30 fps: 33 ms apart
    assert same_frames(times, [round(time, 3) for time in times])
    assert not same_frames(times, [*times[:45], times[45] + 0.01, *times[46:]])
    assert not same_frames(times, times[:-1])
    assert not same_frames(times, [*times, 3.0])
