"""The one place a job changes state. Every change bumps ``version`` and is announced.

Each transition is a single conditional UPDATE (``WHERE status IN allowed``), so two
processes racing (a cancel and a finishing worker) cannot both win.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, CursorResult, Update, and_, case, select, update

from app import events, metrics
from app.extensions import db, redis_client
from app.jobs import queue, usage
from app.jobs.document import deleted_notice, document, webhook_event
from app.jobs.models import (
    CANCELED,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    SEGMENT_FAILED,
    SEGMENT_WAITING,
    SUCCEEDED,
    Job,
    SegmentRecord,
    Status,
)
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# Allowed moves. running -> queued is a retry after a worker died or was restarted;
# failed -> queued is an operator's retry (``retry``), with fresh attempts.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    QUEUED: frozenset({RUNNING, CANCELED, FAILED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELED, QUEUED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset({QUEUED}),
    CANCELED: frozenset(),
}


def sources_of(target: Status) -> list[Status]:
    """The states from which ``target`` may be reached."""
    return [state for state, targets in TRANSITIONS.items() if target in targets]


def create(job: Job) -> Job:
    """Record a new queued job, put it on the queue and announce it.

    The record is committed first: it is the source of truth. If Redis is down the job
    stays queued in the database and the reconciler enqueues it later.
    """
    job.status, job.version = QUEUED, 1
    db.session.add(job)
    db.session.commit()
    usage.record(job)
    _enqueue(job)
    announce(job)
    return job


def start(job_id: str) -> Job | None:
    """queued -> running for a worker's new attempt; None if the job is no longer queued."""
    now = utcnow()
    return _move(
        job_id,
        RUNNING,
        attempts=Job.attempts + 1,
        starts=Job.starts + 1,
        started_at=now,
        heartbeat_at=now,
        progress=0.0,
        eta_seconds=None,
    )


def report_progress(job_id: str, percent: float, eta_seconds: int | None, attempt: int | None = None) -> bool:
    """Record progress of a running job; False once the job is no longer running (or no longer
    running ``attempt``: another worker took it over)."""
    values = {"progress": percent, "eta_seconds": eta_seconds, "heartbeat_at": utcnow()}
    return _change(job_id, [RUNNING], only_if=_during(attempt), **values)


def report_segments(job_id: str, segments: dict[str, int], percent: float, eta_seconds: int | None) -> bool:
    """Record a split job's segment counts and progress (never lower within an attempt: its
    segments report from several hosts); False once the job is no longer running.

    The coordinator's lease is left alone: helpers reporting must not hide that it died.
    """
    progress = case((Job.progress > percent, Job.progress), else_=percent)
    return _change(job_id, [RUNNING], segments=segments, progress=progress, eta_seconds=eta_seconds)


def poster_made(job_id: str) -> bool:
    """The running job's poster is stored: its link appears (a change its followers see, so a
    page asks for the picture once it exists); False once the job is no longer running."""
    return _change(job_id, [RUNNING], poster_at=utcnow())


def lease_lapsed_before() -> datetime:
    """A running job (or segment claim) last renewed before this has lost its worker
    (LEASE_SECONDS ago)."""
    return utcnow() - timedelta(seconds=current_app.config["LEASE_SECONDS"])


def renew_lease(job_id: str, attempt: int | None = None) -> bool:
    """The worker is alive and still on this job (and on ``attempt`` of it, when given); no
    version bump: nothing a client sees."""
    stmt = update(Job).where(Job.id == job_id, Job.status == RUNNING).values(heartbeat_at=utcnow())
    if (current := _during(attempt)) is not None:
        stmt = stmt.where(current)
    renewed = _execute(stmt).rowcount == 1
    db.session.commit()
    return renewed


def succeed(job_id: str, output: dict[str, Any], attempt: int | None = None) -> Job | None:
    """running -> succeeded with ``output`` (only during ``attempt``, when given)."""
    done = {"output": output, "progress": 100.0, "eta_seconds": 0, **_finish_times()}
    return _move(job_id, SUCCEEDED, only_if=_during(attempt), **done)


def fail(job_id: str, code: str, message: str, attempt: int | None = None) -> Job | None:
    """-> failed with the error a client reads (only during ``attempt``, when given: an attempt
    whose lease lapsed must not fail the job another worker is running)."""
    error = {"code": code, "message": message}
    return _move(job_id, FAILED, only_if=_during(attempt), error=error, eta_seconds=None, **_finish_times())


def cancel(job_id: str, announce_it: bool = True) -> Job | None:
    """Cancel a queued or running job (a running worker notices and stops ffmpeg).

    ``announce_it=False`` when the job is about to be deleted: followers hear of that instead.
    """
    job = _move(job_id, CANCELED, announce_it=announce_it, eta_seconds=None, **_finish_times())
    if job is not None:
        try:
            queue.remove_from_queue(job_id)
        except RedisError as exc:  # the worker checks the record before starting anyway
            log.warning("could not take job %s off the queue: %s", job_id, exc)
    return job


def requeue(job_id: str, attempt: int | None = None) -> Job | None:
    """running -> queued for another attempt (its worker died, stalled or was stopped); only
    from ``attempt``, when given."""
    job = _update(
        job_id, [RUNNING], only_if=_during(attempt), status=QUEUED, progress=0.0, eta_seconds=None,
        heartbeat_at=None,
    )  # fmt: skip
    if job is not None:
        _enqueue(job)
        announce(job)
    return job


