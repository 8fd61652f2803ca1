"""``watch``: the current state first, then each newer version, ending after the terminal one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from app.jobs import lifecycle, retention
from app.jobs.models import Job
from app.jobs.watch import watch


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def _job() -> Job:
    return lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))


def test_follows_a_job_to_its_end(ctx: None) -> None:
    job = _job()
    follow = watch(job.id, idle_seconds=5)
    assert next(follow)["version"] == 1  # the current state, read from the database
    lifecycle.start(job.id)
    assert next(follow)["status"] == "running"
    lifecycle.succeed(job.id, {"size_bytes": 1})
    last = next(follow)
    assert (last["status"], last["version"]) == ("succeeded", 3)
    assert next(follow, "ended") == "ended"


def test_yields_none_when_idle(ctx: None) -> None:
    follow = watch(_job().id, idle_seconds=0.05)
    next(follow)
    assert next(follow) is None
    follow.close()


def test_starts_after_the_version_the_client_has(ctx: None) -> None:
    job = _job()
    lifecycle.start(job.id)
    follow = watch(job.id, after_version=2, idle_seconds=0.05)
    assert next(follow) is None  # nothing newer than what the client has
    lifecycle.report_progress(job.id, 50.0, 10)
    assert next(follow)["progress"] == 50.0
    follow.close()


def test_a_finished_job_is_one_document(ctx: None) -> None:
    job = _job()
    lifecycle.cancel(job.id)
    assert [doc["status"] for doc in watch(job.id) if doc] == ["canceled"]


def test_a_deleted_job_ends_the_watch_with_a_notice(ctx: None) -> None:
    job = _job()
    follow = watch(job.id, idle_seconds=5)
    next(follow)
    retention.delete_job(job.id)
    assert list(follow) == [{"id": job.id, "deleted": True}]  # not "canceled" first: it is gone


def test_a_job_gone_before_the_watch_starts_is_a_notice(ctx: None) -> None:
    assert list(watch("no-such-job")) == [{"id": "no-such-job", "deleted": True}]
