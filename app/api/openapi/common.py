"""What the OpenAPI modules share: media types, response builders, headers and parameters."""

from __future__ import annotations

from typing import Any

from app.api.responses import MAX_RETRY_AFTER, MIN_RETRY_AFTER
from app.jobs.idempotency import MAX_KEY_LENGTH

JSON = "application/json"
PROBLEM = "application/problem+json"
OCTETS = "application/octet-stream"
BINARY = {"type": "string", "format": "binary", "contentMediaType": OCTETS}  # what generators read


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


def job(
    description: str, headers: dict[str, Any] | None = None, links: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A response whose body is the job."""
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": ref("Job")}}}
    if headers:
        response["headers"] = headers
    if links:
        response["links"] = links
    return response


def links(parameter: str, operations: tuple[str, ...]) -> dict[str, Any]:
    """OpenAPI links: the id in the answer's body names ``parameter`` of each operation."""
    return {
        operation: {"operationId": operation, "parameters": {parameter: "$response.body#/id"}}
        for operation in operations
    }


JOB_LINKS = links(
    "job_id", ("getJob", "cancelJob", "deleteJob", "getOutput", "getPoster", "getFrame", "jobEvents")
)
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
ACCEPTED_HEADERS = {k: HEADER[k] for k in ("Location", "Operation-Location", "Retry-After", "ETag")}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
NOT_FOUND = problem("No such job for this caller (another owner's job is answered the same way)")
UNAUTHORIZED = problem("An API key is configured and the request has none, or a wrong one")
CSRF_FAILED = problem("A browser session's unsafe request without its page's CSRF token (csrf_failed)")
PUBLIC: list[dict[str, list[str]]] = []  # no credentials asked for
