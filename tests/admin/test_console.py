"""The /admin page and its HTMX fragments and buttons, as an operator's signed-in session sees them."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs.models import Job
from tests.admin.conftest import ADMIN_KEY, failed_job
from tests.admin.test_access import _csrf


def _operator(client: FlaskClient) -> dict[str, str]:
    """Sign the client in as an operator; the headers its HTMX requests send."""
    client.get("/signin")
    assert client.post("/signin", data={"key": ADMIN_KEY, "csrf_token": _csrf(client)}).status_code == 303
    return {"X-CSRFToken": _csrf(client), "HX-Request": "true"}


def test_the_page_shows_queues_workers_failed_jobs_keys_and_usage(
    admin_app: Flask, client: FlaskClient
) -> None:
    with admin_app.app_context():
        job = failed_job("key:alice")
    _operator(client)
    page = client.get("/admin")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    for section in (
        'id="queue-table"',
        'id="worker-table"',
        f'data-job="{job}"',
        'id="key-table"',
        'id="usage-table"',
    ):
        assert section in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    for name in ("queues", "workers", "failed", "usage"):
        fragment = client.get(f"/admin/fragments/{name}")
        assert fragment.status_code == 200 and fragment.headers["Cache-Control"] == "no-store"


def test_the_buttons_pause_retry_and_make_and_revoke_keys(admin_app: Flask, client: FlaskClient) -> None:
    with admin_app.app_context():
        job = failed_job()
    headers = _operator(client)
    paused = client.post("/admin/queues/compress/pause", headers=headers).get_data(as_text=True)
    assert "Resume" in paused
    retried = client.post(f"/admin/jobs/{job}/retry", headers=headers).get_data(as_text=True)
    assert f"Job {job} is queued again." in retried and f'data-job="{job}"' not in retried
    with admin_app.app_context():
        assert db.session.get(Job, job).status == "queued"
    made = client.post("/admin/keys", data={"name": "laptop", "monthly_minutes": "90"}, headers=headers)
    html = made.get_data(as_text=True)
    secret = html.split('id="new-key-secret" class="secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("sqz_") and "90" in html
    assert secret not in client.get("/admin").get_data(as_text=True)  # shown once
    revoked = client.post("/admin/keys/1/revoke", headers=headers).get_data(as_text=True)
    assert ">revoked<" in revoked


def test_a_refused_button_answers_a_problem_the_page_shows(admin_app: Flask, client: FlaskClient) -> None:
    headers = _operator(client)
    bad = client.post("/admin/keys", data={"name": ""}, headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert client.post("/admin/jobs/nothing/retry", headers=headers).status_code == 404
    assert client.post("/admin/queues/compress/explode", headers=headers).status_code == 404
    assert client.post("/admin/keys", data={"name": "x"}).status_code == 403  # no CSRF token
