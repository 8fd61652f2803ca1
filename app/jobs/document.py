"""The job object of the contract: the one serializer every channel starts from.

``document`` gives links as paths; ``absolute`` prefixes them with the scheme and host
of whoever receives them (a request's, or the submitting request's for webhooks).
"""

from __future__ import annotations

import json

from app.events.memo import memoized
from app.jobs import queue
from app.jobs.contract import DeletedNotice as DeletedNotice
from app.jobs.contract import JobDocument as JobDocument
from app.jobs.contract import JobLinks as JobLinks
from app.jobs.contract import JobUpdate as JobUpdate
from app.jobs.contract import deleted_notice as deleted_notice
from app.jobs.contract import is_deleted as is_deleted
from app.jobs.models import QUEUED, SUCCEEDED, Job
from app.timeutil import rfc3339

API_PREFIX = "/api/jobs"


INTERNAL_OPTIONS = ("codec_named",)  # kept with a job for its worker, not part of the contract


def job_path(job_id: str, action: str = "") -> str:
    return f"{API_PREFIX}/{job_id}" + (f"/{action}" if action else "")


def document(job: Job) -> JobDocument:
    """The job as the contract shows it, with links as paths (queue position looked up live)."""
    has_output = job.status == SUCCEEDED and not job.files_deleted
    output_path = job_path(job.id, "output") if has_output else None
    has_poster = job.poster_at is not None and not job.files_deleted  # linked once it is stored
    output = None
    if job.output is not None:
        output = {**job.output, "url": output_path}
    doc: JobDocument = {
        "id": job.id,
        "status": job.status,
        "version": job.version,
        "progress": round(job.progress, 1),
        "eta_seconds": job.eta_seconds,
        # Queued but not in the queue: a worker has just taken it (or Redis is away): next.
        "queue_position": (queue.position(job.id) or 1) if job.status == QUEUED else None,
        "attempts": job.attempts,
        "created_at": rfc3339(job.created_at),
        "started_at": rfc3339(job.started_at),
        "finished_at": rfc3339(job.finished_at),
        "expires_at": rfc3339(job.expires_at),
        "input": job.input,
        "options": {name: value for name, value in job.options.items() if name not in INTERNAL_OPTIONS},
        "output": output,
        "error": job.error,
        # An ended job runs nothing: its workers may have been stopped mid-segment (a failure,
        # a cancel) without writing the counts again.
        "segments": {**job.segments, "running": 0} if job.segments and job.terminal else job.segments,
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
    """The webhook a terminal job sends: its id, target and body, fixed for every retry. The id
    names the job and the moment it ended: a job the operator retried ends again with another,
    which receivers that drop repeated ids (Standard Webhooks) must not take for a repeat."""
    ended = round(job.finished_at.timestamp() * 1000) if job.finished_at else 0
    body = {
        "type": f"job.{job.status}",
        "timestamp": rfc3339(job.finished_at),
        "data": absolute(document(job), job.base_url or ""),
    }
    return {
        "job_id": job.id,
        "id": f"msg_{job.id.replace('-', '')}_{ended}",
        "url": job.callback_url or "",
        "body": json.dumps(body, separators=(",", ":")),
    }
