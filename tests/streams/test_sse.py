"""``GET /api/jobs/{id}/events`` on the test client: what a reconnecting EventSource is told."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from app.jobs import lifecycle

KEY = {"Authorization": "Bearer alpha"}


def _running(app: Flask, client: FlaskClient, clip: Path) -> str:
    """A job of key ``alpha``'s, started."""
    app.config["API_KEYS"] = ["alpha"]
    data = {"file": (io.BytesIO(clip.read_bytes()), "a.mp4")}
    job_id = str(
        client.post("/api/jobs", data=data, headers=KEY, content_type="multipart/form-data").json["id"]
    )
    with app.app_context():
        lifecycle.start(job_id)
    return job_id


def test_back_with_the_terminal_events_id_after_the_webhook_moved_the_version_on_is_told_to_stop(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    """The webhook's bookkeeping changes the job after its end: the stream had ended at the
    terminal event, whose id is no longer the job's version (one more event was sent)."""
    job_id = _running(app, client, clips["small"])
    with app.app_context():
        job = lifecycle.succeed(job_id, {"size_bytes": 1})
        assert job is not None and job.terminal_version == job.version
        ended = job.version
        job = lifecycle.record_webhook(job_id, {"url": "https://example.test/", "state": "delivered"})
        assert job is not None and job.version > ended and job.terminal_version == ended
        later = job.version

    def events(last_seen: int) -> tuple[int, bytes]:
        response = client.get(f"/api/jobs/{job_id}/events", headers={**KEY, "Last-Event-ID": str(last_seen)})
        return response.status_code, response.get_data()

    assert events(ended) == (204, b"")
    status, body = events(ended - 1)  # it missed the end: it is sent, as the job is now
    assert status == 200 and f"id: {later}\n".encode() in body


def test_an_operators_retry_forgets_the_end(app: Flask, client: FlaskClient, clips: dict) -> None:
    job_id = _running(app, client, clips["small"])
    with app.app_context():
        lifecycle.fail(job_id, "encode_failed", "it failed")
        again = lifecycle.retry(job_id)
        assert again is not None and again.terminal_version is None


def test_a_last_event_id_that_is_no_number_starts_from_the_beginning(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    """ "²" passes str.isdigit and fails int(): it was a 500."""
    job_id = _running(app, client, clips["small"])
    with app.app_context():
        job = lifecycle.succeed(job_id, {"size_bytes": 1})
        assert job is not None
    for last_seen in ("²", "soon", ""):
        response = client.get(f"/api/jobs/{job_id}/events", headers={**KEY, "Last-Event-ID": last_seen})
        assert response.status_code == 200 and f"id: {job.version}\n".encode() in response.get_data()


def test_a_last_event_id_beyond_the_jobs_version_starts_from_the_beginning(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    """An id from the future names no event of this job's: the stream skipped every event up to
    it, the terminal one too, and never ended (or, once the job had ended, was told to stop)."""
    job_id = _running(app, client, clips["small"])
    with app.app_context():
        job = lifecycle.succeed(job_id, {"size_bytes": 1})
        assert job is not None
    response = client.get(
        f"/api/jobs/{job_id}/events", headers={**KEY, "Last-Event-ID": str(job.version + 50)}
    )
    assert response.status_code == 200 and f"id: {job.version}\n".encode() in response.get_data()
