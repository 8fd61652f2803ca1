import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.keys import owner_for_key


def _create_key(app: Flask, name: str) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "create", name])
    assert result.exit_code == 0, result.output
    return re.search(r"^(sqz_\S+)$", result.output, re.MULTILINE).group(1)


def test_no_key_configured_means_an_open_api(client: FlaskClient) -> None:
    assert client.get("/api/jobs").status_code == 200


def test_once_a_key_exists_requests_without_one_get_401(app: Flask, client: FlaskClient) -> None:
    key = _create_key(app, "ci")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/jobs", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_keys_are_stored_hashed_listed_and_revoked(app: Flask, client: FlaskClient) -> None:
    key = _create_key(app, "laptop")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["keys", "list"]).output
    assert "laptop" in listing and "active" in listing and key not in listing
    from app.auth.keys import ApiKey
    from app.extensions import db

    with app.app_context():
        stored = db.session.scalars(db.select(ApiKey)).one()
        assert key not in stored.key_hash
    key_id = listing.split("\t", 1)[0]
    assert runner.invoke(args=["keys", "revoke", key_id]).exit_code == 0
    with app.app_context():
        assert owner_for_key(key) is None
    assert runner.invoke(args=["keys", "revoke", "999"]).exit_code != 0
    app.extensions.pop("api_keys", None)  # what a web process remembered for KEY_CACHE_SECONDS
    # The only key is revoked: the API stays closed, to it and to anyone without a key.
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert client.get("/api/jobs").status_code == 401


def test_env_keys_work_and_each_key_is_its_own_owner(app: Flask, client: FlaskClient, clips: dict) -> None:
    app.config["API_KEYS"] = ["alpha", "beta"]
    alpha, beta = ({"Authorization": f"Bearer {k}"} for k in ("alpha", "beta"))
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    job = client.post("/api/jobs", data=data, headers=alpha, content_type="multipart/form-data").get_json()
    job_id = job["id"]
    assert client.get(f"/api/jobs/{job_id}", headers=alpha).status_code == 200
    for method, path in [
        ("get", f"/api/jobs/{job_id}"),
        ("get", f"/api/jobs/{job_id}/output"),
        ("get", f"/api/jobs/{job_id}/events"),
        ("post", f"/api/jobs/{job_id}/cancel"),
        ("delete", f"/api/jobs/{job_id}"),
    ]:
        response = getattr(client, method)(path, headers=beta)
        assert response.status_code == 404, (method, path)
        assert response.get_json()["detail"] == f"there is no job {job_id!r}"
    assert client.get("/api/jobs", headers=beta).get_json()["jobs"] == []
    assert client.get(f"/api/jobs/{job_id}", headers=alpha).get_json()["status"] == "queued"


def test_a_plain_get_of_a_jobs_socket_asks_for_the_key_and_the_job_then_the_upgrade(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    app.config["API_KEYS"] = ["alpha", "beta"]
    alpha, beta = ({"Authorization": f"Bearer {k}"} for k in ("alpha", "beta"))
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    job = client.post("/api/jobs", data=data, headers=alpha, content_type="multipart/form-data").get_json()
    socket = f"/api/jobs/{job['id']}/ws"
    assert client.get(socket).status_code == 401
    assert client.get(socket, headers=beta).status_code == 404  # another's job: none
    upgrade = client.get(socket, headers=alpha)
    assert upgrade.status_code == 426 and upgrade.get_json()["code"] == "upgrade_required"
    assert upgrade.headers["Upgrade"] == "websocket"


@pytest.mark.parametrize("with_token", [False, True])
def test_the_page_session_needs_its_csrf_token(client: FlaskClient, clips: dict, with_token: bool) -> None:
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": token} if with_token else {}
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    response = client.post("/api/jobs", data=data, headers=headers, content_type="multipart/form-data")
    if with_token:
        assert response.status_code == 202
        rows = client.get("/page/rows").get_data(as_text=True)
        assert response.get_json()["id"] in rows
    else:
        assert response.status_code == 403 and response.get_json()["code"] == "csrf_failed"


def test_security_headers_on_the_page(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True), "no inline script"
