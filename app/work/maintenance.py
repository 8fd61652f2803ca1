"""Periodic upkeep, run by whichever worker is idle, one at a time under a Redis lock.

- Retention: delete outputs past ``expires_at`` and records past JOB_TTL_DAYS.
- Reconcile: the database is the source of truth. A running job whose lease lapsed lost
  its worker: queue it again (or fail it after JOB_MAX_ATTEMPTS). A queued job that Redis
  no longer holds (a restart without persistence, FLUSHALL) is enqueued again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq.exceptions import StopRequested
from sqlalchemy import or_, select

from app.extensions import db
from app.jobs import lifecycle, queue, retention, usage
from app.jobs.models import QUEUED, RUNNING, Job
from app.timeutil import utcnow
from app.uploads import service as uploads
from app.work import segments

log = logging.getLogger(__name__)
LOCK_KEY = "squeeze:maintenance"
ENQUEUE_GRACE_SECONDS = 5  # a job is recorded a moment before it is enqueued: leave it be


def run_if_due(redis: Redis) -> bool:
    """Run one pass unless another worker ran one within MAINTENANCE_SECONDS (every worker
    offers to, as often as that, beside RQ's registry upkeep: app/work/runner.py)."""
    if not redis.set(LOCK_KEY, "1", nx=True, ex=current_app.config["MAINTENANCE_SECONDS"]):
        return False
    try:
        reconcile()
        retention.expire_outputs()
        retention.purge_records()
        usage.purge()
        uploads.expire()
        uploads.purge(timedelta(days=current_app.config["JOB_TTL_DAYS"]))
    except StopRequested:  # RQ's SIGTERM while idle (an Exception too): the worker must stop
        db.session.rollback()
        raise
    except Exception:  # upkeep must never take a worker down
        log.exception("maintenance pass failed")
        db.session.rollback()
    finally:
        db.session.remove()
    return True


def reconcile() -> tuple[int, int]:
    """Requeue jobs whose worker died and jobs Redis forgot; (requeued running, re-enqueued queued)."""
    now = utcnow()
    lapsed = lifecycle.lease_lapsed_before()
    orphans = db.session.scalars(
        select(Job).where(
            Job.status == RUNNING,
            or_(Job.heartbeat_at < lapsed, Job.heartbeat_at.is_(None) & (Job.started_at < lapsed)),
        )
    ).all()
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    for job in orphans:
        if job.attempts >= max_attempts:
            message = f"the worker stopped during each of {job.attempts} attempts; it will not be tried again"
            if lifecycle.fail(job.id, "worker_lost", message, job.starts) is not None:
                segments.discard(job.id)  # a split job's segments: nobody will join them now
        else:
            log.warning("job %s lost its worker (attempt %s); queueing it again", job.id, job.attempts)
            lifecycle.requeue(job.id, job.starts)
    waiting = db.session.scalars(
        select(Job.id).where(
            Job.status == QUEUED, Job.created_at < now - timedelta(seconds=ENQUEUE_GRACE_SECONDS)
        )
    ).all()
    forgotten = [job_id for job_id in waiting if not queue.is_waiting(job_id)]
    for job_id in forgotten:
        log.warning("job %s is queued but Redis does not hold it; enqueueing it again", job_id)
        queue.enqueue_compression(job_id)
    return len(orphans), len(forgotten)
