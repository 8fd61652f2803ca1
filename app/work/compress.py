"""Compress one job: the function RQ runs in a work-horse for the compression queue.

An attempt works in a scratch folder of its own on this host: the input is fetched there
(or read in place from a local store), ffmpeg writes there, the output is moved into
storage, and the folder is removed whatever happens. A folder left by a killed attempt
is swept by the next attempt or worker start on this host.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import select

from app import metrics
from app.extensions import db
from app.jobs import lifecycle, retention
from app.jobs.models import CANCELED, FAILED, Job
from app.media import MediaInfo, Options, ProbeError, probe
from app.media.picture import video_filter
from app.storage import MissingObject, StorageError, StorageFull, input_key, job_storage, output_key
from app.storage.scratch import ScratchFolder, sweep
from app.units import MB
from app.work import seekable, segments, stills
from app.work.download import DOWNLOAD_SHARE, fetch_source
from app.work.encode import (
    OUTPUT_NAME,
    Delivery,
    at_showing_frame,
    deliver,
    deliver_joined,
    delivered_in,
    input_share,
    measured_loudness,
    trimmed,
    with_audio_rate,
)
from app.work.failures import STORE_UNAVAILABLE, SUPERSEDED, Interrupted, JobFailed
from app.work.lease import Lease, Shutdown
from app.work.steps import DISK_FULL, Standing, Steps, ffmpeg_path, standing_of
from app.work.verify import frame_times, verify

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)
NICENESS = 10  # the work-horse and its ffmpeg yield the CPU to web requests on a shared machine


def compress_job(job_id: str) -> None:
    """Run one attempt of a job, from queued to a terminal state (or back to the queue)."""
    db.engine.dispose(close=False)  # connections inherited across the fork are not ours to use
    os.nice(NICENESS)  # this process is the work-horse of one job: ffmpeg inherits it
    job = lifecycle.start(job_id)
    if job is None:
        log.info("job %s is no longer queued; nothing to do", job_id)
        return
    config, attempt, count = current_app.config, job.starts, job.attempts  # read once: see _attempt
    if count > config["JOB_MAX_ATTEMPTS"]:
        _fail(job_id, "too_many_attempts", _attempts_message(count - 1), attempt)
        return
    scratch_root = Path(config["SCRATCH_DIR"])
    sweep(scratch_root)  # a killed attempt's folder on this host
    Shutdown.install()
    try:
        started = time.monotonic()
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()  # typed as the app it proxies
        renew = partial(lifecycle.renew_lease, job_id, attempt)
        with Lease(app, job_id, renew), ScratchFolder(scratch_root, f"job-{job_id}") as scratch:
            facts, encode_seconds = _attempt(job, attempt, scratch.path)
        done = lifecycle.succeed(job_id, facts, attempt)
        if done is None:
            _drop_unwanted_output(job_id)
        else:
            metrics.observe("compression_seconds", time.monotonic() - started)
            if facts.get("duration_seconds") and encode_seconds > 0:
                metrics.observe("compression_speed", facts["duration_seconds"] / encode_seconds)
    except Interrupted as stop:
        if stop.code == SUPERSEDED:  # its lease lapsed and another worker runs the job now
            log.warning("job %s: attempt %d left the job to the attempt that took it over", job_id, count)
        elif stop.code == "canceled":
            _drop_unwanted_output(job_id)  # a still stored just after the cancel removed the files
        elif stop.code == "shutdown" or (stop.retry and count < config["JOB_MAX_ATTEMPTS"]):
            lifecycle.requeue(job_id, attempt)  # back in line for another worker
        elif stop.retry:
            _fail(job_id, stop.code, f"{stop}; {_attempts_message(count)}", attempt)
    except JobFailed as failure:
        _fail(job_id, failure.code, str(failure), attempt)
    except Exception:
        log.exception("job %s failed unexpectedly", job_id)
        _fail(job_id, "internal_error", "the compression failed unexpectedly on our side; try again", attempt)


def _fail(job_id: str, code: str, message: str, attempt: int) -> None:
    """Fail the job if ``attempt`` still holds it. Once it is over (failed here, or already: a
    helper failed a segment), its segments go (a split job's files, its seekable copy, its
    records): an attempt stopped for a retry keeps them for the next, and there is none. A job
    queued again or on another attempt keeps them for that one."""
    if lifecycle.fail(job_id, code, message, attempt) is None and standing_of(job_id) is not Standing.OVER:
        return
    try:
        segments.discard(job_id)
    except Exception:  # the job is failed already; retention removes what is left with it
        log.exception("segments of job %s not discarded", job_id)
        db.session.rollback()


def encode_and_check(
    job: Job,
    source: Path,
    info: MediaInfo,
    options: Options,
    filename: str,
    folder: Path,
    steps: Steps,
    frames: Path | None = None,
) -> tuple[Delivery, MediaInfo | None]:
    """Encode the video (in segments on every worker when long enough, else in one piece) and
    prove the file (``verify``): what is delivered, and its header (None: the input kept).
    ``frames``: where steps that seek read the input's frames (``seekable.frames_to_seek_in``)."""
    seams: list[float] | None = None  # a split job's: its segments were each decoded whole
    listed = frames or source  # the input's frames, timed as the encode and the trim time them
    times: list[float] | None = None  # the input's frame times, once listed
    if segments.wanted(info, options, current_app.config, input_share(source.stat().st_size, info)):
        target = folder / OUTPUT_NAME
        joined = segments.encode_in_segments(job, source, info, options, folder, steps, target, frames)
        delivery = deliver_joined(
            joined.path, joined.quality, joined.segments, source, info, options, filename, folder, steps
        )
        seams = joined.seams
    else:
        if info.trim is not None and info.trim.start > 0:  # the segments' plan does this its own way
            times = frame_times(listed, folder, steps)
            info = at_showing_frame(info, times)
        delivery = deliver(source, info, options, filename, folder, steps, frames)
    if delivery.kept_original:
        return delivery, None
    container = delivered_in(info, options)
    return delivery, verify(listed, info, delivery.path, folder, steps, container, seams, times)


