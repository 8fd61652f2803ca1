"""An upload's life: promised, signed part by part, checked, joined, probed, and made a job.

The parts go to storage directly: to the object store through presigned ``UploadPart`` URLs,
or, with a local folder, to Squeeze itself through URLs signed the same way (``signing.py``).
The joined object is the job's input (``jobs/<upload id>/input``): the job takes the
upload's id, so completing twice answers the same job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import uuid
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db, redis_client
from app.jobs import accept
from app.jobs.models import Job
from app.jobs.options import Submission
from app.media import Options
from app.problems import Problem
from app.storage import MissingObject, StorageError, input_key, job_prefix, job_storage
from app.storage.scratch import ScratchFolder
from app.timeutil import rfc3339, utcnow
from app.units import MB
from app.uploads import signing
from app.uploads.models import COMPLETED, EXPIRED, OPEN, REJECTED, Upload

MIN_PART_BYTES = 5 * MB  # S3's smallest part (every part but the last)
MAX_PARTS = 10_000  # S3's most parts in one upload
MAX_PARTS_PER_REQUEST = 1000  # part URLs signed in one request
PART_URL_SECONDS = 3600  # a part URL's life; a client asks again for parts it has yet to send
COMPLETE_LOCK_SECONDS = 120  # one completion at a time per upload


class PartTarget(TypedDict):
    number: int
    url: str
    method: str
    headers: dict[str, str]
    expires_at: str | None


def part_size_for(size_bytes: int) -> int:
    """UPLOAD_PART_MB, raised when needed so no upload has more than MAX_PARTS parts."""
    chosen = max(int(current_app.config["UPLOAD_PART_MB"]) * MB, MIN_PART_BYTES)
    return max(chosen, math.ceil(size_bytes / MAX_PARTS))


def expected_size(upload: Upload, number: int) -> int:
    """Bytes part ``number`` must have: ``part_size``, the last one the rest."""
    if number < upload.parts_total:
        return upload.part_size
    return upload.size_bytes - upload.part_size * (upload.parts_total - 1)


def fingerprint(filename: str, size_bytes: int, submission: Submission) -> str:
    facts = {"filename": filename, "size_bytes": size_bytes, **submission_dict(submission)}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def submission_dict(submission: Submission) -> dict[str, Any]:
    return {"options": asdict(submission.options), "callback_url": submission.callback_url}


def create(
    owner: str, filename: str, size_bytes: int, submission: Submission, base_url: str, key: str | None
) -> tuple[Upload, bool]:
    """A new upload (and True), or the one an identical earlier request with ``key`` made."""
    request_print = fingerprint(filename, size_bytes, submission)
    if key is not None:
        earlier = db.session.scalar(
            select(Upload).where(Upload.owner == owner, Upload.idempotency_key == key)
        )
        if earlier is not None:
            if earlier.request_fingerprint != request_print:
                raise Problem(
                    422, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
                )
            return earlier, False
    upload_id = str(uuid.uuid4())
    part_size = part_size_for(size_bytes)
    db.session.commit()  # no connection held while the store answers
    storage_upload_id = job_storage().start_parts(input_key(upload_id), size_bytes, part_size)
    upload = Upload(
        id=upload_id,
        owner=owner,
        filename=accept.clean_filename(filename),
        size_bytes=size_bytes,
        part_size=part_size,
        parts_total=max(1, math.ceil(size_bytes / part_size)),
        submission=submission_dict(submission),
        storage_upload_id=storage_upload_id,
        expires_at=utcnow() + timedelta(hours=current_app.config["UPLOAD_TTL_HOURS"]),
        base_url=base_url,
        idempotency_key=key,
        request_fingerprint=request_print,
    )
    db.session.add(upload)
    try:
        db.session.commit()
    except IntegrityError:  # the same key raced us: theirs stands, our parts go
        db.session.rollback()
        with contextlib.suppress(StorageError):
            job_storage().abort_parts(input_key(upload_id), storage_upload_id)
        return create(owner, filename, size_bytes, submission, base_url, key)
    return upload, True


def get_owned(owner: str, upload_id: str) -> Upload:
    """The owner's upload, or the same 404 for anyone else's."""
    upload = db.session.get(Upload, upload_id) if len(upload_id) <= 64 else None
    if upload is None or upload.owner != owner:
        raise Problem(404, "not_found", f"there is no upload {upload_id!r}")
    return upload


def parts_done(upload: Upload) -> list[int]:
    """The numbers of the parts that arrived whole (the right size), for a client to resume from."""
    if upload.state != OPEN:
        return list(range(1, upload.parts_total + 1)) if upload.state == COMPLETED else []
    found = job_storage().parts(input_key(upload.id), upload.storage_upload_id)
    done = sorted(
        n for n, size in found.items() if 1 <= n <= upload.parts_total and size == expected_size(upload, n)
    )
    if len(done) < upload.parts_total and _joined(upload):
        return list(range(1, upload.parts_total + 1))
    return done


def _joined(upload: Upload) -> bool:
    """Whether a completion joined the parts (and was then refused for a while: a quota, a
    rate limit): the parts are gone into the input, and nothing needs sending again."""
    return job_storage().exists(input_key(upload.id))


def part_targets(upload: Upload, numbers: list[int], base_url: str) -> list[PartTarget]:
    """Where to PUT each part: a presigned URL of the store, or Squeeze's own signed one."""
    _still_open(upload)
    if _joined(upload):  # a URL now would lead nowhere (the store's multipart upload is finished)
        raise Problem(409, "upload_joined", "every part has arrived and been joined: complete the upload")
    storage = job_storage()
    expires = utcnow() + timedelta(seconds=PART_URL_SECONDS)
    targets: list[PartTarget] = []
    for number in numbers:
        size = expected_size(upload, number)
        url = storage.part_url(input_key(upload.id), upload.storage_upload_id, number, PART_URL_SECONDS, size)
        if url is None:
            url = base_url + signing.part_path(
                upload.id, upload.storage_upload_id, number, size, int(expires.timestamp())
            )
        targets.append(
            {"number": number, "url": url, "method": "PUT", "headers": {}, "expires_at": rfc3339(expires)}
        )
    return targets


