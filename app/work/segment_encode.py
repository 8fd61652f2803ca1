"""One segment of a split job, encoded by whichever worker holds its claim.

Each segment is encoded to the preset's VMAF target with a CRF search of its own (and again, as
a short video is, when its score still misses the target by more than a segment's promise), or
to its share of a target size (``app.work.segment_budget``) in two passes, then decoded whole
(the check, done here in parallel: the joined file's decodes only its seams), scored and stored
as ``jobs/<id>/segments/<n>-<start>-<claim>.mp4`` (its claim's own file); the claim is renewed
throughout, a stop gives it back, and every write under it is refused once another claim, or
another start of the job, holds the segment (``claims.Claim``).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app

from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job, SegmentRecord
from app.media import MediaInfo, Options, probe
from app.media.command import Rate, default_crf
from app.media.fence import StoreUrl
from app.media.formats import CODECS, OUTPUT_TYPE, PRESETS
from app.media.picture import Hdr, kept_hdr, pixel_format, video_filter
from app.media.quality import MeasureError, Quality, measure_command, measure_spans, read_quality, spans_keyed
from app.media.search import RETUNE_GUESS_LIMIT, best_try, crf_search, next_try
from app.media.segments import (
    Segment,
    segment_command,
)
from app.media.verify import seam_keyframe
from app.storage import StorageError, job_storage, segment_key
from app.work.download import DOWNLOAD_SHARE
from app.work.encode import MAX_RETUNES, RETUNE_AIM, asked_change, input_share, trimmed
from app.work.failures import OUTPUT_INVALID, STORE_UNAVAILABLE, Interrupted, JobFailed
from app.work.lease import Lease
from app.work.steps import Band, Steps, bands, ffmpeg_path
from app.work.verify import check_segment

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)

# A segment is stopped once it alone passes the whole input's size: the file would come out
# larger, so the input is delivered (unless a change was asked). A hard scene may take far more
# than its share of the bytes while the whole stays smaller: the joined file's size decides that.
# A segment this long gets a CRF search of its own (a whole video needs SEARCH_MIN_SECONDS: a
# segment's search pays for itself sooner, since it also evens the quality out along the video),
# and is encoded again when its score still misses (``_retuned``); a shorter one (only with
# SEGMENT_SECONDS under 20: a last piece shorter than half a segment joins the one before) keeps
# the preset's CRF.
SEGMENT_SEARCH_MIN_SECONDS = 10.0
# A segment scored further than this from the preset's target is encoded again (``_retuned``):
# the promise for each segment (the whole file's is 2). At RETUNE_BEYOND (2, a short video's),
# bench.search_cost's 60 s clip retuned both its segments: the whole file then scored 93.2 where
# it had scored 91.4, and took 1.68 x ffmpeg alone instead of 1.28.
SEGMENT_RETUNE_BEYOND = 3.0
# Within one segment's progress: its CRF search, its encode, its scoring.
SEGMENT_WEIGHTS = (15.0, 80.0, 5.0)
# Within the job's: the audio (once, for the whole file), the segments, the join.
JOB_WEIGHTS = (3.0, 92.0, 4.0)


@dataclass(frozen=True)
class Context:
    """What every worker on a split job needs to encode one of its segments."""

    job_id: str
    start: int | None  # the job's start its writes name (``Job.starts``): another start's refused
    source: Path | StoreUrl  # a helper reads the stored input (or its seekable copy) in place
    info: MediaInfo
    options: Options
    folder: Path
    started_at: datetime | None  # the job's start (its ETA counts from there)
    band: Band  # where the segments fill the job's bar
    input_size: int
    change_asked: bool  # what asked_change names (a lower height, another codec...): larger is allowed

    @property
    def hdr(self) -> Hdr | None:
        return kept_hdr(self.info, self.options.codec, self.options.sdr)

    @property
    def vf(self) -> str:
        return video_filter(self.info, self.options.max_height, self.hdr)


def context_for(
    job: Job,
    start: int | None,
    source: Path | StoreUrl,
    size: int,
    folder: Path,
    header: Path | StoreUrl | None = None,
) -> Context:
    """A worker's context for ``job``'s segments, on the job's ``start`` (the coordinator's
    attempt, or the one a helper found running): its video read from ``source``, the input's
    ``size`` bytes, what it is described from its header at ``header`` (default: ``source``;
    a seekable copy of the video holds the input's frames, its header is the input's own)."""
    options = Options(**job.options)
    info = trimmed(probe(ffmpeg_path(), header or source), options)
    floor = DOWNLOAD_SHARE if job.source_url else 0.0
    return Context(
        job_id=job.id,
        start=start,
        source=source,
        info=info,
        options=options,
        folder=folder,
        started_at=job.started_at,
        band=bands(floor, *JOB_WEIGHTS)[1],
        input_size=input_share(size, info),
        change_asked=asked_change(info, options) is not None,
    )


def encode_claimed(context: Context, row: SegmentRecord, config: Any) -> bool:
    """Encode the segment this worker holds, under a renewed claim; False: stop helping.

    A stop (cancel, shutdown, stall) gives the segment back; a failure, or a segment that
    has been started JOB_MAX_ATTEMPTS times, fails the job naming the segment's time range.
    """
    # Read once: ``row`` reads the database again after every commit (another claim's count, once
    # another worker took the segment).
    segment, claim = row.plan(), claims.Claim.of(row, context.start)
    job_id = context.job_id
    if claim.count > config["JOB_MAX_ATTEMPTS"]:
        _fail(context, claim, segment, f"it was interrupted {claim.count - 1} times")
        return False
    claims.publish(job_id, context.band, context.started_at)  # followers see it running now
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    key = segment_key(job_id, segment.number, claim.token)  # this claim's own file
    try:
        with Lease(app, job_id, renew=lambda: claims.renew(job_id, claim)):
            result = _encode_segment(context, row, claim, config)
        encoded = Path(result.pop("path"))
        if encoded.exists():  # an outgrown segment leaves no file, only its verdict
            job_storage().put(key, encoded, OUTPUT_TYPE, move=True)
            result["claim"] = claim.token  # where the join finds it
    except Interrupted as stop:
        claims.release(job_id, claim, counted=stop.code != STORE_UNAVAILABLE)
        log.info("job %s: segment %d given back (%s)", job_id, segment.number, stop.code)
        return False
    except JobFailed as failure:
        _fail(context, claim, segment, str(failure))
        return False
    except StorageError as exc:
        claims.release(job_id, claim)
        log.warning("job %s: segment %d not stored: %s", job_id, segment.number, exc)
        return False
    if not claims.finish(job_id, claim, result):  # the job ended, or another claim holds it now
        with contextlib.suppress(StorageError):
            job_storage().delete_prefix(key)
        return False
    claims.publish(job_id, context.band, context.started_at)
    log.info("job %s: segment %d encoded (crf %s, vmaf %s)", job_id, segment.number, result["crf"],
             result.get("vmaf"))  # fmt: skip
    return True


def _fail(context: Context, claim: claims.Claim, segment: Segment, reason: str) -> None:
    """Fail the job naming ``segment``, while this worker's ``claim`` of it and the job's start
    it works for still hold (else another worker, or another start, goes on)."""
    if claims.give_up(context.job_id, claim, reason):
        message = f"the part {segment.time_range()} could not be encoded: {reason}"
        lifecycle.fail(context.job_id, "segment_failed", message, context.start)


def _encode_segment(context: Context, row: SegmentRecord, claim: claims.Claim, config: Any) -> dict[str, Any]:
    """Encode the segment of ``row`` held by ``claim`` (to its CRF search's VMAF target, or its
    share of a target size) and score it: its result, with the file's ``path``."""
    segment = row.plan()

    def write(percent: float, _eta: int | None) -> bool:
        return claims.report(context.job_id, claim, percent, context.band, context.started_at)

    steps = Steps(context.job_id, 0.0, config, write)
    first_band, encode_band, measure_band = bands(0.0, *SEGMENT_WEIGHTS)
    path = context.folder / f"segment-{segment.number}.mp4"
    keyframes = row.keyframes or []  # the input's, where seeks are cheap (listed by the coordinator)
    spans = measure_spans(segment.duration, [time - segment.start for time in keyframes])
    # The encode starts a keyframe at each scored span (``quality.spans_keyed``: a short segment
    # is decoded whole to be scored), and where the check of its seam begins.
    keyed = [start for start, _ in spans] if spans_keyed(segment.duration) else []
    starts = [*keyed, seam_keyframe(segment.duration)]
    if row.bitrate is not None:
        _encode_to_bitrate(context, segment, row.bitrate, path, steps, (first_band, encode_band), starts)
        facts: dict[str, Any] = {"crf": None, "bitrate": row.bitrate}
    else:
        where = (first_band, encode_band)
        crf = _encode_to_quality(context, segment, path, steps, where, keyframes, starts)
        if steps.outgrown is not None:
            path.unlink(missing_ok=True)
            return {"outgrown": True, "crf": crf, "path": str(path)}
        facts = {"crf": crf}
    check_segment(path, segment, context.source, context.folder, steps)  # the join decodes only its seams
    quality = _score(context, path, segment, spans, steps, measure_band)
    encoded_at: float | None = facts["crf"]  # None: at a bitrate
    if encoded_at is not None and quality is not None and segment.duration >= SEGMENT_SEARCH_MIN_SECONDS:
        facts["crf"], quality = _retuned(context, segment, path, (encoded_at, quality), spans, starts, steps)
    return {
        **facts,
        "vmaf": round(quality.vmaf, 2) if quality else None,
        "ssim": round(quality.ssim, 4) if quality else None,
        "size_bytes": path.stat().st_size,
        "path": str(path),
    }


