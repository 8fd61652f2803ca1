import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs import lifecycle, retention
from app.jobs.models import Job
from app.storage import job_storage
from app.timeutil import utcnow


def _finished_job(app: Flask) -> str:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="anonymous", input={"filename": "a.mp4",
                                   "size_bytes": 10}, options={}))  # fmt: skip
        lifecycle.start(job.id)
        storage = job_storage()
        storage.job_dir(job.id).mkdir(parents=True)
        storage.input_path(job.id).write_bytes(b"in")
        storage.output_path(job.id).write_bytes(b"out")
        lifecycle.succeed(job.id, {"size_bytes": 3})
        return job.id


def _age(app: Flask, job_id: str, **moments: object) -> None:
    with app.app_context():
        job = db.session.get(Job, job_id)
        for name, value in moments.items():
            setattr(job, name, value)
        db.session.commit()


def test_expired_output_is_deleted_and_answers_410(app: Flask, client: FlaskClient) -> None:
    job_id = _finished_job(app)
    assert client.get(f"/api/jobs/{job_id}/output").status_code == 200
    with app.app_context():
        assert retention.expire_outputs() == 0  # not yet due
    _age(app, job_id, expires_at=utcnow() - timedelta(seconds=1))
    with app.app_context():
        assert retention.expire_outputs() == 1
        assert not job_storage().job_dir(job_id).exists()
    response = client.get(f"/api/jobs/{job_id}/output")
    assert response.status_code == 410 and response.get_json()["code"] == "expired"
    body = client.get(f"/api/jobs/{job_id}").get_json()
    assert body["links"]["output"] is None and body["output"]["url"] is None


def test_records_are_purged_after_job_ttl(app: Flask, client: FlaskClient) -> None:
    job_id = _finished_job(app)
    _age(app, job_id, finished_at=utcnow() - timedelta(days=app.config["JOB_TTL_DAYS"], seconds=1))
    with app.app_context():
        assert retention.purge_records() == 1
    assert client.get(f"/api/jobs/{job_id}").status_code == 404


def test_expires_at_follows_output_ttl(app: Flask) -> None:
    job_id = _finished_job(app)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.expires_at - job.finished_at == timedelta(hours=app.config["OUTPUT_TTL_HOURS"])


@pytest.mark.parametrize("active", [True, False])
def test_delete_removes_files_and_record(app: Flask, client: FlaskClient, active: bool) -> None:
    if active:
        with app.app_context():
            job_id = lifecycle.create(Job(id=str(uuid.uuid4()), owner="anonymous", input={}, options={})).id
            job_storage().input_path(job_id).parent.mkdir(parents=True)
            job_storage().input_path(job_id).write_bytes(b"x")
    else:
        job_id = _finished_job(app)
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert not Path(app.config["STORAGE_DIR"], "jobs", job_id).exists()
