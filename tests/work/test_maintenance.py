import uuid
from datetime import timedelta

import pytest
from flask import Flask
from rq.exceptions import StopRequested

from app.extensions import db, redis_client
from app.jobs import lifecycle
from app.jobs.models import FAILED, QUEUED, RUNNING, Job
from app.timeutil import utcnow
from app.work import maintenance


@pytest.fixture()
def database(both_databases: str) -> str:
    """These rules must hold on PostgreSQL exactly as on SQLite."""
    return both_databases


def _job(
    app: Flask, status: str, attempts: int = 1, heartbeat_age: float = 0.0, created_age: float = 0.0
) -> str:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        if status == RUNNING:
            lifecycle.start(job.id)
        row = db.session.get(Job, job.id)
        row.attempts = attempts
        row.heartbeat_at = utcnow() - timedelta(seconds=heartbeat_age)
        row.created_at = utcnow() - timedelta(seconds=created_age)
        db.session.commit()
        return job.id


def _status(app: Flask, job_id: str) -> Job:
    with app.app_context():
        return db.session.get(Job, job_id)


def test_a_running_job_with_a_fresh_lease_is_left_alone(app: Flask) -> None:
    job_id = _job(app, RUNNING, heartbeat_age=1)
    with app.app_context():
        assert lifecycle.renew_lease(job_id)
        assert maintenance.reconcile() == (0, 0)
    assert _status(app, job_id).status == RUNNING


def test_a_lapsed_lease_puts_the_job_back_in_the_queue(app: Flask) -> None:
    job_id = _job(app, RUNNING, attempts=1, heartbeat_age=app.config["LEASE_SECONDS"] + 5)
    with app.app_context():
        assert maintenance.reconcile() == (1, 0)
        assert job_id.encode() in redis_client().lrange("rq:queue:compress", 0, -1)
    assert _status(app, job_id).status == QUEUED


def test_a_lapsed_lease_on_the_last_attempt_fails_the_job(app: Flask) -> None:
    job_id = _job(
        app, RUNNING, attempts=app.config["JOB_MAX_ATTEMPTS"], heartbeat_age=app.config["LEASE_SECONDS"] + 5
    )
    with app.app_context():
        maintenance.reconcile()
    job = _status(app, job_id)
    assert job.status == FAILED and job.error["code"] == "worker_lost"


def test_a_queued_job_redis_forgot_is_enqueued_again(app: Flask) -> None:
    job_id = _job(app, QUEUED, created_age=maintenance.ENQUEUE_GRACE_SECONDS + 5)
    with app.app_context():
        redis_client().flushall()
        assert maintenance.reconcile() == (0, 1)
        assert redis_client().lrange("rq:queue:compress", 0, -1) == [job_id.encode()]
        assert maintenance.reconcile() == (0, 0), "once is enough"


def test_one_pass_per_interval_across_workers(app: Flask) -> None:
    with app.app_context():
        assert maintenance.run_if_due(redis_client())
        assert not maintenance.run_if_due(redis_client())


def test_a_stop_asked_for_during_upkeep_stops_the_worker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """RQ's SIGTERM handler raises StopRequested wherever an idle worker is, upkeep included:
    it must reach RQ (a worker that swallowed it kept taking jobs, and the next SIGTERM killed
    one mid-encode). Any other error is logged and the worker goes on."""

    def stopped() -> None:
        raise StopRequested()

    monkeypatch.setattr(maintenance, "reconcile", stopped)
    with app.app_context(), pytest.raises(StopRequested):
        maintenance.run_if_due(redis_client())

    def broken() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(maintenance, "reconcile", broken)
    with app.app_context():
        redis_client().delete(maintenance.LOCK_KEY)
        assert maintenance.run_if_due(redis_client())
