"""A split job's segments: the plan, who works on which, and what each delivered.

Every worker that helps a job (the one coordinating it, and any that took a helper from the
``segments`` queue) claims the next segment nobody holds, renews its claim while it works,
and records the result. A claim whose holder went quiet for LEASE_SECONDS is free
again: a host that dies costs the segment it held, not the job. Every write under a claim
names it (``Claim``), so a holder that only paused (a stall, a partition) changes nothing once
another took the segment, or an operator's retry started the job again. The database is the
truth here as for jobs, so a restart of any process loses no finished segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm.exc import ObjectDeletedError

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import SEGMENT_DONE as DONE
from app.jobs.models import SEGMENT_FAILED as FAILED
from app.jobs.models import SEGMENT_RUNNING as RUNNING
from app.jobs.models import SEGMENT_WAITING as WAITING
from app.jobs.models import Job, SegmentRecord
from app.media.segments import Segment, keyframes_for
from app.timeutil import utcnow

Band = tuple[float, float]  # where the segments fill the job's progress bar (the rest: split, join)


@dataclass(frozen=True)
class Claim:
    """A worker's hold on segment ``number``: the ``count``-th claim of it (``SegmentRecord.
    attempts``, one more at every claim), on the job's start ``start`` (``Job.starts``; None:
    any). Its writes are refused once another claim or another start holds the segment."""

    number: int
    count: int
    start: int | None

    @classmethod
    def of(cls, row: SegmentRecord, start: int | None) -> Claim:
        """The claim ``row`` was just taken with (``claim``), on the job's ``start``."""
        return cls(row.number, row.attempts, start)

    @property
    def token(self) -> str:
        """Names this claim among all of the segment's, on every start: the file it stores."""
        return f"{self.start or 0}-{self.count}"


def record_plan(
    job_id: str,
    plan: list[Segment],
    keyframes: Sequence[float],
    bitrates: list[int] | None = None,
    in_place: bool = False,
    seekable_copy: bool = False,
) -> list[SegmentRecord]:
    """The job's segments: the plan made by an earlier attempt if there is one, else ``plan``
    with the input's ``keyframes`` each can seek to (its video ``bitrates`` for a target size;
    ``in_place``: helpers read the stored input where it is; ``seekable_copy``: they read the
    copy of its video stored for them where it is)."""
    kept = rows(job_id)
    if kept:
        return kept
    for index, segment in enumerate(plan):
        db.session.add(
            SegmentRecord(
                job_id=job_id,
                number=segment.number,
                first_frame=segment.first_frame,
                frames=segment.frames,
                start=segment.start,
                duration=segment.duration,
                seek=segment.seek,
                keyframes=keyframes_for(segment, keyframes),
                in_place=in_place,
                seekable_copy=seekable_copy,
                bitrate=bitrates[index] if bitrates else None,
            )
        )
    db.session.commit()
    return rows(job_id)


def rows(job_id: str) -> list[SegmentRecord]:
    """The job's segments in order, read fresh."""
    found = list(
        db.session.scalars(
            select(SegmentRecord)
            .where(SegmentRecord.job_id == job_id)
            .order_by(SegmentRecord.number)
            .execution_options(populate_existing=True)
        )
    )
    db.session.commit()
    return found


def claim(job_id: str) -> SegmentRecord | None:
    """Take the first segment nobody holds (waiting, or held by a worker gone quiet); None: none."""
    lapsed = lifecycle.lease_lapsed_before()
    free = (SegmentRecord.state == WAITING) | (
        (SegmentRecord.state == RUNNING) & (SegmentRecord.heartbeat_at < lapsed)
    )
    candidates = db.session.scalars(
        select(SegmentRecord.number)
        .where(SegmentRecord.job_id == job_id, free)
        .order_by(SegmentRecord.number)
    ).all()
    for number in candidates:
        taken = db.session.execute(
            update(SegmentRecord)
            .where(SegmentRecord.job_id == job_id, SegmentRecord.number == number, free)
            .values(state=RUNNING, heartbeat_at=utcnow(), progress=0.0, attempts=SegmentRecord.attempts + 1)
        )
        db.session.commit()
        if getattr(taken, "rowcount", 0) == 1:
            return db.session.get(SegmentRecord, (job_id, number), populate_existing=True)
    db.session.commit()
    return None


def renew(job_id: str, claim: Claim) -> bool:
    """The worker is still on its segment; False once its ``claim`` no longer holds it."""
    return _set_held(job_id, claim, heartbeat_at=utcnow())


