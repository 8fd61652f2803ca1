"""The OpenAPI 3.1 document of every route, served at /api/openapi.json (and read at /api/docs).

Limits and enums come from the code that enforces them (never typed here twice), and
tests/api/test_openapi.py checks the document against the behaviour.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, render_template

from app.admin.openapi import with_admin_operations
from app.api import bp
from app.api.incoming import MAX_JSON_BYTES
from app.api.jobs import MAX_WAIT_SECONDS
from app.api.reference import (
    PART_NUMBERS_EXAMPLE,
    SOURCE_URL_EXAMPLE,
    TAGS,
    UPLOAD_EXAMPLE,
    UPLOAD_PROMISE_EXAMPLE,
    tagged,
)
from app.api.responses import MAX_RETRY_AFTER, MIN_RETRY_AFTER
from app.api.uploads import FILENAME_PATTERN
from app.auth.keys import keys_configured
from app.jobs.document import JobDocument, JobLinks
from app.jobs.idempotency import MAX_KEY_LENGTH
from app.jobs.models import DELIVERY_STATES, STATUSES
from app.jobs.options import MAX_HEIGHT, MAX_URL_LENGTH, MIN_HEIGHT
from app.jobs.queries import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT
from app.media.formats import CODECS, CONTAINER_LIST, CONTAINERS, DEFAULT_CODEC, DEFAULT_PRESET, PRESETS
from app.media.stills import POSTER_HEIGHT
from app.security import allow_inline_styles
from app.storage import FRAME_SIDES
from app.units import MB
from app.uploads.models import UPLOAD_STATES
from app.uploads.service import MAX_PARTS_PER_REQUEST

JSON = "application/json"
JPEG = "image/jpeg"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _job(
    description: str, headers: dict[str, Any] | None = None, links: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": _ref("Job")}}}
    if headers:
        response["headers"] = headers
    if links:
        response["links"] = links
    return response


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    """A page's form post: every field required."""
    schema = {"type": "object", "required": list(fields), "properties": fields}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


def _links(parameter: str, operations: tuple[str, ...]) -> dict[str, Any]:
    """OpenAPI links: the id in the answer's body names ``parameter`` of each operation."""
    return {
        operation: {"operationId": operation, "parameters": {parameter: "$response.body#/id"}}
        for operation in operations
    }


OCTETS = "application/octet-stream"
BINARY = {"type": "string", "format": "binary", "contentMediaType": OCTETS}  # what generators read
VIDEO = {**BINARY, "contentMediaType": "video/*", "description": "the video (ffmpeg must read it: else 415)"}
JOB_LINKS = _links(
    "job_id", ("getJob", "cancelJob", "deleteJob", "getOutput", "getPoster", "getFrame", "jobEvents")
)
UPLOAD_LINKS = _links("upload_id", ("getUpload", "signParts", "completeUpload", "deleteUpload"))
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x20-\\x7e]+$"},
    "description": "Same key and request: the original answer (1 to 255 printable characters)",
}


