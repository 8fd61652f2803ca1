"""The job paths: submit, list, follow, cancel, delete, and fetch the output and stills."""

from __future__ import annotations

from typing import Any

from app.api.incoming import MAX_JSON_BYTES
from app.api.jobs import MAX_WAIT_SECONDS
from app.api.openapi.common import (
    ACCEPTED_HEADERS,
    BINARY,
    CSRF_FAILED,
    HEADER,
    IDEMPOTENCY_KEY,
    JOB_ID,
    JOB_LINKS,
    JSON,
    NOT_FOUND,
    UNAUTHORIZED,
    job,
    problem,
    ref,
)
from app.api.reference import SOURCE_URL_EXAMPLE, UPLOAD_EXAMPLE
from app.jobs.models import STATUSES
from app.jobs.queries import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT
from app.media.formats import CONTAINER_LIST
from app.media.stills import POSTER_HEIGHT
from app.storage import FRAME_SIDES

JPEG = "image/jpeg"
STORE_REDIRECT = {
    "description": "Object storage: fetch the file from this presigned URL",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}


def _still(description: str, not_ready: str) -> dict[str, Any]:
    """A still's answers: sent like a file (a byte range asked for is honoured), or from the store."""
    return {
        "200": {"description": description, "content": {JPEG: {"schema": BINARY}}},
        "206": {"description": "Part of the image (Range)", "content": {JPEG: {"schema": BINARY}}},
        "416": problem("Range not satisfiable"),
        "304": {"description": "Not modified"},
        "307": STORE_REDIRECT,
        "401": UNAUTHORIZED,
        "404": NOT_FOUND,
        "409": problem(not_ready),
        "410": problem("The job's files were deleted (expired)"),
        "503": problem("The file store cannot be reached (storage_unavailable)"),
    }


