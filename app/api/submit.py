"""``POST /api/jobs``: a video as a multipart upload, or a JSON ``source_url``; 202 and where to look."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict, cast

from flask import Response, current_app, request
from werkzeug.datastructures import FileStorage

from app.api import bp
from app.api.incoming import receiving_body, small_json_body
from app.api.limits import work_limit
from app.api.responses import accepted
from app.api.spool import HashingSpoolFile
from app.auth import current_owner, request_owner
from app.jobs.accept import Upload, accept_source_url, accept_upload
from app.jobs.idempotency import check_key, claimed
from app.jobs.models import Job
from app.jobs.options import parse_submission
from app.problems import Problem, invalid
from app.urls import base_url


@bp.post("/jobs")
@work_limit
def submit() -> Response:
    """Accept a video (multipart upload or JSON source_url): 202 and where to look."""
    owner = request_owner()
    key = check_key(request.headers.get("Idempotency-Key"))
    with claimed(owner, key):
        if request.mimetype == "multipart/form-data":
            with receiving_body(owner):
                current_owner()  # a browser session's CSRF token may be in the body
                job, _ = _submit_upload(owner, key)
        elif request.mimetype == "application/json":
            current_owner()
            job, _ = _submit_source_url(owner, key)
        else:
            raise Problem(
                415,
                "unsupported_content_type",
                "send multipart/form-data with a 'file' field, or application/json with 'source_url'",
            )
    return accepted(job)


def _submit_upload(owner: str, key: str | None) -> tuple[Job, bool]:
    files = request.files
    fields: dict[str, object] = {
        name: request.form.get(name) for name in request.form if name != "csrf_token"
    }
    fields.update({name: "(a file)" for name in files if name != "file"})
    for name in [*request.form, *files]:  # a second file too: one video a job
        if len(request.form.getlist(name)) + len(files.getlist(name)) > 1:
            raise invalid([{"field": name, "message": "is given more than once"}])
    submission = parse_submission(fields, **_limits())
    upload = files.get("file")
    if upload is None or not isinstance(upload.stream, HashingSpoolFile):
        raise invalid([{"field": "file", "message": "is required: the video to compress"}])
    return accept_upload(owner, _spooled(upload), submission, base_url(), key)


def _submit_source_url(owner: str, key: str | None) -> tuple[Job, bool]:
    body = small_json_body()
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "the body is not a JSON object")
    submission = parse_submission(body, allow_source_url=True, typed=True, **_limits())
    return accept_source_url(owner, submission, base_url(), key)


class _Limits(TypedDict):
    """The server's settings parse_submission checks a submission against."""

    max_upload_mb: int
    allow_private: bool
    webhooks_enabled: bool


def _limits() -> _Limits:
    return {
        "max_upload_mb": current_app.config["MAX_UPLOAD_MB"],
        "allow_private": current_app.config["WEBHOOK_ALLOW_PRIVATE"],
        "webhooks_enabled": bool(current_app.config["WEBHOOK_SECRET"]),
    }


def _spooled(upload: FileStorage) -> Upload:
    stream = cast(HashingSpoolFile, upload.stream)  # _submit_upload checked it
    stream.flush()
    return Upload(Path(stream.name), upload.filename or "video", stream.size, stream.hexdigest())