HEADER = {
    "Location": {"description": "Absolute URL of the job's status monitor", "schema": {"type": "string"}},
    "Operation-Location": {"description": "Same as Location", "schema": {"type": "string"}},
    "Retry-After": {
        "description": f"Seconds ({MIN_RETRY_AFTER}-{MAX_RETRY_AFTER}) before polling again;"
        " absent once terminal",
        "schema": {"type": "integer", "minimum": MIN_RETRY_AFTER, "maximum": MAX_RETRY_AFTER},
    },
    "ETag": {"description": 'The job\'s version as a tag, "v7"', "schema": {"type": "string"}},
    "Preference-Applied": {
        "description": "wait=N when a long poll was honoured",
        "schema": {"type": "string"},
    },
}
STORE_REDIRECT = {
    "description": "Object storage: fetch the file from this presigned URL",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
IMAGE_RANGES = {  # a still is sent like a file: a byte range asked for is honoured
    "206": {"description": "Part of the image (Range)", "content": {JPEG: {"schema": BINARY}}},
    "416": _problem("Range not satisfiable"),
}
NOT_FOUND = _problem("No such job for this caller (another owner's job is answered the same way)")
UNAUTHORIZED = _problem("An API key is configured and the request has none, or a wrong one")
CSRF_FAILED = _problem("A browser session's unsafe request without its page's CSRF token (csrf_failed)")
CSRF_FIELD = {"csrf_token": {"type": "string", "description": "the page's token"}}
PUBLIC: list[dict[str, list[str]]] = []  # no credentials asked for
SESSION_ONLY: list[dict[str, list[str]]] = [{"session": []}]
URL_PATTERN = "^https?://"
FORM_EMPTY = 'A form field left empty ("") is not given; JSON takes null for that.'
OPTION_PROPERTIES: dict[str, Any] = {
    "preset": {"type": "string", "enum": list(PRESETS), "default": DEFAULT_PRESET},
    "codec": {"type": "string", "enum": list(CODECS), "default": DEFAULT_CODEC},
    "max_height": {
        "type": "integer",
        "minimum": MIN_HEIGHT,
        "maximum": MAX_HEIGHT,
        "description": "Scale down to at most this height; never up",
    },
    "target_size_mb": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "Aim at this size instead of a preset (at most MAX_UPLOAD_MB)",
    },
    "keep_location": {
        "type": "boolean",
        "default": False,
        "description": "Keep where the video was recorded (its location tag); removed by default",
    },
    "normalize_audio": {
        "type": "boolean",
        "default": False,
        "description": "Every audio track to -16 LUFS, true peak -1.5 dBTP (EBU R128, two passes)",
    },
    "sdr": {
        "type": "boolean",
        "default": False,
        "description": "Tone-map HDR to 8-bit SDR BT.709 even where the codec could keep it "
        "(H.265 and AV1 keep 10-bit HDR by default; H.264 is always SDR)",
    },
    "start_seconds": {
        "type": "number",
        "minimum": 0,
        "description": "Trim: keep the video from this time (frame-accurate); 422 past its end",
    },
    "end_seconds": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "Trim: keep the video up to this time; after start_seconds, at most its length",
    },
    "container": {
        "type": "string",
        "enum": list(CONTAINERS),
        "description": "The delivered file's format; default: MP4, or Matroska (mkv) when the input "
        "has subtitles drawn as pictures, which MP4 cannot hold",
    },
    "callback_url": {
        "type": "string",
        "format": "uri",
        "pattern": URL_PATTERN,
        "maxLength": MAX_URL_LENGTH,
        "description": "http(s) URL for the signed webhook (needs WEBHOOK_SECRET on the server)",
    },
}


def _options(max_upload_mb: int, json: bool) -> dict[str, Any]:
    """The job options as a body takes them: ``json`` ones also take null for "not given"."""
    options = {**OPTION_PROPERTIES}
    options["target_size_mb"] = {**options["target_size_mb"], "maximum": max_upload_mb}
    if not json:
        return options
    return {name: {**_nullable(schema), "description": schema.get("description", "") + " (null: not given)"}
            for name, schema in options.items()}  # fmt: skip


