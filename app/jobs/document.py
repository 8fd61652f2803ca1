"""The job object of the contract: the one serializer every channel starts from.

``document`` gives links as paths; ``absolute`` prefixes them with the scheme and host
of whoever receives them (a request's, or the submitting request's for webhooks).
"""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypedDict

from typing_extensions import TypeIs

from app.events.hub import memoized
from app.jobs import queue
from app.jobs.models import QUEUED, SUCCEEDED, Job
from app.timeutil import rfc3339

API_PREFIX = "/api/jobs"


INTERNAL_OPTIONS = ("codec_named",)  # kept with a job for its worker, not part of the contract


class JobLinks(TypedDict):
    self: str
    events: str
    ws: str
    output: str | None
    cancel: str | None
    poster: str | None


class JobDocument(TypedDict):
    """The contract's job object: what the status monitor, events, sockets and webhooks carry."""

    id: str
    status: str
    version: int
    progress: float
    eta_seconds: int | None
    queue_position: int | None
    attempts: int
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    expires_at: str | None
    input: dict[str, Any]
    options: dict[str, Any]
    output: dict[str, Any] | None
    error: dict[str, Any] | None
    segments: dict[str, int] | None
    links: JobLinks
    source_url: NotRequired[str]
    webhook: NotRequired[dict[str, Any]]


class DeletedNotice(TypedDict):
    """What followers of a job receive when it is deleted: the last message of every channel."""

    id: str
    deleted: Literal[True]


JobUpdate = JobDocument | DeletedNotice  # one message about a job, as the events carry it


def deleted_notice(job_id: str) -> DeletedNotice:
    return {"id": job_id, "deleted": True}


def is_deleted(update: JobUpdate) -> TypeIs[DeletedNotice]:
    return "deleted" in update


def job_path(job_id: str, action: str = "") -> str:
    return f"{API_PREFIX}/{job_id}" + (f"/{action}" if action else "")


def document(job: Job) -> JobDocument:
    """The job as the contract shows it, with links as paths (queue position looked up live)."""
    has_output = job.status == SUCCEEDED and not job.files_deleted
    output_path = job_path(job.id, "output") if has_output else None
    has_poster = job.started_at is not None and not job.files_deleted  # made as a worker starts it
    output = None
    if job.output is not None:
        output = {**job.output, "url": output_path}
    doc: JobDocument = {
        "id": job.id,
        "status": job.status,
        "version": job.version,
        "progress": round(job.progress, 1),
        "eta_seconds": job.eta_seconds,
        "queue_position": queue.position(job.id) if job.status == QUEUED else None,
        "attempts": job.attempts,
        "created_at": rfc3339(job.created_at),
        "started_at": rfc3339(job.started_at),
        "finished_at": rfc3339(job.finished_at),
        "expires_at": rfc3339(job.expires_at),
        "input": job.input,
        "options": {name: value for name, value in job.options.items() if name not in INTERNAL_OPTIONS},
        "output": output,
        "error": job.error,
        "segments": job.segments,
        "links": {
            "self": job_path(job.id),
            "events": job_path(job.id, "events"),
            "ws": job_path(job.id, "ws"),
            "output": output_path,
            "cancel": None if job.terminal else job_path(job.id, "cancel"),
            "poster": job_path(job.id, "poster") if has_poster else None,
        },
    }
    if job.source_url is not None:
        doc["source_url"] = job.source_url
    if job.webhook is not None:
        doc["webhook"] = job.webhook
    return doc


def absolute(doc: JobDocument, base_url: str) -> JobDocument:
    """A copy of ``doc`` whose links carry ``base_url`` (``https://host``); ws links get ws(s)."""
    base = base_url.rstrip("/")
    ws_base = "ws" + base[len("http") :] if base.startswith("http") else base
    paths = doc["links"]
    links: JobLinks = {
        "self": base + paths["self"],
        "events": base + paths["events"],
        "ws": ws_base + paths["ws"],
        "output": None if paths["output"] is None else base + paths["output"],
        "cancel": None if paths["cancel"] is None else base + paths["cancel"],
        "poster": None if paths["poster"] is None else base + paths["poster"],
    }
    result: JobDocument = {**doc, "links": links}
    if doc["output"] is not None and doc["output"].get("url"):
        result["output"] = {**doc["output"], "url": links["output"]}
    return result


def absolute_json(doc: JobDocument, base_url: str) -> str:
    """``absolute(doc, base_url)`` as compact JSON, rendered once per base URL for shared documents."""
    return memoized(doc, base_url, lambda: json.dumps(absolute(doc, base_url), separators=(",", ":")))


def webhook_event(job: Job) -> dict[str, str]:
    """The webhook a terminal job sends: its id, target and body, fixed for every retry."""
    body = {
        "type": f"job.{job.status}",
        "timestamp": rfc3339(job.finished_at),
        "data": absolute(document(job), job.base_url or ""),
    }
    return {
        "job_id": job.id,
        "id": "msg_" + job.id.replace("-", ""),
        "url": job.callback_url or "",
        "body": json.dumps(body, separators=(",", ":")),
    }
