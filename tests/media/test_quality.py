"""Where a video is scored and sampled: spread spans, moved to keyframes where one is near; the scores."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from app.media.quality import (
    SPAN_KEYFRAMES_MIN_SECONDS,
    MeasureError,
    at_keyframes,
    measure_command,
    measure_spans,
    read_quality,
    read_vmaf,
    sample_spans,
    spans_keyed,
)
from tests.conftest import FFMPEG, make_clip


def test_spans_spread_through_the_video_or_cover_a_short_one() -> None:
    assert sample_spans(30.0, 3, 1.0) == [(4.5, 1.0), (14.5, 1.0), (24.5, 1.0)]
    assert sample_spans(2.5, 3, 1.0) == [(0.0, 2.5)]


def test_spans_start_at_the_keyframe_before_them() -> None:
    spans = sample_spans(30.0, 3, 1.0)
    assert at_keyframes(spans, [0.0, 10.0, 20.0]) == [(0.0, 1.0), (10.0, 1.0), (20.0, 1.0)]
    assert at_keyframes(spans, [k * 0.5 for k in range(60)]) == [(4.5, 1.0), (14.5, 1.0), (24.5, 1.0)]


def test_a_span_keeps_its_place_without_a_keyframe_between_it_and_the_one_before() -> None:
    spans = sample_spans(30.0, 3, 1.0)
    assert at_keyframes(spans, [0.0]) == [(0.0, 1.0), (14.5, 1.0), (24.5, 1.0)]  # one keyframe: used once
    assert at_keyframes(spans, []) == spans


def test_spans_never_move_before_the_floor() -> None:
    """A segment from 30 s: the input's keyframe at 25 s is outside it."""
    spans = [(34.5, 1.0), (44.5, 1.0)]
    assert at_keyframes(spans, [25.0, 40.0], floor=30.0) == [(34.5, 1.0), (40.0, 1.0)]


def test_a_scored_span_starts_at_the_input_keyframe_nearest_the_middle_of_its_stretch() -> None:
    """Four spans, one in each quarter of 30 s: where a seek in the input decodes nothing before
    (the encode is given keyframes there too); the last quarter has no keyframe of the input's
    10 s apart, so its span starts where it decodes least, the quarter's start."""
    assert measure_spans(30.0, [0.0, 10.0, 20.0]) == [(0.0, 1.0), (10.0, 1.0), (20.0, 1.0), (22.5, 1.0)]
    camera = [float(second) for second in range(30)]  # a keyframe each second: nearest the middles
    assert measure_spans(30.0, camera) == [(3.0, 1.0), (11.0, 1.0), (18.0, 1.0), (26.0, 1.0)]
    assert measure_spans(30.0) == sample_spans(30.0, 4, 1.0)  # nothing known: the middles
    assert measure_spans(3.0, camera) == [(0.0, 3.0)]  # short: scored whole


def test_a_span_at_a_keyframe_never_starts_just_before_it() -> None:
    """Rounded down, a seek would fall short of the keyframe and decode from the one before."""
    (first, *_), (second, *_) = measure_spans(30.0, [0.0, 10.0 + 1 / 3, 20.0])[:2]
    assert first == 0.0 and second == 10.334
    assert at_keyframes([(14.5, 1.0)], [10.0 + 1 / 3]) == [(10.334, 1.0)]


def test_a_search_try_is_scored_by_vmaf_alone_the_same_vmaf(tmp_path: Path) -> None:
    """Without SSIM (a search's tries read only the VMAF) the run prints the same VMAF, no SSIM."""
    source = make_clip(tmp_path / "source.mp4", seconds=2.0, audio=False)
    encoded = tmp_path / "encoded.mp4"
    cmd = [FFMPEG, "-v", "error", "-i", str(source), "-c:v", "libx264", "-crf", "35", str(encoded)]
    subprocess.run(cmd, check=True)
    spans = [(0.0, 2.0)]

    def scored(ssim: bool) -> str:
        run = measure_command(FFMPEG, encoded, source, "format=yuv420p", spans, ssim=ssim)
        return subprocess.run(run, capture_output=True, text=True, check=True).stderr

    both, alone = scored(True), scored(False)
    assert read_vmaf(alone) == read_quality(both).vmaf < 99
    with pytest.raises(MeasureError):
        read_quality(alone)


def test_a_file_decoded_whole_is_scored_on_the_frames_seeks_would_give(tmp_path: Path) -> None:
    """A short encode has no keyframe at its scored spans (``spans_keyed``): decoded once and cut,
    it scores exactly what seeking it to each span scores. At 29.97 fps a second holds no whole
    number of frames: a span a millisecond after a frame (a keyframe's time rounded up, as
    ``measure_spans`` places them) keeps as many frames as the seek's (30, not 29)."""
    source = make_clip(tmp_path / "source.mp4", seconds=6.0, rate="30000/1001", audio=False)
    encoded = tmp_path / "encoded.mp4"
    cmd = [FFMPEG, "-v", "error", "-i", str(source), "-c:v", "libx264", "-crf", "35", str(encoded)]
    subprocess.run(cmd, check=True)
    frame = 1001 / 30000
    spans = [
        (0.3, 1.0),
        (math.ceil(45 * frame * 1000) / 1000, 1.0),
        (math.ceil(100 * frame * 1000) / 1000, 1.2),
    ]

    def scored(whole: bool) -> str:
        run = measure_command(FFMPEG, encoded, source, "format=yuv420p", spans, distorted_whole=whole)
        return subprocess.run(run, capture_output=True, text=True, check=True).stderr

    cut, sought = read_quality(scored(True)), read_quality(scored(False))
    assert cut == sought and cut.vmaf < 99
    assert not spans_keyed(6.0) and spans_keyed(SPAN_KEYFRAMES_MIN_SECONDS)
