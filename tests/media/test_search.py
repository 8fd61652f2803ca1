"""The CRF search's arithmetic: lines through the loss, ln(100 - VMAF), and the encoder's steps.

The search itself (real samples, real scores) runs in tests/work/test_encode.py.
"""

import math
from pathlib import Path

import pytest

from app.media.formats import CODECS
from app.media.search import (
    MIN_SAMPLE_COUNT,
    ONE_TRY_WITHIN,
    RETUNE_GUESS_LIMIT,
    SAFETY,
    SAMPLE_COUNT,
    SAMPLE_SECONDS,
    SAMPLE_SHARE,
    SearchResult,
    _choose,
    best_try,
    clamp_crf,
    crf_search,
    loss,
    next_crf,
    next_try,
    sample_plan,
)


def vmaf_at(crf: float, at_20: float = 4.0, growth: float = 0.17) -> float:
    """A video whose loss grows by a constant factor per CRF step, as x264's do (bikes.mp4
    measured 0.15-0.18 per step): 96 at CRF 20, falling faster as the CRF rises."""
    return 100.0 - at_20 * math.exp(growth * (crf - 20))


def test_a_segment_takes_fewer_samples_rather_than_longer_ones() -> None:
    """A 30 s segment's share (1.5 s) holds one whole second: two samples of the shortest length,
    not three (a tenth of the segment at every try); a long video keeps three, each longer."""
    segment = sample_plan(30.0)
    assert len(segment) == MIN_SAMPLE_COUNT
    assert {length for _, length in segment} == {SAMPLE_SECONDS[0]}
    assert segment[0][0] < 15.0 < segment[1][0], "one in each half"
    long = sample_plan(240.0)
    assert len(long) == SAMPLE_COUNT
    assert sum(length for _, length in long) <= 240.0 * SAMPLE_SHARE
    between = sample_plan(45.0)  # 2.25 s: two samples share it
    assert sum(length for _, length in between) == pytest.approx(45.0 * SAMPLE_SHARE)


def test_loss_is_the_log_of_what_is_missing_from_100() -> None:
    assert loss(90.0) == pytest.approx(math.log(10.0))
    assert loss(100.0) == pytest.approx(math.log(0.1)), "an identical copy stays finite"


def test_two_tries_either_side_read_the_crf_off_the_line_through_the_loss() -> None:
    tries = [(25.0, vmaf_at(25.0)), (35.0, vmaf_at(35.0))]
    exact = 20 + math.log((100 - 87.0) / 4.0) / 0.17  # where this video scores 87
    assert _choose(tries, 87.0, "h264") == clamp_crf(exact, "h264")
    linear = 25 + (tries[0][1] - 87.0) * 10 / (tries[0][1] - tries[1][1])  # a line through VMAF
    assert linear < exact - 1, "the chord through VMAF reads a CRF too low: a larger file"


def test_a_step_follows_the_last_two_tries_and_lands_on_the_aim() -> None:
    tries = [(29.0, vmaf_at(29.0)), (33.0, vmaf_at(33.0))]
    assert vmaf_at(next_crf(tries, 86.0, CODECS["h264"].slope)) == pytest.approx(86.0)


def test_a_first_step_takes_the_usual_slope() -> None:
    crf = next_crf([(29.0, 91.0)], 86.0, slope=0.15)
    assert crf == pytest.approx(29 + (math.log(14) - math.log(9)) / 0.15)


def test_a_retune_s_guess_along_the_usual_slope_moves_the_loss_a_limited_way() -> None:
    """Near 100 the loss bends: a real phone clip scoring 98.5 at CRF 25 would have stepped 11 CRF
    along the usual slope (to 74.5). A guess moves at most RETUNE_GUESS_LIMIT; a measured line not."""
    slope = CODECS["h264"].slope
    unlimited = next_crf([(25.0, 98.5)], 92.0, slope)
    assert unlimited > 35
    limited = next_crf([(25.0, 98.5)], 92.0, slope, RETUNE_GUESS_LIMIT)
    assert limited == pytest.approx(25 + RETUNE_GUESS_LIMIT / slope)
    assert next_try([(25.0, 98.5)], 92.0, "h264", RETUNE_GUESS_LIMIT) == 28.0
    measured = [(25.0, 98.5), (28.0, 94.5)]
    assert next_crf(measured, 92.0, slope, RETUNE_GUESS_LIMIT) == next_crf(measured, 92.0, slope)


def test_a_video_that_barely_reacts_falls_back_to_the_usual_slope() -> None:
    flat = [(29.0, 99.0), (33.0, 99.0)]
    assert next_crf(flat, 95.0, slope=0.15) == pytest.approx(33 + (math.log(5) - math.log(1)) / 0.15)


