"""The console's tests: the app fixture with an operator's key, and helpers to make jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job

ADMIN_KEY = "sqz_admin_test_key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture()
def admin_app(app: Flask) -> Flask:
    """The app with an operator's key (requests get app contexts of their own: ``g`` is per request)."""
    app.config["ADMIN_KEYS"] = [ADMIN_KEY]
    return app


@pytest.fixture()
def ctx(admin_app: Flask) -> Iterator[None]:
    """An app context for the test's own work between requests."""
    with admin_app.app_context():
        yield


def failed_job(owner: str = "key:someone", files_deleted: bool = False) -> str:
    """The id of a job that ran and failed (its input kept unless ``files_deleted``)."""
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner=owner, input={"filename": "a.mp4"}, options={}))
    lifecycle.start(job.id)
    failed = lifecycle.fail(job.id, "decode_failed", "the video could not be decoded")
    assert failed is not None
    if files_deleted:
        failed = lifecycle.mark_files_deleted(job.id)
        assert failed is not None
    return failed.id
