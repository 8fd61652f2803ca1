"""Resumable uploads through the test client, on both stores: parts, resume, complete, refuse."""

from __future__ import annotations

import io
import re
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.storage import Storage, input_key, job_storage
from app.storage.s3 import S3Storage
from app.timeutil import utcnow
from app.units import MB
from app.uploads import service
from app.uploads.models import Upload
from tests.conftest import make_noise_clip
from tests.live.servers import SeaweedFS

PART = 5 * MB
STORES = ("file", pytest.param("s3", marks=pytest.mark.slow))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real video a little over two parts long (noise keeps it big), made once."""
    data = make_noise_clip(tmp_path_factory.mktemp("upload") / "noisy.mp4", seconds=2).read_bytes()
    assert 2 * PART < len(data) < 3 * PART, len(data)
    return data


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, app: Flask) -> Iterator[Storage]:
    """The app's storage: its folder, or a fresh prefix of a SeaweedFS bucket (parts of 5 MiB)."""
    app.config["UPLOAD_PART_MB"] = 5
    if request.param == "s3":
        seaweed: SeaweedFS = request.getfixturevalue("seaweed")
        seaweed.create_bucket("uploads")
        credentials = {"aws_access_key_id": seaweed.access_key, "aws_secret_access_key": seaweed.secret_key}
        app.extensions["storage"] = S3Storage("uploads", "u-" + secrets.token_hex(4), seaweed.endpoint,
                                              credentials=credentials)  # fmt: skip
    with app.app_context():
        yield job_storage()