def test_both_tries_short_of_the_aim_extrapolate_at_most_max_extrapolation() -> None:
    tries = [(30.0, 60.0), (34.0, 50.0)]  # far below any target: a very hard video
    assert _choose(tries, 96.0, "h264") == 27.0  # 30 - MAX_EXTRAPOLATION


def test_the_next_try_is_a_step_on_the_encoder_s_steps() -> None:
    tries = [(29.0, 91.0)]
    assert next_try(tries, 86.0, "h264") == clamp_crf(next_crf(tries, 86.0, CODECS["h264"].slope), "h264")
    assert next_try(tries, 86.0, "av1") == float(round(next_crf(tries, 86.0, CODECS["av1"].slope)))


def test_no_next_try_when_the_step_lands_on_a_crf_already_tried() -> None:
    high = CODECS["h264"].crf_range[1]
    assert next_try([(high, 99.0)], 60.0, "h264") is None, "pinned at the top of the range"
    assert next_try([(29.0, 91.0)], 91.2, "h264") is None, "a step too small to leave the try"


def test_the_best_try_is_the_smallest_file_within_reach_of_the_target() -> None:
    outcomes = [(88.5, 900), (86.1, 700), (87.2, 800), (84.0, 500)]  # (vmaf, bytes)
    assert best_try(outcomes, 87.0, within=2.0) == 1, "not the nearest (87.2), nor 84.0: 3 off"


def test_with_none_within_reach_the_best_try_is_the_nearest_score() -> None:
    outcomes = [(95.0, 900), (91.5, 700), (83.0, 500)]  # 8, 4.5 and 4 off 87
    assert best_try(outcomes, 87.0, within=2.0) == 2
    assert best_try([(90.0, 900), (84.0, 500)], 87.0, within=2.0) == 0, "equally near: the first"


@pytest.mark.parametrize(
    ("crf", "codec", "expected"),
    [
        (31.3, "h264", 31.5),
        (31.2, "h264", 31.0),
        (3.0, "h264", 14.0),
        (99.0, "h265", 42.0),
        (30.4, "av1", 30.0),
    ],
)
def test_clamp_crf_keeps_to_the_range_and_the_encoder_s_steps(
    crf: float, codec: str, expected: float
) -> None:
    assert clamp_crf(crf, codec) == expected


def scripted_search(scores: list[float], tmp_path: Path) -> tuple[SearchResult, list[list[str]]]:
    """``crf_search`` over a 60 s video whose sample scores are ``scores``, in order: what it
    chose, and every ffmpeg run it asked for (none runs: the encodes and scores are scripted)."""
    runs: list[list[str]] = []
    remaining = list(scores)

    def run(cmd: list[str], _seconds: float) -> str:
        runs.append(cmd)
        if any("libvmaf" in arg for arg in cmd):
            return f"VMAF score: {remaining.pop(0)}\nSSIM Y:0.99 All:0.99 (20.0)\n"
        return ""

    found = crf_search("ffmpeg", tmp_path / "in.mp4", 60.0, "null", "h264", 25.0, 93.0, tmp_path, run)
    return found, runs


def test_a_first_try_near_the_aim_steps_along_the_codec_s_slope_without_a_second(tmp_path: Path) -> None:
    aim = 93.0 + SAFETY
    found, runs = scripted_search([aim + ONE_TRY_WITHIN - 0.1], tmp_path)
    assert len(found.tries) == 1 and len(runs) == 2  # one encode of the samples, one score
    assert found.crf == clamp_crf(next_crf(list(found.tries), aim, CODECS["h264"].slope), "h264")
    assert found.crf > 25.0  # it scored above the aim: a smaller file will do


def test_a_first_try_further_off_is_tried_again(tmp_path: Path) -> None:
    aim = 93.0 + SAFETY
    found, runs = scripted_search([aim + ONE_TRY_WITHIN + 0.5, aim - 0.2], tmp_path)
    assert len(found.tries) == 2 and len(runs) == 4


def test_samples_are_encoded_from_the_input_and_scored_against_it(tmp_path: Path) -> None:
    _, runs = scripted_search([93.0 + SAFETY], tmp_path)
    encode, score = runs
    source = str(tmp_path / "in.mp4")
    assert sum(source in arg for arg in encode) == SAMPLE_COUNT  # opened once per sample
    assert sum(source in arg for arg in score) == SAMPLE_COUNT
    assert not any("ffv1" in arg for arg in encode)  # no lossless copy in between
