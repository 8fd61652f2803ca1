"""Removing a job's bytes and records: on cancel and delete, and by age (OUTPUT_TTL_HOURS, JOB_TTL_DAYS)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import ACTIVE, TERMINAL, Job
from app.storage import StorageError, job_prefix, job_storage
from app.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 500  # rows handled per cleanup pass; the next pass takes the rest


def remove_files(job_id: str) -> bool:
    """Delete every stored object of the job; False if the store could not be reached (retry later)."""
    try:
        job_storage().delete_prefix(job_prefix(job_id))
    except StorageError as exc:
        log.warning("files of job %s not deleted yet: %s", job_id, exc)
        return False
    return True


def cancel_job(job_id: str) -> Job | None:
    """Cancel a queued or running job and delete its files; None if it had already ended."""
    job = lifecycle.cancel(job_id)
    if job is not None and remove_files(job_id):
        job = lifecycle.mark_files_deleted(job_id) or job
    return job


def delete_job(job_id: str) -> None:
    """Cancel the job if active, then delete its files and its record."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    owner = job.owner
    if job.status in ACTIVE:
        lifecycle.cancel(job_id, announce_it=False)
    remove_files(job_id)  # if the store is away, the worker or retention of orphans finish it
    db.session.execute(delete(Job).where(Job.id == job_id))
    db.session.commit()
    lifecycle.announce_deleted(owner, job_id)


def expire_outputs() -> int:
    """Delete the files of jobs whose ``expires_at`` has passed; return how many."""
    due = db.session.scalars(
        select(Job.id)
        .where(Job.status.in_(TERMINAL), Job.files_deleted.is_(False), Job.expires_at <= utcnow())
        .limit(BATCH)
    ).all()
    expired = 0
    for job_id in due:
        if remove_files(job_id):
            lifecycle.mark_files_deleted(job_id)
            expired += 1
    return expired


def purge_records() -> int:
    """Delete records (and any files left) JOB_TTL_DAYS after their job finished."""
    cutoff = utcnow() - timedelta(days=current_app.config["JOB_TTL_DAYS"])
    due = db.session.execute(
        select(Job.id, Job.owner).where(Job.status.in_(TERMINAL), Job.finished_at <= cutoff).limit(BATCH)
    ).all()
    gone = [(job_id, owner) for job_id, owner in due if remove_files(job_id)]
    if gone:
        db.session.execute(delete(Job).where(Job.id.in_([job_id for job_id, _ in gone])))
        db.session.commit()
    for job_id, owner in gone:
        lifecycle.announce_deleted(owner, job_id)
    return len(gone)
