"""The resumable upload routes: promise a file, get signed part URLs, resume, complete, drop."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, jsonify, request

from app.api import bp
from app.api.incoming import receiving_body, small_json_body
from app.api.limits import work_limit
from app.api.responses import accepted
from app.auth import current_owner
from app.jobs.idempotency import check_key
from app.jobs.options import parse_submission
from app.problems import Problem, invalid
from app.storage import MissingObject, input_key, job_storage
from app.timeutil import rfc3339
from app.units import MB
from app.uploads import service, signing
from app.uploads.models import COMPLETED, Upload
from app.urls import base_url

UPLOAD_FIELDS = ("filename", "size_bytes")
FILENAME_PATTERN = r"\S"  # a name with something besides spaces in it


def _path(upload_id: str, action: str = "") -> str:
    return f"/api/uploads/{upload_id}" + (f"/{action}" if action else "")


def upload_body(upload: Upload) -> dict[str, Any]:
    """The upload as the contract shows it (links absolute)."""
    base = base_url()
    return {
        "id": upload.id,
        "filename": upload.filename,
        "size_bytes": upload.size_bytes,
        "part_size": upload.part_size,
        "parts_total": upload.parts_total,
        "parts_done": service.parts_done(upload),
        "state": upload.state,
        "expires_at": rfc3339(upload.expires_at),
        "job": upload.id if upload.state == COMPLETED else None,
        "links": {name: base + _path(upload.id, action)
                  for name, action in (("self", ""), ("parts", "parts"), ("complete", "complete"))},
    }  # fmt: skip


def _json_object() -> dict[str, Any]:
    body = small_json_body()
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "send a JSON object")
    return body


@bp.post("/uploads")
@work_limit
def create_upload() -> Response:
    """Promise a file: its name, size and the job's options. 201 with the upload."""
    owner = current_owner()
    key = check_key(request.headers.get("Idempotency-Key"))
    body = _json_object()
    errors = []
    filename, size = body.get("filename"), body.get("size_bytes")
    if not isinstance(filename, str) or not re.search(FILENAME_PATTERN, filename):
        errors.append({"field": "filename", "message": "is required: the file's name"})
    size = _whole(size)
    if size is None or size <= 0:
        errors.append(
            {"field": "size_bytes", "message": "is required: the file's size, a whole number above 0"}
        )
    try:
        submission = parse_submission(
            {k: v for k, v in body.items() if k not in UPLOAD_FIELDS},
            max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
            allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
            webhooks_enabled=bool(current_app.config["WEBHOOK_SECRET"]),
            typed=True,
        )
    except Problem as bad:
        errors += bad.errors or []
    if errors:
        raise invalid(errors)
    assert isinstance(filename, str) and isinstance(size, int)
    limit = current_app.config["MAX_UPLOAD_MB"]
    if size > limit * MB:
        raise Problem(413, "too_large", f"the file is larger than {limit} MB")
    upload, new = service.create(owner, filename, size, submission, base_url(), key)
    response = jsonify(upload_body(upload))
    response.status_code = 201 if new else 200
    response.headers["Location"] = base_url() + _path(upload.id)
    return response


@bp.get("/uploads/<upload_id>")
def get_upload(upload_id: str) -> Response:
    """The upload, with the parts that arrived whole: where a client resumes from."""
    return jsonify(upload_body(service.get_owned(current_owner(), upload_id)))


@bp.post("/uploads/<upload_id>/parts")
def sign_parts(upload_id: str) -> Response:
    """Signed, time-limited URLs to PUT the numbered parts to."""
    upload = service.get_owned(current_owner(), upload_id)
    body = _json_object()
    unknown = [{"field": name, "message": "unknown field"} for name in body if name != "numbers"]
    if unknown:
        raise invalid(unknown)
    given = body.get("numbers")
    numbers = [_whole(n) for n in given] if isinstance(given, list) else []
    most, total = service.MAX_PARTS_PER_REQUEST, upload.parts_total
    if not 0 < len(numbers) <= most or not all(n is not None and n >= 1 for n in numbers):
        raise invalid([{"field": "numbers", "message": f"must be a list of 1 to {most} part numbers from 1"}])
    wanted = sorted({n for n in numbers if n is not None})
    if wanted[-1] > total:  # well formed, but this upload has fewer parts: its state, not the request's form
        raise Problem(409, "no_such_part", f"this upload has {total} parts: {wanted[-1]} is not one of them")
    return jsonify({"parts": service.part_targets(upload, wanted, base_url())})


def _whole(value: object) -> int | None:
    """A JSON integer (``3``, or ``3.0``, which JSON Schema counts as one too); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


@bp.put("/uploads/<upload_id>/parts/<int:number>")
def put_part(upload_id: str, number: int) -> Response:
    """A part sent to Squeeze itself (local-folder storage). The signed URL is the credential:
    no session, no key, no database; the body goes to disk and counts once whole."""
    parts_id, size = signing.verified(upload_id, number, request.args.to_dict())
    if request.content_length is None:
        raise Problem(411, "length_required", "send the part with a Content-Length")
    if request.content_length != size:
        raise Problem(400, "wrong_part_size", f"part {number} must be exactly {size} bytes")
    with receiving_body(f"upload:{upload_id}"):  # at most MAX_UPLOADS_PER_CLIENT parts at once
        try:
            job_storage().write_part(input_key(upload_id), parts_id, number, request.stream.read, size)
        except MissingObject as exc:
            raise Problem(
                404, "not_found", f"upload {upload_id!r} takes no parts (completed, expired or deleted)"
            ) from exc
    return Response(status=200, headers={"ETag": f'"{upload_id}-{number}"'})


@bp.post("/uploads/<upload_id>/complete")
@work_limit
def complete_upload(upload_id: str) -> Response:
    """Every part there: join, probe, and answer exactly as ``POST /api/jobs`` does."""
    owner = current_owner()
    return accepted(service.complete(owner, service.get_owned(owner, upload_id), base_url()))


@bp.delete("/uploads/<upload_id>")
def delete_upload(upload_id: str) -> Response:
    """Drop the upload and its parts: 204."""
    service.abort(service.get_owned(current_owner(), upload_id))
    return Response(status=204)
