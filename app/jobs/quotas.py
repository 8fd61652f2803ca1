"""Per-key quotas, checked as a job is accepted: jobs at once, and minutes of video a month.

A key made with quotas (``flask keys create``, ``POST /api/admin/keys``) carries
``max_concurrent_jobs`` (its jobs queued or running at once) and ``monthly_minutes`` (minutes of
video accepted over the last 30 days, from the usage ledger). Past either, the submission is
refused with ``429 quota_exceeded``; a concurrency refusal says when to try again. Two submits
racing for the last place may both pass: a quota is a fair-use bound, not a lock.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.auth.keys import key_of_owner
from app.extensions import db
from app.jobs import usage
from app.jobs.models import ACTIVE, Job
from app.problems import Problem
from app.timeutil import utcnow

QUOTA_RETRY_SECONDS = 30  # Retry-After past max_concurrent_jobs: about when a short job frees its place
MONTH = timedelta(days=30)


def check(owner: str, video_seconds: float | None) -> None:
    """Refuse (429 quota_exceeded) a new job of ``video_seconds`` (None: not known yet, a
    source_url) that would take the owner's key past one of its quotas."""
    key = key_of_owner(owner)
    if key is None:
        return
    if key.max_concurrent_jobs is not None:
        _check_concurrency(owner, key.max_concurrent_jobs)
    if key.monthly_minutes is not None:
        _check_minutes(owner, key.monthly_minutes, video_seconds)


def _check_concurrency(owner: str, most: int) -> None:
    active = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.owner == owner, Job.status.in_(ACTIVE))
    )
    if (active or 0) >= most:
        detail = (
            f"this key may have {most} jobs queued or running at once; "
            f"try again when one has finished (in about {QUOTA_RETRY_SECONDS} s)"
        )
        raise Problem(429, "quota_exceeded", detail, headers={"Retry-After": str(QUOTA_RETRY_SECONDS)})


def _check_minutes(owner: str, monthly_minutes: int, video_seconds: float | None) -> None:
    used = usage.minutes_since(owner, utcnow() - MONTH)
    asked = (video_seconds or 0.0) / 60
    unknown_and_full = video_seconds is None and used >= monthly_minutes  # any video takes some
    if used + asked > monthly_minutes or unknown_and_full:
        needs = "none are left" if video_seconds is None else f"this video needs {asked:.1f}"
        allowed = f"this key may compress {monthly_minutes} minutes of video in 30 days"
        detail = f"{allowed}; {used:.1f} are used and {needs}"
        raise Problem(429, "quota_exceeded", detail)