def made_already(owner: str, key: str | None = None, upload_id: str | None = None) -> bool:
    """Whether a request makes no new work: an upload ``owner`` made with Idempotency-Key
    ``key`` already, or upload ``upload_id`` of theirs already completed (its job is answered)."""
    query = select(Upload.id).where(Upload.owner == owner)
    if upload_id is not None:
        query = query.where(Upload.id == upload_id, Upload.state == COMPLETED)
    elif key is not None:
        query = query.where(Upload.idempotency_key == key)
    else:
        return False
    return db.session.scalar(query) is not None


def complete(owner: str, upload: Upload, base_url: str) -> Job:
    """Check every part, join them, probe the result and make the job (the same job every time)."""
    if upload.state == COMPLETED:
        return _job_of(upload)
    _still_open(upload)
    lock = f"squeeze:upload-complete:{upload.id}"
    if not redis_client().set(lock, "1", nx=True, ex=COMPLETE_LOCK_SECONDS):
        raise Problem(409, "upload_completing", "this upload is being completed; ask again shortly",
                      headers={"Retry-After": "2"})  # fmt: skip
    try:
        return _join_and_accept(owner, upload, base_url)
    finally:
        redis_client().delete(lock)


def _join_and_accept(owner: str, upload: Upload, base_url: str) -> Job:
    storage, key = job_storage(), input_key(upload.id)
    joined = _joined(upload)  # an earlier completion joined the parts, then was refused
    done = set(range(1, upload.parts_total + 1)) if joined else set(parts_done(upload))
    missing = [n for n in range(1, upload.parts_total + 1) if n not in done]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        errors = [{"field": "parts", "message": f"part {n} is missing"} for n in missing[:100]]
        raise Problem(409, "upload_incomplete", f"parts missing or not of their size: {shown}", errors=errors)
    upload_id, size, filename = upload.id, upload.size_bytes, upload.filename
    sizes = {number: expected_size(upload, number) for number in range(1, upload.parts_total + 1)}
    parts_id = upload.storage_upload_id
    submission = Submission(options=Options(**upload.submission["options"]),
                            callback_url=upload.submission.get("callback_url"))  # fmt: skip
    db.session.commit()  # no connection held while the store joins and the probe reads
    try:
        if not joined:
            storage.join_parts(key, parts_id, sizes)
        with ScratchFolder(Path(current_app.config["SCRATCH_DIR"]), "complete") as scratch:
            info = accept.admit(storage.head_copy(key, scratch.path, size), submission)
    except MissingObject as exc:  # a part went missing or changed size after the check above
        raise Problem(409, "upload_incomplete", f"{exc}; send that part again, then complete") from exc
    except Problem as refused:
        _reject(upload_id, refused)
        raise
    job = accept.accept_stored(
        upload_id, owner, submission, info, filename, size, upload.base_url or base_url
    )
    finished = db.session.get(Upload, upload_id)
    if finished is not None:
        finished.state = COMPLETED
        db.session.commit()
    return job


def _reject(upload_id: str, refused: Problem) -> None:
    """The joined file is not one we take: remove its bytes, remember why."""
    with contextlib.suppress(StorageError):  # if the store is away, retention of orphans finishes it
        job_storage().delete_prefix(job_prefix(upload_id))
    upload = db.session.get(Upload, upload_id)
    if upload is not None:
        upload.state = REJECTED
        upload.error = {"status": str(refused.status), "code": refused.code, "detail": refused.detail}
        db.session.commit()


def abort(upload: Upload) -> None:
    """Drop the upload and its parts (a completed upload's job stays)."""
    if upload.state == OPEN:
        job_storage().abort_parts(input_key(upload.id), upload.storage_upload_id)
    db.session.delete(upload)
    db.session.commit()


def expire(batch: int = 500) -> int:
    """Abort uploads left open past their ``expires_at`` (their parts removed); how many."""
    due = db.session.scalars(
        select(Upload).where(Upload.state == OPEN, Upload.expires_at <= utcnow()).limit(batch)
    ).all()
    for upload in due:
        try:
            job_storage().abort_parts(input_key(upload.id), upload.storage_upload_id)
        except StorageError:
            continue  # the next pass tries again
        upload.state = EXPIRED
    db.session.commit()
    return len(due)


def purge(older_than: timedelta, batch: int = 500) -> int:
    """Delete the records of uploads that ended (or were created) longer ago than ``older_than``."""
    due = db.session.scalars(
        select(Upload).where(Upload.state != OPEN, Upload.created_at <= utcnow() - older_than).limit(batch)
    ).all()
    for upload in due:
        db.session.delete(upload)
    db.session.commit()
    return len(due)


def _still_open(upload: Upload) -> None:
    if upload.state == REJECTED and upload.error:
        raise Problem(int(upload.error["status"]), upload.error["code"], upload.error["detail"])
    if upload.state == EXPIRED or (upload.state == OPEN and upload.expires_at <= utcnow()):
        raise Problem(410, "upload_expired", "the upload expired before it was completed; start a new one")
    if upload.state != OPEN:
        raise Problem(409, "upload_completed", "the upload is complete; its job is linked from it")


def _job_of(upload: Upload) -> Job:
    job = db.session.get(Job, upload.id)
    if job is None:
        raise Problem(410, "expired", "the upload's job has been deleted")
    return job