def _encode_to_quality(
    context: Context,
    segment: Segment,
    path: Path,
    steps: Steps,
    where: tuple[Band, Band],
    keyframes: list[float],
    starts: list[float],
) -> float:
    """Search the segment's CRF (in ``where[0]``; its samples at the input's ``keyframes``),
    encode at it (``where[1]``; a keyframe at each of ``starts``): the CRF used. Stopped
    (``steps.outgrown``) once the segment alone passes the input's size."""
    ffmpeg, options = ffmpeg_path(), context.options
    search_band, encode_band = where
    crf = default_crf(options)
    if segment.duration >= SEGMENT_SEARCH_MIN_SECONDS:
        # Neighbouring segments are usually alike: from a finished one's answer, the first try
        # often lands close enough to be the answer (one try where two were needed).
        crf = claims.neighbour_crf(context.job_id, segment.number) or crf
        target = PRESETS[options.preset].vmaf_target
        found = crf_search(
            ffmpeg, context.source, segment.duration, context.vf, options.codec, crf, target,
            context.folder, steps.runner(search_band), offset=segment.start, hdr=context.hdr,
            keyframes=keyframes,
        )  # fmt: skip
        crf = found.crf
    _encode_at(context, segment, path, crf, starts, steps, encode_band)
    return crf


