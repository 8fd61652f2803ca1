"""The stills routes: the poster once a worker started the job, the compare frames once it
succeeded; owner-scoped, problem+json before they exist and after the files are deleted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.jobs import lifecycle
from app.jobs.models import Job
from app.storage import FRAME_SIDES, frame_key, job_storage, poster_key
from app.work.stills import store_compare_frames, store_poster
from tests.conftest import make_clip

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("stills") / "clip.mp4", seconds=2, audio=False)


def _job(app: Flask, owner: str = "anonymous") -> str:
    with app.app_context():
        job = Job(
            id=str(uuid.uuid4()), owner=owner, input={"filename": "holiday.mov", "size_bytes": 10}, options={}
        )
        return lifecycle.create(job).id


def _start(app: Flask, job_id: str, clip: Path | None, tmp_path: Path) -> None:
    with app.app_context():
        lifecycle.start(job_id)
        if clip is not None:
            assert store_poster(job_id, clip, 2.0, "scale=trunc(iw/2)*2:trunc(ih/2)*2", tmp_path)


def _succeed(app: Flask, job_id: str, clip: Path, tmp_path: Path) -> None:
    with app.app_context():
        assert store_compare_frames(job_id, clip, clip, 2.0, "scale=trunc(iw/2)*2:trunc(ih/2)*2", tmp_path)
        lifecycle.succeed(job_id, {"size_bytes": 5, "width": 320, "height": 240})


def _problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM and response.get_json()["code"] == code


def test_a_queued_job_has_no_poster_yet(app: Flask, client: FlaskClient) -> None:
    job_id = _job(app)
    assert client.get(f"/api/jobs/{job_id}").get_json()["links"]["poster"] is None
    response = client.get(f"/api/jobs/{job_id}/poster")
    _problem(response, 409, "not_ready")
    assert response.headers["Retry-After"]


def test_a_job_canceled_while_queued_never_has_a_poster(app: Flask, client: FlaskClient) -> None:
    """Not "queued, try again": a client following Retry-After would ask for ever."""
    job_id = _job(app)
    with app.app_context():
        lifecycle.cancel(job_id)
    response = client.get(f"/api/jobs/{job_id}/poster")
    _problem(response, 409, "no_poster")
    assert "Retry-After" not in response.headers


def test_a_running_job_links_its_poster_and_serves_it_once_made(
    app: Flask, client: FlaskClient, clip: Path, tmp_path: Path
) -> None:
    job_id = _job(app)
    _start(app, job_id, None, tmp_path)
    before = client.get(f"/api/jobs/{job_id}").get_json()
    assert before["links"]["poster"] is None, "no link to a picture not made yet (a page would log a 409)"
    _problem(client.get(f"/api/jobs/{job_id}/poster"), 409, "not_ready")  # being made
    with app.app_context():
        assert store_poster(job_id, clip, 2.0, "scale=trunc(iw/2)*2:trunc(ih/2)*2", tmp_path)
    after = client.get(f"/api/jobs/{job_id}").get_json()
    assert after["links"]["poster"] == f"http://localhost/api/jobs/{job_id}/poster"
    assert after["version"] > before["version"], "followers hear that the poster is there"
    response = client.get(f"/api/jobs/{job_id}/poster")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.get_data()[:2] == b"\xff\xd8"
    assert response.cache_control.private and not response.cache_control.public
    assert response.cache_control.max_age == 300
    assert "filename=holiday-poster.jpg" in response.headers["Content-Disposition"]
    again = client.get(f"/api/jobs/{job_id}/poster", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_another_owner_gets_404_for_every_still(
    app: Flask, client: FlaskClient, clip: Path, tmp_path: Path
) -> None:
    job_id = _job(app, owner="someone-else")
    _start(app, job_id, clip, tmp_path)
    _succeed(app, job_id, clip, tmp_path)
    for path in ("poster", "frames/original", "frames/result"):
        _problem(client.get(f"/api/jobs/{job_id}/{path}"), 404, "not_found")
    _problem(client.get(f"/api/jobs/{uuid.uuid4()}/poster"), 404, "not_found")


def test_compare_frames_exist_once_the_job_succeeded(
    app: Flask, client: FlaskClient, clip: Path, tmp_path: Path
) -> None:
    job_id = _job(app)
    _start(app, job_id, clip, tmp_path)
    _problem(client.get(f"/api/jobs/{job_id}/frames/original"), 409, "not_ready")
    _succeed(app, job_id, clip, tmp_path)
    for side in FRAME_SIDES:
        response = client.get(f"/api/jobs/{job_id}/frames/{side}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.get_data()[:2] == b"\xff\xd8"
    _problem(client.get(f"/api/jobs/{job_id}/frames/sideways"), 404, "not_found")


def test_a_finished_job_without_stills_says_so(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    """409: the job is there (a 404 would say it is not), its state has no stills."""
    job_id = _job(app)
    _start(app, job_id, None, tmp_path)
    with app.app_context():
        lifecycle.succeed(job_id, {"size_bytes": 5})
    _problem(client.get(f"/api/jobs/{job_id}/poster"), 409, "no_poster")
    _problem(client.get(f"/api/jobs/{job_id}/frames/result"), 409, "no_frames")


def test_deleted_files_answer_410_and_the_link_goes(
    app: Flask, client: FlaskClient, clip: Path, tmp_path: Path
) -> None:
    job_id = _job(app)
    _start(app, job_id, clip, tmp_path)
    _succeed(app, job_id, clip, tmp_path)
    with app.app_context():
        job_storage().delete_prefix(poster_key(job_id))
        job_storage().delete_prefix(frame_key(job_id, "result"))
        lifecycle.mark_files_deleted(job_id)
    assert client.get(f"/api/jobs/{job_id}").get_json()["links"]["poster"] is None
    _problem(client.get(f"/api/jobs/{job_id}/poster"), 410, "expired")
    _problem(client.get(f"/api/jobs/{job_id}/frames/result"), 410, "expired")


@pytest.mark.parametrize(("range_header", "status"), [
    ("", 200), ("bytes", 200), ("lines=0-1", 200), ("bytes=x-y", 200),  # not a byte range: ignored
    ("bytes=0-1", 206), ("bytes=99999999-", 416),  # a byte range: served, or past the end
    ("bytes=0-0,5-9", 200),  # several: one is all Werkzeug serves, and a server may ignore them
])  # fmt: skip
def test_a_range_that_is_not_a_byte_range_is_ignored(
    app: Flask, client: FlaskClient, clip: Path, tmp_path: Path, range_header: str, status: int
) -> None:
    """RFC 9110 (14.2): the whole file, not Werkzeug's 416, for a Range header it cannot read."""
    job_id = _job(app)
    _start(app, job_id, clip, tmp_path)
    response = client.get(f"/api/jobs/{job_id}/poster", headers={"Range": range_header})
    assert response.status_code == status
    if status == 416:  # where the file ends, for the client to ask again (RFC 9110, 15.5.17)
        size = client.get(f"/api/jobs/{job_id}/poster").content_length
        assert response.headers["Content-Range"] == f"bytes */{size}"
