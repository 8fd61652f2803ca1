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
import signal
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import select

from app import metrics
from app.extensions import db
from app.jobs import lifecycle, retention
from app.jobs.models import CANCELED, FAILED, RUNNING, Job
from app.media import MediaInfo, Options, ProbeError, build_command, ffmpeg_binary, probe, run_ffmpeg
from app.media.command import scale_filter
from app.media.fence import Limits
from app.media.progress import Progress
from app.storage import MissingObject, StorageError, StorageFull, input_key, job_storage, output_key
from app.storage.scratch import ScratchFolder, sweep
from app.work import stills
from app.work.download import DOWNLOAD_SHARE, fetch_source
from app.work.failures import Interrupted, JobFailed
from app.work.lease import Lease, Shutdown

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_SECONDS = 0.5  # at most ~2 writes (and events) a second
NICENESS = 10  # the work-horse and its ffmpeg yield the CPU to web requests on a shared machine
TRUNCATED_SHARE = 0.9  # decoding less than this share of the probed duration means a damaged input
OUTPUT_NAME = "output.mp4"
OUTPUT_TYPE = "video/mp4"
DISK_FULL = "the server ran out of disk space while compressing; try again later"


def compress_job(job_id: str) -> None:
    """Run one attempt of a job, from queued to a terminal state (or back to the queue)."""
    db.engine.dispose(close=False)  # connections inherited across the fork are not ours to use
    os.nice(NICENESS)  # this process is the work-horse of one job: ffmpeg inherits it
    job = lifecycle.start(job_id)
    if job is None:
        log.info("job %s is no longer queued; nothing to do", job_id)
        return
    config = current_app.config
    if job.attempts > config["JOB_MAX_ATTEMPTS"]:
        lifecycle.fail(job_id, "too_many_attempts", _attempts_message(job.attempts - 1))
        return
    scratch_root = Path(config["SCRATCH_DIR"])
    sweep(scratch_root)  # a killed attempt's folder on this host
    Shutdown.install()
    try:
        started = time.monotonic()
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()  # typed as the app it proxies
        with Lease(app, job_id), ScratchFolder(scratch_root, f"job-{job_id}") as scratch:
            facts, encode_seconds = _attempt(job, scratch.path)
        done = lifecycle.succeed(job_id, facts)
        if done is None:
            _drop_unwanted_output(job_id)
        else:
            metrics.observe("compression_seconds", time.monotonic() - started)
            if facts.get("duration_seconds") and encode_seconds > 0:
                metrics.observe("compression_speed", facts["duration_seconds"] / encode_seconds)
    except Interrupted as stop:
        if stop.code == "shutdown" or (stop.retry and job.attempts < config["JOB_MAX_ATTEMPTS"]):
            lifecycle.requeue(job_id)  # back in line for another worker
        elif stop.retry:
            lifecycle.fail(job_id, stop.code, f"{stop}; {_attempts_message(job.attempts)}")
    except JobFailed as failure:
        lifecycle.fail(job_id, failure.code, str(failure))
    except Exception:
        log.exception("job %s failed unexpectedly", job_id)
        lifecycle.fail(job_id, "internal_error", "the compression failed unexpectedly on our side; try again")


def _attempt(job: Job, folder: Path) -> tuple[dict[str, Any], float]:
    """Fetch, compress, measure and store the output; the output's facts and ffmpeg's seconds."""
    storage = job_storage()
    with _storage_and_disk_errors(job.id):
        source, info = _input(job, folder)
        stills.store_poster(job.id, source, info.duration_seconds, scale_filter(info.height, None), folder)
        target = folder / OUTPUT_NAME
        encode_seconds = _compress(job, info, source, target)
        vf = scale_filter(info.height, job.options.get("max_height"))
        stills.store_compare_frames(job.id, source, target, info.duration_seconds, vf, folder)
        facts = _output_facts(job, target)
        with metrics.timed("storage_seconds", operation="put_output"):
            storage.put(output_key(job.id), target, content_type=OUTPUT_TYPE, move=True)
    return facts, encode_seconds


def _attempts_message(attempts: int) -> str:
    return f"the job was interrupted {attempts} times and will not be tried again"


def _input(job: Job, folder: Path) -> tuple[Path, MediaInfo]:
    """The input on this host's disk, and what its header says."""
    if job.source_url is not None and not job.input.get("size_bytes"):
        return fetch_source(job, folder)  # first time: download it (a retry reads the stored copy)
    with metrics.timed("storage_seconds", operation="fetch_input"):
        path = job_storage().fetch(input_key(job.id), folder)
    try:
        return path, probe(_ffmpeg(), path)
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
            f"the file store could not be reached ({exc})", "storage_unavailable", retry=True
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


def _ffmpeg() -> str:
    return ffmpeg_binary(current_app.config["FFMPEG_BINARY"])