def _encode_at(
    context: Context, segment: Segment, path: Path, crf: float, starts: list[float], steps: Steps, band: Band
) -> None:
    """Encode the segment at ``crf`` into ``path`` (a keyframe at each of ``starts``), filling
    ``band``; stopped (``steps.outgrown``) once it alone passes the input's size."""
    cmd = segment_command(
        ffmpeg_path(), context.source, path, segment, context.vf, context.options.codec, Rate(crf=crf),
        context.hdr, starts,
    )  # fmt: skip
    limit = None if context.change_asked else context.input_size
    steps.run(cmd, segment.duration, band, size_limit=limit, whole=True, frame_rate=context.info.frame_rate)


def _retuned(
    context: Context,
    segment: Segment,
    path: Path,
    first: tuple[float, Quality],
    spans: list[tuple[float, float]],
    starts: list[float],
    steps: Steps,
) -> tuple[float, Quality]:
    """The segment encoded again when ``first`` (its CRF and score) missed the preset's target
    by more than SEGMENT_RETUNE_BEYOND (its samples misled the search, as two unlike scenes in
    one segment may), as a short video is: up to MAX_RETUNES times, at the CRF the scores point
    to (aiming RETUNE_AIM from the target; the second follows the line the first drew). ``path``
    keeps the smallest encode within SEGMENT_RETUNE_BEYOND, else the nearest (``best_try``):
    returned with its CRF and score."""
    codec, target = context.options.codec, PRESETS[context.options.preset].vmaf_target
    tried = [(first[0], first[1], path)]
    while abs(tried[-1][1].vmaf - target) > SEGMENT_RETUNE_BEYOND and len(tried) <= MAX_RETUNES:
        tries = [(crf, quality.vmaf) for crf, quality, _ in tried]
        crf = next_try(tries, target + RETUNE_AIM, codec, RETUNE_GUESS_LIMIT)
        if crf is None:
            break  # pinned at an end of the CRF range: the segment is that easy (or that hard)
        other = path.with_name(f"{path.stem}-retune-{len(tried)}{path.suffix}")
        if (quality := _encode_and_score(context, segment, other, crf, spans, starts, steps)) is None:
            break  # outgrew the input, or could not be scored: keep what we have
        tried.append((crf, quality, other))
        log.info(
            "job %s: segment %d retuned at crf %s: %.2f", context.job_id, segment.number, crf, quality.vmaf
        )
    if len(tried) == 1:
        return first
    outcomes = [(quality.vmaf, encoded.stat().st_size) for _, quality, encoded in tried]
    crf, quality, kept = tried[best_try(outcomes, target, SEGMENT_RETUNE_BEYOND)]
    for _, _, encoded in tried[1:]:
        if encoded == kept:
            encoded.replace(path)
        else:
            encoded.unlink(missing_ok=True)
    return crf, quality


