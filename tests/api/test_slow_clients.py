"""What a slow client may hold (fast tests; the live load test is tests/live/test_slow_clients.py)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.api.spool import HashingSpoolFile
from app.extensions import db
from tests.auth.test_keys import _create_key


def test_an_upload_body_streams_in_with_no_database_connection_held(
    app: Flask, client: FlaskClient, clips: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _create_key(app, "uploader")  # a CLI key: resolving it reads the database
    held_while_streaming: list[int] = []
    write = HashingSpoolFile.write

    def spying_write(self: HashingSpoolFile, data: bytes) -> int:
        held_while_streaming.append(db.engine.pool.checkedout())
        return write(self, data)

    monkeypatch.setattr(HashingSpoolFile, "write", spying_write)
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "small.mp4")}
    response = client.post("/api/jobs", data=data, headers={"Authorization": f"Bearer {key}"},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    assert held_while_streaming and set(held_while_streaming) == {0}


@pytest.fixture()
def tiny_pool(tmp_path: Path) -> dict[str, object]:
    return {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}


def test_an_exhausted_database_pool_is_a_fast_503_and_readyz_says_so(app: Flask, tiny_pool: dict) -> None:
    from app import create_app

    busy_app = create_app({**app.config, "SQLALCHEMY_ENGINE_OPTIONS": tiny_pool})
    busy_app.extensions["redis"] = app.extensions["redis"]
    client = busy_app.test_client()
    with busy_app.app_context():
        db.create_all()
        taken = db.engine.connect()  # the only connection, held by someone else
    try:
        started = time.monotonic()
        response = client.get("/api/jobs")
        assert time.monotonic() - started < 2, "a short wait, not the 30 s default"
        assert response.status_code == 503 and response.get_json()["code"] == "busy"
        assert response.headers["Retry-After"] == "2"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["checks"]["database"].startswith("busy: all 1 connections")
    finally:
        taken.close()
    assert client.get("/api/jobs").status_code == 200
    assert client.get("/readyz").get_json()["pools"]["database"] == {"in_use": 0, "size": 1}
    with busy_app.app_context():
        db.engine.dispose()


def test_a_json_body_is_small(client: FlaskClient) -> None:
    big = '{"source_url": "https://example.com/v.mp4", "x": "' + "a" * 70_000 + '"}'
    response = client.post("/api/jobs", data=big, content_type="application/json")
    assert response.status_code == 413 and "64 KB" in response.get_json()["detail"]
