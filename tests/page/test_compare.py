"""The compare view: owner-checked, the two frames under a slider, sizes, saving and quality."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.auth.owner import SESSION_KEY
from app.jobs import lifecycle
from app.jobs.models import Job


def _session_owner(client: FlaskClient) -> str:
    client.get("/")
    with client.session_transaction() as session:
        owner: str = session[SESSION_KEY]
    return owner


def _job(app: Flask, owner: str, output: dict[str, Any] | None) -> str:
    with app.app_context():
        job = lifecycle.create(
            Job(
                id=str(uuid.uuid4()),
                owner=owner,
                options={},
                input={
                    "filename": "holiday.mov",
                    "size_bytes": 4_000_000,
                    "width": 1920,
                    "height": 1080,
                    "duration_seconds": 9.0,
                },
            )
        )
        lifecycle.start(job.id)
        lifecycle.poster_made(job.id)
        if output is not None:
            lifecycle.succeed(job.id, output)
        return job.id


FACTS = {"size_bytes": 1_000_000, "width": 1280, "height": 720, "duration_seconds": 9.0, "ratio": 0.25}


def test_the_view_shows_both_frames_sizes_the_saving_and_the_quality(app: Flask, client: FlaskClient) -> None:
    job_id = _job(app, _session_owner(client), {**FACTS, "quality": {"vmaf": 93.42, "ssim": 0.9871}})
    html = client.get(f"/jobs/{job_id}/compare").get_data(as_text=True)
    assert (
        f'src="/api/jobs/{job_id}/frames/original"' in html
        and f'src="/api/jobs/{job_id}/frames/result"' in html
    )
    assert 'type="range"' in html and 'width="1280" height="720"' in html
    assert "3.8 MB" in html and "976.6 KB" in html and "75% smaller" in html
    assert "93.4" in html and "0.987" in html and "0:03.0" in html  # a third of 9 s
    rows = client.get("/page/rows").get_data(as_text=True)
    assert f'href="/jobs/{job_id}/compare"' in rows and f'src="/api/jobs/{job_id}/poster"' in rows


def test_without_quality_figures_nothing_is_made_up(app: Flask, client: FlaskClient) -> None:
    job_id = _job(app, _session_owner(client), FACTS)
    html = client.get(f"/jobs/{job_id}/compare").get_data(as_text=True)
    assert "VMAF" not in html and "SSIM" not in html and "75% smaller" in html


def test_a_kept_original_shows_the_note_instead_of_a_saving(app: Flask, client: FlaskClient) -> None:
    note = "already well compressed: re-encoding made it 56% larger"
    job_id = _job(app, _session_owner(client), {**FACTS, "ratio": 1.0, "kept_original": True, "note": note})
    html = client.get(f"/jobs/{job_id}/compare").get_data(as_text=True)
    assert note in html and "smaller" not in html
    assert "(original kept)" in client.get("/page/rows").get_data(as_text=True)


def test_an_unfinished_job_has_no_comparison_yet(app: Flask, client: FlaskClient) -> None:
    job_id = _job(app, _session_owner(client), None)
    html = client.get(f"/jobs/{job_id}/compare").get_data(as_text=True)
    assert "ready once the job has succeeded" in html and 'type="range"' not in html
    rows = client.get("/page/rows").get_data(as_text=True)
    assert "Compare" not in rows and f'src="/api/jobs/{job_id}/poster"' in rows


def test_another_owners_job_is_404(app: Flask, client: FlaskClient) -> None:
    _session_owner(client)
    job_id = _job(app, "session:someone-else", FACTS)
    response = client.get(f"/jobs/{job_id}/compare")
    assert response.status_code == 404
