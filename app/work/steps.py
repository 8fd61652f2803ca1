"""Run the ffmpeg steps of one attempt, each on its own stretch of the job's progress bar.

A step that is canceled, stalls, runs out of time or fails becomes the matching exception
(``Interrupted`` to try again, ``JobFailed`` to stop); an encode that outgrows the size it
was given is stopped and reported, not failed: the caller decides what to deliver instead.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import QUEUED, RUNNING, Job
from app.media import RunResult, run_ffmpeg
from app.media.fence import Limits, reads_store, store_trouble
from app.media.progress import Progress
from app.units import MB
from app.work.failures import STORE_UNAVAILABLE, SUPERSEDED, Interrupted, JobFailed
from app.work.lease import Shutdown

PROGRESS_INTERVAL_SECONDS = 0.5  # at most ~2 writes (and events) a second
TRUNCATED_SHARE = 0.9  # decoding less than this share of the probed duration means a damaged input ...
# ... when that is this much short, at least: ffmpeg's progress counts up to the last frame's start,
# not its end (an encoder may even report none for one frame: SVT-AV1's of a one-frame video, 0 s).
TRUNCATED_MIN_SECONDS = 0.5
# ... or than this many frames, where they are seconds apart (a slide show, a 1 fps time lapse):
# the progress stops two frames short of the end there.
TRUNCATED_MIN_FRAMES = 3
DISK_FULL = "the server ran out of disk space while compressing; try again later"

Band = tuple[float, float]  # the stretch of the job's 0-100 % a step fills
# Records a percentage and an ETA; False once the job is no longer running.
WriteProgress = Callable[[float, int | None], bool]


class Standing(Enum):
    """Where an attempt stands with its job."""

    CURRENT = "current"  # running, on this attempt (or any, when none is named)
    SUPERSEDED = "superseded"  # queued again, or running another attempt
    OVER = "over"  # canceled, failed, succeeded or deleted


class Steps:
    """The ffmpeg runs of one attempt: progress, cancel, the job's time limit, the kernel's fence."""

    def __init__(
        self,
        job_id: str,
        floor: float,
        config: Mapping[str, Any],
        write: WriteProgress | None = None,
        attempt: int | None = None,
    ) -> None:
        """``attempt``: the job's attempt these steps belong to (None: whichever is running)."""
        self.config = config
        self.reporter = ProgressReporter(job_id, floor, write, attempt)
        self.deadline: float = time.monotonic() + config["JOB_TIMEOUT_MINUTES"] * 60
        self.limits = encode_limits(config)

    @property
    def attempt(self) -> int | None:
        """The job's attempt these steps belong to (None: whichever is running)."""
        return self.reporter.attempt

    def bands(self, *weights: float) -> list[Band]:
        """Split what is left of the bar (from the floor to 99 %) by ``weights``, in order."""
        return bands(self.reporter.floor, *weights)

    def here(self) -> Band:
        """A band that moves no bar: where the job's progress stands (a check, a listing)."""
        return (self.reporter.percent, self.reporter.percent)

    def remaining_seconds(self) -> float:
        return max(self.deadline - time.monotonic(), 1.0)

    def run(
        self,
        cmd: list[str],
        seconds: float | None,
        band: Band,
        size_limit: int | None = None,
        whole: bool = False,
        frame_rate: float | None = None,
    ) -> RunResult:
        """Run one step over ``seconds`` of video; ``whole``: it must read the entire input
        (of ``frame_rate`` frames a second, where known).

        ``size_limit``: stop once the output passes it (``self.outgrown`` then says so).
        """
        self.reporter.enter(band, size_limit)
        result = run_ffmpeg(
            cmd,
            seconds,
            on_progress=self.reporter.report,
            should_stop=self.reporter.should_stop,
            stall_timeout=self.config["STALL_TIMEOUT_SECONDS"],
            timeout=self.remaining_seconds(),
            limits=self.limits,
        )
        if Shutdown.requested:  # ffmpeg may have got the signal too: not the job's fault
            raise Interrupted("the worker is shutting down", "shutdown", retry=True)
        if self.outgrown is not None:
            return result
        if result.stopped == "requested":
            raise self.reporter.interruption()
        if result.stopped == "stalled":
            stall = self.config["STALL_TIMEOUT_SECONDS"]
            raise Interrupted(f"ffmpeg made no progress for {stall} s", "stalled", retry=True)
        if result.stopped == "timeout":
            minutes = self.config["JOB_TIMEOUT_MINUTES"]
            raise JobFailed("timeout", f"compressing took longer than the {minutes}-minute limit")
        missing = (seconds or 0.0) - result.seconds_done
        short = bool(whole and seconds and result.seconds_done < seconds * TRUNCATED_SHARE)
        short = short and missing >= max(
            TRUNCATED_MIN_SECONDS, TRUNCATED_MIN_FRAMES / (frame_rate or math.inf)
        )
        if reads_store(cmd) and (result.returncode != 0 or store_trouble(result.log_tail) or short):
            raise Interrupted("the file store could not be read", STORE_UNAVAILABLE, retry=True)
        if result.returncode == -signal.SIGKILL:  # not ours (a stop or a stall is said above)
            raise Interrupted(KILLED, "ffmpeg_killed", retry=True)  # on this host: another may do
        if result.returncode != 0:
            raise JobFailed(*explain_failure(result.error_line, result.returncode, self.config))
        if short:
            said = f" (ffmpeg: {result.error_line})" if result.error_line else ""
            raise JobFailed(
                "input_damaged",
                f"only {result.seconds_done:.1f} s of the {seconds:.1f} s video could be read; "
                f"the file looks truncated or damaged{said}",
            )
        return result

    def raise_if_not_ours(self) -> None:
        """Raise the interruption (``ProgressReporter.interruption``) when the job is no longer
        running this attempt: before a step whose effect outlasts the attempt (a store)."""
        if self.reporter.standing(fresh=True) is not Standing.CURRENT:
            raise self.reporter.interruption()

    def runner(self, band: Band) -> Any:
        """``run`` for one band, as the plain ``(cmd, seconds) -> stderr's end`` a search takes."""
        return lambda cmd, seconds: self.run(cmd, seconds, band).log_tail

    @property
    def outgrown(self) -> Progress | None:
        """The report on which the last step's output passed its size limit, if it did."""
        return self.reporter.outgrown


