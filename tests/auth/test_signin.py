"""A private deployment's page: nobody in without a key; sessions of a key's owner; HTTPS cookies."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

KEY = "sqz_test_key_for_the_page"


@pytest.fixture()
def private(app: Flask) -> Flask:
    app.config["API_KEYS"] = [KEY]
    return app


def _token(client: FlaskClient, path: str = "/signin", **kwargs: object) -> str:
    page = client.get(path, **kwargs).get_data(as_text=True)  # type: ignore[arg-type]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _sign_in(client: FlaskClient, key: str = KEY, **kwargs: object) -> int:
    token = _token(client, **kwargs)
    response = client.post("/signin", data={"key": key, "csrf_token": token}, **kwargs)  # type: ignore[arg-type]
    return response.status_code


def test_without_a_key_the_page_and_its_session_open_nothing(private: Flask) -> None:
    client = private.test_client()
    assert client.get("/").headers["Location"].endswith("/signin")
    token = _token(client)  # the attack that was: take the page's token, submit with the session
    for method, path in [("post", "/api/jobs"), ("post", "/api/uploads"), ("get", "/api/jobs")]:
        response = getattr(client, method)(path, json={"source_url": "https://example.com/a.mp4"},
                                           headers={"X-CSRFToken": token})  # fmt: skip
        assert response.status_code == 401, (path, response.get_data(as_text=True))
    assert client.get("/page/rows").status_code == 401
    assert client.get("/jobs/x/compare").status_code == 401


def test_a_wrong_key_is_refused_and_a_right_one_opens_the_owners_jobs(private: Flask) -> None:
    client = private.test_client()
    assert _sign_in(client, "sqz_wrong") == 401
    assert client.get("/page/rows").status_code == 401
    api = {"Authorization": f"Bearer {KEY}"}
    created = client.post("/api/uploads", json={"filename": "a.mp4", "size_bytes": 10}, headers=api)
    assert created.status_code == 201
    assert _sign_in(client) == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/uploads/" + created.get_json()["id"]).status_code == 200  # the key's own upload
    other = private.test_client()  # another browser signing in with the same key: the same owner
    assert _sign_in(other) == 303
    assert other.get("/api/uploads/" + created.get_json()["id"]).status_code == 200


def test_a_signed_in_sessions_writes_need_the_pages_csrf_token(private: Flask) -> None:
    """The session cookie rides along with another site's request too: only the page's token
    tells the page's own request apart, for every write (a key in the header needs none)."""
    client = private.test_client()
    api = {"Authorization": f"Bearer {KEY}"}
    upload = client.post("/api/uploads", json={"filename": "a.mp4", "size_bytes": 10}, headers=api)
    assert upload.status_code == 201
    assert _sign_in(client) == 303
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    writes = [
        ("post", "/api/jobs", {"json": {"source_url": "https://example.com/a.mp4"}}),
        ("post", "/api/uploads", {"json": {"filename": "b.mp4", "size_bytes": 10}}),
        ("delete", "/api/uploads/" + upload.get_json()["id"], {}),
    ]
    for method, path, body in writes:
        for headers in ({}, {"X-CSRFToken": "forged"}):
            refused = getattr(client, method)(path, headers=headers, **body)
            assert refused.status_code == 403, (path, refused.get_data(as_text=True))
            assert refused.get_json()["code"] == "csrf_failed"
    page_request = {"X-CSRFToken": token}
    made = client.post("/api/uploads", json={"filename": "b.mp4", "size_bytes": 10}, headers=page_request)
    assert made.status_code == 201
    assert client.delete("/api/uploads/" + upload.get_json()["id"], headers=page_request).status_code == 204


