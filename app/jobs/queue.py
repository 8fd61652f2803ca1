"""The RQ queues jobs travel through, referenced by name so this layer imports no worker code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from app.extensions import redis_client

COMPRESS_QUEUE = "compress"  # compression work, one job at a time per worker
WEBHOOK_QUEUE = "webhooks"  # deliveries, apart so a slow receiver never delays compression
# Helpers for split jobs: a worker takes from here only when COMPRESS_QUEUE is empty, so a
# short job submitted behind a long one's segments starts at the next free worker.
SEGMENT_QUEUE = "segments"
COMPRESS_FUNCTION = "app.work.compress.compress_job"
SEGMENT_FUNCTION = "app.work.segments.help_with"
WEBHOOK_FUNCTION = "app.work.webhooks.deliver"
QUEUE_NAMES = (COMPRESS_QUEUE, SEGMENT_QUEUE, WEBHOOK_QUEUE)
WEBHOOK_JOB_TIMEOUT_SECONDS = 60  # one delivery: a 10 s request and bookkeeping
TIMEOUT_MARGIN_SECONDS = 120  # RQ's own limit sits past ours, so ours fails the job cleanly first


def compress_queue() -> Queue:
    return Queue(COMPRESS_QUEUE, connection=redis_client())


def enqueue_compression(job_id: str) -> None:
    """Put a job on the compression queue (again, for a retry: the RQ job id is the job id)."""
    timeout = current_app.config["JOB_TIMEOUT_MINUTES"] * 60 + TIMEOUT_MARGIN_SECONDS
    compress_queue().enqueue_call(
        COMPRESS_FUNCTION,
        args=(job_id,),
        job_id=job_id,
        timeout=timeout,
        result_ttl=0,
        failure_ttl=24 * 3600,
    )


def enqueue_helpers(job_id: str, count: int, batch: str) -> None:
    """``count`` helpers for a split job on the segments queue: each encodes segments until none
    is left to take (one RQ job each, enqueued in one round trip); ``batch`` names this fan-out
    apart from the job's others (an attempt, a round of re-encodes)."""
    timeout = current_app.config["JOB_TIMEOUT_MINUTES"] * 60 + TIMEOUT_MARGIN_SECONDS
    helpers = Queue(SEGMENT_QUEUE, connection=redis_client())
    helpers.enqueue_many(
        [
            Queue.prepare_data(
                SEGMENT_FUNCTION,
                args=(job_id,),
                job_id=f"{job_id}_{batch}_{number}",
                timeout=timeout,
                result_ttl=0,
                failure_ttl=24 * 3600,
            )
            for number in range(count)
        ]
    )


def remove_helpers(job_id: str) -> None:
    """Take a split job's helpers that have not started off the segments queue (the job is over)."""
    helpers = Queue(SEGMENT_QUEUE, connection=redis_client())
    for helper in helpers.get_job_ids():
        if helper.startswith(f"{job_id}_"):
            helpers.remove(helper)


def position(job_id: str) -> int | None:
    """1-based place in the compression queue; None if it is not waiting there (or Redis is away)."""
    try:
        found = compress_queue().get_job_position(job_id)
    except RedisError:
        return None
    return None if found is None else found + 1


def is_waiting(job_id: str) -> bool:
    """True while Redis holds the job: in the queue, or just taken by a worker."""
    if position(job_id) is not None:
        return True
    return job_id in StartedJobRegistry(COMPRESS_QUEUE, connection=redis_client()).get_job_ids()


def remove_from_queue(job_id: str) -> None:
    """Take a queued job off the queue so no worker starts it."""
    compress_queue().remove(job_id)


def enqueue_webhook(event: dict[str, str], attempt: int = 1, delay_seconds: float = 0) -> None:
    """Deliver (or retry delivering) a webhook event from the webhook queue, after a delay.

    The event (``webhook_event``) is fixed when the job ends: every retry sends the same body.
    """
    queue = Queue(WEBHOOK_QUEUE, connection=redis_client())
    options = {"job_timeout": WEBHOOK_JOB_TIMEOUT_SECONDS, "result_ttl": 0, "failure_ttl": 24 * 3600}
    if delay_seconds > 0:
        queue.enqueue_in(timedelta(seconds=delay_seconds), WEBHOOK_FUNCTION, event, attempt, **options)
    else:
        queue.enqueue(WEBHOOK_FUNCTION, event, attempt, **options)


def depth_and_age(redis: Redis, name: str) -> tuple[int, float]:
    """How many jobs wait in queue ``name``, and the seconds the one at its head has waited."""
    waiting = Queue(name, connection=redis)
    head = waiting.get_job_ids(0, 1)
    if not head:
        return waiting.count, 0.0
    job = RQJob.fetch(head[0], connection=redis) if RQJob.exists(head[0], connection=redis) else None
    enqueued = job.enqueued_at if job is not None else None
    if enqueued is None:
        return waiting.count, 0.0
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return waiting.count, max((datetime.now(UTC) - enqueued).total_seconds(), 0.0)
