"""The job row fragment: a split job draws its parts as cells."""

from __future__ import annotations

import re
import uuid

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs import lifecycle
from app.jobs.document import document
from app.jobs.models import Job
from app.media.formats import CODEC_LIST, DEFAULT_PRESET, PRESET_LIST
from app.page.live import _row


def test_a_running_split_job_shows_one_cell_per_part(app: Flask) -> None:
    with app.app_context():
        job = lifecycle.create(
            Job(id=str(uuid.uuid4()), owner="o", input={"filename": "a.mp4", "size_bytes": 1000}, options={})
        )
        lifecycle.start(job.id)
        lifecycle.report_segments(job.id, {"total": 5, "done": 2, "running": 2}, 40.0, 30)
        html = _row(document(db.session.get(Job, job.id, populate_existing=True)))
        cells = re.findall(r'class="cell (\w+)"', html)
        assert cells == ["done", "done", "running", "running", "waiting"]
        assert "2 of 5 parts done, 2 encoding" in html


def test_a_one_piece_job_has_no_cells(app: Flask) -> None:
    with app.app_context():
        job = lifecycle.create(
            Job(id=str(uuid.uuid4()), owner="o", input={"filename": "a.mp4", "size_bytes": 1000}, options={})
        )
        lifecycle.start(job.id)
        assert 'class="cell' not in _row(document(job))


def test_the_page_offers_every_preset_and_codec_record(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    offered = re.findall(r'<option value="(\w+)"(?: selected)?>([^<]+)</option>', html)
    for record in (*PRESET_LIST, *CODEC_LIST):
        assert (record.name, record.label) in offered
    assert re.search(rf'<option value="{DEFAULT_PRESET}" selected>', html)
