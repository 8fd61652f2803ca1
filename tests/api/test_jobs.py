"""The job routes through the test client: conditional GET per RFC 9110, the list's next link."""

from __future__ import annotations

import io
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
    assert (response.get_data() == b"") == (status == 304)


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