def _start(client: FlaskClient, size: int, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/uploads", json={"filename": "holiday.mp4", "size_bytes": size, **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == f"http://localhost/api/uploads/{response.get_json()['id']}"
    return dict(response.get_json())


def _targets(client: FlaskClient, upload: dict[str, Any], numbers: list[int]) -> dict[int, str]:
    response = client.post(f"/api/uploads/{upload['id']}/parts", json={"numbers": numbers})
    assert response.status_code == 200, response.get_data(as_text=True)
    parts = response.get_json()["parts"]
    assert all(p["method"] == "PUT" and p["headers"] == {} and p["expires_at"] for p in parts)
    return {p["number"]: p["url"] for p in parts}


def _put(client: FlaskClient, url: str, data: bytes) -> int:
    """PUT a part where its URL points: Squeeze itself (no credentials), or the store."""
    if url.startswith("http://localhost/"):
        return client.put(url.removeprefix("http://localhost"), data=data, headers={}).status_code
    return requests.put(url, data=data, timeout=30).status_code


def _put_interrupted(client: FlaskClient, url: str, data: bytes) -> None:
    """Send the headers and half the body of a part, then drop the connection."""
    if url.startswith("http://localhost/"):
        half = io.BytesIO(data[: len(data) // 2])
        path, length = url.removeprefix("http://localhost"), str(len(data))
        response = client.put(path, input_stream=half, environ_overrides={"CONTENT_LENGTH": length})
        assert response.status_code == 408
        return
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=10) as sock:
        head = f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        head += f"Content-Length: {len(data)}\r\n\r\n"
        sock.sendall(head.encode() + data[: len(data) // 2])


def _chunks(data: bytes, size: int) -> dict[int, bytes]:
    return {n + 1: data[i : i + size] for n, i in enumerate(range(0, len(data), size))}


def test_parts_sent_twice_and_interrupted_then_resumed_make_the_job(
    client: FlaskClient, store: Storage, video: bytes
) -> None:
    upload = _start(client, len(video), preset="small")
    assert (upload["part_size"], upload["parts_total"], upload["parts_done"], upload["job"]) == (
        PART,
        3,
        [],
        None,
    )
    chunks = _chunks(video, PART)
    urls = _targets(client, upload, [1, 2, 3])
    assert _put(client, urls[2], chunks[2]) == 200
    assert _put(client, urls[2], chunks[2]) == 200  # sent again: replaces it
    assert _put(client, urls[1], chunks[1]) == 200
    _put_interrupted(client, urls[3], chunks[3])

    resumed = client.get(f"/api/uploads/{upload['id']}").get_json()
    assert resumed["parts_done"] == [1, 2]
    early = client.post(f"/api/uploads/{upload['id']}/complete")
    assert early.status_code == 409 and early.get_json()["code"] == "upload_incomplete"
    assert "3" in early.get_json()["detail"]

    assert _put(client, _targets(client, upload, [3])[3], chunks[3]) == 200
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["parts_done"] == [1, 2, 3]
    done = client.post(f"/api/uploads/{upload['id']}/complete")
    assert done.status_code == 202, done.get_data(as_text=True)
    job = done.get_json()
    assert job["id"] == upload["id"] and job["status"] == "queued" and job["options"]["preset"] == "small"
    assert done.headers["Location"] == f"http://localhost/api/jobs/{job['id']}"
    assert job["input"]["size_bytes"] == len(video) and job["input"]["width"] == 640
    assert (
        store.fetch(
            input_key(job["id"]), Path(client.application.config["SCRATCH_DIR"]) / "check"
        ).read_bytes()
        == video
    )

    again = client.post(f"/api/uploads/{upload['id']}/complete")
    assert again.status_code == 202 and again.get_json()["id"] == job["id"]
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["job"] == job["id"]
    if isinstance(store, S3Storage):
        assert store.unfinished_uploads() == [], "no dangling multipart upload"


def test_a_part_of_the_wrong_size_does_not_count(client: FlaskClient, store: Storage, video: bytes) -> None:
    upload = _start(client, len(video))
    chunks = _chunks(video, PART)
    urls = _targets(client, upload, [1, 2, 3])
    for number in (1, 3):
        assert _put(client, urls[number], chunks[number]) == 200
    for wrong in (chunks[2][:-10], chunks[2] + bytes(10)):  # short, or swollen past its size
        # the store refuses a length its URL was not signed for (403); Squeeze refuses it (400)
        assert _put(client, urls[2], wrong) in (400, 403)
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["parts_done"] == [1, 3]
    answer = client.post(f"/api/uploads/{upload['id']}/complete")
    assert answer.status_code == 409 and answer.get_json()["errors"] == [
        {"field": "parts", "message": "part 2 is missing"}
    ]


def test_a_non_video_is_415_and_its_bytes_are_removed(client: FlaskClient, store: Storage) -> None:
    text = b"not a video at all\n" * 1000
    upload = _start(client, len(text))
    assert _put(client, _targets(client, upload, [1])[1], text) == 200
    for _ in range(2):  # completing again gives the same answer
        refused = client.post(f"/api/uploads/{upload['id']}/complete")
        assert refused.status_code == 415 and refused.get_json()["code"] == "unsupported_media"
    assert store.keys(f"jobs/{upload['id']}/") == []
    assert client.get(f"/api/jobs/{upload['id']}").status_code == 404


def test_deleted_and_expired_uploads_leave_nothing(client: FlaskClient, store: Storage, video: bytes) -> None:
    chunks = _chunks(video, PART)
    dropped, lapsed = _start(client, len(video)), _start(client, len(video))
    for upload in (dropped, lapsed):
        assert _put(client, _targets(client, upload, [1])[1], chunks[1]) == 200
    assert client.delete(f"/api/uploads/{dropped['id']}").status_code == 204
    assert client.get(f"/api/uploads/{dropped['id']}").status_code == 404

    record = db.session.get(Upload, lapsed["id"])
    assert record is not None
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for answer in (client.post(f"/api/uploads/{lapsed['id']}/parts", json={"numbers": [2]}),
                   client.post(f"/api/uploads/{lapsed['id']}/complete")):  # fmt: skip
        assert answer.status_code == 410 and answer.get_json()["code"] == "upload_expired"
    assert service.expire() == 1
    assert client.get(f"/api/uploads/{lapsed['id']}").get_json()["state"] == "expired"
    assert store.parts(input_key(lapsed["id"]), record.storage_upload_id) == {}
    if isinstance(store, S3Storage):
        assert store.unfinished_uploads() == [], "no dangling multipart upload"


def test_another_owner_sees_nothing(app: Flask, client: FlaskClient, store: Storage) -> None:
    app.config["API_KEYS"] = ["alpha", "beta"]
    alpha, beta = ({"Authorization": f"Bearer {k}"} for k in ("alpha", "beta"))
    upload = client.post(
        "/api/uploads", json={"filename": "a.mp4", "size_bytes": 10}, headers=alpha
    ).get_json()
    for method, path, body in (("get", "", None), ("post", "/parts", {"numbers": [1]}),
                               ("post", "/complete", None), ("delete", "", None)):  # fmt: skip
        answer = getattr(client, method)(f"/api/uploads/{upload['id']}{path}", json=body, headers=beta)
        assert answer.status_code == 404, (method, path)
    assert client.get(f"/api/uploads/{upload['id']}", headers=alpha).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"size_bytes": 10}, 422, "filename"), ({"filename": "a.mp4"}, 422, "size_bytes"),
     ({"filename": "a.mp4", "size_bytes": -1}, 422, "size_bytes"),
     ({"filename": "a.mp4", "size_bytes": 10, "preset": "tiny"}, 422, "preset"),
     ({"filename": "a.mp4", "size_bytes": 10, "colour": "red"}, 422, "colour"),
     ({"filename": "a.mp4", "size_bytes": 10**13}, 413, None)],
)  # fmt: skip
def test_bad_promises(client: FlaskClient, body: dict[str, Any], status: int, field: str | None) -> None:
    answer = client.post("/api/uploads", json=body)
    assert answer.status_code == status, answer.get_data(as_text=True)
    if field:
        assert field in {e["field"] for e in answer.get_json()["errors"]}


