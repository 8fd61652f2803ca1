"""Find the CRF that reaches a VMAF target for one video, on a few short samples of it.

The approach of ab-av1's ``crf-search``: take samples spread through the video (each starting
at a keyframe of the input), encode them at a guessed CRF, score them against the input, and
move the CRF by how far the score landed from the target; two points give a line to read
the answer from. Samples are a small share of the video, so the search costs a fraction of
the encode it steers.

The line is drawn through the loss, ln(100 - VMAF), not VMAF itself: the loss grows by a
near-constant factor per CRF step (the quantizer doubles every 6), so VMAF falls faster as
the CRF rises and a straight line through two VMAF scores would read a CRF too low between
them (a file larger than needed) and too high beyond them.

A video too short for a search is encoded at the preset's CRF and, when the whole file's score
misses, encoded again: ``next_try`` picks each CRF (as for the samples), ``best_try`` the encode
to deliver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.media.command import Rate, step_head, video_args
from app.media.formats import CODECS
from app.media.picture import Hdr, pixel_format
from app.media.quality import at_keyframes, joined, measure_command, read_vmaf, sample_spans, span_inputs

SEARCH_MIN_SECONDS = 20.0  # shorter videos take the preset's CRF: a search would cost more than it saves
SAMPLE_COUNT = 3  # samples spread through the video ...
SAMPLE_SHARE = 0.05  # ... together about this share of it, ...
SAMPLE_SECONDS = (1.0, 2.0)  # ... each at least / at most this long; ...
# ... where the share holds fewer whole seconds than SAMPLE_COUNT (a 30 s segment's 1.5 s), fewer
# samples, but at least this many: each try's encode and score cost what its samples hold
# (bench.search_cost: a 30 s segment's three 1 s samples took a tenth of its encode's CPU).
MIN_SAMPLE_COUNT = 2
MAX_TRIES = 2  # encodes of the samples: a guess, then a step along the slope; the answer is read off the line
MAX_EXTRAPOLATION = 3.0  # CRF steps the answer may lie beyond the tries when both missed on one side
CLOSE_ENOUGH = 0.75  # VMAF points from the target at which a try is the answer
# ... and within which a first try's step along the codec's slope is the answer, untried: where
# the true slope is twice the codec's (bench.rate_quality's Mandelbrot zoom: 0.28), the step
# lands about a point off, less than a second try's own sampling error and within the promise.
ONE_TRY_WITHIN = 1.5
# The growth of the loss, ln(100 - VMAF), per CRF step is each codec's ``slope``: a first guess
# refined by the tries (x264 on bench.quality's clips: 0.13-0.18; SVT-AV1's CRF scale is finer).
FLAT = 0.005  # a measured slope below this is noise (the video barely reacts): take the codec's
# How far a retune (a short video's, or a segment's) moves the loss along the codec's slope
# (``next_try``'s ``guess_limit``), a guess where no slope is measured on the video yet (the first
# retune, or a line that came out flat): three x264 CRF steps. Near 100 the loss
# bends (a score of 98.5 is 0.4, 92 is 2.1): a real 10 s phone clip's first encode scored 98.5
# at `balanced`, the codec's slope stepped 11 CRF to 74.5, and the retune between them missed too.
RETUNE_GUESS_LIMIT = 0.45
# Short samples score lower than the whole video (each starts cold: a keyframe, an empty
# lookahead): aim this far from the target (bench.quality: the whole video came out 0-2 above).
SAFETY = -1.0

# Runs an ffmpeg argv covering some seconds of video; what it wrote on stderr at the end.
RunStep = Callable[[list[str], float], str]


@dataclass(frozen=True)
class SearchResult:
    """The CRF chosen and the samples' scores that chose it ((crf, vmaf) per try)."""

    crf: float
    tries: tuple[tuple[float, float], ...]


def searchable(duration: float | None) -> bool:
    """Whether a video is long enough for a search to pay for itself."""
    return duration is not None and duration >= SEARCH_MIN_SECONDS


