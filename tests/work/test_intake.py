"""A worker takes nothing from a paused queue, even one paused while it waited on it."""

from __future__ import annotations

import fakeredis
import pytest
from rq import Queue
from rq.exceptions import DequeueTimeout

from app.jobs import intake
from app.work import intake as worker_intake
from app.work.intake import PausableQueue


def _queues(redis: fakeredis.FakeRedis) -> list[Queue]:
    queues = [PausableQueue(name, connection=redis) for name in ("compress", "segments")]
    for queue in queues:
        queue.enqueue_call("builtins.print", args=(queue.name,), job_id=f"{queue.name}-job")
    return queues


def test_a_paused_queue_is_left_out_and_its_jobs_wait() -> None:
    redis = fakeredis.FakeRedis()
    queues = _queues(redis)
    intake.pause(redis, "compress")
    found = PausableQueue.dequeue_any(queues, None, connection=redis)
    assert found is not None and found[0].id == "segments-job"
    assert PausableQueue.dequeue_any(queues, None, connection=redis) is None  # compress's job waits
    assert queues[0].get_job_ids() == ["compress-job"]
    intake.resume(redis, "compress")
    found = PausableQueue.dequeue_any(queues, None, connection=redis)
    assert found is not None and found[0].id == "compress-job"


def test_with_every_queue_paused_a_worker_waits_a_second_at_a_time() -> None:
    redis = fakeredis.FakeRedis()
    queues = _queues(redis)
    for queue in queues:
        intake.pause(redis, queue.name)
    assert PausableQueue.dequeue_any(queues, None, connection=redis) is None  # burst: nothing to do
    with pytest.raises(DequeueTimeout):
        PausableQueue.dequeue_any(queues, 600, connection=redis)  # returns within PAUSE_POLL_SECONDS
    assert [queue.count for queue in queues] == [1, 1]


def test_a_job_taken_from_a_queue_paused_meanwhile_goes_back_to_its_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis = fakeredis.FakeRedis()
    compress = _queues(redis)[0]
    compress.enqueue_call("builtins.print", job_id="second")
    answers = iter([set(), {"compress"}])  # open when the wait began, paused when it returned
    monkeypatch.setattr(worker_intake.intake, "paused", lambda _redis: next(answers))
    with pytest.raises(DequeueTimeout):
        PausableQueue.dequeue_any([compress], 5, connection=redis)
    assert compress.get_job_ids() == ["compress-job", "second"]
