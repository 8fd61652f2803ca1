"""A target size over a split job's segments: the segments over their share are encoded again."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job
from app.media.segments import Segment
from app.media.sizing import CONTAINER_BYTES, CONTAINER_SHARE
from app.units import MB
from app.work.encode import MAX_FITS
from app.work.failures import JobFailed
from app.work.segment_budget import Budget

BUDGET = Budget(target_bytes=1 * MB, duration=60.0, audio_kbps=None)
ALLOWED = 1 * MB * CONTAINER_SHARE - CONTAINER_BYTES  # the video's bytes, without audio


@pytest.fixture()
def job_id(app: Flask) -> str:
    """A running split job whose two 30 s segments were given 100 and 300 kbit/s."""
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        plan = [Segment(n, 750 * n, 750, 30.0 * n, 30.0, 30.0 * n) for n in range(2)]
        claims.record_plan(job.id, plan, [], [100_000, 300_000])
        return job.id


def _finished(job_id: str, sizes: list[float]) -> None:
    for size in sizes:
        row = claims.claim(job_id)
        assert row is not None
        claims.finish(job_id, claims.Claim.of(row, None), {"size_bytes": int(size)})


def test_segments_within_the_budget_are_joined(app: Flask, job_id: str) -> None:
    with app.app_context():
        _finished(job_id, [ALLOWED * 0.3, ALLOWED * 0.69])
        assert not BUDGET.refit(job_id, claims.rows(job_id), None, 0, "1")


def test_only_the_segment_over_its_share_is_encoded_again_lower(app: Flask, job_id: str) -> None:
    with app.app_context():
        _finished(job_id, [ALLOWED * 0.2, ALLOWED * 0.9])  # its share was 3/4 of the budget
        assert BUDGET.refit(job_id, claims.rows(job_id), None, 0, "1")
        kept, again = claims.rows(job_id)
        assert (kept.state, kept.bitrate) == ("done", 100_000)
        assert again.state == "waiting" and again.result is None
        assert again.bitrate is not None and again.bitrate < 300_000 * 0.75 / 0.9


def test_a_budget_missed_round_after_round_fails_the_job_with_the_reason(app: Flask, job_id: str) -> None:
    with app.app_context():
        _finished(job_id, [ALLOWED, ALLOWED])
        with pytest.raises(JobFailed, match="did not fit under 1 MB") as failed:
            BUDGET.refit(job_id, claims.rows(job_id), None, MAX_FITS, "1")
        assert failed.value.code == "target_unreachable"
