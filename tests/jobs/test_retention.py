import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs import lifecycle, retention
from app.jobs.models import Job
from app.storage import input_key, job_prefix, job_storage, output_key
from app.timeutil import utcnow


@pytest.fixture()
def database(both_databases: str) -> str:
    """These rules must hold on PostgreSQL exactly as on SQLite."""
    return both_databases


def _store(job_id: str, key: str, data: bytes, tmp_path: Path) -> None:
    source = tmp_path / f"{uuid.uuid4().hex}.bin"
    source.write_bytes(data)
    job_storage().put(key, source, move=True)


def _finished_job(app: Flask, tmp_path: Path) -> str:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="anonymous", input={"filename": "a.mp4",
                                   "size_bytes": 10}, options={}))  # fmt: skip
        lifecycle.start(job.id)
        _store(job.id, input_key(job.id), b"in", tmp_path)
        _store(job.id, output_key(job.id), b"out", tmp_path)
        lifecycle.succeed(job.id, {"size_bytes": 3})
        return job.id


def _age(app: Flask, job_id: str, **moments: object) -> None:
    with app.app_context():
        job = db.session.get(Job, job_id)
        for name, value in moments.items():
            setattr(job, name, value)
        db.session.commit()


def _keys(app: Flask, job_id: str) -> list[str]:
    with app.app_context():
        return job_storage().keys(job_prefix(job_id))


def test_expired_output_is_deleted_and_answers_410(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    job_id = _finished_job(app, tmp_path)
    assert client.get(f"/api/jobs/{job_id}/output").status_code == 200
    with app.app_context():
        assert retention.expire_outputs() == 0  # not yet due
    _age(app, job_id, expires_at=utcnow() - timedelta(seconds=1))
    with app.app_context():
        assert retention.expire_outputs() == 1
    assert _keys(app, job_id) == []
    response = client.get(f"/api/jobs/{job_id}/output")
    assert response.status_code == 410 and response.get_json()["code"] == "expired"
    body = client.get(f"/api/jobs/{job_id}").get_json()
    assert body["links"]["output"] is None and body["output"]["url"] is None


def test_an_output_that_vanished_from_storage_answers_410(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    job_id = _finished_job(app, tmp_path)
    with app.app_context():
        job_storage().delete_prefix(output_key(job_id))  # a bucket rule, an operator's hand
    response = client.get(f"/api/jobs/{job_id}/output")
    assert response.status_code == 410 and response.get_json()["code"] == "expired"


def test_records_are_purged_after_job_ttl(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    job_id = _finished_job(app, tmp_path)
    _age(app, job_id, finished_at=utcnow() - timedelta(days=app.config["JOB_TTL_DAYS"], seconds=1))
    with app.app_context():
        assert retention.purge_records() == 1
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert _keys(app, job_id) == []


def test_expires_at_follows_output_ttl(app: Flask, tmp_path: Path) -> None:
    job_id = _finished_job(app, tmp_path)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.expires_at - job.finished_at == timedelta(hours=app.config["OUTPUT_TTL_HOURS"])


@pytest.mark.parametrize("active", [True, False])
def test_delete_removes_files_and_record(
    app: Flask, client: FlaskClient, active: bool, tmp_path: Path
) -> None:
    if active:
        with app.app_context():
            job_id = lifecycle.create(Job(id=str(uuid.uuid4()), owner="anonymous", input={}, options={})).id
            _store(job_id, input_key(job_id), b"x", tmp_path)
    else:
        job_id = _finished_job(app, tmp_path)
    assert _keys(app, job_id)
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert _keys(app, job_id) == []


def test_cancel_removes_the_files_of_the_job(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    with app.app_context():
        job_id = lifecycle.create(Job(id=str(uuid.uuid4()), owner="anonymous", input={}, options={})).id
        _store(job_id, input_key(job_id), b"x", tmp_path)
    response = client.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 202 and response.get_json()["status"] == "canceled"
    assert _keys(app, job_id) == []
