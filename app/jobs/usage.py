"""What each owner used: one ledger row per job, kept USAGE_DAYS whatever becomes of the job.

Job records go JOB_TTL_DAYS after finishing (7 by default) or when their owner deletes them,
so the 30-day figures and the monthly quota cannot be read off the jobs table: the lifecycle
writes the row when the job is accepted and again when it ends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.jobs.models import Job
from app.media.trim import trim_of
from app.timeutil import utcnow

USAGE_DAYS = 31  # ledger rows live this long: the longest window shown (30 days) and a day more
WINDOWS = {"24h": timedelta(hours=24), "30d": timedelta(days=30)}


class UsageRecord(Model):
    """One job's use: accepted when, its input (bytes, seconds of video), output, encode time."""

    __tablename__ = "usage"

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    input_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    video_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    output_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    encode_seconds: Mapped[float] = mapped_column(Float, default=0.0)


@dataclass(frozen=True)
class Totals:
    jobs: int
    input_bytes: int
    output_bytes: int
    video_minutes: float
    encode_seconds: float

    def body(self) -> dict[str, Any]:
        return asdict(self)


def charged_seconds(video_seconds: float | None, start: float | None, end: float | None) -> float | None:
    """The seconds of video a job counts for (usage, ``monthly_minutes``): the part a trim from
    ``start`` to ``end`` keeps of a video ``video_seconds`` long, else all of it."""
    trim = trim_of(start, end, video_seconds)
    return video_seconds if trim is None else max(trim.length, 0.0)


def record(job: Job) -> None:
    """Write the job's figures as they stand (on acceptance, then once it has ended)."""
    row = db.session.get(UsageRecord, job.id) or UsageRecord(
        job_id=job.id, owner=job.owner, created_at=job.created_at
    )
    row.input_bytes = int(job.input.get("size_bytes") or 0)
    asked = job.options or {}
    seconds = charged_seconds(
        job.input.get("duration_seconds"), asked.get("start_seconds"), asked.get("end_seconds")
    )
    row.video_seconds = float(seconds or 0.0)
    row.output_bytes = int((job.output or {}).get("size_bytes") or 0)
    if job.started_at is not None and job.finished_at is not None:
        row.encode_seconds = max((job.finished_at - job.started_at).total_seconds(), 0.0)
    db.session.add(row)
    db.session.commit()


def minutes_since(owner: str, since: datetime) -> float:
    """Minutes of video the owner's jobs accepted since ``since`` held."""
    seconds = db.session.scalar(
        select(func.coalesce(func.sum(UsageRecord.video_seconds), 0.0)).where(
            UsageRecord.owner == owner, UsageRecord.created_at >= since
        )
    )
    return float(seconds or 0.0) / 60


def per_owner() -> dict[str, dict[str, dict[str, Any]]]:
    """Each owner's totals over every window: ``{owner: {"24h": {...}, "30d": {...}}}``."""
    now = utcnow()
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for window, span in WINDOWS.items():
        for owner, totals in _totals_since(now - span).items():
            found.setdefault(owner, {name: _empty().body() for name in WINDOWS})[window] = totals.body()
    return dict(sorted(found.items()))


def purge() -> int:
    """Drop ledger rows older than USAGE_DAYS; how many went."""
    cutoff = utcnow() - timedelta(days=USAGE_DAYS)
    gone = db.session.execute(delete(UsageRecord).where(UsageRecord.created_at < cutoff))
    db.session.commit()
    return int(getattr(gone, "rowcount", 0) or 0)


def _empty() -> Totals:
    return Totals(0, 0, 0, 0.0, 0.0)


def _totals_since(since: datetime) -> dict[str, Totals]:
    rows = db.session.execute(
        select(
            UsageRecord.owner,
            func.count(),
            func.sum(UsageRecord.input_bytes),
            func.sum(UsageRecord.output_bytes),
            func.sum(UsageRecord.video_seconds),
            func.sum(UsageRecord.encode_seconds),
        )
        .where(UsageRecord.created_at >= since)
        .group_by(UsageRecord.owner)
    ).all()
    return {
        owner: Totals(
            int(jobs),
            int(inputs or 0),
            int(outputs or 0),
            round(float(video or 0) / 60, 2),
            round(float(encode or 0), 1),
        )
        for owner, jobs, inputs, outputs, video, encode in rows
    }
