"""Claims on a split job's segments: one holder each, a quiet holder's segment freed, counts and progress."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask, current_app
from sqlalchemy import update

from app.extensions import db
from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.document import document
from app.jobs.models import Job, SegmentRecord
from app.jobs.segments import Claim
from app.media.segments import Segment
from app.storage import segment_key
from app.timeutil import utcnow

BAND = (0.0, 90.0)


@pytest.fixture()
def database(both_databases: str) -> str:
    """Claims race across hosts: they must hold on PostgreSQL exactly as on SQLite."""
    return both_databases


@pytest.fixture()
def job_id(app: Flask) -> Iterator[str]:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        plan = [Segment(n, 75 * n, 75, 3.0 * n, 3.0 if n < 2 else 6.0, 3.0 * n - 0.02) for n in range(3)]
        claims.record_plan(job.id, plan, [])
        yield job.id


def test_each_segment_is_claimed_once_in_order(job_id: str) -> None:
    taken = [claims.claim(job_id) for _ in range(4)]
    assert [row.number if row else None for row in taken] == [0, 1, 2, None]
    assert all(row.attempts == 1 for row in taken if row)


def test_a_plan_is_kept_for_the_next_attempt(job_id: str) -> None:
    row = claims.claim(job_id)
    assert row is not None and claims.finish(job_id, Claim.of(row, None), {"crf": 23})
    kept = claims.record_plan(job_id, [Segment(0, 0, 225, 0.0, 12.0, 0.0)], [])  # a new plan is ignored
    assert [(row.number, row.state) for row in kept] == [(0, "done"), (1, "waiting"), (2, "waiting")]


def test_each_segment_records_the_input_keyframes_its_seeks_start_from(app: Flask) -> None:
    """Listed once by the coordinator: no helper lists (or reads) the whole input again."""
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        plan = [Segment(0, 0, 75, 0.0, 3.0, 0.0), Segment(1, 75, 75, 3.0, 3.0, 2.98)]
        rows = claims.record_plan(job.id, plan, [0.0, 2.0, 4.0, 5.5])
        assert [row.keyframes for row in claims.rows(job.id)] == [[0.0, 2.0], [2.0, 4.0, 5.5]]
        assert len(rows) == 2


def test_a_segment_given_back_for_the_stores_fault_does_not_count_as_an_attempt(job_id: str) -> None:
    first = claims.claim(job_id)
    assert first is not None and first.attempts == 1
    claims.release(job_id, Claim.of(first, None), counted=False)
    again = claims.claim(job_id)
    assert again is not None and (again.number, again.attempts) == (first.number, 1)
    claims.release(job_id, Claim.of(again, None))
    third = claims.claim(job_id)
    assert third is not None and third.attempts == 2


def test_progress_read_while_a_cancel_removes_the_segments_says_stop(
    job_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows went between reading them and their fields: the worker stops, it does not fail."""
    found = claims.rows(job_id)
    claims.forget(job_id)
    monkeypatch.setattr(claims, "rows", lambda _job_id: found)
    assert claims.publish(job_id, BAND, None) is False


def test_a_quiet_holders_segment_is_taken_over_and_a_given_back_one_at_once(job_id: str) -> None:
    first, second = claims.claim(job_id), claims.claim(job_id)
    assert first and second and claims.claim(job_id) is not None  # all three held now
    assert claims.claim(job_id) is None
    quiet = utcnow() - timedelta(seconds=current_app.config["LEASE_SECONDS"] + 1)
    db.session.execute(update(SegmentRecord).where(SegmentRecord.number == 0).values(heartbeat_at=quiet))
    db.session.commit()
    assert claims.renew(job_id, Claim.of(second, None))
    again = claims.claim(job_id)
    assert again is not None and (again.number, again.attempts) == (0, 2)
    claims.release(job_id, Claim.of(second, None))
    assert (row := claims.claim(job_id)) is not None and row.number == 1


def test_a_holder_whose_claim_was_taken_over_changes_nothing(job_id: str) -> None:
    """It paused past its lease and another worker took its segment: its renewals, progress,
    finish, give-back and failure are refused, and the file it stores is its claim's own."""
    row = claims.claim(job_id)
    assert row is not None
    stale = Claim.of(row, 1)
    quiet = utcnow() - timedelta(seconds=current_app.config["LEASE_SECONDS"] + 1)
    db.session.execute(update(SegmentRecord).where(SegmentRecord.number == 0).values(heartbeat_at=quiet))
    db.session.commit()
    taken = claims.claim(job_id)
    assert taken is not None and (taken.number, taken.attempts) == (0, 2)
    holder = Claim.of(taken, 1)
    _refused(job_id, stale)
    assert segment_key(job_id, 0, stale.token) != segment_key(job_id, 0, holder.token)
    assert claims.finish(job_id, holder, {"crf": 24})


