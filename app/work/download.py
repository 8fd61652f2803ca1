"""Fetch a job's source_url into the attempt's scratch folder, through the address guard, and store it."""

from __future__ import annotations

import time
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from app import metrics
from app.jobs import lifecycle
from app.jobs.accept import beyond_limits
from app.jobs.models import Job
from app.media import MediaInfo, ProbeError, ffmpeg_binary, probe
from app.netguard import BlockedAddress, open_guarded
from app.storage import input_key, job_storage
from app.units import MB
from app.work.failures import Interrupted, JobFailed

CONNECT_TIMEOUT_SECONDS = 30  # per socket operation: connecting and each read
CHUNK_BYTES = MB
# A source that trickles holds a worker: the download must bring at least MIN_BYTES_PER_WINDOW
# in every RATE_WINDOW_SECONDS (32 KB/s), and all of it within DOWNLOAD_MAX_SECONDS.
RATE_WINDOW_SECONDS = 60.0
MIN_BYTES_PER_WINDOW = 32 * 1024 * 60
DOWNLOAD_MAX_SECONDS = 30 * 60
DOWNLOAD_SHARE = 10.0  # the download is the first 10% of the job's progress


def fetch_source(job: Job, attempt: int, folder: Path) -> tuple[Path, MediaInfo]:
    """Download into ``folder``, probe, store the input, record its facts; JobFailed with a reason."""
    config = current_app.config
    limit = config["MAX_UPLOAD_MB"] * MB
    path = folder / "source"
    host = urlsplit(job.source_url or "").hostname
    try:
        response = open_guarded(
            "GET", job.source_url or "", config["WEBHOOK_ALLOW_PRIVATE"], CONNECT_TIMEOUT_SECONDS
        )
    except BlockedAddress as exc:
        raise JobFailed("source_refused", f"the source URL is not allowed: {exc}") from exc
    except (OSError, HTTPException) as exc:
        raise JobFailed("source_unreachable", f"could not connect to {host}: {exc}") from exc
    with response:
        if 300 <= response.status < 400:
            where = response.getheader("Location", "elsewhere")
            raise JobFailed("source_redirect", f"the source URL redirects to {where}; submit the final URL")
        if response.status != 200:
            raise JobFailed("source_http_error", f"the source URL answered HTTP {response.status}")
        total = int(response.getheader("Content-Length") or 0) or None
        if total and total > limit:
            raise JobFailed("too_large", f"the source is larger than the {config['MAX_UPLOAD_MB']} MB limit")
        size, last = 0, 0.0
        pace = _Pace(host or "the source")
        try:
            with path.open("wb") as out:
                while chunk := response.read1(CHUNK_BYTES):  # what has arrived, not a full chunk
                    size += len(chunk)
                    pace.check(size)
                    if size > limit:
                        raise JobFailed(
                            "too_large", f"the source is larger than the {config['MAX_UPLOAD_MB']} MB limit"
                        )
                    out.write(chunk)
                    if time.monotonic() - last > 0.5:  # also where the length is unknown: a cancel
                        last = time.monotonic()
                        _report(job.id, round(size / total * DOWNLOAD_SHARE, 1) if total else 0.0, attempt)
        except (OSError, HTTPException) as exc:
            raise JobFailed("source_unreachable", f"the download from {host} broke off: {exc}") from exc
        if total is not None and size < total:  # the connection closed early: no error raised for it
            raise JobFailed(
                "source_unreachable", f"the download from {host} broke off after {size} of its {total} bytes"
            )
    if size == 0:
        raise JobFailed("unsupported_media", "the source URL returned an empty file")
    try:
        info = probe(ffmpeg_binary(config["FFMPEG_BINARY"]), path)
    except ProbeError as exc:
        raise JobFailed("unsupported_media", str(exc)) from exc
    reason = beyond_limits(info, config)
    if reason is not None:
        raise JobFailed("beyond_limits", reason)
    _report(job.id, DOWNLOAD_SHARE, attempt)  # still this attempt's job: the input is stored for it
    with metrics.timed("storage_seconds", operation="put_input"):
        job_storage().put(input_key(job.id), path)  # kept for a retry; this attempt reads the download
    lifecycle.record_input(job.id, info.as_input(job.input.get("filename") or "video", size))
    return path, info


class _Pace:
    """Fails a download that trickles (under MIN_BYTES_PER_WINDOW a window) or runs too long."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.started = self.window_start = time.monotonic()
        self.window_bytes = 0

    def check(self, size: int) -> None:
        now = time.monotonic()
        if now - self.started > DOWNLOAD_MAX_SECONDS:
            minutes = DOWNLOAD_MAX_SECONDS / 60
            raise JobFailed("source_too_slow", f"the download from {self.host} took over {minutes:g} minutes")
        if now - self.window_start >= RATE_WINDOW_SECONDS:
            if size - self.window_bytes < MIN_BYTES_PER_WINDOW:
                rate = (size - self.window_bytes) / (now - self.window_start) / 1024
                raise JobFailed(
                    "source_too_slow",
                    f"the download from {self.host} is too slow ({rate:.1f} KB/s); put the file "
                    "where it downloads faster, or upload it",
                )
            self.window_start, self.window_bytes = now, size


def _report(job_id: str, percent: float, attempt: int) -> None:
    """Record the download's progress; stop it (as a cancel: nothing of it is wanted) once the
    job is no longer running this attempt (canceled, or taken over by another worker)."""
    if not lifecycle.report_progress(job_id, percent, None, attempt):
        raise Interrupted("the job is no longer this attempt's", "canceled", retry=False)