def sample_plan(duration: float) -> list[tuple[float, float]]:
    """Where the samples are: SAMPLE_COUNT spans (fewer, down to MIN_SAMPLE_COUNT, where the share
    holds fewer whole seconds), together about SAMPLE_SHARE of the video."""
    low, high = SAMPLE_SECONDS
    share = duration * SAMPLE_SHARE
    count = min(max(int(share // low), MIN_SAMPLE_COUNT), SAMPLE_COUNT)
    seconds = min(max(share / count, low), high)
    return sample_spans(duration, count, seconds)


def crf_search(
    ffmpeg: str,
    source: str | Path,
    duration: float,
    vf: str,
    codec: str,
    start_crf: float,
    target_vmaf: float,
    folder: Path,
    run: RunStep,
    offset: float = 0.0,
    hdr: Hdr | None = None,
    keyframes: Sequence[float] = (),
) -> SearchResult:
    """The highest CRF (smallest file) whose samples score ``target_vmaf`` (+ SAFETY).

    ``offset``: the video is the ``duration`` seconds of ``source`` from there (a segment);
    ``hdr``: the HDR the picture keeps (``vf`` made it so); ``keyframes``: the input's, where
    the samples start when one is near (cutting them then decodes little more than they hold).
    """
    planned = [(round(offset + start, 3), length) for start, length in sample_plan(duration)]
    spans = at_keyframes(planned, keyframes, offset)
    seconds = sum(length for _, length in spans)
    aim = target_vmaf + SAFETY
    tries: list[tuple[float, float]] = []
    crf = start_crf
    for _ in range(MAX_TRIES):
        encoded = folder / f"sample-{crf:g}.mp4"
        run(sample_command(ffmpeg, source, spans, vf, codec, Rate(crf=crf), encoded, hdr), seconds)
        measured = measure_command(
            ffmpeg, encoded, source, vf, spans, pixel_format=pixel_format(hdr),
            distorted_spans=[(0.0, seconds)], ssim=False,
        )  # fmt: skip
        vmaf = read_vmaf(run(measured, seconds))
        encoded.unlink(missing_ok=True)
        tries.append((crf, vmaf))
        if abs(vmaf - aim) <= CLOSE_ENOUGH:
            break
        following = next_try(tries, aim, codec)
        if following is None:
            break  # pinned at an end of the range: the video is that easy (or that hard)
        if len(tries) == 1 and abs(vmaf - aim) <= ONE_TRY_WITHIN:
            return SearchResult(crf=following, tries=tuple(tries))
        crf = following
    return SearchResult(crf=_choose(tries, aim, codec), tries=tuple(tries))


def sample_command(
    ffmpeg: str,
    source: str | Path,
    spans: list[tuple[float, float]],
    vf: str,
    codec: str,
    rate: Rate,
    encoded: Path,
    hdr: Hdr | None = None,
) -> list[str]:
    """The samples (``spans`` of ``source``) through ``vf``, one after another, encoded at ``rate``.

    Each try decodes them from the input again, at keyframes, and its score reads them there
    too: cheaper than keeping them in a lossless file (its encode and decodes cost more than
    the input's own decode)."""
    graph = joined(0, len(spans), vf, "v")
    cmd = [*step_head(ffmpeg), *span_inputs(source, spans), "-filter_complex", graph, "-map", "[v]"]
    return [*cmd, *video_args(codec, rate, hdr), "-an", "-f", "mp4", str(encoded)]


def loss(vmaf: float) -> float:
    """ln(100 - VMAF): the scale on which a score moves in a straight line with the CRF."""
    return math.log(max(100.0 - vmaf, 0.1))  # 100 (identical) is 0.1 short of it


def next_crf(
    tries: list[tuple[float, float]], aim: float, slope: float, guess_limit: float | None = None
) -> float:
    """Step from the last (crf, vmaf) try along the line the last two draw (or ``slope``, a guess:
    its step moves the loss by at most ``guess_limit``, when given)."""
    crf, vmaf = tries[-1]
    measured = _slope(tries)
    if measured is not None:
        return crf + (loss(aim) - loss(vmaf)) / measured
    move = loss(aim) - loss(vmaf)
    if guess_limit is not None:
        move = min(max(move, -guess_limit), guess_limit)
    return crf + move / slope


def next_try(
    tries: list[tuple[float, float]], aim: float, codec: str, guess_limit: float | None = None
) -> float | None:
    """The CRF to try next: ``next_crf`` on the encoder's steps (``clamp_crf``); None when that
    CRF was tried already (pinned at an end of the range)."""
    crf = clamp_crf(next_crf(tries, aim, CODECS[codec].slope, guess_limit), codec)
    return None if crf in (tried for tried, _ in tries) else crf


def best_try(outcomes: list[tuple[float, int]], target: float, within: float) -> int:
    """Which encode to deliver, from each one's (vmaf, size in bytes): the smallest file scoring
    within ``within`` of ``target``, else the one that scored nearest (the first of equals)."""
    misses = [abs(vmaf - target) for vmaf, _ in outcomes]
    near = [index for index, miss in enumerate(misses) if miss <= within]
    if near:
        return min(near, key=lambda index: outcomes[index][1])
    return min(range(len(outcomes)), key=lambda index: misses[index])


def _slope(tries: list[tuple[float, float]]) -> float | None:
    """Loss gained per CRF step between the last two tries (None: not measurable)."""
    if len(tries) < 2:
        return None
    (crf_a, vmaf_a), (crf_b, vmaf_b) = tries[-2], tries[-1]
    if crf_a == crf_b:
        return None
    slope = (loss(vmaf_b) - loss(vmaf_a)) / (crf_b - crf_a)
    return slope if slope > FLAT else None  # flat (or upside down): the video barely reacts


def _choose(tries: list[tuple[float, float]], aim: float, codec: str) -> float:
    """The CRF to encode with: read off the line between the tries either side of the target."""
    ordered = sorted(tries)
    reaching = [t for t in ordered if t[1] >= aim]
    missing = [t for t in ordered if t[1] < aim]
    if reaching and missing:
        (crf_a, vmaf_a), (crf_b, vmaf_b) = reaching[-1], missing[0]
        if crf_b > crf_a and vmaf_a > vmaf_b:
            share = (loss(aim) - loss(vmaf_a)) / (loss(vmaf_b) - loss(vmaf_a))
            return clamp_crf(crf_a + share * (crf_b - crf_a), codec)
    slope = _slope(ordered)
    nearest_crf, nearest_vmaf = min(ordered, key=lambda t: abs(t[1] - aim))
    if slope is not None:  # both on one side: follow the measured line a little further
        step = (loss(aim) - loss(nearest_vmaf)) / slope
        return clamp_crf(nearest_crf + min(max(step, -MAX_EXTRAPOLATION), MAX_EXTRAPOLATION), codec)
    if reaching:
        return reaching[-1][0]  # the cheapest try that looked good enough
    return ordered[0][0]  # nothing reached the target: the best-looking try


def clamp_crf(crf: float, codec: str) -> float:
    """``crf`` within the codec's ``crf_range``, on the steps its encoder takes."""
    low, high = CODECS[codec].crf_range
    crf = min(max(crf, low), high)
    return float(round(crf)) if CODECS[codec].whole_crf else round(crf * 2) / 2
