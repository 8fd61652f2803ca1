"""Removing jobs: on request (DELETE), and by age (OUTPUT_TTL_HOURS, JOB_TTL_DAYS)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import ACTIVE, TERMINAL, Job
from app.storage import job_storage
from app.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 500  # rows handled per cleanup pass; the next pass takes the rest


def delete_job(job_id: str) -> None:
    """Cancel the job if active, then delete its files and its record."""
    job = db.session.get(Job, job_id)
    if job is not None and job.status in ACTIVE:
        lifecycle.cancel(job_id)
    job_storage().remove_files(job_id)
    db.session.execute(delete(Job).where(Job.id == job_id))
    db.session.commit()


def expire_outputs() -> int:
    """Delete the files of jobs whose ``expires_at`` has passed; return how many."""
    due = db.session.scalars(
        select(Job.id)
        .where(Job.status.in_(TERMINAL), Job.files_deleted.is_(False), Job.expires_at <= utcnow())
        .limit(BATCH)
    ).all()
    for job_id in due:
        job_storage().remove_files(job_id)
        lifecycle.mark_files_deleted(job_id)
    return len(due)


def purge_records() -> int:
    """Delete records (and any files left) JOB_TTL_DAYS after their job finished."""
    cutoff = utcnow() - timedelta(days=current_app.config["JOB_TTL_DAYS"])
    due = db.session.scalars(
        select(Job.id).where(Job.status.in_(TERMINAL), Job.finished_at <= cutoff).limit(BATCH)
    ).all()
    for job_id in due:
        job_storage().remove_files(job_id)
    if due:
        db.session.execute(delete(Job).where(Job.id.in_(due)))
        db.session.commit()
    return len(due)