def _attempt(job: Job, attempt: int, folder: Path) -> tuple[dict[str, Any], float]:
    """Fetch, compress, measure and store the output; the output's facts and ffmpeg's seconds.
    ``attempt``: the start this attempt was given (``Job.starts``, read once: ``job`` reads the
    database again after every commit, another attempt's once the job went to another worker)."""
    storage = job_storage()
    with _storage_and_disk_errors(job.id):
        options = Options(**job.options)
        source, whole = _input(job, attempt, folder)
        info = trimmed(whole, options)
        floor = DOWNLOAD_SHARE if job.source_url else 0.0  # a download filled the first part
        steps = Steps(job.id, floor, current_app.config, attempt=attempt)
        info = with_audio_rate(source, info, steps)
        frames = seekable.frames_to_seek_in(job.id, source, whole, folder, steps)
        seek_in = frames or source  # where the stills seek
        poster_vf = video_filter(info, None)
        stills.store_poster(job.id, seek_in, info.duration_seconds, poster_vf, folder, info.start_seconds)
        started = time.monotonic()
        filename = job.input.get("filename") or "video"
        delivery, delivered = encode_and_check(job, source, info, options, filename, folder, steps, frames)
        facts: dict[str, Any] = {}
        if delivered is not None and options.normalize_audio and info.has_audio:
            facts["loudness_lufs"] = measured_loudness(delivery.path, steps)
        encode_seconds = time.monotonic() - started
        compare_vf = video_filter(info, options.max_height)  # SDR, as a JPEG is (HDR kept or not)
        stills.store_compare_frames(
            job.id, seek_in, delivery.path, info.duration_seconds, compare_vf, folder, info.start_seconds
        )
        facts = {**_output_facts(job, delivery, delivered), **facts}
        steps.raise_if_not_ours()  # a lapsed attempt must not overwrite the output of the one after
        with metrics.timed("storage_seconds", operation="put_output"):
            # The input may be the stored object itself (a local store reads it in place): copy it.
            move = not delivery.kept_original
            storage.put(output_key(job.id), delivery.path, delivery.content_type, move=move)
    return facts, encode_seconds


def _attempts_message(attempts: int) -> str:
    return f"the job was interrupted {attempts} times and will not be tried again"


def _input(job: Job, attempt: int, folder: Path) -> tuple[Path, MediaInfo]:
    """The input on this host's disk, and what its header says."""
    if job.source_url is not None and not job.input.get("size_bytes"):
        return fetch_source(job, attempt, folder)  # first time: download it (a retry reads the stored copy)
    with metrics.timed("storage_seconds", operation="fetch_input"):
        path = job_storage().fetch(input_key(job.id), folder)
    limit = current_app.config["MAX_UPLOAD_MB"]
    if path.stat().st_size > limit * MB:  # whatever reached the store, this server takes no more
        raise JobFailed("too_large", f"the input is larger than this server's {limit} MB (MAX_UPLOAD_MB)")
    try:
        return path, probe(ffmpeg_path(), path)
    except ProbeError as exc:
        raise JobFailed("unsupported_media", str(exc)) from exc


@contextmanager
def _storage_and_disk_errors(job_id: str) -> Iterator[None]:
    """A full disk fails the job; a store that cannot be reached is worth another attempt."""
    try:
        yield
    except StorageFull as exc:
        raise JobFailed("disk_full", DISK_FULL) from exc
    except MissingObject as exc:
        raise JobFailed(
            "input_missing", "the uploaded file is no longer in storage; submit it again"
        ) from exc
    except StorageError as exc:
        log.warning("job %s: storage trouble: %s", job_id, exc)
        raise Interrupted(
            f"the file store could not be reached ({exc})", STORE_UNAVAILABLE, retry=True
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise JobFailed("disk_full", DISK_FULL) from exc
        raise


def _drop_unwanted_output(job_id: str) -> None:
    """The job stopped running while its output was stored: delete what nobody will fetch.

    Deleted or canceled meanwhile: all its files go. Failed: the output goes. Queued, running
    or succeeded again (another attempt took over): that attempt owns the output key.
    """
    status = db.session.scalar(select(Job.status).where(Job.id == job_id))
    db.session.commit()
    if status is None or status == CANCELED:
        retention.remove_files(job_id)
    elif status == FAILED:
        try:
            job_storage().delete_prefix(output_key(job_id))
        except StorageError as exc:
            log.warning("output of job %s not deleted: %s", job_id, exc)


def _output_facts(job: Job, delivery: Delivery, probed: MediaInfo | None) -> dict[str, Any]:
    """The contract's ``output`` object (its ``url`` is added by the document), from the
    delivered file's header (``probed`` by the check, else read here)."""
    info = probed or probe(ffmpeg_path(), delivery.path)
    size = delivery.path.stat().st_size
    input_size = job.input.get("size_bytes") or 0
    width, height = info.shown_size
    return {
        "size_bytes": size,
        "width": width,
        "height": height,
        "duration_seconds": info.duration_seconds,
        "ratio": round(size / input_size, 4) if input_size else None,
        "content_type": delivery.content_type,
        "verified": not delivery.kept_original,  # decoded to its end, frames and streams checked
        "streams": {"audio": info.audio_tracks, "subtitles": len(info.subtitles), "chapters": info.chapters},
        **delivery.facts(),
    }