def test_another_sites_page_cannot_open_a_jobs_socket_on_the_session(private: Flask, clips: dict) -> None:
    """Its handshake carries the session cookie and that site's Origin: 403 before any upgrade
    (as the page's own socket); the job's owner is still asked for first."""
    client = private.test_client()
    api = {"Authorization": f"Bearer {KEY}"}
    with clips["small"].open("rb") as video:
        job = client.post("/api/jobs", data={"file": (video, "a.mp4")}, headers=api).get_json()
    assert _sign_in(client) == 303
    handshake = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    handshake |= {"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "https://elsewhere.example"}
    refused = client.get(f"/api/jobs/{job['id']}/ws", headers=handshake)
    assert refused.status_code == 403 and refused.get_json()["code"] == "cross_site"
    assert client.get("/page/ws", headers=handshake).status_code == 403
    unknown = client.get("/api/jobs/nope/ws", headers=handshake)
    assert unknown.status_code == 403  # nothing said about which jobs exist


def test_signing_out_or_revoking_the_key_ends_the_session(private: Flask) -> None:
    client = private.test_client()
    assert _sign_in(client) == 303
    assert client.get("/page/rows").status_code == 200
    token = _token(client, "/")
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/page/rows").status_code == 401
    assert _sign_in(client) == 303
    private.config["API_KEYS"] = ["sqz_another"]  # the key is gone
    assert client.get("/page/rows").status_code == 401
    assert client.get("/api/jobs").status_code == 401


def test_an_open_deployment_needs_no_sign_in(client: FlaskClient) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/signin").status_code == 302


def test_every_way_to_create_work_shares_one_limit_per_address(app: Flask) -> None:
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    first, second = app.test_client(), app.test_client()  # two sessions, one address
    first.get("/")
    second.get("/")
    body = {"filename": "a.mp4", "size_bytes": 10}
    assert (
        first.post("/api/uploads", json=body, headers={"X-CSRFToken": _token(first, "/")}).status_code == 201
    )
    assert (
        second.post("/api/uploads", json=body, headers={"X-CSRFToken": _token(second, "/")}).status_code
        == 201
    )
    fresh = app.test_client()  # a new session resets nothing
    assert fresh.post("/api/jobs", json={"source_url": "https://example.com/a.mp4"}).status_code == 429
    assert fresh.post("/api/uploads", json=body).status_code == 429
    elsewhere = app.test_client()
    answer = elsewhere.post("/api/uploads", json=body, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 201  # another address has its own count


def test_over_https_the_session_cookie_is_secure_and_host_bound(private: Flask) -> None:
    client = private.test_client()
    # A browser sends the page's address as Referer to its own site (Referrer-Policy: same-origin),
    # which Flask-WTF compares with the host over HTTPS.
    assert _sign_in(client, base_url="https://squeeze.test") == 403  # no Referer: refused
    referred = {"Referer": "https://squeeze.test/signin"}
    assert _sign_in(client, base_url="https://squeeze.test", headers=referred) == 303
    cookie = client.get_cookie("__Host-session", domain="squeeze.test")
    assert cookie is not None and cookie.secure and cookie.path == "/"
    answer = client.get("/", base_url="https://squeeze.test")
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get_cookie("session", domain="squeeze.test") is None


def test_behind_a_tls_proxy_too(private: Flask) -> None:
    client = private.test_client()
    proxied = {"X-Forwarded-Proto": "https"}
    response = client.get("/signin", headers=proxied)
    assert "Strict-Transport-Security" in response.headers
    assert "__Host-session=" in response.headers.get("Set-Cookie", "")
    assert "Secure" in response.headers.get("Set-Cookie", "")


def test_over_plain_http_the_cookie_keeps_its_name_and_no_hsts(private: Flask) -> None:
    client = private.test_client()
    response = client.get("/signin")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers.get("Set-Cookie", "").startswith("session=")


def test_too_many_tries_show_the_form_saying_how_long_to_wait(private: Flask) -> None:
    """The eleventh try in a minute got the API's JSON about "too many submissions"."""
    client = private.test_client()
    for _ in range(10):
        assert _sign_in(client, "sqz_wrong") == 401
    response = client.post("/signin", data={"key": KEY, "csrf_token": _token(client)})
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert re.search(r"Too many tries from here: try again in \d+ s\.", response.get_data(as_text=True))
