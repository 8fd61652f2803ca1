"""Accept a submission: validate, probe, store the file, record and enqueue the job."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app

from app import metrics
from app.extensions import db
from app.jobs import idempotency, lifecycle, quotas, usage
from app.jobs.models import PENDING, Job
from app.jobs.options import Submission
from app.media import MediaInfo, ProbeError, ffmpeg_binary, probe
from app.media.sizing import preset_audio_kbps, reachable, smallest_target_mb
from app.media.trim import range_problems, trim_of
from app.problems import Problem, invalid
from app.storage import input_key, job_storage
from app.units import MB

MAX_FILENAME_LENGTH = 255


@dataclass(frozen=True)
class Upload:
    """A file already streamed to this host's scratch disk: where, what the client called it, its digest."""

    path: Path
    filename: str
    size_bytes: int
    sha256: str


def fingerprint(submission: Submission, content: str) -> str:
    """What makes two submissions 'the same request' for Idempotency-Key."""
    canonical = json.dumps(
        {"content": content, "options": submission.options_dict(), "callback_url": submission.callback_url},
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def accept_upload(
    owner: str, upload: Upload, submission: Submission, base_url: str, idempotency_key: str | None
) -> tuple[Job, bool]:
    """Check the upload is a video we can read, then record and enqueue its job.

    Returns the job and whether it is new (False: an identical earlier request made it).
    """
    request_print = fingerprint(submission, upload.sha256)
    earlier = idempotency.original(owner, idempotency_key, request_print)
    if earlier is not None:
        return earlier, False
    if upload.size_bytes == 0:
        raise Problem(415, "unsupported_media", "the file is empty")
    if upload.size_bytes > current_app.config["MAX_UPLOAD_MB"] * MB:
        raise Problem(413, "too_large", f"the file is larger than {current_app.config['MAX_UPLOAD_MB']} MB")
    info = admit(upload.path, submission)
    job = _new_job(owner, submission, base_url, idempotency_key, request_print, _charged(info, submission))
    job.input = info.as_input(clean_filename(upload.filename), upload.size_bytes)
    store_input(job.id, upload.path)
    return lifecycle.create(job), True


def admit(path: Path, submission: Submission) -> MediaInfo:
    """Probe the video at ``path`` and check it against the server's limits and the options:
    415 not a video, 422 beyond MAX_PIXELS/MAX_DURATION_MINUTES or a target size it cannot meet."""
    try:
        info = probe(ffmpeg_binary(current_app.config["FFMPEG_BINARY"]), path)
    except ProbeError as exc:
        raise Problem(415, "unsupported_media", str(exc)) from exc
    reason = beyond_limits(info, current_app.config)
    if reason is not None:
        raise Problem(422, "beyond_limits", reason)
    options = submission.options
    trim_errors = range_problems(options.start_seconds, options.end_seconds, info.duration_seconds)
    if trim_errors:
        raise invalid([{"field": field, "message": message} for field, message in trim_errors])
    kept = info.trimmed(trim_of(options.start_seconds, options.end_seconds, info.duration_seconds))
    target = options.target_size_mb
    duration = kept.duration_seconds
    preset_kbps = preset_audio_kbps(submission.options.preset, info.audio_kbps)
    if target is not None and duration and not reachable(target, duration, preset_kbps, info.audio_tracks):
        length = f"{duration:.{0 if duration >= 10 else 1}f}"  # a short trim's 0.2 s is not "0 s"
        least = smallest_target_mb(duration, preset_kbps, info.audio_tracks)
        message = f"is too small for a {length} s video; allow at least {least:g} MB"
        raise invalid([{"field": "target_size_mb", "message": message}])
    return info


def accept_stored(
    job_id: str,
    owner: str,
    submission: Submission,
    info: MediaInfo,
    filename: str,
    size_bytes: int,
    base_url: str,
) -> Job:
    """Record and enqueue the job of an input already in storage under ``input_key(job_id)``."""
    job = _new_job(owner, submission, base_url, None, None, _charged(info, submission), job_id=job_id)
    job.input = info.as_input(clean_filename(filename), size_bytes)
    return lifecycle.create(job)


def beyond_limits(info: MediaInfo, config: Mapping[str, Any]) -> str | None:
    """Why the video is more than this server takes (MAX_PIXELS, MAX_DURATION_MINUTES), or None."""
    return info.beyond(config["MAX_PIXELS"], config["MAX_DURATION_MINUTES"] * 60)


def store_input(job_id: str, path: Path) -> None:
    """Move the file into storage; no database connection is held while the bytes travel."""
    db.session.commit()  # ends the read transaction and hands its connection back to the pool
    with metrics.timed("storage_seconds", operation="put_input"):
        job_storage().put(input_key(job_id), path, move=True)  # StorageError: 503, by the API's handler


def accept_source_url(
    owner: str, submission: Submission, base_url: str, idempotency_key: str | None
) -> tuple[Job, bool]:
    """Record a job whose worker downloads the source first (and whether it is new)."""
    assert submission.source_url is not None
    request_print = fingerprint(submission, submission.source_url)
    earlier = idempotency.original(owner, idempotency_key, request_print)
    if earlier is not None:
        return earlier, False
    job = _new_job(owner, submission, base_url, idempotency_key, request_print, None)
    job.source_url = submission.source_url
    name = unquote(urlsplit(submission.source_url).path.rsplit("/", 1)[-1]) or "video"
    job.input = {
        "filename": clean_filename(name),
        "size_bytes": None,
        "duration_seconds": None,
        "width": None,
        "height": None,
        "video_codec": None,
        "audio_codec": None,
    }
    return lifecycle.create(job), True


def clean_filename(name: str) -> str:
    """The client's file name as given, minus control characters; shown, never used as a path."""
    shown = "".join(ch for ch in name if ch.isprintable()).strip() or "video"
    return shown[:MAX_FILENAME_LENGTH]


def _charged(info: MediaInfo, submission: Submission) -> float | None:
    options = submission.options
    return usage.charged_seconds(info.duration_seconds, options.start_seconds, options.end_seconds)


def _new_job(
    owner: str,
    submission: Submission,
    base_url: str,
    idempotency_key: str | None,
    print_: str | None,
    video_seconds: float | None,
    job_id: str | None = None,
) -> Job:
    """The new job's record, once the owner's quotas allow it (``video_seconds``: its length,
    None until a source_url is downloaded)."""
    quotas.check(owner, video_seconds)
    return Job(
        id=job_id or str(uuid.uuid4()),
        owner=owner,
        options=submission.options_dict(),
        callback_url=submission.callback_url,
        base_url=base_url,
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        webhook=(
            {"url": submission.callback_url, "state": PENDING, "attempts": 0, "last_status": None}
            if submission.callback_url
            else None
        ),
    )
