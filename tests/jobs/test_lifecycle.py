import json
import time
import uuid

import pytest
from flask import Flask

from app.events import CHANNEL
from app.extensions import db, redis_client
from app.jobs import lifecycle
from app.jobs.lifecycle import TRANSITIONS
from app.jobs.models import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, Job


@pytest.fixture()
def database(both_databases: str) -> str:
    """These rules must hold on PostgreSQL exactly as on SQLite."""
    return both_databases


@pytest.fixture()
def ctx(app: Flask):
    with app.app_context():
        yield


def _new() -> Job:
    return lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={"size_bytes": 10}, options={}))


def test_create_records_queued_version_1_and_enqueues(ctx: None) -> None:
    job = _new()
    assert (job.status, job.version) == (QUEUED, 1)
    assert redis_client().lrange("rq:queue:compress", 0, -1) == [job.id.encode()]


def test_the_happy_path_bumps_version_on_every_change(ctx: None) -> None:
    job = _new()
    started = lifecycle.start(job.id)
    assert started is not None and (started.status, started.version, started.attempts) == (RUNNING, 2, 1)
    assert lifecycle.report_progress(job.id, 40.0, 3)
    done = lifecycle.succeed(job.id, {"size_bytes": 5})
    assert done is not None and (done.status, done.version, done.progress) == (SUCCEEDED, 4, 100.0)
    assert done.finished_at is not None and done.expires_at is not None


@pytest.mark.parametrize("terminal", [SUCCEEDED, FAILED, CANCELED])
def test_terminal_states_never_change_again(ctx: None, terminal: str) -> None:
    job = _new()
    lifecycle.start(job.id)
    {SUCCEEDED: lambda: lifecycle.succeed(job.id, {}), FAILED: lambda: lifecycle.fail(job.id, "x", "y"),
     CANCELED: lambda: lifecycle.cancel(job.id)}[terminal]()  # fmt: skip
    version = db.session.get(Job, job.id).version
    assert lifecycle.start(job.id) is None
    assert lifecycle.succeed(job.id, {}) is None
    assert lifecycle.fail(job.id, "x", "y") is None
    assert lifecycle.cancel(job.id) is None
    assert lifecycle.requeue(job.id) is None
    assert not lifecycle.report_progress(job.id, 50.0, None)
    assert db.session.get(Job, job.id).version == version


def test_a_queued_job_cannot_succeed_without_running(ctx: None) -> None:
    job = _new()
    assert lifecycle.succeed(job.id, {}) is None
    assert db.session.get(Job, job.id).status == QUEUED


def test_cancel_of_a_queued_job_takes_it_off_the_queue(ctx: None) -> None:
    job = _new()
    assert lifecycle.cancel(job.id) is not None
    assert redis_client().lrange("rq:queue:compress", 0, -1) == []
    assert lifecycle.start(job.id) is None  # a worker that dequeued it anyway does nothing


def test_requeue_puts_a_running_job_back_in_line(ctx: None) -> None:
    job = _new()
    lifecycle.start(job.id)
    lifecycle.report_progress(job.id, 60.0, 5)
    again = lifecycle.requeue(job.id)
    assert again is not None and (again.status, again.progress, again.attempts) == (QUEUED, 0.0, 1)


def test_the_transition_table_matches_the_contract() -> None:
    assert TRANSITIONS[QUEUED] == {RUNNING, CANCELED, FAILED}
    assert TRANSITIONS[RUNNING] == {SUCCEEDED, FAILED, CANCELED, QUEUED}
    assert all(not TRANSITIONS[s] for s in (SUCCEEDED, FAILED, CANCELED))


def test_every_change_is_published_as_the_full_job(ctx: None) -> None:
    pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    job = _new()
    lifecycle.start(job.id)
    lifecycle.fail(job.id, "ffmpeg_failed", "the file has no video stream")
    messages, deadline = [], time.monotonic() + 5
    while len(messages) < 3 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            messages.append(json.loads(message["data"]))
    assert [m["job"]["version"] for m in messages] == [1, 2, 3]
    assert [m["job"]["status"] for m in messages] == [QUEUED, RUNNING, FAILED]
    assert {m["owner"] for m in messages} == {"o"}
    assert messages[-1]["job"]["error"] == {
        "code": "ffmpeg_failed",
        "message": "the file has no video stream",
    }