def bands(floor: float, *weights: float) -> list[Band]:
    """Split the bar from ``floor`` to 99 % by ``weights``, in order."""
    start, room = floor, 99.0 - floor
    found, total = [], sum(weights)
    for weight in weights:
        end = start + room * weight / total
        found.append((round(start, 1), round(end, 1)))
        start = end
    return found


def encode_limits(config: Mapping[str, Any]) -> Limits:
    """The kernel's fence around one encode: CPU time for the whole job timeout on every core,
    FFMPEG_MEMORY_MB of address space, and no file past MAX_OUTPUT_MB."""
    return Limits(
        cpu_seconds=config["JOB_TIMEOUT_MINUTES"] * 60 * (os.cpu_count() or 1),
        memory_bytes=config["FFMPEG_MEMORY_MB"] * MB,
        file_bytes=config["MAX_OUTPUT_MB"] * MB,
    )


FFMPEG_FAILED = "ffmpeg_failed"  # the code of a run that failed for a reason of ffmpeg's own ...
FFMPEG_FAILED_SAYS = "ffmpeg could not compress this video: "  # ... whose message starts so


# An ffmpeg killed from outside (the kernel's out-of-memory killer, an operator): the attempt is
# tried again, up to JOB_MAX_ATTEMPTS. A crash (SIGSEGV, SIGABRT...) is the input's doing: it fails.
KILLED = "ffmpeg was killed from outside (SIGKILL: the host's out-of-memory killer, or an operator)"


