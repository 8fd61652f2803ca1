"""A long video on every worker there is: split, encode the segments anywhere, join.

The job's own attempt (``compress_job``) coordinates: it plans the segments from the input's
frame times (``app.media.segments``), enqueues one helper per other segment on the
``segments`` queue (RQ jobs like any other, taken by any worker on any host once the
compression queue is empty; each helper encodes one segment and hands the worker back to
RQ), encodes the audio once, then encodes segments itself until none is left to take.
Every helper and the coordinator claim segments from the database
(``app.jobs.segments``); each segment gets its own CRF search towards the preset's VMAF
target, is decoded whole (the check, here in parallel) and scored, and is stored as
``jobs/<id>/segments/<n>-<start>-<claim>.mp4`` (its claim's own file). When none is left to
take, the coordinator waits for the others (taking over any whose worker went quiet), joins
the segments with the audio, and delivers the file like a one-piece encode.

Each segment's encode is ``app.work.segment_encode``; a target size is shared out over the
segments by ``app.work.segment_budget``.

The coordinator holds the job's lease throughout, so the reconciler knows it is alive; a
helper holds only its segment's claim. A helper that finds the job no longer running gives
its segment back and leaves.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import current_app
from redis.exceptions import RedisError

from app.extensions import db
from app.jobs import queue
from app.jobs import segments as claims
from app.jobs.models import RUNNING, SEGMENT_DONE, SEGMENT_FAILED, Job, SegmentRecord
from app.media import MediaInfo, Options, ProbeError
from app.media.command import audio_command, mux_args
from app.media.fence import StoreUrl
from app.media.quality import Quality
from app.media.segments import (
    concat_list,
    join_command,
    plan,
    should_split,
    weighted,
)
from app.media.sizing import preset_audio_kbps
from app.storage import StorageError, input_key, job_storage, seekable_key, segment_key, segments_prefix
from app.storage.scratch import ScratchFolder
from app.units import MB
from app.work.encode import delivered_in, loudness_filters, trim_cues
from app.work.failures import SUPERSEDED, Interrupted, JobFailed
from app.work.lease import Shutdown
from app.work.seekable import seekable_copy, seeks_cheaply, seeks_exactly
from app.work.segment_budget import Budget
from app.work.segment_encode import JOB_WEIGHTS, context_for, encode_claimed
from app.work.steps import Band, Steps, ffmpeg_path
from app.work.sync import picture_delay_of
from app.work.verify import frame_and_keyframe_times

log = logging.getLogger(__name__)
NICENESS = 10  # as the compression work-horse: web requests on a shared host come first
WAIT_POLL_SECONDS = 0.5  # how often the coordinator looks at the others' segments


def wanted(info: MediaInfo, options: Options, config: dict[str, Any], input_bytes: int) -> bool:
    """Whether this job is encoded in segments: long enough, and (with a target size) larger
    than its target (else the one-piece path delivers the input at once)."""
    long_enough = should_split(
        info.duration_seconds, config["SEGMENT_MIN_SECONDS"], config["SEGMENT_SECONDS"]
    )
    target = options.target_size_mb
    return long_enough and (target is None or input_bytes > target * MB)


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
    start = job.starts  # the start it helps: a later one (a retry's) refuses its writes
    Shutdown.install()
    config = current_app.config
    with ScratchFolder(Path(config["SCRATCH_DIR"]), f"segments-{job_id}-{os.getpid()}") as scratch:
        row = claims.claim(job_id)
        if row is None:
            return
        try:
            found = _input(job_id, row, scratch.path, config["JOB_TIMEOUT_MINUTES"] * 60)
            context = context_for(job, start, found.source, found.size, scratch.path, found.header)
        except (StorageError, ProbeError) as exc:  # the store's fault: the coordinator reads it locally
            claims.release(job_id, claims.Claim.of(row, start), counted=False)
            log.warning("job %s: a helper could not read the input: %s", job_id, exc)
            return
        encode_claimed(context, row, config)


@dataclass(frozen=True)
class HelperInput:
    """Where a helper's ffmpeg reads a split job's video, and what it knows of the input."""

    source: Path | StoreUrl  # the frames
    size: int  # the input's bytes (what never-larger weighs against)
    header: Path | StoreUrl  # where the input's header is read (its description)


def _input(job_id: str, row: SegmentRecord, folder: Path, seconds: int) -> HelperInput:
    """Where a helper reads the job's input (``row``: as the coordinator planned it): where it is
    stored (the file itself, or a URL of the store good for ``seconds``, of which only the
    segment's bytes are read); where a seek in it reads much, the seekable copy of its video the
    coordinator stored, in place too; else (planned before such copies) a copy in ``folder``."""
    storage = job_storage()
    if row.seekable_copy:
        stored = storage.readable(input_key(job_id), seconds)
        return HelperInput(_seekable_copy(job_id, seconds), stored.size, _readable(stored.location))
    if not row.in_place:
        fetched = storage.fetch(input_key(job_id), folder)
        return HelperInput(fetched, fetched.stat().st_size, fetched)
    stored = storage.readable(input_key(job_id), seconds)
    location = _readable(stored.location)
    return HelperInput(location, stored.size, location)


def _seekable_copy(job_id: str, seconds: int) -> Path | StoreUrl:
    """Where the job's seekable copy of its video is read in place (``store_seekable_copy``)."""
    return _readable(job_storage().readable(seekable_key(job_id), seconds).location)


def _readable(location: Path | str) -> Path | StoreUrl:
    """A stored object's location as ffmpeg's fence takes it: a local path, or the store's URL."""
    return location if isinstance(location, Path) else StoreUrl(location)


def store_seekable_copy(job_id: str, copy: Path) -> bool:
    """Store the seekable copy of the input's video (``app.work.seekable``) for every worker on
    the job (kept in its folder for the coordinator's own segments); False (logged) when the
    store refuses it: each helper then copies the input, as it would anyway."""
    try:
        job_storage().put(seekable_key(job_id), copy, "video/x-matroska")
    except StorageError as exc:  # advice only: copies are safe
        log.warning("job %s: the seekable copy of the input was not stored: %s", job_id, exc)
        return False
    log.info("job %s: every worker reads a seekable copy of the input's video", job_id)
    return True


def _coordinators_copy(job_id: str, folder: Path) -> Path | None:
    """A retry's copy of the seekable copy an earlier attempt stored (fetched once, so the
    coordinator reads its frames locally); None (logged) when the store cannot give it."""
    try:
        return job_storage().fetch(seekable_key(job_id), folder)
    except StorageError as exc:
        log.warning("job %s: the seekable copy could not be fetched (the input is read): %s", job_id, exc)
        return None


@dataclass(frozen=True)
class Joined:
    """A split job's joined file (None: a segment outgrew its share) and its segments' facts."""

    path: Path | None
    quality: Quality | None
    segments: list[dict[str, Any]]
    seams: list[float]  # where the segments meet, on the joined file's timeline


def encode_in_segments(
    job: Job,
    source: Path,
    info: MediaInfo,
    options: Options,
    folder: Path,
    steps: Steps,
    target: Path,
    frames: Path | None = None,
) -> Joined:
    """Coordinate a split job: plan, fan out, encode, wait, join into ``target``; ``frames``:
    the attempt's seekable copy of an input ffmpeg cannot seek in exactly (``app.work.seekable``).

    Canceled (or failed by a helper), the segments' files and records go; failed here, they go
    with the job's failure if it takes (``compress._fail``: not when another attempt holds the
    job); stopped for a retry, or left to another attempt, they stay, and the next attempt keeps
    every finished segment.
    """
    job_id = job.id  # read once: a job deleted meanwhile is gone from the session too
    try:
        return _coordinate(job, source, info, options, folder, steps, target, frames)
    except Interrupted as stop:
        if not stop.retry and stop.code != SUPERSEDED:
            discard(job_id)
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
    job: Job,
    source: Path,
    info: MediaInfo,
    options: Options,
    folder: Path,
    steps: Steps,
    target: Path,
    frames: Path | None,
) -> Joined:
    job_id = job.id  # read once: a job deleted meanwhile is gone from the session too
    ffmpeg, config = ffmpeg_path(), current_app.config
    audio_band, _, join_band = steps.bands(*JOB_WEIGHTS)
    context = context_for(job, steps.attempt, source, source.stat().st_size, folder)
    budget = Budget.of(info, options)
    rows = claims.rows(job_id)
    copy = frames  # the attempt's seekable copy of an input ffmpeg cannot seek in exactly
    if not rows:  # a retry keeps the plan (and the segments done) of the attempt before
        every, keyframes = frame_and_keyframe_times(frames or source, folder, steps)  # as the trim times them
        times = info.trim.kept_frames(every) if info.trim else every
        before = max((t for t in every if t < times[0]), default=None) if info.trim and times else None
        end = info.trim.end if info.trim else info.duration_seconds or 0.0
        planned = plan(times, end, config["SEGMENT_SECONDS"], before)
        exact = seeks_exactly(info, every, keyframes)
        in_place = exact and seeks_cheaply(source, times, keyframes, steps)
        if not in_place and exact:  # exact, but a seek reads much (Matroska without cues)
            copy = seekable_copy(job_id, source, info, every, folder, steps)
        if copy is not None:  # the difficulty pass seeks too
            context = replace(context, source=copy)
        bitrates = budget.shared(context, planned, steps) if budget else None
        stored = not in_place and copy is not None and store_seekable_copy(job_id, copy)
        rows = claims.record_plan(job_id, planned, keyframes, bitrates, in_place, stored)
    if copy is None and rows and rows[0].seekable_copy:  # a retry's, of a copy stored before
        copy = _coordinators_copy(job_id, folder)
    if copy is not None:  # every segment from the same frames, the coordinator's too
        context = replace(context, source=copy)  # described from the input, as before
    waiting = sum(row.state != SEGMENT_DONE for row in rows)
    queue.enqueue_helpers(job_id, max(waiting - 1, 0), str(steps.attempt))
    claims.publish(job_id, context.band, context.started_at)
    audio = _audio(ffmpeg, source, info, options, folder, steps, audio_band, budget)
    refits = 0
    while True:
        row = claims.claim(job_id)
        if row is not None:
            if not encode_claimed(context, row, config):
                _raise_if_stopped(job_id, steps)
            continue
        rows = claims.rows(job_id)
        if any(row.state == SEGMENT_FAILED for row in rows):
            failed = next(row for row in rows if row.state == SEGMENT_FAILED)
            raise JobFailed("segment_failed", f"the part {failed.plan().time_range()} could not be encoded")
        if any((row.result or {}).get("outgrown") for row in rows):
            steps.raise_if_not_ours()  # the segments are another attempt's to discard
            discard(job_id)  # the whole would outgrow the input: the input is delivered
            return Joined(None, None, [], [])
        if all(row.state == SEGMENT_DONE for row in rows):
            if budget is None or not budget.refit(job_id, rows, audio, refits, str(steps.attempt)):
                break
            refits += 1
            continue
        _raise_if_stopped(job_id, steps)
        time.sleep(WAIT_POLL_SECONDS)
    gap = picture_delay_of(source, info, folder, steps) if audio is not None else 0.0
    container = delivered_in(info, options)
    cues = trim_cues(source, info, container, folder, steps)
    mux = mux_args(audio, source, info, options.keep_location, container, max(-gap, 0.0), cues)
    return _join(job_id, rows, mux, folder, steps, join_band, target, max(gap, 0.0))


