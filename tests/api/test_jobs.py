"""The job routes through the test client: conditional GET per RFC 9110, the list's next link."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient


def _submit(client: FlaskClient, clip: Path) -> str:
    data = {"file": (io.BytesIO(clip.read_bytes()), clip.name)}
    response = client.post("/api/jobs", data=data, content_type="multipart/form-data")
    assert response.status_code == 202
    return str(response.get_json()["id"])


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [('"v1"', 304), ('W/"v1"', 304), ('"v0", "v1"', 304), ('"v0",W/"v1" ', 304), ("*", 304),
     ("v1", 304),  # werkzeug also reads an unquoted tag
     ('"v2"', 200), ('"v0", "v2"', 200), ('"V1"', 200), ('"v1', 200), ("", 200)],
)  # fmt: skip
def test_if_none_match_follows_rfc_9110(
    client: FlaskClient, clips: dict, if_none_match: str, status: int
) -> None:
    job_id = _submit(client, clips["small"])
    response = client.get(f"/api/jobs/{job_id}", headers={"If-None-Match": if_none_match})
    assert response.status_code == status
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Retry-After"] == "2"  # queued: a 304 says when to ask again too
    assert (response.get_data() == b"") == (status == 304)


@pytest.mark.parametrize("if_none_match", ['"v0"', '"v999"'])
def test_a_long_poll_answers_at_once_a_client_behind_or_naming_a_version_to_come(
    client: FlaskClient, clips: dict, if_none_match: str
) -> None:
    """v0: the job has moved past it already; v999: a version it never had, nothing to wait for."""
    job_id = _submit(client, clips["small"])
    started = time.monotonic()
    headers = {"If-None-Match": if_none_match, "Prefer": "wait=30"}
    response = client.get(f"/api/jobs/{job_id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["version"] == 1
    assert time.monotonic() - started < 15, "it held the wait"


@pytest.mark.parametrize("if_none_match", ['""', 'W/""', '"v"', '"v\u00b2"'])
def test_a_long_poll_naming_no_version_waits_for_the_next(
    client: FlaskClient, clips: dict, if_none_match: str
) -> None:
    """Tags that name no version (an empty one was a 500, as was "v²"): past the current version."""
    job_id = _submit(client, clips["small"])
    response = client.get(f"/api/jobs/{job_id}", headers={"If-None-Match": if_none_match, "Prefer": "wait=1"})
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "wait=1"


def test_the_next_link_keeps_query_values_escaped(client: FlaskClient, clips: dict) -> None:
    for _ in range(3):
        _submit(client, clips["small"])
    response = client.get("/api/jobs", query_string={"limit": "2", "status": "queued", "x": "a&admin=1"})
    following = response.get_json()["next"]
    parts = urlsplit(following)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", "/api/jobs")
    assert query["x"] == ["a&admin=1"] and "admin" not in query
    assert query["status"] == ["queued"] and query["limit"] == ["2"]
    rest = client.get(following.removeprefix("http://localhost")).get_json()
    assert len(rest["jobs"]) == 1 and rest["next"] is None


def test_a_next_link_never_hands_a_query_name_to_url_for(client: FlaskClient, clips: dict) -> None:
    for _ in range(2):
        data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
        assert client.post("/api/jobs", data=data, content_type="multipart/form-data").status_code == 202
    for name in ("_method", "_external", "_anchor", "_scheme"):
        response = client.get(f"/api/jobs?limit=1&{name}=x")
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        following = urlsplit(response.get_json()["next"])
        assert following.path == "/api/jobs" and parse_qs(following.query)[name] == ["x"]


def test_the_output_of_a_job_still_to_run_or_canceled_is_a_409_saying_which(
    client: FlaskClient, clips: dict
) -> None:
    job_id = _submit(client, clips["small"])
    waiting = client.get(f"/api/jobs/{job_id}/output")
    assert waiting.status_code == 409 and waiting.get_json()["code"] == "not_ready"
    assert waiting.get_json()["detail"].endswith("the output exists once it has succeeded")
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 202
    canceled = client.get(f"/api/jobs/{job_id}/output").get_json()
    assert canceled["detail"] == "the job is canceled; it has no output, and will have none"


@pytest.mark.parametrize(
    ("prefer", "applied"), [('wait="1"', "wait=1"), ("wait=1", "wait=1"), ("wait=soon", None)]
)
def test_a_quoted_wait_is_a_wait(client: FlaskClient, clips: dict, prefer: str, applied: str | None) -> None:
    """RFC 7240 lets a preference's value be a quoted string: ``wait="1"`` was ignored."""
    job_id = _submit(client, clips["small"])
    response = client.get(f"/api/jobs/{job_id}", headers={"Prefer": prefer, "If-None-Match": '"v0"'})
    assert response.status_code == 200 and response.headers.get("Preference-Applied") == applied