def test_bad_part_requests(client: FlaskClient) -> None:
    upload = _start(client, 3 * PART)
    signing = f"/api/uploads/{upload['id']}/parts"
    for numbers in ([0], [], ["1"], "1", [1.5]):
        assert client.post(signing, json={"numbers": numbers}).status_code == 422
    assert client.post(signing, json={"numbers": [1], "more": 1}).status_code == 422  # an unknown field
    last = upload["parts_total"]
    beyond = client.post(signing, json={"numbers": [1, last + 1]})  # well formed, past this upload's parts
    assert beyond.status_code == 409 and beyond.get_json()["code"] == "no_such_part"
    assert client.post(signing, json={"numbers": [float(last)]}).status_code == 200  # a JSON integer too
    url = _targets(client, upload, [1])[1].removeprefix("http://localhost")
    forged = url.replace("size=", "size=1")
    assert client.put(forged, data=b"x").status_code == 403
    assert client.put(url.split("?")[0], data=b"x").status_code == 403
    signature = re.search(r"signature=([0-9a-f]+)", url)
    assert signature is not None
    for strange in ("%C3%A9" * 32, "%00", "x"):  # not ASCII, a NUL, too short: a 403, never a 500
        assert client.put(url.replace(signature.group(1), strange), data=b"x").status_code == 403


def test_the_same_idempotency_key_gives_the_same_upload(client: FlaskClient) -> None:
    body, headers = {"filename": "a.mp4", "size_bytes": 10}, {"Idempotency-Key": "k1"}
    first = client.post("/api/uploads", json=body, headers=headers)
    second = client.post("/api/uploads", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    other = client.post("/api/uploads", json={**body, "size_bytes": 11}, headers=headers)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"


def test_a_completion_that_failed_after_the_join_can_be_asked_again(
    client: FlaskClient, store: Storage, video: bytes
) -> None:
    upload = _start(client, len(video))
    chunks = _chunks(video, PART)
    urls = _targets(client, upload, [1, 2, 3])
    for number, data in chunks.items():
        assert _put(client, urls[number], data) == 200
    record = db.session.get(Upload, upload["id"])
    assert record is not None
    sizes = {number: len(data) for number, data in chunks.items()}
    store.join_parts(input_key(upload["id"]), record.storage_upload_id, sizes)  # then the process died
    # (or a quota refused the job for now): the parts are in the input, nothing is to be sent again
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["parts_done"] == [1, 2, 3]
    resend = client.post(f"/api/uploads/{upload['id']}/parts", json={"numbers": [1]})
    assert resend.status_code == 409 and resend.get_json()["code"] == "upload_joined"
    done = client.post(f"/api/uploads/{upload['id']}/complete")
    assert done.status_code == 202 and done.get_json()["input"]["size_bytes"] == len(video)