def _schemas(max_upload_mb: int) -> dict[str, Any]:
    text, integer, number = {"type": "string"}, {"type": "integer"}, {"type": "number"}
    time = {"type": "string", "format": "date-time"}
    return {
        "Job": {
            "type": "object",
            "required": sorted(JobDocument.__required_keys__),
            "properties": {
                "id": text,
                "status": {"type": "string", "enum": list(STATUSES)},
                "version": {
                    **integer,
                    "description": "Grows with every change; order and de-duplicate by it",
                },
                "progress": {**number, "minimum": 0, "maximum": 100},
                "eta_seconds": _nullable(integer),
                "queue_position": _nullable({**integer, "minimum": 1}),
                "attempts": integer,
                "created_at": time,
                "started_at": _nullable(time),
                "finished_at": _nullable(time),
                "expires_at": _nullable({**time, "description": "When the output (and input) are deleted"}),
                "input": _ref("JobInput"),
                "options": _ref("JobOptions"),
                "output": _nullable(_ref("JobOutput")),
                "error": _nullable(_ref("JobError")),
                "segments": _nullable(
                    {
                        "type": "object",
                        "description": "a long video encoded in segments on many workers (null: one piece)",
                        "required": ["total", "done", "running"],
                        "properties": {
                            name: {**integer, "minimum": 0} for name in ("total", "done", "running")
                        },
                    }
                ),
                "links": _ref("JobLinks"),
                "source_url": text,
                "webhook": _ref("Webhook"),
            },
        },
        "JobInput": {
            "type": "object",
            "properties": {
                "filename": text,
                "size_bytes": _nullable(integer),
                "duration_seconds": _nullable(number),
                "width": _nullable(integer),
                "height": _nullable(integer),
                "video_codec": _nullable(text),
                "audio_codec": _nullable(text),
            },
        },
        "JobOptions": {
            "type": "object",
            "properties": {
                "preset": OPTION_PROPERTIES["preset"],
                "codec": OPTION_PROPERTIES["codec"],
                "max_height": _nullable(integer),
                "target_size_mb": _nullable(number),
                "keep_location": {"type": "boolean"},
                "normalize_audio": {"type": "boolean"},
                "sdr": {"type": "boolean"},
                "start_seconds": _nullable(number),
                "end_seconds": _nullable(number),
                "container": _nullable({"type": "string", "enum": list(CONTAINERS)}),
            },
        },
        "JobOutput": {
            "type": "object",
            "properties": {
                "size_bytes": integer,
                "width": integer,
                "height": integer,
                "duration_seconds": _nullable(number),
                "ratio": _nullable({**number, "description": "output bytes / input bytes"}),
                "url": _nullable(text),
                "content_type": {**text, "description": "video/mp4, or the input's own type when kept"},
                "loudness_lufs": _nullable(
                    {
                        **number,
                        "description": "integrated loudness of the first audio track (normalize_audio)",
                    }
                ),
                "verified": {
                    "type": "boolean",
                    "description": "decoded to its end; frames, length and streams checked against the input",
                },
                "streams": {
                    "type": "object",
                    "description": "what the delivered file holds besides its picture",
                    "properties": {
                        name: {"type": "integer", "minimum": 0} for name in ("audio", "subtitles", "chapters")
                    },
                },
                "kept_original": {
                    "type": "boolean",
                    "description": "the input delivered unchanged: an encode would not be smaller",
                },
                "note": _nullable({**text, "description": "what a person should know about the result"}),
                "segments": _nullable(
                    {
                        "type": "array",
                        "description": "a split job's segments in order, each with its own CRF and score",
                        "items": {
                            "type": "object",
                            "properties": {
                                "start_seconds": number,
                                "duration_seconds": number,
                                "crf": _nullable(number),
                                "vmaf": _nullable(number),
                                "size_bytes": _nullable(integer),
                            },
                        },
                    }
                ),
                "quality": _nullable(
                    {
                        "type": "object",
                        "description": "measured against the input on sampled spans (docs/api.md)",
                        "properties": {
                            "vmaf": {**number, "minimum": 0, "maximum": 100},
                            "ssim": {**number, "minimum": 0, "maximum": 1},
                        },
                    }
                ),
            },
        },
        "JobError": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": text, "message": text},
        },
        "JobLinks": {
            "type": "object",
            "properties": {name: _nullable({**text, "format": "uri"}) for name in JobLinks.__annotations__},
        },
        "Webhook": {
            "type": "object",
            "properties": {
                "url": text,
                "state": {"type": "string", "enum": list(DELIVERY_STATES)},
                "attempts": integer,
                "last_status": _nullable(integer),
                "last_error": text,
            },
        },
        "JobList": {
            "type": "object",
            "required": ["jobs", "next"],
            "properties": {
                "jobs": {"type": "array", "items": _ref("Job")},
                "next": _nullable({**text, "format": "uri"}),
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": text,
                "title": text,
                "status": integer,
                "detail": text,
                "code": {
                    **text,
                    "description": "Stable, machine-readable: invalid_option, unsupported_media, ...",
                },
                "errors": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"field": text, "message": text}},
                },
            },
        },
        "Upload": {
            "type": "object",
            "description": FORM_EMPTY,
            "required": ["file"],
            "properties": {"file": VIDEO, **_options(max_upload_mb, json=False)},
            "additionalProperties": False,  # an unknown field is a 422, not ignored
        },
        "SourceUrl": {
            "type": "object",
            "required": ["source_url"],
            "properties": {
                "source_url": {
                    "type": "string",
                    "format": "uri",
                    "pattern": URL_PATTERN,
                    "maxLength": MAX_URL_LENGTH,
                },
                **_options(max_upload_mb, json=True),
            },
            "additionalProperties": False,
        },
        "UploadPromise": {
            "type": "object",
            "required": ["filename", "size_bytes"],
            "properties": {
                "filename": {"type": "string", "pattern": FILENAME_PATTERN, "description": "the file's name"},
                "size_bytes": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": max_upload_mb * MB,
                    "description": "the file's size (at most MAX_UPLOAD_MB; more is a 413)",
                },
                **_options(max_upload_mb, json=True),
            },
            "additionalProperties": False,
        },
        "SignedParts": {
            "type": "object",
            "required": ["parts"],
            "properties": {
                "parts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["number", "url", "method", "headers", "expires_at"],
                        "properties": {
                            "number": {"type": "integer", "minimum": 1},
                            "url": {
                                "type": "string",
                                "format": "uri",
                                "description": "PUT the part's bytes here",
                            },
                            "method": {"type": "string", "enum": ["PUT"]},
                            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                            "expires_at": {"type": "string", "format": "date-time"},
                        },
                    },
                }
            },
        },
        "PartNumbers": {
            "type": "object",
            "required": ["numbers"],
            "properties": {
                "numbers": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "minItems": 1,
                    "maxItems": MAX_PARTS_PER_REQUEST,
                    "description": "parts to sign, each from 1 to the upload's parts_total",
                }
            },
            "additionalProperties": False,
        },
        "ResumableUpload": {
            "type": "object",
            "required": [
                "id",
                "filename",
                "size_bytes",
                "part_size",
                "parts_total",
                "parts_done",
                "expires_at",
                "job",
                "links",
            ],
            "properties": {
                "id": text,
                "filename": text,
                "size_bytes": integer,
                "part_size": integer,
                "parts_total": integer,
                "parts_done": {"type": "array", "items": integer},
                "state": {"type": "string", "enum": list(UPLOAD_STATES)},
                "expires_at": time,
                "job": _nullable(text),
                "links": {"type": "object", "properties": {k: text for k in ("self", "parts", "complete")}},
            },
        },
        "Health": {"type": "object", "properties": {"status": text, "checks": {"type": "object"}}},
    }


