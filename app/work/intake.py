"""The worker's side of paused intake (``app/jobs/intake.py``): skip a paused queue.

RQ's worker takes its next job through its queue class's ``dequeue_any``; ``PausableQueue``
leaves paused queues out of that wait. A queue paused while the worker waits on it is checked
again once the wait returns: a job it just took from there goes back to the queue's head. While
any of its queues is paused, a worker waits at most PAUSE_POLL_SECONDS at a time, so a resumed
queue is served within that.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.job import Job as RQJob
from rq.utils import as_text

from app.jobs import intake

PAUSE_POLL_SECONDS = 1  # how often a worker with a paused queue looks at the flags again


class PausableQueue(Queue):
    """RQ's queue whose ``dequeue_any`` (what a worker takes work with) honours paused intake."""

    @classmethod
    def dequeue_any(  # type: ignore[override]  # rq's signature, its serializer and penalty passed on
        cls, queues: Iterable[Queue], timeout: int | None, connection: Redis, **options: Any
    ) -> tuple[RQJob, Queue] | None:
        waiting = list(queues)
        paused = intake.paused(connection)
        open_queues = [queue for queue in waiting if queue.name not in paused]
        if len(open_queues) < len(waiting) and timeout is not None:
            timeout = min(timeout, PAUSE_POLL_SECONDS)
        if not open_queues:
            if timeout is None:
                return None
            time.sleep(timeout)
            raise DequeueTimeout(timeout, [queue.key for queue in waiting])
        while True:
            popped = cls.lpop([queue.key for queue in open_queues], timeout, connection=connection)
            if popped is None:
                return None
            queue_key, job_id = map(as_text, popped)
            if _name_of(queue_key, open_queues) in intake.paused(connection):
                connection.lpush(queue_key, job_id)  # paused meanwhile: back to the head of its line
                raise DequeueTimeout(timeout or 0, [queue_key])
            found = cls._fetch_dequeued_job(connection, queue_key, job_id, **options)
            if found is not None:
                return found


def _name_of(key: str, queues: list[Queue]) -> str:
    return next(queue.name for queue in queues if queue.key == key)
