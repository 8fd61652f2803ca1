import json
import time
import uuid

import pytest
from flask import Flask
from sqlalchemy import update

from app.events import CHANNEL
from app.extensions import db, redis_client
from app.jobs import lifecycle
from app.jobs.document import document, webhook_event
from app.jobs.lifecycle import TRANSITIONS
from app.jobs.models import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, Job, SegmentRecord
from app.timeutil import utcnow


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
    assert db.session.get(Job, job.id).terminal_version == version  # the end's own, in its UPDATE
    assert lifecycle.start(job.id) is None
    assert lifecycle.succeed(job.id, {}) is None
    assert lifecycle.fail(job.id, "x", "y") is None
    assert lifecycle.cancel(job.id) is None
    assert lifecycle.requeue(job.id) is None
    assert not lifecycle.report_progress(job.id, 50.0, None)
    assert db.session.get(Job, job.id).version == version
    lifecycle.record_webhook(job.id, {"state": "delivered"})  # a change after the end
    ended = db.session.get(Job, job.id)
    assert (ended.version, ended.terminal_version) == (version + 1, version)


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


def test_an_attempt_whose_job_was_given_to_another_changes_nothing(ctx: None) -> None:
    """A worker whose lease lapsed (paused, cut off) wakes up after the reconciler gave its job
    to another worker: its renewals, progress, success, failure and requeue are all refused,
    while the attempt that holds the job goes on."""
    job = _new()
    lifecycle.start(job.id)
    lifecycle.requeue(job.id, attempt=1)  # the reconciler: attempt 1's lease lapsed
    assert lifecycle.fail(job.id, "timeout", "late", attempt=1) is None, "queued again, with its count"
    assert lifecycle.start(job.id) is not None  # another worker: attempt 2
    version = db.session.get(Job, job.id).version
    assert not lifecycle.renew_lease(job.id, attempt=1)
    assert not lifecycle.report_progress(job.id, 80.0, 1, attempt=1)
    assert lifecycle.succeed(job.id, {"size_bytes": 5}, attempt=1) is None
    assert lifecycle.fail(job.id, "ffmpeg_failed", "late", attempt=1) is None
    assert lifecycle.requeue(job.id, attempt=1) is None
    held = db.session.get(Job, job.id, populate_existing=True)
    assert (held.status, held.attempts, held.version, held.error) == (RUNNING, 2, version, None)
    assert lifecycle.renew_lease(job.id, attempt=2)
    assert lifecycle.report_progress(job.id, 30.0, 9, attempt=2)
    done = lifecycle.succeed(job.id, {"size_bytes": 5}, attempt=2)
    assert done is not None and done.status == SUCCEEDED


def test_an_attempt_from_before_an_operators_retry_changes_nothing(ctx: None) -> None:
    """The retry counts its attempts from 1 again; the worker stalled on the job's first start
    (its lease lapsed, the job failed, an operator retried it) also holds attempt 1, but not
    the start the job is on now: its writes are refused."""
    job = _new()
    lifecycle.start(job.id)
    assert lifecycle.fail(job.id, "worker_lost", "stalled", attempt=1) is not None  # the reconciler
    assert lifecycle.retry(job.id) is not None
    started = lifecycle.start(job.id)
    assert started is not None and (started.attempts, started.starts) == (1, 2)
    assert not lifecycle.renew_lease(job.id, attempt=1)
    assert lifecycle.succeed(job.id, {"size_bytes": 5}, attempt=1) is None
    assert lifecycle.fail(job.id, "ffmpeg_failed", "late", attempt=1) is None
    assert db.session.get(Job, job.id, populate_existing=True).status == RUNNING
    assert lifecycle.renew_lease(job.id, attempt=2)


def test_the_transition_table_matches_the_contract() -> None:
    assert TRANSITIONS[QUEUED] == {RUNNING, CANCELED, FAILED}
    assert TRANSITIONS[RUNNING] == {SUCCEEDED, FAILED, CANCELED, QUEUED}
    assert all(not TRANSITIONS[s] for s in (SUCCEEDED, CANCELED))
    assert TRANSITIONS[FAILED] == {QUEUED}  # an operator's retry, nothing else


def test_retry_queues_a_failed_job_as_new_and_nothing_else(ctx: None) -> None:
    job = _new()
    for other in (lambda: None, lambda: lifecycle.start(job.id)):  # queued, then running: not failed
        other()
        assert lifecycle.retry(job.id) is None
    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(poster_at=utcnow(), segments={"total": 3, "done": 1, "running": 0})
    )
    db.session.commit()
    failed = lifecycle.fail(job.id, "x", "y")
    assert failed is not None and failed.attempts == 1
    first_event = webhook_event(failed)["id"]
    version = failed.version
    redis_client().delete("rq:queue:compress")
    retried = lifecycle.retry(job.id)
    assert retried is not None
    assert (retried.status, retried.version, retried.attempts) == (QUEUED, version + 1, 0)
    assert retried.error is None and retried.finished_at is None and retried.expires_at is None
    assert retried.poster_at is None and retried.segments is None  # no poster link to a 409, no old plan
    assert document(retried)["links"]["poster"] is None
    assert redis_client().lrange("rq:queue:compress", 0, -1) == [job.id.encode()]
    assert lifecycle.retry(job.id) is None  # queued now: once is enough
    assert lifecycle.requeue(job.id) is None  # requeue is for a running job only
    lifecycle.start(job.id)
    again = lifecycle.fail(job.id, "x", "y")
    assert again is not None and webhook_event(again)["id"] == webhook_event(again)["id"]  # fixed
    assert webhook_event(again)["id"] != first_event  # another event: receivers must not drop it


def test_retry_leaves_a_job_whose_input_is_gone_failed(ctx: None) -> None:
    job = _new()
    lifecycle.fail(job.id, "x", "y")
    lifecycle.mark_files_deleted(job.id)
    assert lifecycle.retry(job.id) is None
    assert db.session.get(Job, job.id).status == FAILED


def test_retry_sets_a_split_jobs_failed_segments_waiting_and_keeps_the_done_ones(ctx: None) -> None:
    job = _new()
    for number, state in enumerate(("done", "failed")):
        plan = {"first_frame": 0, "frames": 1, "start": 0.0, "duration": 1.0, "seek": 0.0}
        row = SegmentRecord(job_id=job.id, number=number, state=state, attempts=3, error="broke", **plan)
        db.session.add(row)
    db.session.commit()
    lifecycle.fail(job.id, "x", "y")
    assert lifecycle.retry(job.id) is not None
    states = {row.number: (row.state, row.attempts) for row in db.session.scalars(db.select(SegmentRecord))}
    assert states == {0: ("done", 3), 1: ("waiting", 0)}


def test_a_webhook_is_pending_again_after_a_retry(ctx: None) -> None:
    webhook = {"url": "https://example.com/hook", "state": "delivered", "attempts": 1, "last_status": 200}
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}, webhook=webhook))
    lifecycle.fail(job.id, "x", "y")
    retried = lifecycle.retry(job.id)
    assert retried is not None and retried.webhook == {
        **webhook,
        "state": "pending",
        "attempts": 0,
        "last_status": None,
    }


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