def report(job_id: str, claim: Claim, percent: float, band: Band, started: datetime | None) -> bool:
    """Record one segment's progress (while ``claim`` holds it) and the job's (weighted by
    duration); False: job not running."""
    _set_held(job_id, claim, progress=percent, heartbeat_at=utcnow())
    return publish(job_id, band, started)


def publish(job_id: str, band: Band, started: datetime | None) -> bool:
    """Write the job's progress, ETA and segment counts from its segments; False: not running."""
    found = rows(job_id)
    try:
        total = sum(row.duration for row in found) or 1.0
        done = sum(row.duration * (100.0 if row.state == DONE else row.progress) for row in found)
        share = done / total / 100
        counts = summary(found)
    except ObjectDeletedError:  # the job ended (a cancel) and its segments went as they were read
        db.session.rollback()
        return False
    low, high = band
    percent = round(low + (high - low) * share, 1)
    elapsed = (utcnow() - started).total_seconds() if started else 0.0
    eta = int(elapsed * (1 - share) / share) if share > 0.02 and elapsed > 0 else None
    return lifecycle.report_segments(job_id, counts, percent, eta)


def summary(found: list[SegmentRecord]) -> dict[str, int]:
    """The contract's ``segments`` object: how many in all, done and running."""
    return {
        "total": len(found),
        "done": sum(row.state == DONE for row in found),
        "running": sum(row.state == RUNNING for row in found),
    }


def neighbour_crf(job_id: str, number: int) -> float | None:
    """The CRF the nearest finished segment searched its way to (the one before on a tie): the
    likeliest answer for segment ``number``, where its own search starts. None: none yet."""
    found = [
        (abs(row.number - number), row.number > number, float(row.result["crf"]))
        for row in rows(job_id)
        if row.state == DONE and row.result and row.result.get("crf") is not None
        and not row.result.get("outgrown")
    ]  # fmt: skip
    return min(found)[2] if found else None


def finish(job_id: str, claim: Claim, result: dict[str, Any]) -> bool:
    """The segment is encoded and stored (under ``claim.token``, which ``result`` names); False
    if ``claim`` no longer holds it: its record is gone (the job ended meanwhile), or another
    claim or start took it (this one lapsed: a stall, a partition, an operator's retry)."""
    return _set_held(job_id, claim, state=DONE, progress=100.0, result=result)


def release(job_id: str, claim: Claim, counted: bool = True) -> None:
    """Give the segment back (its worker was stopped): another may take it at once, if ``claim``
    still holds it. Not ``counted``: the store failed the worker, not the segment; the claim is
    not an attempt (and stored nothing)."""
    uncount = {} if counted else {"attempts": SegmentRecord.attempts - 1}
    _set_held(job_id, claim, state=WAITING, progress=0.0, heartbeat_at=None, **uncount)


def redo(job_id: str, number: int, bitrate: int) -> None:
    """Encode a finished segment again at ``bitrate`` (it took more than its share of a target
    size): waiting again, its claim count kept."""
    _set(job_id, number, state=WAITING, progress=0.0, heartbeat_at=None, result=None, bitrate=bitrate)


def give_up(job_id: str, claim: Claim, message: str) -> bool:
    """The segment cannot be encoded (the job fails with ``message``); False if ``claim`` no
    longer holds it (another worker's attempt at it goes on)."""
    return _set_held(job_id, claim, state=FAILED, error=message[:500])


def forget(job_id: str) -> None:
    """Remove the job's segment records (its segments' files are gone)."""
    db.session.execute(delete(SegmentRecord).where(SegmentRecord.job_id == job_id))
    db.session.commit()


def _set_held(job_id: str, claim: Claim, **values: Any) -> bool:
    """Change the segment's record while ``claim`` holds it: the claims count up
    (``SegmentRecord.attempts``), so one that lapsed and was taken again is not this one, and
    the job is still on the start it was taken on (a retry sets the counts back)."""
    held = [
        SegmentRecord.job_id == job_id,
        SegmentRecord.number == claim.number,
        SegmentRecord.state == RUNNING,
        SegmentRecord.attempts == claim.count,
    ]
    if claim.start is not None:
        held.append(exists().where(Job.id == job_id, Job.starts == claim.start))
    changed = db.session.execute(update(SegmentRecord).where(*held).values(**values))
    db.session.commit()
    return getattr(changed, "rowcount", 0) == 1


def _set(job_id: str, number: int, **values: Any) -> bool:
    changed = db.session.execute(
        update(SegmentRecord)
        .where(SegmentRecord.job_id == job_id, SegmentRecord.number == number)
        .values(**values)
    )
    db.session.commit()
    return getattr(changed, "rowcount", 0) == 1