def retry(job_id: str) -> Job | None:
    """failed -> queued, as new: attempts, error, times, output, poster and segments cleared, a
    webhook pending again, a split job planned again (its segments go with its failure; any that outlived it
    wait again, its finished ones kept). None if the job is not failed, or its input is gone
    (``files_deleted``: nothing to compress)."""
    webhook = db.session.scalar(select(Job.webhook).where(Job.id == job_id))
    if webhook is not None:
        webhook = {**webhook, "state": PENDING, "attempts": 0, "last_status": None}
    job = _update(
        job_id,
        [FAILED],
        only_if=Job.files_deleted.is_(False),
        status=QUEUED,
        attempts=0,
        error=None,
        output=None,
        progress=0.0,
        eta_seconds=None,
        started_at=None,
        finished_at=None,
        terminal_version=None,
        expires_at=None,
        heartbeat_at=None,
        poster_at=None,  # stored again by the new start (its link waits for it)
        segments=None,  # planned again by the new start
        webhook=webhook,
    )
    if job is None:
        return None
    db.session.execute(
        update(SegmentRecord)
        .where(SegmentRecord.job_id == job_id, SegmentRecord.state == SEGMENT_FAILED)
        .values(state=SEGMENT_WAITING, attempts=0, progress=0.0, error=None, heartbeat_at=None)
    )
    db.session.commit()
    _enqueue(job)
    announce(job)
    return job


def _enqueue(job: Job) -> None:
    try:
        queue.enqueue_compression(job.id)
    except RedisError as exc:
        log.warning("job %s recorded but not enqueued (%s); the reconciler will retry", job.id, exc)


def record_webhook(job_id: str, webhook: dict[str, Any]) -> Job | None:
    """Store the webhook delivery summary (a change of the job like any other)."""
    return _update(job_id, None, webhook=webhook, announce_it=True)


def record_input(job_id: str, facts: dict[str, Any]) -> Job | None:
    """Store the input facts learned after a download."""
    return _update(job_id, [RUNNING], input=facts, announce_it=True)


def mark_files_deleted(job_id: str) -> Job | None:
    return _update(job_id, None, files_deleted=True, announce_it=True)


def announce(job: Job) -> None:
    """Publish the job's current state to every listener."""
    events.publish(redis_client(), job.owner, document(job))


def announce_deleted(owner: str, job_id: str) -> None:
    """Tell every listener the job is gone: streams end, sockets close, pages drop the row."""
    events.publish(redis_client(), owner, deleted_notice(job_id))


def _finish_times() -> dict[str, Any]:
    """What every end writes besides its state: when, when its files go, and the version it
    ends with (the one its UPDATE makes, ``_update``)."""
    now = utcnow()
    expires = now + timedelta(hours=current_app.config["OUTPUT_TTL_HOURS"])
    return {"finished_at": now, "expires_at": expires, "terminal_version": Job.version + 1}


def _during(attempt: int | None) -> ColumnElement[bool] | None:
    """A change's condition that the job is still running ``attempt``, the start it was given
    (``Job.starts``; None: any attempt; a job queued again keeps its count, so a lapsed attempt
    must not fail it either).

    A worker whose lease lapsed (a long pause, a network partition) may wake up after the
    reconciler gave its job to another worker, or after an operator's retry started it anew:
    its writes must not touch that attempt's job. ``attempts`` would not tell them apart after
    a retry (it starts again from 1); ``starts`` never repeats.
    """
    return None if attempt is None else and_(Job.status == RUNNING, Job.starts == attempt)


def _move(
    job_id: str,
    target: Status,
    announce_it: bool = True,
    only_if: ColumnElement[bool] | None = None,
    **values: Any,
) -> Job | None:
    job = _update(job_id, sources_of(target), announce_it, only_if, status=target, **values)
    if job is not None and job.terminal:
        metrics.count("jobs_finished", status=job.status)
        usage.record(job)
    if job is not None and job.terminal and job.callback_url:
        try:
            queue.enqueue_webhook(webhook_event(job))
        except RedisError as exc:  # the reconciler sends webhooks still pending on finished jobs
            log.warning("webhook of job %s not enqueued: %s", job.id, exc)
    return job


def _change(
    job_id: str, states: list[Status], only_if: ColumnElement[bool] | None = None, **values: Any
) -> bool:
    return _update(job_id, states, announce_it=True, only_if=only_if, **values) is not None


def _update(
    job_id: str,
    states: list[Status] | None,
    announce_it: bool = False,
    only_if: ColumnElement[bool] | None = None,
    **values: Any,
) -> Job | None:
    """UPDATE the job if it is in one of ``states`` (any, if None) and ``only_if`` holds; bump
    version; announce.

    Only the version this UPDATE made is announced: if another process changed the job in
    between (a cancel before a delete, which is deliberately not announced), this one stays quiet.
    """
    stmt = update(Job).where(Job.id == job_id).values(version=Job.version + 1, **values)
    if states is not None:
        stmt = stmt.where(Job.status.in_(states))
    if only_if is not None:
        stmt = stmt.where(only_if)
    made: int | None = db.session.execute(stmt.returning(Job.version)).scalar_one_or_none()
    db.session.commit()
    if made is None:
        return None
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is not None and announce_it and job.version == made:
        announce(job)
    return job


def _execute(stmt: Update) -> CursorResult[Any]:
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as any Result.
    return cast(CursorResult[Any], db.session.execute(stmt))
