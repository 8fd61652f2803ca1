"""Submission through the test client (fakeredis, real ffmpeg probe)."""

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import redis_client
from app.storage.local import LocalStorage
from app.units import MB
from tests.media import crafted


def _post(client: FlaskClient, path: Path, **fields: str):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/api/jobs", data=data, content_type="multipart/form-data")


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["status"], body["code"]) == (status, code)
    assert {"type", "title", "detail"} <= set(body)
    return body


def test_a_video_is_accepted_with_202_and_absolute_links(
    client: FlaskClient, clips: dict, app: Flask
) -> None:
    response = _post(client, clips["small"], preset="small", max_height="120")
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "queued" and job["version"] == 1
    assert response.headers["Location"] == f"http://localhost/api/jobs/{job['id']}"
    assert response.headers["Operation-Location"] == response.headers["Location"]
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    assert job["links"]["ws"] == f"ws://localhost/api/jobs/{job['id']}/ws"
    assert job["input"]["width"] == 320 and job["input"]["filename"] == "small.mp4"
    assert job["options"]["max_height"] == 120
    assert job["queue_position"] == 1
    with app.app_context():
        assert redis_client().llen("rq:queue:compress") == 1
    stored = Path(app.config["STORAGE_URL"].removeprefix("file://")) / "jobs" / job["id"] / "input"
    assert stored.read_bytes() == clips["small"].read_bytes()
    assert list(Path(app.config["SCRATCH_DIR"]).iterdir()) == [], "the request's spool is gone"


def test_links_follow_the_proxy_headers(client: FlaskClient, clips: dict) -> None:
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "squeeze.example"}
    response = client.post("/api/jobs", data=data, headers=headers, content_type="multipart/form-data")
    assert response.headers["Location"].startswith("https://squeeze.example/api/jobs/")
    assert response.get_json()["links"]["ws"].startswith("wss://squeeze.example/")


def test_text_named_mp4_is_415(client: FlaskClient, clips: dict, app: Flask) -> None:
    _assert_problem(_post(client, clips["text"]), 415, "unsupported_media")
    assert list(Path(app.config["SCRATCH_DIR"]).iterdir()) == []


def test_empty_file_is_415(client: FlaskClient, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    body = _assert_problem(_post(client, empty), 415, "unsupported_media")
    assert "empty" in body["detail"]


def test_bad_options_are_422_with_errors(client: FlaskClient, clips: dict) -> None:
    body = _assert_problem(_post(client, clips["small"], codec="vp9", max_height="x"), 422, "invalid_option")
    assert {e["field"] for e in body["errors"]} == {"codec", "max_height"}


def test_missing_file_is_422(client: FlaskClient) -> None:
    response = client.post("/api/jobs", data={"preset": "small"}, content_type="multipart/form-data")
    body = _assert_problem(response, 422, "invalid_option")
    assert body["errors"][0]["field"] == "file"


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"start_seconds": "2"}, "start_seconds"), ({"end_seconds": "2.5"}, "end_seconds"),
     ({"start_seconds": "1", "end_seconds": "0.5"}, "end_seconds")],
)  # fmt: skip
def test_a_trim_outside_the_2_s_video_or_empty_is_422(
    client: FlaskClient, clips: dict, fields: dict[str, str], field: str
) -> None:
    body = _assert_problem(_post(client, clips["small"], **fields), 422, "invalid_option")
    assert [error["field"] for error in body["errors"]] == [field]


def test_a_trim_inside_the_video_is_accepted_and_shown_in_the_options(
    client: FlaskClient, clips: dict
) -> None:
    job = _post(client, clips["small"], start_seconds="0.5", end_seconds="2").get_json()
    assert (job["options"]["start_seconds"], job["options"]["end_seconds"]) == (0.5, 2.0)
    assert job["input"]["duration_seconds"] == pytest.approx(2.0, abs=0.05), "the input is the whole file"


def test_target_too_small_for_the_video_is_422(client: FlaskClient, clips: dict) -> None:
    body = _assert_problem(_post(client, clips["small"], target_size_mb="0.001"), 422, "invalid_option")
    assert body["errors"][0]["field"] == "target_size_mb"
    assert "a 2.0 s video" in body["errors"][0]["message"]
    trimmed = _post(client, clips["small"], target_size_mb="0.001", start_seconds="1", end_seconds="1.2")
    assert "a 0.2 s video" in _assert_problem(trimmed, 422, "invalid_option")["errors"][0]["message"]


def test_over_max_upload_is_413(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    app.config["MAX_UPLOAD_MB"] = 1  # the body limit follows it (app.api.spool)
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (2 * MB + 1))
    _assert_problem(_post(client, big), 413, "too_large")


def test_a_form_of_too_many_parts_is_413_saying_so(client: FlaskClient) -> None:
    """A few KB of 1,001 fields: werkzeug's limit on parts, not the upload size, refused it."""
    fields = b"".join(
        b'--XB\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(1001)
    )
    body = fields + b"--XB--\r\n"
    response = client.post("/api/jobs", data=body, content_type="multipart/form-data; boundary=XB")
    assert "more than 1000 parts" in _assert_problem(response, 413, "too_large")["detail"]


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/jobs", data="hello", content_type="text/plain")
    _assert_problem(response, 415, "unsupported_content_type")


_PART = b'--XB\r\nContent-Disposition: form-data; name="file"; filename='


