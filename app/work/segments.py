"""A long video on every worker there is: split, encode the segments anywhere, join.

The job's own attempt (``compress_job``) coordinates: it plans the segments from the input's
frame times (``app.media.segments``), enqueues one helper per other segment on the
``segments`` queue (RQ jobs like any other, taken by any worker on any host once the
compression queue is empty; each helper encodes one segment and hands the worker back to
RQ), encodes the audio once, then encodes segments itself until none is left to take.
Every helper and the coordinator claim segments from the database
(``app.jobs.segments``); each segment gets its own CRF search towards the preset's VMAF
target, is scored, and is stored as ``jobs/<id>/segments/<n>.mp4``. When none is left to
take, the coordinator waits for the others (taking over any whose worker went quiet), joins
the segments with the audio, and delivers the file like a one-piece encode.

The coordinator holds the job's lease throughout, so the reconciler knows it is alive; a
helper holds only its segment's claim. A helper that finds the job no longer running gives
its segment back and leaves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from redis.exceptions import RedisError

from app.extensions import db
from app.jobs import lifecycle, queue
from app.jobs import segments as claims
from app.jobs.models import RUNNING, SEGMENT_DONE, SEGMENT_FAILED, Job, SegmentRecord
from app.media import MediaInfo, Options, ProbeError, probe
from app.media.command import audio_command, default_crf, mux_args
from app.media.formats import OUTPUT_TYPE, PRESETS
from app.media.picture import Hdr, kept_hdr, pixel_format, video_filter
from app.media.quality import (
    MEASURE_SPAN_SECONDS,
    MEASURE_SPANS,
    MeasureError,
    Quality,
    measure_command,
    read_quality,
    sample_spans,
)
from app.media.search import crf_search
from app.media.segments import (
    concat_list,
    join_command,
    plan,
    segment_command,
    should_split,
    weighted,
)
from app.storage import StorageError, input_key, job_storage, segment_key, segments_prefix
from app.storage.scratch import ScratchFolder
from app.work.download import DOWNLOAD_SHARE
from app.work.encode import asked_change, delivered_in, input_share, loudness_filters, trimmed
from app.work.failures import Interrupted, JobFailed
from app.work.lease import Lease, Shutdown
from app.work.steps import Band, Steps, bands, ffmpeg_path
from app.work.verify import frame_times

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)
NICENESS = 10  # as the compression work-horse: web requests on a shared host come first
WAIT_POLL_SECONDS = 0.5  # how often the coordinator looks at the others' segments
# A segment is stopped once it alone passes the whole input's size: the file would come out
# larger, so the input is delivered (unless a change was asked). A hard scene may take far more
# than its share of the bytes while the whole stays smaller: the joined file's size decides that.
# A segment this long gets a CRF search of its own (a whole video needs SEARCH_MIN_SECONDS: a
# segment's search pays for itself sooner, since it also evens the quality out along the video).
SEGMENT_SEARCH_MIN_SECONDS = 10.0
# Within one segment's progress: its CRF search, its encode, its scoring.
SEGMENT_WEIGHTS = (15.0, 80.0, 5.0)
# Within the job's: the audio (once, for the whole file), the segments, the join.
JOB_WEIGHTS = (3.0, 92.0, 4.0)


def wanted(info: MediaInfo, options: Options, config: dict[str, Any]) -> bool:
    """Whether this job is encoded in segments: long enough, and aiming at a look.

    A target size stays one piece: its two passes share one bit budget across the video.
    """
    long_enough = should_split(
        info.duration_seconds, config["SEGMENT_MIN_SECONDS"], config["SEGMENT_SECONDS"]
    )
    return long_enough and options.target_size_mb is None


@dataclass(frozen=True)
class Context:
    """What every worker on a split job needs to encode one of its segments."""

    job_id: str
    source: Path
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


def help_with(job_id: str) -> None:
    """A helper's RQ job: encode one segment of ``job_id``, if one is left to take.

    One segment, then back to RQ: the worker looks at the compression queue again, so a job
    submitted meanwhile starts there rather than after every segment of this one.
    """
    db.engine.dispose(close=False)  # connections inherited across the fork are not ours to use
    os.nice(NICENESS)
    job = db.session.get(Job, job_id)
    db.session.commit()
    if job is None or job.status != RUNNING:
        return
    Shutdown.install()
    config = current_app.config
    with ScratchFolder(Path(config["SCRATCH_DIR"]), f"segments-{job_id}-{os.getpid()}") as scratch:
        row = claims.claim(job_id)
        if row is None:
            return
        try:
            source = job_storage().fetch(input_key(job_id), scratch.path)
            context = _context(job, source, scratch.path)
        except (StorageError, ProbeError) as exc:
            claims.release(job_id, row.number)
            log.warning("job %s: a helper could not read the input: %s", job_id, exc)
            return
        encode_claimed(context, row, config)


def _context(job: Job, source: Path, folder: Path) -> Context:
    options = Options(**job.options)
    info = trimmed(probe(ffmpeg_path(), source), options)
    floor = DOWNLOAD_SHARE if job.source_url else 0.0
    return Context(
        job_id=job.id,
        source=source,
        info=info,
        options=options,
        folder=folder,
        started_at=job.started_at,
        band=bands(floor, *JOB_WEIGHTS)[1],
        input_size=input_share(source, info),
        change_asked=asked_change(info, options) is not None,
    )


def encode_claimed(context: Context, row: SegmentRecord, config: Any) -> bool:
    """Encode the segment this worker holds, under a renewed claim; False: stop helping.

    A stop (cancel, shutdown, stall) gives the segment back; a failure, or a segment that
    has been started JOB_MAX_ATTEMPTS times, fails the job naming the segment's time range.
    """
    segment = row.plan()
    job_id = context.job_id
    if row.attempts > config["JOB_MAX_ATTEMPTS"]:
        _fail(job_id, row, f"it was interrupted {row.attempts - 1} times")
        return False
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    try:
        with Lease(app, job_id, renew=lambda: claims.renew(job_id, segment.number)):
            result = _encode_segment(context, row, config)
        encoded = Path(result.pop("path"))
        if encoded.exists():  # an outgrown segment leaves no file, only its verdict
            job_storage().put(segment_key(job_id, segment.number), encoded, OUTPUT_TYPE, move=True)
    except Interrupted as stop:
        claims.release(job_id, segment.number)
        log.info("job %s: segment %d given back (%s)", job_id, segment.number, stop.code)
        return False
    except JobFailed as failure:
        _fail(job_id, row, str(failure))
        return False
    except StorageError as exc:
        claims.release(job_id, segment.number)
        log.warning("job %s: segment %d not stored: %s", job_id, segment.number, exc)
        return False
    if not claims.finish(job_id, segment.number, result):  # the job ended while this one ran
        with contextlib.suppress(StorageError):
            job_storage().delete_prefix(segment_key(job_id, segment.number))
        return False
    claims.publish(job_id, context.band, context.started_at)
    log.info("job %s: segment %d encoded (crf %s, vmaf %s)", job_id, segment.number, result["crf"],
             result.get("vmaf"))  # fmt: skip
    return True


def _fail(job_id: str, row: SegmentRecord, reason: str) -> None:
    plan = row.plan()
    claims.give_up(job_id, plan.number, reason)
    lifecycle.fail(job_id, "segment_failed", f"the part {plan.time_range()} could not be encoded: {reason}")


def _encode_segment(context: Context, row: SegmentRecord, config: Any) -> dict[str, Any]:
    """Search the segment's CRF, encode it, score it: its result, with the file's ``path``."""
    segment = row.plan()
    ffmpeg, options = ffmpeg_path(), context.options

    def write(percent: float, _eta: int | None) -> bool:
        return claims.report(context.job_id, segment.number, percent, context.band, context.started_at)

    steps = Steps(context.job_id, 0.0, config, write)
    search_band, encode_band, measure_band = bands(0.0, *SEGMENT_WEIGHTS)
    target = PRESETS[options.preset].vmaf_target
    crf = default_crf(options)
    if segment.duration >= SEGMENT_SEARCH_MIN_SECONDS:
        found = crf_search(
            ffmpeg, context.source, segment.duration, context.vf, options.codec, crf, target,
            context.folder, steps.runner(search_band), offset=segment.start, hdr=context.hdr,
        )  # fmt: skip
        crf = found.crf
    path = context.folder / f"segment-{segment.number}.mp4"
    cmd = segment_command(ffmpeg, context.source, path, segment, context.vf, options.codec, crf, context.hdr)
    limit = None if context.change_asked else context.input_size
    steps.run(cmd, segment.duration, encode_band, size_limit=limit, whole=True)
    if steps.outgrown is not None:
        path.unlink(missing_ok=True)
        return {"outgrown": True, "crf": crf, "path": str(path)}
    quality = _score(context, path, segment.start, segment.duration, steps, measure_band)
    return {
        "crf": crf,
        "vmaf": round(quality.vmaf, 2) if quality else None,
        "ssim": round(quality.ssim, 4) if quality else None,
        "size_bytes": path.stat().st_size,
        "path": str(path),
    }


def _score(
    context: Context, path: Path, start: float, duration: float, steps: Steps, band: Band
) -> Quality | None:
    spans = sample_spans(duration, MEASURE_SPANS, MEASURE_SPAN_SECONDS)
    cmd = measure_command(
        ffmpeg_path(), path, context.source, context.vf, spans, start, pixel_format(context.hdr)
    )
    try:
        return read_quality(steps.run(cmd, sum(length for _, length in spans), band).log_tail)
    except (JobFailed, MeasureError) as exc:
        log.warning("segment at %.1f s of job %s not scored: %s", start, context.job_id, exc)
        return None


@dataclass(frozen=True)
class Joined:
    """A split job's joined file (None: a segment outgrew its share) and its segments' facts."""

    path: Path | None
    quality: Quality | None
    segments: list[dict[str, Any]]


def encode_in_segments(
    job: Job, source: Path, info: MediaInfo, options: Options, folder: Path, steps: Steps, target: Path
) -> Joined:
    """Coordinate a split job: plan, fan out, encode, wait, join into ``target``.

    Canceled or failed, the segments' files and records go; stopped for a retry they stay,
    and the next attempt keeps every finished segment.
    """
    try:
        return _coordinate(job, source, info, options, folder, steps, target)
    except Interrupted as stop:
        if not stop.retry:
            discard(job.id)
        raise
    except JobFailed:
        discard(job.id)
        raise


def discard(job_id: str) -> None:
    """Remove a split job's segment files and records (the job is over, or they are joined),
    and its helpers still waiting in the queue."""
    try:
        queue.remove_helpers(job_id)
    except RedisError as exc:  # a helper that starts later finds the job over and leaves
        log.warning("helpers of job %s not taken off the queue: %s", job_id, exc)
    try:
        job_storage().delete_prefix(segments_prefix(job_id))
    except StorageError as exc:
        log.warning("segments of job %s not deleted yet: %s", job_id, exc)  # retention finishes it
    claims.forget(job_id)


def _coordinate(
    job: Job, source: Path, info: MediaInfo, options: Options, folder: Path, steps: Steps, target: Path
) -> Joined:
    ffmpeg, config = ffmpeg_path(), current_app.config
    audio_band, _, join_band = steps.bands(*JOB_WEIGHTS)
    every = frame_times(source, folder, steps)
    times = info.trim.kept_frames(every) if info.trim else every
    before = max((time for time in every if time < times[0]), default=None) if info.trim and times else None
    end = info.trim.end if info.trim else info.duration_seconds or 0.0
    rows = claims.record_plan(job.id, plan(times, end, config["SEGMENT_SECONDS"], before))
    waiting = sum(row.state != SEGMENT_DONE for row in rows)
    queue.enqueue_helpers(job.id, max(waiting - 1, 0), job.attempts)
    context = _context(job, source, folder)
    claims.publish(job.id, context.band, context.started_at)
    audio = _audio(ffmpeg, source, info, options, folder, steps, audio_band)
    while True:
        row = claims.claim(job.id)
        if row is not None:
            if not encode_claimed(context, row, config):
                _raise_if_stopped(job.id, steps)
            continue
        rows = claims.rows(job.id)
        if any(row.state == SEGMENT_FAILED for row in rows):
            failed = next(row for row in rows if row.state == SEGMENT_FAILED)
            raise JobFailed("segment_failed", f"the part {failed.plan().time_range()} could not be encoded")
        if any((row.result or {}).get("outgrown") for row in rows):
            discard(job.id)  # the whole would outgrow the input: the input is delivered
            return Joined(None, None, [])
        if all(row.state == SEGMENT_DONE for row in rows):
            break
        _raise_if_stopped(job.id, steps)
        time.sleep(WAIT_POLL_SECONDS)
    mux = mux_args(audio, source, info, options.keep_location, delivered_in(info, options))
    return _join(job.id, rows, mux, folder, steps, join_band, target)


def _raise_if_stopped(job_id: str, steps: Steps) -> None:
    """Canceled, failed by a helper, shutting down or out of time: stop coordinating."""
    if Shutdown.requested:
        raise Interrupted("the worker is shutting down", "shutdown", retry=True)
    if steps.reporter.should_stop():
        raise Interrupted("canceled", "canceled", retry=False)
    if steps.remaining_seconds() <= 1.0:
        minutes = current_app.config["JOB_TIMEOUT_MINUTES"]
        raise JobFailed("timeout", f"compressing took longer than the {minutes}-minute limit")


def _audio(
    ffmpeg: str, source: Path, info: MediaInfo, options: Options, folder: Path, steps: Steps, band: Band
) -> Path | None:
    """Every audio track, encoded once for the whole file (no seam at any join)."""
    if not info.has_audio:
        return None
    path = folder / "audio.m4a"
    filters = loudness_filters(source, info, options, steps)
    kbps = PRESETS[options.preset].audio_kbps
    cmd = audio_command(ffmpeg, source, path, info.audio_channels, kbps, filters, info.trim)
    steps.run(cmd, info.duration_seconds, band)
    return path


def _join(
    job_id: str,
    rows: list[SegmentRecord],
    mux: list[str],
    folder: Path,
    steps: Steps,
    band: Band,
    target: Path,
) -> Joined:
    """Join the segments into ``target``; their facts with times on its timeline (from its first
    frame: a trim's start, or the frame on screen at it)."""
    storage = job_storage()
    parts = [(storage.fetch(segment_key(job_id, row.number), folder), row.plan()) for row in rows]
    listing = folder / "segments.ffconcat"
    listing.write_text(concat_list(parts))
    steps.run(join_command(ffmpeg_path(), listing, mux, target), None, band)
    facts = [
        {
            "start_seconds": round(row.start - rows[0].start, 3),
            "duration_seconds": round(row.duration, 3),
            **{name: (row.result or {}).get(name) for name in ("crf", "vmaf", "size_bytes")},
        }
        for row in rows
    ]
    scored = [row for row in rows if (row.result or {}).get("vmaf") is not None]
    quality = None
    if scored:
        vmaf = weighted([(row.result["vmaf"], row.duration) for row in scored if row.result])
        ssim = weighted([(row.result["ssim"], row.duration) for row in scored if row.result])
        quality = Quality(vmaf=vmaf, ssim=ssim)
    discard(job_id)
    return Joined(target, quality, facts)