def _paths() -> dict[str, Any]:
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
                        "multipart/form-data": {"schema": _ref("Upload"), "example": UPLOAD_EXAMPLE},
                        JSON: {"schema": _ref("SourceUrl"), "example": SOURCE_URL_EXAMPLE},
                    },
                },
                "responses": {
                    "202": _job(
                        "Accepted: the job, queued",
                        {k: HEADER[k] for k in ("Location", "Operation-Location", "Retry-After", "ETag")},
                        JOB_LINKS,
                    ),
                    "400": _problem("Malformed request (JSON, Idempotency-Key)"),
                    "401": UNAUTHORIZED,
                    "403": CSRF_FAILED,
                    "408": _problem(
                        "The body stopped arriving: closed, or nothing sent for UPLOAD_IDLE_TIMEOUT_SECONDS"
                        " (body_interrupted)"
                    ),
                    "409": _problem("A request with this Idempotency-Key is still being accepted"),
                    "413": _problem(
                        f"Larger than MAX_UPLOAD_MB (a JSON body: larger than {MAX_JSON_BYTES // 1024} KB)"
                    ),
                    "415": _problem("Not a video ffmpeg can read, or not multipart/JSON"),
                    "422": _problem(
                        "A bad option (see errors), or an Idempotency-Key reused for another request"
                    ),
                    "429": _problem(
                        "Too many submissions (rate_limited), or MAX_UPLOADS_PER_CLIENT uploads of this"
                        " client already streaming (too_many_uploads); see Retry-After"
                    ),
                    "503": _problem(
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
                    "200": {"description": "A page of jobs", "content": {JSON: {"schema": _ref("JobList")}}},
                    "401": UNAUTHORIZED,
                    "422": _problem("Bad query"),
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
                    "200": _job(
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
                    "202": _job("Canceled"),
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": _problem("Already terminal"),
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
                    "307": {
                        "description": "Object storage: fetch the file from this presigned URL",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                    },
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": _problem("Not finished (not_ready)"),
                    "410": _problem("Deleted after its retention, or gone from storage (expired)"),
                    "416": _problem("Range not satisfiable"),
                    "503": _problem("The file store cannot be reached (storage_unavailable)"),
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
                "responses": {
                    "200": {"description": "The poster", "content": {JPEG: {"schema": BINARY}}},
                    **IMAGE_RANGES,
                    "304": {"description": "Not modified"},
                    "307": STORE_REDIRECT,
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": _problem(
                        "Queued, or being made (not_ready; Retry-After); or the job ended without"
                        " one (no_poster)"
                    ),
                    "410": _problem("The job's files were deleted (expired)"),
                    "503": _problem("The file store cannot be reached (storage_unavailable)"),
                },
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
                "responses": {
                    "200": {"description": "The frame", "content": {JPEG: {"schema": BINARY}}},
                    **IMAGE_RANGES,
                    "304": {"description": "Not modified"},
                    "307": STORE_REDIRECT,
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                    "409": _problem("Not succeeded (not_ready), or none could be made of it (no_frames)"),
                    "410": _problem("The job's files were deleted (expired)"),
                    "503": _problem("The file store cannot be reached (storage_unavailable)"),
                },
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
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": PUBLIC,
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}},
            }
        },
        "/api/docs": {
            "get": {
                "summary": "This document for people",
                "operationId": "docs",
                "security": PUBLIC,
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
        "/": {
            "get": {
                "summary": "The upload page (browser session)",
                "operationId": "page",
                "security": PUBLIC,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "302": {"description": "Keys are configured and the session has not signed in"},
                },
            }
        },
        "/page/rows": {
            "get": {
                "summary": "The job table's rows (the page's polling fallback)",
                "operationId": "pageRows",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "401": _problem("Keys are configured and this session has not signed in"),
                },
            }
        },
        "/signin": {
            "get": {
                "summary": "The sign-in form of a deployment with keys (elsewhere: to the page)",
                "operationId": "signinForm",
                "security": PUBLIC,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "302": {"description": "No keys are configured, or already signed in: to the page"},
                },
            },
            "post": {
                "summary": "Sign the browser session in with an API key (the session becomes its owner's)",
                "operationId": "signin",
                "security": PUBLIC,
                "tags": ["page"],
                "requestBody": _form({"key": {"type": "string"}, **CSRF_FIELD}),
                "responses": {
                    "302": {"description": "No keys are configured: to the page"},
                    "303": {"description": "Signed in: to the page"},
                    "403": CSRF_FAILED,
                    "401": {"description": "Not a valid key: the form again", "content": {"text/html": {}}},
                    "429": _problem("Too many tries from this address"),
                },
            },
        },
        "/signout": {
            "post": {
                "summary": "End the browser session",
                "operationId": "signout",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "requestBody": _form(CSRF_FIELD),
                "responses": {
                    "303": {"description": "Signed out: to the sign-in form (or the page)"},
                    "403": CSRF_FAILED,
                },
            }
        },
        "/jobs/{job_id}/compare": {
            "parameters": [JOB_ID],
            "get": {
                "summary": "The compare view: the two frames under a slider, sizes, saving, quality",
                "operationId": "pageCompare",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "401": _problem("Keys are configured and this session has not signed in"),
                    "404": NOT_FOUND,
                },
            },
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "healthz",
                "security": PUBLIC,
                "tags": ["health"],
                "responses": {
                    "200": {"description": "Serving", "content": {JSON: {"schema": _ref("Health")}}}
                },
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: the database, Redis and the file store answer; the pools have room",
                "operationId": "readyz",
                "security": PUBLIC,
                "tags": ["health"],
                "responses": {
                    "200": {"description": "Ready", "content": {JSON: {"schema": _ref("Health")}}},
                    "503": {"description": "Not ready", "content": {JSON: {"schema": _ref("Health")}}},
                },
            }
        },
    }


