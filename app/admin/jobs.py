"""Jobs of every owner by state, and an operator's retry of failed ones (through the lifecycle)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import FAILED, STATUSES, Job
from app.problems import Problem, invalid
from app.units import whole_number

LISTED = 100  # jobs a listing shows by default (the newest first)
LISTED_MAX = 500  # and at most (``limit``)
RETRY_BATCH = 500  # failed jobs one "retry every failed job" takes; ask again for more


def parse_listing(status: str | None, limit: str | None) -> tuple[str, int]:
    """The listing's ``status`` (default failed) and ``limit``; 422 naming what is wrong."""
    errors = []
    chosen = FAILED if status is None else status  # given empty, it names no status: 422 as elsewhere
    if chosen not in STATUSES:
        errors.append({"field": "status", "message": f"must be one of {', '.join(STATUSES)}"})
    count = LISTED
    if limit is not None:
        number = whole_number(limit)
        if number is None or not 1 <= number <= LISTED_MAX:
            errors.append({"field": "limit", "message": f"must be a whole number from 1 to {LISTED_MAX}"})
        else:
            count = number
    if errors:
        raise invalid(errors)
    return chosen, count


def jobs_in(status: str, limit: int = LISTED, files_kept: bool | None = None) -> list[Job]:
    """Every owner's jobs in ``status``, the most recently finished (else created) first; only those
    whose files are kept (or only those whose are not) when ``files_kept`` says so."""
    newest = Job.finished_at.desc() if status == FAILED else Job.created_at.desc()
    query = select(Job).where(Job.status == status)
    if files_kept is not None:
        query = query.where(Job.files_deleted.is_(not files_kept))
    return list(db.session.scalars(query.order_by(newest).limit(limit)))


def retry(job_id: str) -> Job:
    """Queue a failed job again; 404 if there is none, 409 if it is not failed or its input is gone."""
    job = lifecycle.retry(job_id)
    if job is not None:
        return job
    found = db.session.get(Job, job_id)
    if found is None:
        raise Problem(404, "not_found", f"there is no job {job_id!r}")
    if found.status != FAILED:
        raise Problem(409, "not_failed", f"job {job_id} is {found.status}: only a failed job is retried")
    raise Problem(409, "input_gone", f"the input of job {job_id} has expired: it cannot be compressed again")


def retry_failed() -> dict[str, Any]:
    """Queue every failed job whose input is kept (RETRY_BATCH at a time): which went, which not
    (its input expired, or it changed meanwhile)."""
    retried, skipped = [], []
    for job in jobs_in(FAILED, RETRY_BATCH, files_kept=True):
        if lifecycle.retry(job.id) is not None:
            retried.append(job.id)
        else:
            skipped.append({"id": job.id, "reason": "no longer failed, or its input expired meanwhile"})
    for job in jobs_in(FAILED, RETRY_BATCH, files_kept=False):
        skipped.append({"id": job.id, "reason": "its input has expired"})
    return {"retried": retried, "skipped": skipped}