def test_a_holder_from_before_an_operators_retry_changes_nothing(job_id: str) -> None:
    """The job failed while a helper held a segment, and was retried and started again: the
    segment's claim count is as the helper left it, but its start is not the job's."""
    row = claims.claim(job_id)
    assert row is not None
    stale = Claim.of(row, 1)
    lifecycle.fail(job_id, "worker_lost", "stalled", attempt=1)
    assert lifecycle.retry(job_id) is not None and lifecycle.start(job_id) is not None  # start 2
    _refused(job_id, stale)
    assert segment_key(job_id, 0, stale.token) != segment_key(job_id, 0, Claim(0, 1, 2).token)


def _refused(job_id: str, stale: Claim) -> None:
    """Every write under ``stale`` is refused and the segment's record stays as it is."""
    before = db.session.get(SegmentRecord, (job_id, stale.number), populate_existing=True)
    assert before is not None
    facts = ("state", "attempts", "progress", "result", "error")
    kept = [getattr(before, name) for name in facts]
    assert not claims.renew(job_id, stale)
    claims.report(job_id, stale, 90.0, BAND, None)
    assert not claims.finish(job_id, stale, {"crf": 23})
    claims.release(job_id, stale)
    assert not claims.give_up(job_id, stale, "late")
    after = db.session.get(SegmentRecord, (job_id, stale.number), populate_existing=True)
    assert after is not None and [getattr(after, name) for name in facts] == kept


def test_the_job_shows_counts_and_progress_weighted_by_duration(job_id: str) -> None:
    claims.claim(job_id)
    claims.claim(job_id)
    claims.finish(job_id, Claim(0, 1, None), {"crf": 23})
    assert claims.report(job_id, Claim(1, 1, None), 50.0, BAND, None)
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job is not None and job.segments == {"total": 3, "done": 1, "running": 1}
    # 3 s done and 1.5 s of 3 s: 4.5 of 12 s, on a band ending at 90 %
    assert job.progress == pytest.approx(90 * 4.5 / 12, abs=0.1)
    claims.release(job_id, Claim(1, 1, None))  # given back: its share goes, the job's progress stays
    assert claims.publish(job_id, BAND, None)
    assert db.session.get(Job, job_id, populate_existing=True).progress == pytest.approx(33.8, abs=0.1)


def test_reports_stop_once_the_job_ends(job_id: str) -> None:
    row = claims.claim(job_id)
    assert row is not None
    lifecycle.cancel(job_id)
    assert not claims.report(job_id, Claim.of(row, None), 10.0, BAND, None)


def test_a_job_that_ended_mid_segment_shows_none_running(job_id: str) -> None:
    """Its workers stop without writing the counts again: a failed job read "running": 2 for good."""
    claims.claim(job_id)
    claims.claim(job_id)
    assert claims.publish(job_id, BAND, None)
    lifecycle.fail(job_id, "segment_failed", "the part 0:00-0:03 could not be encoded")
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job is not None and document(job)["segments"] == {"total": 3, "done": 0, "running": 0}


def test_forget_removes_the_records(job_id: str) -> None:
    claims.forget(job_id)
    assert claims.rows(job_id) == []


def test_a_search_starts_from_the_nearest_finished_segments_crf(job_id: str) -> None:
    assert claims.neighbour_crf(job_id, 1) is None  # nothing finished yet
    assert all(claims.claim(job_id) is not None for _ in range(3))
    claims.finish(job_id, Claim(2, 1, None), {"crf": 30.0})
    assert claims.neighbour_crf(job_id, 0) == 30.0
    claims.finish(job_id, Claim(0, 1, None), {"crf": 24.5})
    assert claims.neighbour_crf(job_id, 1) == 24.5  # as near as segment 2: the one before
    claims.redo(job_id, 0, 1_000_000)  # encoded again (a target size's refit) ...
    assert (again := claims.claim(job_id)) is not None and again.attempts == 2
    claims.finish(job_id, Claim(0, 2, None), {"crf": 26.0, "outgrown": True})  # ... and outgrew the input
    assert claims.neighbour_crf(job_id, 1) == 30.0  # an outgrown one's CRF is no answer
