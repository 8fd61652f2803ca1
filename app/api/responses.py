"""How a job goes out over HTTP: the body, ETag, Retry-After, and the links made absolute."""

from __future__ import annotations

import math

from flask import Response, jsonify
from werkzeug.http import quote_etag

from app.jobs import queue
from app.jobs.document import JobDocument, absolute, document
from app.jobs.models import QUEUED, Job
from app.urls import base_url

MIN_RETRY_AFTER, MAX_RETRY_AFTER = 1, 10


def job_body(job: Job) -> JobDocument:
    """The job object for this request, links absolute."""
    return absolute(document(job), base_url())


def version_tag(job: Job) -> str:
    """The job's entity tag, unquoted: ``v7``."""
    return f"v{job.version}"


def etag_of(job: Job) -> str:
    """The ETag header value: ``"v7"``."""
    return quote_etag(version_tag(job))


def retry_after(job: Job, position: int | None = None) -> int:
    """Seconds until a poll is worth it: from the ETA while running, the queue while waiting."""
    if job.eta_seconds is not None:
        guess = math.ceil(job.eta_seconds / 4)
    elif job.status == QUEUED:
        guess = 2 * (position or 1)
    else:
        guess = 2
    return max(MIN_RETRY_AFTER, min(MAX_RETRY_AFTER, guess))


def job_response(job: Job, status: int = 200, body: JobDocument | None = None) -> Response:
    body = body if body is not None else job_body(job)
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag_of(job)
    response.headers["Cache-Control"] = "no-cache"
    if not job.terminal:
        response.headers["Retry-After"] = str(retry_after(job, body["queue_position"]))
    return response


def not_modified(job: Job) -> Response:
    """304 for a client that has the job as it is: its ETag, and while it may change, when to ask again."""
    response = Response(status=304)
    response.headers["ETag"] = etag_of(job)
    response.headers["Cache-Control"] = "no-cache"
    if not job.terminal:
        position = queue.position(job.id) if job.status == QUEUED else None
        response.headers["Retry-After"] = str(retry_after(job, position))
    return response


def accepted(job: Job) -> Response:
    """202 with Location and Operation-Location pointing at the status monitor."""
    body = job_body(job)
    response = job_response(job, 202, body)
    response.headers["Location"] = body["links"]["self"]
    response.headers["Operation-Location"] = body["links"]["self"]
    return response
