"""A helper's bookkeeping around one segment (the encodes themselves run in the live tests)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job, SegmentRecord
from app.media.probe import parse_probe
from app.media.segments import Segment
from app.storage import job_storage, segments_prefix
from app.work import segment_encode as segments

HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':
  Duration: 00:01:00.00, start: 0.000000, bitrate: 2633 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x360, 25 fps
"""


def _context(job_id: str, tmp_path: Path) -> segments.Context:
    source = tmp_path / "input.mp4"
    source.write_bytes(b"x" * 1000)
    return segments.Context(
        job_id=job_id, source=source, info=parse_probe(HEADER), options=segments.Options(), folder=tmp_path,
        started_at=None, band=(0.0, 90.0), input_size=1000, change_asked=False,
    )  # fmt: skip


@pytest.fixture()
def job_id(app: Flask) -> str:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        claims.record_plan(job.id, [Segment(n, 750 * n, 750, 30.0 * n, 30.0, 30.0 * n) for n in range(2)], [])
        return job.id


def _encoded_as(monkeypatch: pytest.MonkeyPatch, result: dict[str, Any]) -> None:
    monkeypatch.setattr(segments, "_encode_segment", lambda *_args: dict(result))


def _encoded_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment's encode made a real file (of 5 bytes), scored 93.1."""
    encoded = tmp_path / "segment-0.mp4"
    encoded.write_bytes(b"video")
    _encoded_as(monkeypatch, {"crf": 24.0, "vmaf": 93.1, "ssim": 0.98, "size_bytes": 5, "path": str(encoded)})


def _claimed(job_id: str) -> SegmentRecord:
    row = claims.claim(job_id)
    assert row is not None
    return row


def test_an_outgrown_segment_is_recorded_and_nothing_is_stored(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_as(monkeypatch, {"outgrown": True, "crf": 25.0, "path": str(tmp_path / "gone.mp4")})
    with app.app_context():
        row = _claimed(job_id)
        assert segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        done = claims.rows(job_id)[0]
        assert done.state == "done" and done.result == {"outgrown": True, "crf": 25.0}
        assert job_storage().keys(segments_prefix(job_id)) == []


def test_a_segment_is_stored_and_counted(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_file(tmp_path, monkeypatch)
    with app.app_context():
        row = _claimed(job_id)
        assert segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        assert len(job_storage().keys(segments_prefix(job_id))) == 1
        assert [r.state for r in claims.rows(job_id)] == ["done", "waiting"]
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job is not None and job.segments == {"total": 2, "done": 1, "running": 0}


def test_a_segment_finished_after_its_job_ended_is_removed(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_file(tmp_path, monkeypatch)
    with app.app_context():
        row = _claimed(job_id)
        claims.forget(job_id)  # the coordinator gave up meanwhile (canceled, outgrown)
        assert not segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        assert job_storage().keys(segments_prefix(job_id)) == []
