"""The worker process: RQ's worker with Squeeze's upkeep and its way of stopping."""

from __future__ import annotations

from datetime import UTC, datetime

import fakeredis
import pytest
from flask import Flask
from rq.scheduler import RQScheduler

from app.work.intake import PausableQueue
from app.work.runner import SqueezeWorker


def test_a_stopping_worker_starts_no_scheduler(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGTERM during a job stops RQ's scheduler; the upkeep after the job must not start it
    again, or the worker's exit waits on that process for ever (seen in CI)."""
    connection = fakeredis.FakeRedis()
    worker = SqueezeWorker(["compress"], connection=connection, queue_class=PausableQueue)
    worker.scheduler = RQScheduler(["compress"], connection=connection)
    started: list[bool] = []
    monkeypatch.setattr(
        worker.scheduler, "acquire_locks", lambda auto_start=False: started.append(auto_start)
    )
    worker.last_cleaned_at = datetime.now(UTC)  # not the first upkeep: RQ's would look at the scheduler
    with app.app_context():
        worker._stop_requested = True
        worker.run_maintenance_tasks()
        assert started == [], "a stopping worker starts nothing"
        worker._stop_requested = False
        worker.run_maintenance_tasks()
    assert started == [True], "a running one restarts a scheduler that died"
