"""Compress one job: the function RQ runs in a work-horse for the compression queue."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import RUNNING, Job
from app.media import MediaInfo, Options, ProbeError, build_command, ffmpeg_binary, probe, run_ffmpeg
from app.media.progress import Progress
from app.storage import job_storage
from app.work.download import DOWNLOAD_SHARE, fetch_source
from app.work.failures import Interrupted, JobFailed
from app.work.lease import Lease, Shutdown

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_SECONDS = 0.5  # at most ~2 writes (and events) a second
NICENESS = 10  # the work-horse and its ffmpeg yield the CPU to web requests on a shared machine
TRUNCATED_SHARE = 0.9  # decoding less than this share of the probed duration means a damaged input


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
    storage = job_storage()
    Shutdown.install()
    try:
        with Lease(current_app._get_current_object(), job_id):  # type: ignore[attr-defined]
            info = _input_info(job)
            _compress(job, info, storage.input_path(job_id), storage.partial_path(job_id))
        storage.partial_path(job_id).replace(storage.output_path(job_id))
        lifecycle.succeed(job_id, _output_facts(job, storage.output_path(job_id)))
    except Interrupted as stop:
        storage.remove_partial(job_id)
        if stop.code == "shutdown" or (stop.retry and job.attempts < config["JOB_MAX_ATTEMPTS"]):
            lifecycle.requeue(job_id)  # back in line for another worker
        elif stop.retry:
            lifecycle.fail(job_id, stop.code, f"{stop}; {_attempts_message(job.attempts)}")
    except JobFailed as failure:
        storage.remove_partial(job_id)
        lifecycle.fail(job_id, failure.code, str(failure))
    except Exception:
        log.exception("job %s failed unexpectedly", job_id)
        storage.remove_partial(job_id)
        lifecycle.fail(job_id, "internal_error", "the compression failed unexpectedly on our side; try again")


def _attempts_message(attempts: int) -> str:
    return f"the job was interrupted {attempts} times and will not be tried again"


def _input_info(job: Job) -> MediaInfo:
    if job.source_url is not None:
        return fetch_source(job)
    try:
        return probe(_ffmpeg(), job_storage().input_path(job.id))
    except ProbeError as exc:
        raise JobFailed("unsupported_media", str(exc)) from exc


def _ffmpeg() -> str:
    return ffmpeg_binary(current_app.config["FFMPEG_BINARY"])


def _compress(job: Job, info: MediaInfo, source: Path, target: Path) -> None:
    config = current_app.config
    options = Options(**job.options)
    cmd = build_command(
        _ffmpeg(), source, target, options, info.height, info.duration_seconds, info.audio_codec is not None
    )
    floor = DOWNLOAD_SHARE if job.source_url else 0.0  # a download filled the first part
    reporter = ProgressReporter(job.id, floor)
    result = run_ffmpeg(
        cmd,
        info.duration_seconds,
        on_progress=reporter.report,
        should_stop=reporter.should_stop,
        stall_timeout=config["STALL_TIMEOUT_SECONDS"],
        timeout=config["JOB_TIMEOUT_MINUTES"] * 60,
    )
    if Shutdown.requested:  # ffmpeg may have got the signal too: not the job's fault
        raise Interrupted("the worker is shutting down", "shutdown", retry=True)
    if result.stopped == "requested":
        raise Interrupted("canceled", "canceled", retry=False)
    if result.stopped == "stalled":
        seconds = config["STALL_TIMEOUT_SECONDS"]
        raise Interrupted(f"ffmpeg made no progress for {seconds} s", "stalled", retry=True)
    if result.stopped == "timeout":
        minutes = config["JOB_TIMEOUT_MINUTES"]
        raise JobFailed("timeout", f"compressing took longer than the {minutes}-minute limit")
    if result.returncode != 0:
        raise JobFailed(*_explain_failure(result.error_line, result.returncode))
    duration = info.duration_seconds or 0
    if duration and result.seconds_done < duration * TRUNCATED_SHARE:
        said = f" (ffmpeg: {result.error_line})" if result.error_line else ""
        raise JobFailed(
            "input_damaged",
            f"only {result.seconds_done:.1f} s of the {duration:.1f} s video could be read; "
            f"the file looks truncated or damaged{said}",
        )


def _explain_failure(error_line: str, returncode: int | None) -> tuple[str, str]:
    lowered = error_line.lower()
    if "no space left" in lowered:
        return "disk_full", "the server ran out of disk space while compressing; try again later"
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
