"""The resumable uploads (contract v2, "Resumable direct uploads"): their schemas and paths."""

from __future__ import annotations

from typing import Any

from app.api.openapi.common import (
    ACCEPTED_HEADERS,
    BINARY,
    HEADER,
    IDEMPOTENCY_KEY,
    JOB_LINKS,
    JSON,
    OCTETS,
    UNAUTHORIZED,
    job,
    links,
    nullable,
    problem,
    ref,
)
from app.api.openapi.options import options
from app.api.reference import PART_NUMBERS_EXAMPLE, UPLOAD_PROMISE_EXAMPLE
from app.api.uploads import FILENAME_PATTERN
from app.units import MB
from app.uploads.models import UPLOAD_STATES
from app.uploads.service import MAX_PARTS_PER_REQUEST

UPLOAD_LINKS = links("upload_id", ("getUpload", "signParts", "completeUpload", "deleteUpload"))


def upload_schemas(max_upload_mb: int) -> dict[str, Any]:
    """The bodies an upload is promised, signed and answered with."""
    text, integer = {"type": "string"}, {"type": "integer"}
    time = {"type": "string", "format": "date-time"}
    return {
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
                **options(max_upload_mb, json=True),
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
                "job": nullable(text),
                "links": {"type": "object", "properties": {k: text for k in ("self", "parts", "complete")}},
            },
        },
    }


def upload_paths() -> dict[str, Any]:
    """/api/uploads and the routes of one upload."""
    upload_id = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    upload = {"description": "The upload", "content": {JSON: {"schema": ref("ResumableUpload")}}}
    not_found = problem("No such upload for this caller")
    gone = problem("The upload expired before it was completed (upload_expired)")
    base = "/api/uploads/{upload_id}"
    promise = {
        "required": True,
        "content": {JSON: {"schema": ref("UploadPromise"), "example": UPLOAD_PROMISE_EXAMPLE}},
    }
    part_numbers = {
        "required": True,
        "content": {JSON: {"schema": ref("PartNumbers"), "example": PART_NUMBERS_EXAMPLE}},
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
                    "200": problem("The upload an earlier request with this Idempotency-Key made")
                    | {"content": {JSON: {"schema": ref("ResumableUpload")}}, "links": UPLOAD_LINKS},
                    "400": problem("Malformed JSON or Idempotency-Key"),
                    "401": UNAUTHORIZED,
                    "413": problem("Larger than MAX_UPLOAD_MB"),
                    "422": problem("Bad field or option, or an Idempotency-Key reused for another request"),
                    "429": problem("Too much work asked for (rate_limited); see Retry-After"),
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
                                      "content": {JSON: {"schema": ref("SignedParts")}}},
                              "400": problem("Not a JSON object (malformed_json)"), "401": UNAUTHORIZED,
                              "404": not_found,
                              "409": problem("Completed, joined (upload_joined: complete it), "
                                             "or a number past its parts_total (no_such_part)"),
                              "410": gone,
                              "422": problem(f"Not 1 to {MAX_PARTS_PER_REQUEST} whole numbers from 1")},
            },
        },
        base + "/parts/{number}": {
            "parameters": [upload_id, number],
            "put": {
                "summary": "A part's bytes, to the signed URL (local-folder storage only; no credentials)",
                "operationId": "putPart",
                "security": [],
                "requestBody": {"required": True, "content": {OCTETS: {"schema": BINARY}}},
                "responses": {"200": {"description": "Stored"}, "400": problem("Not the part's size"),
                              "403": problem("Signature wrong or expired"), "404": not_found,
                              "408": problem("The body stopped arriving"),
                              "411": problem("No Content-Length")},
            },
        },
        base + "/complete": {
            "parameters": [upload_id],
            "post": {
                "summary": "Join the parts, probe, and make the job (as POST /api/jobs answers)",
                "operationId": "completeUpload",
                "responses": {
                    "202": job("The job (the same one when completed again)", ACCEPTED_HEADERS, JOB_LINKS),
                    "401": UNAUTHORIZED, "404": not_found,
                    "409": problem("Parts missing or wrongly sized (upload_incomplete)"),
                    "410": gone, "415": problem("Not a video ffmpeg can read"),
                    "422": problem("Beyond the server's limits"),
                    "429": problem("Too much work asked for (rate_limited); see Retry-After"),
                },
            },
        },
    }  # fmt: skip