def _encode_and_score(
    context: Context,
    segment: Segment,
    path: Path,
    crf: float,
    spans: list[tuple[float, float]],
    starts: list[float],
    steps: Steps,
) -> Quality | None:
    """A retune's encode of the segment at ``crf`` into ``path``, checked and scored, the bar
    held where it is; None (and no file) when it outgrew the input, failed (its ffmpeg, or its
    check: the first encode stands) or could not be scored."""
    try:
        _encode_at(context, segment, path, crf, starts, steps, steps.here())
        if steps.outgrown is None:
            check_segment(path, segment, context.source, context.folder, steps)
    except (JobFailed, Interrupted) as failed:  # a cancel, a stall, a shutdown still stop the segment
        if isinstance(failed, Interrupted) and failed.code != OUTPUT_INVALID:
            raise
        log.warning("job %s: segment %d not retuned: %s", context.job_id, segment.number, failed)
        path.unlink(missing_ok=True)
        return None
    if steps.outgrown is not None:
        path.unlink(missing_ok=True)
        return None
    quality = _score(context, path, segment, spans, steps, steps.here())
    if quality is None:
        path.unlink(missing_ok=True)
    return quality


def _encode_to_bitrate(
    context: Context,
    segment: Segment,
    bitrate: int,
    path: Path,
    steps: Steps,
    where: tuple[Band, Band],
    starts: list[float],
) -> None:
    """Encode the segment at ``bitrate`` (a keyframe at each of ``starts``): two passes where the
    encoder has them (the first in ``where[0]``), else one."""
    ffmpeg, codec = ffmpeg_path(), context.options.codec
    first_band, encode_band = where
    passes = CODECS[codec].two_pass
    passlog = context.folder / f"passlog-{segment.number}"
    if passes:
        unused = context.folder / f"first-pass-{segment.number}.mp4"
        rate = Rate(bitrate=bitrate, pass_number=1, passlog=passlog)
        first = segment_command(
            ffmpeg, context.source, unused, segment, context.vf, codec, rate, context.hdr, starts
        )
        steps.run(first, segment.duration, first_band, whole=True, frame_rate=context.info.frame_rate)
        unused.unlink(missing_ok=True)
    rate = Rate(bitrate=bitrate, pass_number=2 if passes else None, passlog=passlog)
    cmd = segment_command(ffmpeg, context.source, path, segment, context.vf, codec, rate, context.hdr, starts)
    steps.run(cmd, segment.duration, encode_band, whole=True, frame_rate=context.info.frame_rate)


def _score(
    context: Context, path: Path, segment: Segment, spans: list[tuple[float, float]], steps: Steps, band: Band
) -> Quality | None:
    """VMAF and SSIM of the encoded segment against its part of the input, on ``spans`` (where
    the input has keyframes, and the segment too unless it is short: ``quality.spans_keyed``);
    None (logged) when ffmpeg cannot."""
    cmd = measure_command(
        ffmpeg_path(), path, context.source, context.vf, spans, segment.start, pixel_format(context.hdr),
        distorted_whole=not spans_keyed(segment.duration),
    )  # fmt: skip
    try:
        return read_quality(steps.run(cmd, sum(length for _, length in spans), band).log_tail)
    except (JobFailed, MeasureError) as exc:
        log.warning("segment at %.1f s of job %s not scored: %s", segment.start, context.job_id, exc)
        return None
