"""Follow one job: its current state first, then every newer version, until it ends.

The subscription is made before the database is read, so no change can fall between the
read and the first event. Every channel (SSE, WebSocket, long poll) is built on this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from app.events.hub import current_hub
from app.events.subscription import RESYNC, REVOKED, Subscription
from app.extensions import db
from app.jobs.document import JobDocument, JobUpdate, deleted_notice, document, is_deleted
from app.jobs.models import TERMINAL, Job

HEARTBEAT_SECONDS = 15.0  # a quiet stream's keep-alive (SSE) or is-the-client-there check (sockets)


class Revoked(Exception):
    """The API key a stream was opened with has been revoked: the stream ends, sending nothing more."""


def read_document(job_id: str) -> JobDocument | None:
    """The job's current document (links as paths), without keeping a transaction open.

    The connection goes back to the pool before the document is built (its queue position
    is a Redis round trip): a burst of streams starting at once shares a few connections.
    """
    try:
        job = db.session.get(Job, job_id, populate_existing=True)
    finally:
        db.session.remove()  # the loaded row stays readable, detached
    return None if job is None else document(job)


def watch(
    job_id: str,
    after_version: int = 0,
    idle_seconds: float = HEARTBEAT_SECONDS,
    express: Callable[[dict[str, Any]], bool] | None = None,
    credential: str | None = None,
) -> Iterator[JobUpdate | None]:
    """Yield documents newer than ``after_version``, ending after the terminal one.

    Yields None after each ``idle_seconds`` without news (time for a heartbeat). A deleted
    job (now, or before the first read) ends it with a ``deleted_notice``. ``express`` is
    the subscription's (see ``Subscription``): updates it sends itself are not yielded.
    Raises ``Revoked`` once ``credential`` (an API key's digest) is revoked.
    """
    hub = current_hub()
    subscription = hub.subscribe(job_id=job_id, credential=credential)
    subscription.express = express
    try:
        update = _current(job_id)
        while not is_deleted(update):
            if update["version"] > after_version:
                after_version = update["version"]
                yield update
            subscription.seen(job_id, after_version)
            if update["status"] in TERMINAL:
                return
            following = _next(subscription, job_id, idle_seconds)
            while following is None:
                yield None
                following = _next(subscription, job_id, idle_seconds)
            update = following
        yield update
    finally:
        hub.unsubscribe(subscription)


def _current(job_id: str) -> JobUpdate:
    return read_document(job_id) or deleted_notice(job_id)


def _next(subscription: Subscription, job_id: str, idle_seconds: float) -> JobUpdate | None:
    message = subscription.get(idle_seconds)
    if message is None:
        return None
    if message is REVOKED:
        raise Revoked
    if message is RESYNC:
        current = _current(job_id)
        return current if subscription.admit(current) else None  # None: nothing new (a heartbeat)
    update: JobUpdate = message["job"]
    return update