def _metrics_path() -> dict[str, Any]:
    """Only where METRICS_TOKEN is set: elsewhere there is no such route (404 whatever is sent)."""
    return {
        "/metrics": {
            "get": {
                "summary": "Prometheus text for operators (off unless METRICS_TOKEN is set)",
                "operationId": "metrics",
                "tags": ["health"],
                "security": [{"metricsToken": []}],
                "responses": {
                    "200": {
                        "description": "Figures of every web and worker process",
                        "content": {"text/plain": {}},
                    },
                    "401": _problem("Missing or wrong METRICS_TOKEN"),
                },
            }
        },
    }


# A WebSocket is not an HTTP operation: its handshake is a GET that upgrades the connection,
# which OpenAPI cannot describe (no 101 answer a client could read, no messages) and which a
# contract tester or a generated client cannot call. So the two sockets are described here, in
# an extension the docs page shows, and in docs/api.md; a job's links.ws names the job's one.
WEBSOCKETS = {
    "/api/jobs/{job_id}/ws": "One job JSON per text message, the current state first; a deletion is"
    ' {"id", "deleted": true}; closes with 1000 after the terminal one. Same credentials and 404s as'
    " GET /api/jobs/{job_id}; a plain GET (no upgrade) is a 400 problem.",
    "/page/ws": "The page's socket: row fragments HTMX swaps in. A browser session of this site only (403).",
}
SOCKETS_TEXT = "\n\nWebSockets (not operations: an upgraded connection, see x-websockets):" + "".join(
    f"\n- `{path}`: {about}" for path, about in WEBSOCKETS.items()
)