@pytest.mark.parametrize(
    ("body", "says"),
    [(_PART + b'"caf\xe9.mp4"\r\n\r\nDATA\r\n--XB--\r\n', "not UTF-8"),
     (_PART + b'"a.mp4"\r\n\r\nDATA', "closing boundary")],
    ids=["a Latin-1 file name", "cut short"],
)  # fmt: skip
def test_a_form_that_cannot_be_read_is_400_saying_why(client: FlaskClient, body: bytes, says: str) -> None:
    """Werkzeug's parser gave an empty form: the client heard that no file was sent (422)."""
    response = client.post("/api/jobs", data=body, content_type="multipart/form-data; boundary=XB")
    assert says in _assert_problem(response, 400, "malformed_form")["detail"]


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/api/jobs", data="{", content_type="application/json")
    _assert_problem(response, 400, "malformed_json")


def test_unknown_paths_and_methods_under_api_are_problems(client: FlaskClient) -> None:
    _assert_problem(client.get("/api/nothing-here"), 404, "not_found")
    _assert_problem(client.put("/api/jobs"), 405, "method_not_allowed")
    _assert_problem(client.get("/api/jobs/not-a-job"), 404, "not_found")


def test_a_store_that_cannot_take_the_file_is_a_503_not_a_500(
    app: Flask, client: FlaskClient, clips: dict, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    app.extensions["storage"] = LocalStorage(blocked)
    answer = _post(client, clips["small"])
    body = _assert_problem(answer, 503, "storage_unavailable")
    assert "try again" in body["detail"] and answer.headers["Retry-After"] == "10"
    assert client.get("/api/jobs").get_json()["jobs"] == [], "no job without its file"
    begun = client.post("/api/uploads", json={"filename": "a.mp4", "size_bytes": 10})  # the same answer
    assert begun.status_code == 503 and begun.get_json()["detail"] == body["detail"]


def test_a_callback_url_without_a_webhook_secret_is_422(client: FlaskClient, clips: dict, app: Flask) -> None:
    app.config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_SECRET="")
    body = _assert_problem(_post(client, clips["small"], callback_url="http://127.0.0.1:9/hook"), 422,
                           "invalid_option")  # fmt: skip
    assert body["errors"][0]["field"] == "callback_url" and "WEBHOOK_SECRET" in body["errors"][0]["message"]
    app.config["WEBHOOK_SECRET"] = "whsec_" + "A" * 32
    assert _post(client, clips["small"], callback_url="http://127.0.0.1:9/hook").status_code == 202


@pytest.mark.parametrize(
    ("craft", "status", "code", "says"),
    [
        (lambda p: crafted.hls_playlist(p / "list.m3u8"), 415, "unsupported_media", "HLS playlist"),
        (lambda p: crafted.ffconcat_list(p / "list.txt"), 415, "unsupported_media", "ffconcat"),
        (lambda p: crafted.y4m_header(p / "huge.y4m", 100_000, 100_000), 415, "unsupported_media",
         "100000x100000"),
        (lambda p: crafted.y4m_header(p / "big.y4m", 16_000, 16_000), 422, "beyond_limits", "MAX_PIXELS"),
        (lambda p: crafted.claims_hours(p / "long.mkv", 10), 422, "beyond_limits", "MAX_DURATION_MINUTES"),
    ],
    ids=["hls", "ffconcat", "impossible-size", "too-many-pixels", "claims-ten-hours"],
)  # fmt: skip
def test_crafted_inputs_are_refused_at_submit(
    client: FlaskClient, app: Flask, tmp_path: Path, craft: Any, status: int, code: str, says: str
) -> None:
    body = _assert_problem(_post(client, craft(tmp_path)), status, code)
    assert says in body["detail"]
    with app.app_context():
        assert redis_client().llen("rq:queue:compress") == 0
    assert list(Path(app.config["SCRATCH_DIR"]).iterdir()) == [], "the request's spool is gone"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_url": "http://[::1/x.mp4"}, "source_url"),  # an IPv6 address never closed
        ({"source_url": "https://example.com/\ud800.mp4"}, "source_url"),  # a lone surrogate
        ({"source_url": "https://example.com/a.mp4", "max_height": 10**400}, "max_height"),
        ({"source_url": "https://example.com/a.mp4", "target_size_mb": 10**400}, "target_size_mb"),
    ],
    ids=["unclosed-ipv6", "lone-surrogate", "huge-height", "huge-target"],
)
def test_json_a_person_could_not_mean_is_a_422_naming_the_field(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    problem = _assert_problem(client.post("/api/jobs", json=body), 422, "invalid_option")
    assert field in [error["field"] for error in problem["errors"]]  # (example.com resolves nowhere here)


def test_json_nested_thousands_deep_is_a_400(client: FlaskClient) -> None:
    deep = "[" * 5000 + "]" * 5000  # within the size limit, past the parser's recursion
    response = client.post("/api/jobs", data=deep, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


def test_a_field_or_a_file_given_twice_is_a_422_naming_it(client: FlaskClient, clips: dict) -> None:
    video = clips["small"].read_bytes()
    for data in (
        {"file": [(io.BytesIO(video), "a.mp4"), (io.BytesIO(video), "b.mp4")]},  # which one to compress?
        {"file": (io.BytesIO(video), "a.mp4"), "preset": ["small", "high"]},
    ):
        response = client.post("/api/jobs", data=data, content_type="multipart/form-data")
        field = next(name for name, value in data.items() if isinstance(value, list))
        problem = _assert_problem(response, 422, "invalid_option")
        assert problem["errors"] == [{"field": field, "message": "is given more than once"}]
