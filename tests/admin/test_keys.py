"""API keys through /api/admin/keys: listed without secrets, created with the secret shown once, revoked."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.admin.conftest import ADMIN


def test_create_list_use_and_revoke_a_key(
    admin_app: Flask, client: FlaskClient, clips: dict[str, Path]
) -> None:
    admin_app.config["API_KEYS"] = ["sqz_another_client"]  # the API stays private once this key is revoked
    assert client.get("/api/admin/keys", headers=ADMIN).get_json() == {"keys": []}
    made = client.post("/api/admin/keys", json={"name": "studio", "max_concurrent_jobs": 2}, headers=ADMIN)
    assert made.status_code == 201
    body = made.get_json()
    secret = body.pop("key")
    assert secret.startswith("sqz_") and body["owner"].startswith("key:")
    assert (body["name"], body["max_concurrent_jobs"], body["monthly_minutes"], body["revoked_at"]) == (
        "studio", 2, None, None
    )  # fmt: skip
    listing = client.get("/api/admin/keys", headers=ADMIN)
    assert listing.get_json() == {"keys": [body]} and secret not in listing.get_data(as_text=True)
    client_auth = {"Authorization": f"Bearer {secret}"}
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    submitted = client.post("/api/jobs", data=data, headers=client_auth, content_type="multipart/form-data")
    assert submitted.status_code == 202
    revoked = client.delete(f"/api/admin/keys/{body['id']}", headers=ADMIN)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    assert client.get("/api/jobs", headers=client_auth).status_code == 401
    assert client.get("/api/admin/keys", headers=client_auth).status_code == 404  # a client is no operator


def test_a_bad_new_key_is_a_422_naming_each_field(admin_app: Flask, client: FlaskClient) -> None:
    wrong = {"name": "", "max_concurrent_jobs": 0, "monthly_minutes": "²"}  # "²": a digit int() refuses
    answer = client.post("/api/admin/keys", json=wrong, headers=ADMIN)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.get_json()["errors"]} == set(wrong)
    not_json = client.post("/api/admin/keys", data="name=x", headers=ADMIN, content_type="text/plain")
    assert not_json.status_code == 400 and not_json.get_json()["code"] == "malformed_json"
    # A lone surrogate, quotas past any column, a misspelt field: each named.
    beyond = {"name": "\ud800", "max_concurrent_jobs": 10**30, "monthly_minutes": "9" * 30}
    beyond["max_concurent_jobs"] = 1
    answer = client.post("/api/admin/keys", json=beyond, headers=ADMIN)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.get_json()["errors"]} == set(beyond)
    deep = "[" * 5000 + "]" * 5000  # within the size limit, past the parser's recursion
    nested = client.post("/api/admin/keys", data=deep, headers=ADMIN, content_type="application/json")
    assert nested.status_code == 400 and nested.get_json()["code"] == "malformed_json"


def test_revoking_an_unknown_key_is_a_404(admin_app: Flask, client: FlaskClient) -> None:
    for key_id in ("999", "9" * 30):  # the second past any id column
        answer = client.delete(f"/api/admin/keys/{key_id}", headers=ADMIN)
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_the_cli_makes_keys_with_quotas_the_api_lists(admin_app: Flask, client: FlaskClient) -> None:
    made = admin_app.test_cli_runner().invoke(args=["keys", "create", "batch", "--monthly-minutes", "600"])
    assert made.exit_code == 0, made.output
    (key,) = client.get("/api/admin/keys", headers=ADMIN).get_json()["keys"]
    assert (key["name"], key["monthly_minutes"], key["max_concurrent_jobs"]) == ("batch", 600, None)
