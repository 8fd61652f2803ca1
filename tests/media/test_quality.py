"""Where a video is scored and sampled: spread spans, moved to keyframes where one is near."""

from __future__ import annotations

from app.media.quality import at_keyframes, measure_spans, sample_spans


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


def test_a_scored_span_starts_where_seeking_both_files_decodes_least() -> None:
    """The input's keyframes at 0, 10, 20 s, its bytes 3 × the segment's; the segment's at 0,
    9.96, 15, 25. A span moves back at most its own length: else it would stop standing for
    its stretch of the video."""
    source, output = [0.0, 10.0, 20.0], [0.0, 9.96, 15.0, 25.0]
    # 10.0: 0.04 s of the segment decoded before it, none of the input (9.96 would decode 9.96 s
    # of the heavier input); 25.0: the segment's keyframe, the input's 20 s too far back.
    assert measure_spans(30.0, source, output, 3.0) == [(3.25, 1.0), (10.0, 1.0), (18.25, 1.0), (25.0, 1.0)]
    assert measure_spans(30.0, source) == [(3.25, 1.0), (10.0, 1.0), (18.25, 1.0), (25.75, 1.0)]
    assert measure_spans(30.0, [0.0, 17.0]) == sample_spans(30.0, 4, 1.0)  # 17 is too far back
    assert measure_spans(30.0) == sample_spans(30.0, 4, 1.0)  # nothing known: where they were meant


def test_a_keyframe_of_either_file_before_the_span_before_ends_is_not_a_start() -> None:
    spans = [(0.0, 1.0), (5.0, 1.0)]
    assert at_keyframes(spans, [0.0, 0.5], other_keyframes=[0.0, 0.8], other_weight=1.0) == spans
