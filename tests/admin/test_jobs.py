"""Failed jobs of every owner, and an operator's retry of one or all (through the lifecycle)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db, redis_client
from app.jobs import lifecycle
from app.jobs.models import Job
from tests.admin.conftest import ADMIN, failed_job


def test_failed_jobs_of_every_owner_are_listed_newest_first(admin_app: Flask, client: FlaskClient) -> None:
    with admin_app.app_context():
        first, second = failed_job("key:alice"), failed_job("key:bob")
        lifecycle.create(Job(id="still-queued", owner="key:alice", input={}, options={}))
    listing = client.get("/api/admin/jobs?status=failed", headers=ADMIN).get_json()
    assert listing["status"] == "failed"
    assert [(item["owner"], item["job"]["id"]) for item in listing["jobs"]] == [
        ("key:bob", second), ("key:alice", first)
    ]  # fmt: skip
    assert listing["jobs"][0]["job"]["error"]["code"] == "decode_failed"
    links = listing["jobs"][0]["job"]["links"]  # the contract's job object: links absolute
    assert (links["self"], links["ws"]) == (
        f"http://localhost/api/jobs/{second}",
        f"ws://localhost/api/jobs/{second}/ws",
    )
    queued = client.get("/api/admin/jobs?status=queued", headers=ADMIN).get_json()["jobs"]
    assert [item["job"]["id"] for item in queued] == ["still-queued"]
    assert client.get("/api/admin/jobs", headers=ADMIN).get_json()["status"] == "failed"  # the default


def test_a_bad_listing_is_a_422_naming_the_field(admin_app: Flask, client: FlaskClient) -> None:
    answer = client.get("/api/admin/jobs?status=broken&limit=0", headers=ADMIN)
    assert answer.status_code == 422
    assert {error["field"] for error in answer.get_json()["errors"]} == {"status", "limit"}
    superscript = client.get("/api/admin/jobs?limit=%C2%B2", headers=ADMIN)  # "²": a digit int() refuses
    assert superscript.status_code == 422 and superscript.get_json()["errors"][0]["field"] == "limit"
    empty = client.get("/api/admin/jobs?status=", headers=ADMIN)  # it meant failed; /api/jobs said 422
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "status"


def test_retry_queues_a_failed_job_again_with_fresh_attempts(admin_app: Flask, client: FlaskClient) -> None:
    with admin_app.app_context():
        job = failed_job()
        version = db.session.get(Job, job).version
        redis_client().delete("rq:queue:compress")  # its first run took it off the queue
    answer = client.post(f"/api/admin/jobs/{job}/retry", headers=ADMIN)
    assert answer.status_code == 202
    retried = answer.get_json()["job"]
    assert (retried["status"], retried["attempts"]) == ("queued", 0)
    assert retried["error"] is None and retried["finished_at"] is None
    assert retried["version"] == version + 1 and retried["queue_position"] == 1
    with admin_app.app_context():
        assert redis_client().lrange("rq:queue:compress", 0, -1) == [job.encode()]


def test_retry_refuses_what_is_not_failed_gone_or_unknown(admin_app: Flask, client: FlaskClient) -> None:
    with admin_app.app_context():
        lifecycle.create(Job(id="queued-one", owner="o", input={}, options={}))
        expired = failed_job(files_deleted=True)
    unknown = client.post("/api/admin/jobs/no-such-job/retry", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not_found"
    not_failed = client.post("/api/admin/jobs/queued-one/retry", headers=ADMIN)
    assert not_failed.status_code == 409 and not_failed.get_json()["code"] == "not_failed"
    gone = client.post(f"/api/admin/jobs/{expired}/retry", headers=ADMIN)
    assert gone.status_code == 409 and gone.get_json()["code"] == "input_gone"
    with admin_app.app_context():
        assert db.session.get(Job, expired).status == "failed"


def test_retry_failed_queues_every_failed_job_whose_input_is_kept(
    admin_app: Flask, client: FlaskClient
) -> None:
    with admin_app.app_context():
        kept, other, expired = failed_job("key:a"), failed_job("key:b"), failed_job(files_deleted=True)
    done = client.post("/api/admin/jobs/retry-failed", headers=ADMIN).get_json()
    assert sorted(done["retried"]) == sorted([kept, other])
    assert done["skipped"] == [{"id": expired, "reason": "its input has expired"}]
    with admin_app.app_context():
        assert {db.session.get(Job, job).status for job in (kept, other)} == {"queued"}
    assert client.post("/api/admin/jobs/retry-failed", headers=ADMIN).get_json()["retried"] == []
