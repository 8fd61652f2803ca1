"""Per-key quotas on every submit path: an upload, a source_url, a resumable upload's completion."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.keys import create_key, owner_for_key
from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import Job
from app.jobs.usage import UsageRecord
from app.timeutil import utcnow
from tests.uploads.test_uploads import _put, _start, _targets


def _keyed_client(
    app: Flask, max_concurrent_jobs: int | None = None, monthly_minutes: int | None = None
) -> FlaskClient:
    """A test client sending a new stored key with these quotas."""
    with app.app_context():
        _, key = create_key("quota", max_concurrent_jobs, monthly_minutes)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def _owner(client: FlaskClient, app: Flask) -> str:
    with app.app_context():
        owner = owner_for_key(client.environ_base["HTTP_AUTHORIZATION"].removeprefix("Bearer "))
    assert owner is not None
    return owner


def _upload(client: FlaskClient, clip: Path) -> tuple[int, dict]:
    data = {"file": (io.BytesIO(clip.read_bytes()), "a.mp4")}
    answer = client.post("/api/jobs", data=data, content_type="multipart/form-data")
    return answer.status_code, dict(answer.headers) | {"body": answer.get_json()}


def _by_source_url(client: FlaskClient) -> tuple[int, dict]:
    answer = client.post("/api/jobs", json={"source_url": "http://127.0.0.1:9/video.mp4"})
    return answer.status_code, dict(answer.headers) | {"body": answer.get_json()}


def _by_parts(client: FlaskClient, clip: Path) -> tuple[int, dict]:
    video = clip.read_bytes()
    upload = _start(client, len(video))
    assert _put(client, _targets(client, upload, [1])[1], video) == 200
    answer = client.post(f"/api/uploads/{upload['id']}/complete")
    return answer.status_code, dict(answer.headers) | {"body": answer.get_json()}


@pytest.fixture()
def paths(app: Flask, clips: dict[str, Path]) -> dict:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the source_url on loopback
    return {
        "upload": lambda c: _upload(c, clips["small"]),
        "source_url": _by_source_url,
        "parts": lambda c: _by_parts(c, clips["small"]),
    }


@pytest.mark.parametrize("path", ["upload", "source_url", "parts"])
def test_past_max_concurrent_jobs_a_submit_is_429_with_retry_after(
    app: Flask, paths: dict, path: str
) -> None:
    client = _keyed_client(app, max_concurrent_jobs=1)
    first, _ = paths[path](client)
    assert first == 202
    status, answer = paths[path](client)
    assert status == 429 and answer["body"]["code"] == "quota_exceeded"
    assert answer["Content-Type"] == "application/problem+json" and int(answer["Retry-After"]) > 0
    assert "1 jobs queued or running at once" in answer["body"]["detail"]
    with app.app_context():  # once the first has ended, there is room again
        (job,) = db.session.scalars(db.select(Job)).all()
        lifecycle.fail(job.id, "x", "y")
    assert paths[path](client)[0] == 202


@pytest.mark.parametrize("path", ["upload", "parts"])
def test_past_monthly_minutes_a_submit_is_429_with_a_message(app: Flask, paths: dict, path: str) -> None:
    client = _keyed_client(app, monthly_minutes=1)
    owner = _owner(client, app)
    with app.app_context():  # 59 s of earlier work this month: the 2 s clip does not fit
        db.session.add(UsageRecord(job_id="earlier", owner=owner, created_at=utcnow(), video_seconds=59.0))
        db.session.commit()
    status, answer = paths[path](client)
    assert status == 429 and answer["body"]["code"] == "quota_exceeded"
    assert "1 minutes of video in 30 days" in answer["body"]["detail"] and "Retry-After" not in answer


def test_a_source_url_of_a_length_not_known_yet_is_refused_once_the_minutes_are_used(
    app: Flask, paths: dict
) -> None:
    """Its length is known only once fetched: with every minute used it was accepted (0 asked)."""
    client = _keyed_client(app, monthly_minutes=1)
    owner = _owner(client, app)
    with app.app_context():
        db.session.add(UsageRecord(job_id="earlier", owner=owner, created_at=utcnow(), video_seconds=60.0))
        db.session.commit()
    status, answer = paths["source_url"](client)
    assert status == 429 and answer["body"]["code"] == "quota_exceeded"
    assert "1.0 are used" in answer["body"]["detail"] and "none are left" in answer["body"]["detail"]


def test_minutes_older_than_30_days_and_keys_without_quotas_are_not_counted(
    app: Flask, clips: dict[str, Path]
) -> None:
    client = _keyed_client(app, monthly_minutes=1)
    owner = _owner(client, app)
    with app.app_context():
        long_ago = utcnow().replace(year=utcnow().year - 1)
        db.session.add(
            UsageRecord(job_id="last-year", owner=owner, created_at=long_ago, video_seconds=3600.0)
        )
        db.session.commit()
    assert _upload(client, clips["small"])[0] == 202
    unlimited = _keyed_client(app)
    assert [_upload(unlimited, clips["small"])[0] for _ in range(3)] == [202, 202, 202]


def test_a_trim_counts_the_minutes_it_keeps(app: Flask, clips: dict[str, Path]) -> None:
    """58.5 s used of a minute: the whole clip does not fit, the half second kept of it does,
    and the ledger counts that half second."""
    client = _keyed_client(app, monthly_minutes=1)
    owner = _owner(client, app)
    with app.app_context():
        db.session.add(UsageRecord(job_id="earlier", owner=owner, created_at=utcnow(), video_seconds=58.5))
        db.session.commit()
    assert _upload(client, clips["small"])[0] == 429
    data = {
        "file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4"),
        "start_seconds": "0.5",
        "end_seconds": "1",
    }
    answer = client.post("/api/jobs", data=data, content_type="multipart/form-data")
    assert answer.status_code == 202, answer.get_json()
    with app.app_context():
        charged = db.session.get(UsageRecord, answer.get_json()["id"])
        assert charged is not None and charged.video_seconds == pytest.approx(0.5)
