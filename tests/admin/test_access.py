"""Nobody but an operator learns the console exists: every refusal is the 404 of an unknown address."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.admin.conftest import ADMIN, ADMIN_KEY

PROBES = [
    ("get", "/admin"),
    ("get", "/admin/fragments/queues"),
    ("get", "/api/admin/queues"),
    ("get", "/api/admin/workers"),
    ("get", "/api/admin/jobs?status=failed"),
    ("post", "/api/admin/jobs/x/retry"),
    ("post", "/api/admin/jobs/retry-failed"),
    ("get", "/api/admin/jobs/retry-failed"),  # a wrong method tells nothing either
    ("post", "/api/admin/queues/compress/pause"),
    ("post", "/api/admin/queues/compress/resume"),
    ("get", "/api/admin/keys"),
    ("post", "/api/admin/keys"),
    ("delete", "/api/admin/keys/1"),
    ("get", "/api/admin/usage"),
    ("get", "/api/admin/no-such-thing"),
    ("get", "/api//admin/queues"),  # the router merges slashes (a 308): the check must too
    ("post", "/api//admin/keys"),
    ("get", "/admin//fragments/queues"),
]


def _unknown(client: FlaskClient) -> tuple[int, bytes, str]:
    answer = client.get("/no-such-address")
    return answer.status_code, answer.data, answer.mimetype


@pytest.mark.parametrize(("method", "path"), PROBES)
def test_without_admin_keys_the_console_does_not_exist(client: FlaskClient, method: str, path: str) -> None:
    answer = getattr(client, method)(path, headers=ADMIN)  # any key: none is an operator's
    assert (answer.status_code, answer.data, answer.mimetype) == _unknown(client)


@pytest.mark.parametrize(("method", "path"), PROBES)
def test_strangers_and_clients_with_api_keys_get_the_unknown_404(
    admin_app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    admin_app.config["API_KEYS"] = ["sqz_a_client"]
    for headers in ({}, {"Authorization": "Bearer sqz_a_client"}, {"Authorization": "Bearer wrong"}):
        answer = getattr(client, method)(path, headers=headers)
        assert (answer.status_code, answer.data, answer.mimetype) == _unknown(client), headers


def test_a_signed_in_client_session_gets_404_and_an_operator_session_gets_in(
    admin_app: Flask, client: FlaskClient
) -> None:
    admin_app.config["API_KEYS"] = ["sqz_a_client"]
    client.get("/signin")
    token = _csrf(client)
    assert client.post("/signin", data={"key": "sqz_a_client", "csrf_token": token}).status_code == 303
    assert client.get("/admin").status_code == 404
    assert client.get("/api/admin/queues").status_code == 404
    token = _csrf(client)
    signed = client.post("/signin", data={"key": ADMIN_KEY, "csrf_token": token})
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/admin")
    assert client.get("/admin").status_code == 200
    assert client.get("/api/admin/queues").status_code == 200
    admin_app.config["ADMIN_KEYS"] = ["sqz_a_new_admin_key"]  # the key was taken away: so is the session
    assert client.get("/admin").status_code == 404


def test_an_operator_session_must_send_its_csrf_token_to_change_anything(
    admin_app: Flask, client: FlaskClient
) -> None:
    client.get("/signin")
    client.post("/signin", data={"key": ADMIN_KEY, "csrf_token": _csrf(client)})
    refused = client.post("/api/admin/queues/compress/pause")
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    paused = client.post("/api/admin/queues/compress/pause", headers={"X-CSRFToken": _csrf(client)})
    assert paused.status_code == 200 and paused.get_json()["paused"] is True
    bearer = client.post("/api/admin/queues/compress/resume", headers=ADMIN)  # a bearer key needs none
    assert bearer.status_code == 200 and bearer.get_json()["paused"] is False


def _csrf(client: FlaskClient) -> str:
    """The session's CSRF token, as the pages print it."""
    for path in ("/signin", "/admin", "/"):
        text = client.get(path).get_data(as_text=True)
        if 'name="csrf-token" content="' in text:
            return text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    raise AssertionError("no page of this session prints a CSRF token")


def test_an_operator_of_an_open_deployment_may_use_the_page_and_stay_signed_in(
    admin_app: Flask, client: FlaskClient
) -> None:
    client.get("/signin")
    client.post("/signin", data={"key": ADMIN_KEY, "csrf_token": _csrf(client)})
    assert client.get("/").status_code == 200  # the open page makes its anonymous owner
    assert client.get("/admin").status_code == 200
