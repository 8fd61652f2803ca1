"""The worker process: RQ's worker with Squeeze's upkeep and its way of stopping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import fakeredis
import pytest
from flask import Flask
from rq.scheduler import RQScheduler

from app.work.intake import PausableQueue
from app.work.runner import UPKEEP_LINES, SqueezeWorker, quiet_upkeep


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


def test_rqs_cleaning_of_its_registries_is_left_out_of_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Every MAINTENANCE_SECONDS, on every host, a line per queue: RQ's own cadence is 600 s."""
    log = logging.getLogger("rq.worker")
    log.addFilter(quiet_upkeep)
    try:
        with caplog.at_level(logging.INFO, logger="rq.worker"):
            log.info(UPKEEP_LINES[0], "w1", "compress")
            log.info(UPKEEP_LINES[1], "w1")
            log.info("Worker %s: found an unhandled exception, quitting...", "w1")
    finally:
        log.removeFilter(quiet_upkeep)
    assert [record.getMessage() for record in caplog.records] == [
        "Worker w1: found an unhandled exception, quitting..."
    ]
