"""The operators' part of the OpenAPI document: ``/api/admin/...`` and the console's page routes.

``app/api/openapi/__init__.py`` merges it in (``with_admin_operations``). Every operation documents its
404: that is what anyone without an admin key gets, exactly as for an unknown address. The
quotas' ``429 quota_exceeded`` is added to the operations that make a job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.admin.jobs import LISTED, LISTED_MAX, RETRY_BATCH
from app.admin.schemas import ref, schemas
from app.auth.admin import admin_bearer, admin_session
from app.jobs.models import FAILED, STATUSES
from app.jobs.quotas import QUOTA_RETRY_SECONDS

JSON = "application/json"
HTML = "text/html"
PROBLEM = "application/problem+json"
# An admin key, or an operator's signed-in session.
SECURITY: list[dict[str, list[str]]] = [{"adminKey": []}, {"session": []}]
MAKES_JOBS = ("submitJob", "completeUpload")  # where a key's quotas are checked
OPERATOR_SIGN_IN = " With a key of ADMIN_KEYS: an operator's session, answered 303 to /admin."
QUOTA = (
    f"Past a key's quota (quota_exceeded): max_concurrent_jobs (with Retry-After, {QUOTA_RETRY_SECONDS} s)"
    " or monthly_minutes"
)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


NOT_AN_OPERATOR = _problem(
    "Not an operator (no ADMIN_KEYS, or no admin key or operator session): the same answer as for "
    "any unknown address. For an operator: no such queue, job or key"
)
HIDDEN = _problem("Not an operator: the same answer as for any unknown address")


def _operation(summary: str, operation_id: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    unsafe = extra.pop("unsafe", False)
    refusals = {"404": NOT_AN_OPERATOR}
    if unsafe:
        refusals["400"] = _problem("A bad body (malformed_json)")
        refusals["403"] = _problem("An operator session without its CSRF token (csrf_failed)")
    return {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["admin"],
        "security": SECURITY,
        **extra,
        "responses": {**responses, **refusals},
    }


def api_paths() -> dict[str, Any]:
    queue_name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    job_id = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    key_id = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    queue = _json("The queue as it now stands", ref("AdminQueue"))
    key_list = {"type": "object", "properties": {"keys": {"type": "array", "items": ref("ApiKey")}}}
    return {
        "/api/admin/queues": {
            "get": _operation(
                "Each queue: depth, oldest waiting, running, failed, paused",
                "adminQueues",
                {"200": _json("The queues", {"type": "object", "properties": {
                    "queues": {"type": "array", "items": ref("AdminQueue")}}})},
            )
        },
        "/api/admin/queues/{name}/pause": {
            "parameters": [queue_name],
            "post": _operation(
                "Pause a queue's intake: workers finish what they run and take nothing new from it",
                "adminPauseQueue",
                {"200": queue},
                unsafe=True,
            ),
        },
        "/api/admin/queues/{name}/resume": {
            "parameters": [queue_name],
            "post": _operation("Resume a queue's intake", "adminResumeQueue", {"200": queue}, unsafe=True),
        },
        "/api/admin/workers": {
            "get": _operation(
                "Each RQ worker: host, pid, state, the job or segment it runs and since when, last heartbeat",
                "adminWorkers",
                {"200": _json("The workers", {"type": "object", "properties": {
                    "workers": {"type": "array", "items": ref("AdminWorker")}}})},
            )
        },
        "/api/admin/jobs": {
            "get": _operation(
                "Every owner's jobs in one state (failed by default), newest first",
                "adminJobs",
                {
                    "200": _json("The jobs", {"type": "object", "properties": {
                        "status": {"type": "string"}, "jobs": {"type": "array", "items": ref("AdminJob")}}}),
                    "422": _problem("A bad status or limit"),
                },
                parameters=[
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES),
                                                                 "default": FAILED}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                "maximum": LISTED_MAX, "default": LISTED}},
                ],
            )
        },
        "/api/admin/jobs/{job_id}/retry": {
            "parameters": [job_id],
            "post": _operation(
                "Queue a failed job again, as new (attempts from 0)",
                "adminRetryJob",
                {
                    "202": _json("Queued again", ref("AdminJob")),
                    "409": _problem("Not failed (not_failed), or its input has expired (input_gone)"),
                },
                unsafe=True,
            ),
        },
        "/api/admin/jobs/retry-failed": {
            "post": _operation(
                f"Queue every failed job again whose input is kept ({RETRY_BATCH} at a time)",
                "adminRetryFailed",
                {"200": _json("What was queued and what was skipped", {"type": "object", "properties": {
                    "retried": {"type": "array", "items": {"type": "string"}},
                    "skipped": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "reason": {"type": "string"}}}}}})},
                unsafe=True,
            )
        },
        "/api/admin/keys": {
            "get": _operation("API keys made here or with `flask keys` (never their secrets)", "adminKeys",
                              {"200": _json("The keys", key_list)}),
            "post": _operation(
                "Make an API key with its quotas; the secret is in this answer only",
                "adminCreateKey",
                {"201": _json("The key and its secret", ref("CreatedApiKey")),
                 "422": _problem("A bad name or quota (see errors)")},
                requestBody={"required": True, "content": {JSON: {"schema": ref("NewApiKey")}}},
                unsafe=True,
            ),
        },
        "/api/admin/keys/{key_id}": {
            "parameters": [key_id],
            "delete": _operation("Revoke a key (its clients and sessions stop working)", "adminRevokeKey",
                                 {"200": _json("The revoked key", ref("ApiKey"))}, unsafe=True),
        },
        "/api/admin/usage": {
            "get": _operation("Each owner's use over 24 hours and 30 days", "adminUsage",
                              {"200": _json("Usage", ref("Usage"))}),
        },
    }  # fmt: skip


def console_paths() -> dict[str, Any]:
    """The page's routes (HTML answers for HTMX), each doing what its /api/admin twin does."""
    page = {"200": {"description": "HTML", "content": {HTML: {}}}}

    def html(summary: str, operation_id: str, unsafe: bool = False, **extra: Any) -> dict[str, Any]:
        operation = _operation(summary, operation_id, page, unsafe=unsafe, **extra)
        operation["security"] = [{"session": []}, {"adminKey": []}]
        return operation

    fragments = {
        f"/admin/fragments/{name}": {
            "get": html(f"The console's {name} table", f"consoleFragment{name.title()}")
        }
        for name in ("queues", "workers", "failed", "usage")
    }
    path = {"in": "path", "required": True}
    actions = ["pause", "resume"]
    return {
        "/admin": {"get": html("The operators' console (sign in at /signin with an admin key)", "console")},
        **fragments,
        "/admin/queues/{name}/{action}": {
            "parameters": [{"name": "name", **path, "schema": {"type": "string"}},
                           {"name": "action", **path, "schema": {"type": "string", "enum": actions}}],
            "post": html("Pause or resume a queue's intake; the queues table", "consoleQueueAction", True),
        },
        "/admin/jobs/{job_id}/retry": {
            "parameters": [{"name": "job_id", **path, "schema": {"type": "string"}}],
            "post": html("Retry a failed job; the failed jobs table", "consoleRetryJob", True),
        },
        "/admin/jobs/retry-failed": {
            "post": html("Retry every failed job; the failed jobs table", "consoleRetryFailed", True),
        },
        "/admin/keys": {
            "post": html("Make a key (form fields as NewApiKey); the keys table with its secret, once",
                         "consoleCreateKey", True),
        },
        "/admin/keys/{key_id}/revoke": {
            "parameters": [{"name": "key_id", **path, "schema": {"type": "integer"}}],
            "post": html("Revoke a key; the keys table", "consoleRevokeKey", True),
        },
    }  # fmt: skip


