"""Reading jobs, always through their owner: another owner's job is simply not found."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.jobs.models import STATUSES, Job
from app.problems import Problem, invalid

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# A cursor: the microseconds since 1970 of a job's created_at (naive UTC, as stored) and its id.
# Up to 16 digits is any time a job can have (until the year 2286); the id is a job id's shape.
CURSOR_PATTERN = r"([0-9]{1,16})\.([0-9a-f-]{1,64})"
EPOCH = datetime(1970, 1, 1)


def get_owned(owner: str, job_id: str) -> Job:
    """The owner's job, or a 404 that says nothing about other owners' jobs."""
    job = db.session.get(Job, job_id) if len(job_id) <= 64 else None
    if job is None or job.owner != owner:
        raise Problem(404, "not_found", f"there is no job {job_id!r}")
    return job


def list_owned(
    owner: str, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """A page of the owner's jobs, newest first, and the cursor of the next page (or None)."""
    if status is not None and status not in STATUSES:
        raise invalid([{"field": "status", "message": f"must be one of {', '.join(STATUSES)}"}])
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid([{"field": "limit", "message": f"must be from 1 to {MAX_LIMIT}"}])
    query = select(Job).where(Job.owner == owner)
    if status is not None:
        query = query.where(Job.status == status)
    if cursor is not None:
        created, job_id = _decode(cursor)
        query = query.where(or_(Job.created_at < created, and_(Job.created_at == created, Job.id < job_id)))
    rows = list(db.session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
    following = _encode(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], following


def _encode(job: Job) -> str:
    """``<microseconds since 1970>.<job id>``: where the next page starts, newest first."""
    return f"{(job.created_at - EPOCH) // timedelta(microseconds=1)}.{job.id}"


def _decode(cursor: str) -> tuple[datetime, str]:
    """Any text of the cursor's form names a place in the list (past the end: an empty page)."""
    found = re.fullmatch(CURSOR_PATTERN, cursor)
    if found is None:
        raise invalid([{"field": "cursor", "message": "is not a cursor this server gives out"}])
    return EPOCH + timedelta(microseconds=int(found[1])), found[2]
