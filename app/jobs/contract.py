"""The job document's types: what every channel carries about a job (the contract's job object).

A leaf module: ``app.jobs`` builds these (``document.py``) and ``app.events`` carries them, and
both import them from here, so the arrow between those two packages runs one way.
"""

# No ``from __future__ import annotations`` here: TypedDict reads NotRequired[...] from real
# annotations only (as strings, Python 3.11 takes every key as required), and the OpenAPI
# document's required keys come from these classes.
from typing import Any, Literal, NotRequired, TypedDict

from typing_extensions import TypeIs


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