def job_paths() -> dict[str, Any]:
    """/api/jobs and the routes of one job."""
    job_path = "/api/jobs/{job_id}"
    return {
        "/api/jobs": {
            "post": {
                "summary": "Submit a video (upload, or a source_url the worker downloads)",
                "operationId": "submitJob",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": ref("Upload"), "example": UPLOAD_EXAMPLE},
                        JSON: {"schema": ref("SourceUrl"), "example": SOURCE_URL_EXAMPLE},
                    },
                },
                "responses": {
                    "202": job(
                        "Accepted: the job, queued",
                        ACCEPTED_HEADERS,
                        JOB_LINKS,
                    ),
                    "400": problem("Malformed request (JSON, form, Idempotency-Key)"),
                    "401": UNAUTHORIZED,
                    "403": CSRF_FAILED,
                    "408": problem(
                        "The body stopped arriving: closed, or nothing sent for UPLOAD_IDLE_TIMEOUT_SECONDS"
                        " (body_interrupted)"
                    ),
                    "409": problem("A request with this Idempotency-Key is still being accepted"),
                    "413": problem(
                        f"Larger than MAX_UPLOAD_MB (a JSON body: larger than {MAX_JSON_BYTES // 1024} KB)"
                    ),
                    "415": problem("Not a video ffmpeg can read, or not multipart/JSON"),
                    "422": problem(
                        "A bad option (see errors), or an Idempotency-Key reused for another request"
                    ),
                    "429": problem(
                        "Too many submissions (rate_limited), or MAX_UPLOADS_PER_CLIENT uploads of this"
                        " client already streaming (too_many_uploads); see Retry-After"
                    ),
                    "503": problem(
                        "Busy (busy: every connection of a pool in use), or the database, Redis or the store"
                        " cannot be reached (unavailable, storage_unavailable); see Retry-After"
                    ),
                },
            },
            "get": {
                "summary": "The caller's jobs, newest first",
                "operationId": "listJobs",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string", "pattern": f"^{CURSOR_PATTERN}$"},
                        "description": "Where the next page starts: take it from an answer's next URL",
                    },
                ],
                "responses": {
                    "200": {"description": "A page of jobs", "content": {JSON: {"schema": ref("JobList")}}},
                    "401": UNAUTHORIZED,
                    "422": problem("Bad query"),
                },
            },
        },
        job_path: {
            "parameters": [JOB_ID],
            "get": {
                "summary": "Status monitor (with conditional GET and long poll)",
                "operationId": "getJob",
                "parameters": [
                    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    {
                        "name": "Prefer",
                        "in": "header",
                        "schema": {"type": "string"},
                        "description": f"wait=N (N <= {MAX_WAIT_SECONDS}): hold until the version moves past"
                        " If-None-Match",
                    },
                ],
                "responses": {
                    "200": job(
                        "The job, whatever its status",
                        {k: HEADER[k] for k in ("Retry-After", "ETag", "Preference-Applied")},
                    ),
                    "304": {
                        "description": "Not modified since If-None-Match",
                        "headers": {"ETag": HEADER["ETag"]},
                    },
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                },
            },
            "delete": {
                "summary": "Cancel if active, delete files and record",
                "operationId": "deleteJob",
                "responses": {"204": {"description": "Deleted"}, "401": UNAUTHORIZED, "404": NOT_FOUND},
            },
        },
        job_path + "/cancel": {
            "parameters": [JOB_ID],
            "post": {
                "summary": "Stop a queued or running job",
                "operationId": "cancelJob",
                "responses": {
                    "202": job("Canceled"),
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": problem("Already terminal"),
                },
            },
        },
        job_path + "/output": {
            "parameters": [JOB_ID],
            "get": {
                "summary": "Download the compressed MP4 (ranges supported)",
                "description": (
                    "With file storage the file is sent from here. With object storage (STORAGE_URL=s3://)"
                    " the answer is a 307 to a presigned URL of the store, valid 15 minutes, carrying the"
                    " same Content-Disposition; the store serves Range and ETag."
                ),
                "operationId": "getOutput",
                "parameters": [
                    {
                        "name": "Range",
                        "in": "header",
                        "schema": {"type": "string"},
                        "description": "bytes=first-last (RFC 9110); one that is not a byte range is ignored",
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {c.content_type: {"schema": BINARY} for c in CONTAINER_LIST},
                    },
                    "206": {
                        "description": "Part of the file",
                        "content": {c.content_type: {"schema": BINARY} for c in CONTAINER_LIST},
                    },
                    "304": {"description": "Not modified"},
                    "307": STORE_REDIRECT,
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": problem("Not finished (not_ready)"),
                    "410": problem("Deleted after its retention, or gone from storage (expired)"),
                    "416": problem("Range not satisfiable"),
                    "503": problem("The file store cannot be reached (storage_unavailable)"),
                },
            },
        },
        job_path + "/poster": {
            "parameters": [JOB_ID],
            "get": {
                "summary": "A representative frame of the video (JPEG), once a worker has started the job",
                "description": (
                    "Taken about a third of the way in (the most typical frame of a short window), at most"
                    f" {POSTER_HEIGHT} pixels tall. With object storage the answer is a 307 to the store."
                ),
                "operationId": "getPoster",
                "responses": _still(
                    "The poster",
                    "Queued, or being made (not_ready; Retry-After); or the job ended without"
                    " one (no_poster)",
                ),
            },
        },
        job_path + "/frames/{side}": {
            "parameters": [
                JOB_ID,
                {
                    "name": "side",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(FRAME_SIDES)},
                },
            ],
            "get": {
                "summary": "A compare frame (JPEG): the same moment of the original and of the result",
                "description": (
                    "Both are the result's size: the original passes through the encode's filters and is"
                    " scaled to it, so the two line up pixel for pixel."
                ),
                "operationId": "getFrame",
                "responses": _still(
                    "The frame", "Not succeeded (not_ready), or none could be made of it (no_frames)"
                ),
            },
        },
        job_path + "/events": {
            "parameters": [JOB_ID],
            "get": {
                "summary": "Server-Sent Events: 'event: job', 'id: <version>', data = the job",
                "operationId": "jobEvents",
                "parameters": [{"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The stream, ending after the terminal event",
                        "content": {"text/event-stream": {}},
                    },
                    "204": {"description": "Last-Event-ID is already the terminal version"},
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                },
            },
        },
    }