ADMIN_TAG = {"name": "admin", "description": "The operators' console and API: with a key of ADMIN_KEYS only"}


def merge(spec: dict[str, Any], operator: bool = True) -> dict[str, Any]:
    """``spec`` with the quotas' 429 and, for an ``operator``, the operators' operations, schemas
    and security scheme. Anyone else is answered 404 under the console's prefixes, for any
    method, as for an address that does not exist: the document they get does not list them
    either (it would say operators exist, and promise answers they never get)."""
    if operator:
        components = spec.setdefault("components", {})
        components.setdefault("securitySchemes", {})["adminKey"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "A key of ADMIN_KEYS; anyone else gets 404 under /admin and /api/admin",
        }
        components.setdefault("schemas", {}).update(schemas())
        spec.setdefault("paths", {}).update({**api_paths(), **console_paths()})
        spec.setdefault("tags", []).append(ADMIN_TAG)
    for item in spec["paths"].values():
        for operation in item.values():
            if operator and isinstance(operation, dict) and operation.get("operationId") == "signin":
                operation["description"] = (operation.get("description", "") + OPERATOR_SIGN_IN).strip()
            if isinstance(operation, dict) and operation.get("operationId") in MAKES_JOBS:
                responses = operation.setdefault("responses", {})
                earlier = responses.get("429")
                described = f"{earlier['description']}; or: {QUOTA}" if earlier else QUOTA
                responses["429"] = _problem(described)
    return spec


def with_admin_operations(document: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Decorate the API's ``document()`` so it includes the operators' part."""

    def merged() -> dict[str, Any]:
        return merge(document(), operator=admin_bearer() or admin_session())

    merged.__doc__ = document.__doc__
    return merged
