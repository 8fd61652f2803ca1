"""The usage ledger: written by the lifecycle, summed per owner over 24 h and 30 days, kept past the job."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs import lifecycle, retention, usage
from app.jobs.models import Job
from app.jobs.usage import UsageRecord
from app.timeutil import utcnow


def _job(job_id: str, owner: str, seconds: float, size: int) -> Job:
    facts = {"filename": "a.mp4", "size_bytes": size, "duration_seconds": seconds}
    return lifecycle.create(Job(id=job_id, owner=owner, input=facts, options={}))


def test_a_finished_job_counts_its_bytes_minutes_and_encode_time_even_once_deleted(app: Flask) -> None:
    with app.app_context():
        _job("one", "key:a", 90.0, 1000)
        lifecycle.start("one")
        done = lifecycle.succeed("one", {"size_bytes": 400})
        assert done is not None and done.started_at is not None
        _job("two", "key:a", 30.0, 500)  # still queued: accepted, nothing encoded yet
        _job("three", "key:b", 60.0, 200)
        retention.delete_job("one")  # its owner deleted it: the use stays
        figures = usage.per_owner()
        a = figures["key:a"]["30d"]
        assert (a["jobs"], a["input_bytes"], a["output_bytes"], a["video_minutes"]) == (2, 1500, 400, 2.0)
        assert a["encode_seconds"] >= 0 and figures["key:a"]["24h"] == a
        assert figures["key:b"]["24h"]["jobs"] == 1


def test_the_windows_and_the_purge_follow_the_acceptance_time(app: Flask) -> None:
    with app.app_context():
        now = utcnow()
        for job_id, age in (
            ("fresh", timedelta(hours=1)),
            ("week", timedelta(days=7)),
            ("old", timedelta(days=40)),
        ):
            db.session.add(UsageRecord(job_id=job_id, owner="o", created_at=now - age, video_seconds=60.0))
        db.session.commit()
        figures = usage.per_owner()["o"]
        assert (figures["24h"]["jobs"], figures["30d"]["jobs"]) == (1, 2)
        assert usage.minutes_since("o", now - timedelta(days=30)) == 2.0
        assert usage.purge() == 1
        assert db.session.get(UsageRecord, "old") is None


def test_get_api_admin_usage_names_the_key_of_each_owner(app: Flask, client: FlaskClient) -> None:
    app.config["ADMIN_KEYS"] = ["sqz_admin"]
    made = client.post(
        "/api/admin/keys", json={"name": "studio"}, headers={"Authorization": "Bearer sqz_admin"}
    )
    owner = made.get_json()["owner"]
    with app.app_context():
        _job("theirs", owner, 120.0, 10)
        _job("anon", "anonymous", 6.0, 10)
    body = client.get("/api/admin/usage", headers={"Authorization": "Bearer sqz_admin"}).get_json()
    rows = {row["owner"]: row for row in body["owners"]}
    assert rows[owner]["key"] == {"id": made.get_json()["id"], "name": "studio"}
    assert rows[owner]["30d"]["video_minutes"] == 2.0 and rows["anonymous"]["key"] is None
    assert body["generated_at"].endswith("Z")