def _compress(job: Job, info: MediaInfo, source: Path, target: Path) -> float:
    """Run ffmpeg; the seconds it took. Raises Interrupted or JobFailed when it did not finish well."""
    config = current_app.config
    options = Options(**job.options)
    cmd = build_command(
        _ffmpeg(), source, target, options, info.height, info.duration_seconds, info.audio_codec is not None
    )
    floor = DOWNLOAD_SHARE if job.source_url else 0.0  # a download filled the first part
    reporter = ProgressReporter(job.id, floor)
    started = time.monotonic()
    result = run_ffmpeg(
        cmd,
        info.duration_seconds,
        on_progress=reporter.report,
        should_stop=reporter.should_stop,
        stall_timeout=config["STALL_TIMEOUT_SECONDS"],
        timeout=config["JOB_TIMEOUT_MINUTES"] * 60,
        limits=encode_limits(config),
    )
    seconds = time.monotonic() - started
    if Shutdown.requested:  # ffmpeg may have got the signal too: not the job's fault
        raise Interrupted("the worker is shutting down", "shutdown", retry=True)
    if result.stopped == "requested":
        raise Interrupted("canceled", "canceled", retry=False)
    if result.stopped == "stalled":
        stall = config["STALL_TIMEOUT_SECONDS"]
        raise Interrupted(f"ffmpeg made no progress for {stall} s", "stalled", retry=True)
    if result.stopped == "timeout":
        minutes = config["JOB_TIMEOUT_MINUTES"]
        raise JobFailed("timeout", f"compressing took longer than the {minutes}-minute limit")
    if result.returncode != 0:
        raise JobFailed(*_explain_failure(result.error_line, result.returncode, config))
    duration = info.duration_seconds or 0
    if duration and result.seconds_done < duration * TRUNCATED_SHARE:
        said = f" (ffmpeg: {result.error_line})" if result.error_line else ""
        raise JobFailed(
            "input_damaged",
            f"only {result.seconds_done:.1f} s of the {duration:.1f} s video could be read; "
            f"the file looks truncated or damaged{said}",
        )
    return seconds


def encode_limits(config: Mapping[str, Any]) -> Limits:
    """The kernel's fence around one encode: CPU time for the whole job timeout on every core,
    FFMPEG_MEMORY_MB of address space, and no file past MAX_OUTPUT_MB."""
    return Limits(
        cpu_seconds=config["JOB_TIMEOUT_MINUTES"] * 60 * (os.cpu_count() or 1),
        memory_bytes=config["FFMPEG_MEMORY_MB"] * 1024 * 1024,
        file_bytes=config["MAX_OUTPUT_MB"] * 1024 * 1024,
    )


def _explain_failure(error_line: str, returncode: int | None, config: Mapping[str, Any]) -> tuple[str, str]:
    lowered = error_line.lower()
    if "no space left" in lowered:
        return "disk_full", DISK_FULL
    if returncode == -signal.SIGXFSZ or "file too large" in lowered:
        limit = config["MAX_OUTPUT_MB"]
        return "output_too_large", f"the output grew past {limit} MB, this server's limit (MAX_OUTPUT_MB)"
    if returncode == -signal.SIGXCPU:
        return "timeout", "compressing used more CPU time than this server allows for one job"
    if "cannot allocate memory" in lowered or "out of memory" in lowered:
        limit = config["FFMPEG_MEMORY_MB"]
        return (
            "out_of_memory",
            f"ffmpeg needed more than the {limit} MB this server allows (FFMPEG_MEMORY_MB)",
        )
    if returncode is not None and returncode < 0:
        return "ffmpeg_crashed", f"ffmpeg stopped unexpectedly (signal {-returncode}); try again"
    detail = error_line or f"exit code {returncode}"
    return "ffmpeg_failed", f"ffmpeg could not compress this video: {detail}"


def _output_facts(job: Job, path: Path) -> dict[str, Any]:
    info = probe(_ffmpeg(), path)
    size = path.stat().st_size
    input_size = job.input.get("size_bytes") or 0
    return {
        "size_bytes": size,
        "width": info.width,
        "height": info.height,
        "duration_seconds": info.duration_seconds,
        "ratio": round(size / input_size, 4) if input_size else None,
    }


class ProgressReporter:
    """Writes progress at most every PROGRESS_INTERVAL_SECONDS and notices a cancel.

    ffmpeg's 0-100% is mapped onto ``floor``-100% of the job.
    """

    def __init__(self, job_id: str, floor: float) -> None:
        self.job_id = job_id
        self.floor = floor
        self.percent = floor
        self._last_write = 0.0
        self._last_check = 0.0
        self._stopped = False

    def report(self, progress: Progress) -> None:
        now = time.monotonic()
        percent = round(self.floor + progress.percent * (100 - self.floor) / 100, 1)
        if progress.finished or percent <= self.percent:
            return  # the final 100% comes with 'succeeded'; progress never goes back
        if now - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self.percent = percent
        self._last_write = self._last_check = now
        if not lifecycle.report_progress(self.job_id, percent, progress.eta_seconds):
            self._stopped = True

    def should_stop(self) -> bool:
        if Shutdown.requested:
            return True
        now = time.monotonic()
        if not self._stopped and now - self._last_check >= PROGRESS_INTERVAL_SECONDS:
            self._last_check = now
            self._stopped = not _still_running(self.job_id)
        return self._stopped


def _still_running(job_id: str) -> bool:
    status = db.session.scalar(select(Job.status).where(Job.id == job_id))
    db.session.commit()  # end the read so the next check sees new writes
    return status == RUNNING