def _raise_if_stopped(job_id: str, steps: Steps) -> None:
    """Canceled, failed by a helper, shutting down or out of time: stop coordinating."""
    if Shutdown.requested:
        raise Interrupted("the worker is shutting down", "shutdown", retry=True)
    if steps.reporter.should_stop():
        raise steps.reporter.interruption()
    if steps.remaining_seconds() <= 1.0:
        minutes = current_app.config["JOB_TIMEOUT_MINUTES"]
        raise JobFailed("timeout", f"compressing took longer than the {minutes}-minute limit")


def _audio(
    ffmpeg: str,
    source: Path,
    info: MediaInfo,
    options: Options,
    folder: Path,
    steps: Steps,
    band: Band,
    budget: Budget | None,
) -> Path | None:
    """Every audio track, encoded once for the whole file (no seam at any join): at the
    preset's rate, or the share of a target size the audio takes."""
    if not info.has_audio:
        return None
    path = folder / "audio.m4a"
    filters = loudness_filters(source, info, options, steps)
    kbps = (
        budget.audio_kbps
        if budget and budget.audio_kbps
        else preset_audio_kbps(options.preset, info.audio_kbps)
    )
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
    video_delay: float = 0.0,
) -> Joined:
    """Join the segments into ``target`` (the picture ``video_delay`` seconds after the sound);
    their facts with times on its timeline (from its first frame: a trim's start, or the frame
    on screen at it); the seams where they fall in the file."""
    storage = job_storage()
    keys = [segment_key(job_id, row.number, (row.result or {}).get("claim")) for row in rows]
    parts = [(storage.fetch(key, folder), row.plan()) for key, row in zip(keys, rows, strict=True)]
    listing = folder / "segments.ffconcat"
    listing.write_text(concat_list(parts))
    steps.run(join_command(ffmpeg_path(), listing, mux, target, video_delay), None, band)
    starts = [round(row.start - rows[0].start, 3) for row in rows]
    facts = [
        {
            "start_seconds": start,
            "duration_seconds": round(row.duration, 3),
            **{name: (row.result or {}).get(name) for name in ("crf", "vmaf", "size_bytes")},
        }
        for row, start in zip(rows, starts, strict=True)
    ]
    scored = [row for row in rows if (row.result or {}).get("vmaf") is not None]
    quality = None
    if scored:
        vmaf = weighted([(row.result["vmaf"], row.duration) for row in scored if row.result])
        ssim = weighted([(row.result["ssim"], row.duration) for row in scored if row.result])
        quality = Quality(vmaf=vmaf, ssim=ssim)
    steps.raise_if_not_ours()  # another attempt's segments are that attempt's to join
    discard(job_id)
    return Joined(target, quality, facts, [round(start + video_delay, 6) for start in starts[1:]])
