"""Readiness tells the public which part is down, never the part's own error text."""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.auth.owner import ANONYMOUS
from app.embedded_redis import EmbeddedRedis
from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import Job
from app.storage import StorageError
from tests.conftest import app_settings


def test_a_store_that_is_down_is_named_without_its_paths(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "/srv/private/storage: Permission denied (bucket squeeze-prod-4711)"

    def down() -> None:
        raise StorageError(secret)

    app.extensions["storage"].check = down
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "unavailable: StorageError"
    assert secret not in response.get_data(as_text=True)
    assert secret in caplog.text  # the operator still learns why
    with app.app_context():
        from app.extensions import redis_client
        from app.metrics.record import PREFIX

        assert redis_client().hgetall(PREFIX + "readiness_failures")


def test_a_redis_that_stops_answering_is_a_503_not_a_hanging_request(tmp_path: Path) -> None:
    """A paused redis-server (SIGSTOP) still accepts connections: requests waited for good."""
    redis = EmbeddedRedis().start()
    settings = {"REDIS_URL": redis.url, "REDIS_SOCKET_TIMEOUT_SECONDS": 1}
    app = create_app(app_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", **settings))
    with app.app_context():
        db.create_all()
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner=ANONYMOUS, input={}, options={}))
    client = app.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        assert redis.process is not None
        os.kill(redis.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["redis"] == "unavailable: TimeoutError"
        response = client.get(f"/api/jobs/{job.id}")  # queued: its place in line is read from Redis
        assert response.status_code == 200, "answered without its place in the queue"
        assert time.monotonic() - started < 10  # two requests, each given up on Redis after about a second
    finally:
        if redis.process is not None:
            os.kill(redis.process.pid, signal.SIGCONT)
        redis.stop()
        with app.app_context():
            db.engine.dispose()
