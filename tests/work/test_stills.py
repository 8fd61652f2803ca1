"""The worker's stills: stored under the job's prefix, and a failure never reaches the job."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import retention
from app.media.picture import scale_filter
from app.storage import frame_key, job_prefix, job_storage, poster_key
from app.work.stills import store_compare_frames, store_poster
from tests.conftest import make_clip


def test_the_poster_and_the_frames_are_stored_under_the_job_and_go_with_it(
    app: Flask, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    job_id = str(uuid.uuid4())
    with app.app_context():
        assert store_poster(job_id, clip, 2.0, scale_filter(240, None), tmp_path)
        assert store_compare_frames(job_id, clip, clip, 2.0, scale_filter(240, None), tmp_path)
        stored = job_storage().keys(job_prefix(job_id))
        assert stored == sorted(
            [poster_key(job_id), frame_key(job_id, "original"), frame_key(job_id, "result")]
        )
        assert job_storage().fetch(poster_key(job_id), tmp_path).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
        assert retention.remove_files(job_id)
        assert job_storage().keys(job_prefix(job_id)) == []


def test_a_still_that_cannot_be_made_is_logged_and_nothing_is_stored(
    app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    job_id = str(uuid.uuid4())
    with app.app_context():
        assert store_poster(job_id, text, 2.0, scale_filter(240, None), tmp_path) is False
        assert store_compare_frames(job_id, text, text, 2.0, scale_filter(240, None), tmp_path) is False
        assert job_storage().keys(job_prefix(job_id)) == []
    assert "no poster" in caplog.text and "no compare frames" in caplog.text
