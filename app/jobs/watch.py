"""Follow one job: its current state first, then every newer version, until it is terminal.

The subscription is made before the database is read, so no change can fall between the
read and the first event. Every channel (SSE, WebSocket, long poll) is built on this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.events.hub import RESYNC, current_hub
from app.extensions import db
from app.jobs.document import document
from app.jobs.models import TERMINAL, Job


def read_document(job_id: str) -> dict[str, Any] | None:
    """The job's current document (links as paths), without keeping a transaction open.

    The connection goes back to the pool before the document is built (its queue position
    is a Redis round trip): a burst of streams starting at once shares a few connections.
    """
    try:
        job = db.session.get(Job, job_id, populate_existing=True)
    finally:
        db.session.remove()  # the loaded row stays readable, detached
    return None if job is None else document(job)


def watch(job_id: str, after_version: int = 0, idle_seconds: float = 15.0) -> Iterator[dict[str, Any] | None]:
    """Yield documents newer than ``after_version``, ending after the terminal one.

    Yields None after each ``idle_seconds`` without news (time for a heartbeat). Ends
    without a terminal document only if the job is deleted.
    """
    hub = current_hub()
    subscription = hub.subscribe(job_id=job_id)
    try:
        doc = read_document(job_id)
        while doc is not None:
            if doc["version"] > after_version:
                after_version = doc["version"]
                yield doc
            subscription.seen(job_id, after_version)
            if doc["status"] in TERMINAL:
                return
            doc = _next(subscription, job_id, idle_seconds)
            while doc is False:
                yield None
                doc = _next(subscription, job_id, idle_seconds)
    finally:
        hub.unsubscribe(subscription)


def _next(subscription: Any, job_id: str, idle_seconds: float) -> Any:
    message = subscription.get(idle_seconds)
    if message is None:
        return False
    if message is RESYNC:
        return read_document(job_id)
    return message["job"]