def explain_failure(error_line: str, returncode: int | None, config: Mapping[str, Any]) -> tuple[str, str]:
    """The error code and the sentence a person can act on, for an ffmpeg run that failed."""
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
        return "ffmpeg_crashed", f"ffmpeg stopped unexpectedly (signal {-returncode}) reading this video"
    detail = error_line or f"exit code {returncode}"
    return FFMPEG_FAILED, f"{FFMPEG_FAILED_SAYS}{detail}"


class ProgressReporter:
    """Writes progress at most every PROGRESS_INTERVAL_SECONDS and notices a cancel.

    Each step's 0-100 % is mapped onto its band of the job; the job's percentage never goes
    back. ``floor`` is where the first band may start (a download fills what is below it).
    """

    def __init__(
        self, job_id: str, floor: float, write: WriteProgress | None = None, attempt: int | None = None
    ) -> None:
        self.job_id, self.attempt = job_id, attempt
        self.floor = floor
        self.write = write or (lambda percent, eta: lifecycle.report_progress(job_id, percent, eta, attempt))
        self.percent = floor
        self.band: Band = (floor, 100.0)
        self.size_limit: int | None = None
        self.outgrown: Progress | None = None
        self._last_write = 0.0
        self._last_check = 0.0
        self._stopped = False
        self._standing: Standing | None = None  # as last read (None: not yet)

    def enter(self, band: Band, size_limit: int | None = None) -> None:
        """The next step fills ``band``; stop it once its output passes ``size_limit`` bytes."""
        self.band, self.size_limit, self.outgrown = band, size_limit, None

    def report(self, progress: Progress) -> None:
        if self.size_limit is not None and progress.size_bytes > self.size_limit and self.outgrown is None:
            self.outgrown = progress
        now = time.monotonic()
        low, high = self.band
        percent = round(low + progress.percent * (high - low) / 100, 1)
        if progress.finished or percent <= self.percent:
            return  # the final 100% comes with 'succeeded'; progress never goes back
        if now - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self.percent = percent
        self._last_write = self._last_check = now
        if not self.write(percent, progress.eta_seconds):
            self._stopped = True

    def should_stop(self) -> bool:
        if Shutdown.requested or self.outgrown is not None:
            return True
        now = time.monotonic()
        if not self._stopped and now - self._last_check >= PROGRESS_INTERVAL_SECONDS:
            self._last_check = now
            self._stopped = self.standing(fresh=True) is not Standing.CURRENT
        return self._stopped

    def standing(self, fresh: bool = False) -> Standing:
        """Where this attempt stands (read again when ``fresh`` or never read)."""
        if fresh or self._standing is None:
            self._standing = standing_of(self.job_id, self.attempt)
        return self._standing

    def interruption(self) -> Interrupted:
        """Why the job stopped this attempt from outside: another attempt holds it (leave it
        all to that one), or it is over (canceled, failed, deleted)."""
        if self.standing(fresh=self._standing in (None, Standing.CURRENT)) is Standing.SUPERSEDED:
            return Interrupted("another attempt holds the job now", SUPERSEDED, retry=False)
        return Interrupted("canceled", "canceled", retry=False)


def standing_of(job_id: str, attempt: int | None = None) -> Standing:
    """Where ``attempt`` (None: whichever is running) stands with the job, read now."""
    row = db.session.execute(select(Job.status, Job.starts).where(Job.id == job_id)).one_or_none()
    db.session.commit()  # end the read so the next check sees new writes
    if row is None:
        return Standing.OVER
    status, starts = row
    if status == RUNNING and attempt in (None, starts):
        return Standing.CURRENT
    return Standing.SUPERSEDED if status in (QUEUED, RUNNING) else Standing.OVER


def ffmpeg_path() -> str:
    """The ffmpeg this server runs (FFMPEG_BINARY, else the bundled one)."""
    from app.media import ffmpeg_binary

    return ffmpeg_binary(current_app.config["FFMPEG_BINARY"])