@with_admin_operations  # the operators' console (app/admin/openapi.py)
def document() -> dict[str, Any]:
    """The document as this deployment serves it: its keys, limits and metrics decide parts of it."""
    config = current_app.config
    anyone: list[dict[str, list[str]]] = [] if keys_configured() else [{}]  # no keys: open
    metrics = _metrics_path() if config["METRICS_TOKEN"] else {}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Squeeze",
            "version": "1.0.0",
            "description": "Compress videos in the background: submit, get 202 and a job, follow it.\n\n"
            "With API keys configured, every `/api/` request sends `Authorization: Bearer <key>`"
            " (here: Authentication, Bearer Token); a browser signed in on the page may use its session"
            " instead. Errors are RFC 9457 problem details (`application/problem+json`) with a stable"
            " `code` to branch on." + SOCKETS_TEXT,
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}, *anyone],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API_KEYS or `flask keys create`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The page's signed session; unsafe requests need X-CSRFToken",
                },
                "metricsToken": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN"},
            },
            "schemas": _schemas(config["MAX_UPLOAD_MB"]),
        },
        "tags": list(TAGS),
        "paths": tagged({**_paths(), **_upload_paths(), **metrics}),
        "x-websockets": WEBSOCKETS,
    }


def _upload_paths() -> dict[str, Any]:
    """The resumable upload routes (contract v2, "Resumable direct uploads")."""
    upload_id = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    upload = {"description": "The upload", "content": {JSON: {"schema": _ref("ResumableUpload")}}}
    not_found = _problem("No such upload for this caller")
    gone = _problem("The upload expired before it was completed (upload_expired)")
    base = "/api/uploads/{upload_id}"
    accepted_headers = {k: HEADER[k] for k in ("Location", "Operation-Location", "Retry-After", "ETag")}
    promise = {
        "required": True,
        "content": {JSON: {"schema": _ref("UploadPromise"), "example": UPLOAD_PROMISE_EXAMPLE}},
    }
    part_numbers = {
        "required": True,
        "content": {JSON: {"schema": _ref("PartNumbers"), "example": PART_NUMBERS_EXAMPLE}},
    }
    return {
        "/api/uploads": {
            "post": {
                "summary": "Promise a file (filename, size_bytes and the job options); parts go to storage",
                "operationId": "createUpload",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": promise,
                "responses": {
                    "201": {**upload, "headers": {"Location": HEADER["Location"]}, "links": UPLOAD_LINKS},
                    "200": _problem("The upload an earlier request with this Idempotency-Key made")
                    | {"content": {JSON: {"schema": _ref("ResumableUpload")}}, "links": UPLOAD_LINKS},
                    "400": _problem("Malformed JSON or Idempotency-Key"),
                    "401": UNAUTHORIZED,
                    "413": _problem("Larger than MAX_UPLOAD_MB"),
                    "422": _problem("Bad field or option, or an Idempotency-Key reused for another request"),
                    "429": _problem("Too much work asked for (rate_limited); see Retry-After"),
                },
            }
        },
        base: {
            "parameters": [upload_id],
            "get": {"summary": "The upload, with parts_done", "operationId": "getUpload",
                    "responses": {"200": upload, "401": UNAUTHORIZED, "404": not_found}},
            "delete": {"summary": "Drop the upload and its parts", "operationId": "deleteUpload",
                       "responses": {"204": {"description": "Dropped"}, "401": UNAUTHORIZED,
                                     "404": not_found}},
        },
        base + "/parts": {
            "parameters": [upload_id],
            "post": {
                "summary": 'Signed URLs to PUT parts to: {"numbers": [1, 2]}',
                "operationId": "signParts",
                "requestBody": part_numbers,
                "responses": {"200": {"description": "Where to PUT each part, until expires_at",
                                      "content": {JSON: {"schema": _ref("SignedParts")}}},
                              "400": _problem("Not a JSON object (malformed_json)"), "401": UNAUTHORIZED,
                              "404": not_found,
                              "409": _problem("Completed, or a number past its parts_total (no_such_part)"),
                              "410": gone,
                              "422": _problem(f"Not 1 to {MAX_PARTS_PER_REQUEST} whole numbers from 1")},
            },
        },
        base + "/parts/{number}": {
            "parameters": [upload_id, number],
            "put": {
                "summary": "A part's bytes, to the signed URL (local-folder storage only; no credentials)",
                "operationId": "putPart",
                "security": [],
                "requestBody": {"required": True, "content": {OCTETS: {"schema": BINARY}}},
                "responses": {"200": {"description": "Stored"}, "400": _problem("Not the part's size"),
                              "403": _problem("Signature wrong or expired"), "404": not_found,
                              "408": _problem("The body stopped arriving"),
                              "411": _problem("No Content-Length")},
            },
        },
        base + "/complete": {
            "parameters": [upload_id],
            "post": {
                "summary": "Join the parts, probe, and make the job (as POST /api/jobs answers)",
                "operationId": "completeUpload",
                "responses": {
                    "202": _job("The job (the same one when completed again)", accepted_headers, JOB_LINKS),
                    "401": UNAUTHORIZED, "404": not_found,
                    "409": _problem("Parts missing or wrongly sized (upload_incomplete)"),
                    "410": gone, "415": _problem("Not a video ffmpeg can read"),
                    "422": _problem("Beyond the server's limits"),
                    "429": _problem("Too much work asked for (rate_limited); see Retry-After"),
                },
            },
        },
    }  # fmt: skip


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    """The vendored viewer (static/api-docs.js boots it) reads /api/openapi.json in the browser."""
    allow_inline_styles()  # the viewer's own <style> elements and style attributes
    return render_template("api_docs.html", keys=keys_configured())
