"""What the queues and workers are doing, read from RQ's own registries and worker records."""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.worker import BaseWorker

from app.jobs import intake
from app.jobs.queue import (
    COMPRESS_FUNCTION,
    QUEUE_NAMES,
    SEGMENT_FUNCTION,
    WEBHOOK_FUNCTION,
    depth_and_age,
)
from app.timeutil import rfc3339

KINDS = {COMPRESS_FUNCTION: "job", SEGMENT_FUNCTION: "segment", WEBHOOK_FUNCTION: "webhook"}


def queue_state(redis: Redis, name: str, paused: set[str]) -> dict[str, Any]:
    depth, waited = depth_and_age(redis, name)
    return {
        "name": name,
        "depth": depth,
        "oldest_waiting_seconds": round(waited, 1),
        "running": StartedJobRegistry(name, connection=redis).count,
        "failed": FailedJobRegistry(name, connection=redis).count,
        "paused": name in paused,
    }


def queues(redis: Redis) -> list[dict[str, Any]]:
    """Each queue: jobs waiting, how long the oldest has waited, running, failed in RQ, paused."""
    paused = intake.paused(redis)
    return [queue_state(redis, name, paused) for name in QUEUE_NAMES]


def workers(redis: Redis) -> list[dict[str, Any]]:
    """Each live RQ worker: where it runs, its state, and what it works on since when."""
    found = [_worker(worker, redis) for worker in Worker.all(connection=redis)]
    return sorted(found, key=lambda item: (item["host"] or "", item["pid"] or 0))


def _worker(worker: BaseWorker, redis: Redis) -> dict[str, Any]:
    return {
        "name": worker.name,
        "host": worker.hostname,
        "pid": worker.pid,
        "queues": worker.queue_names(),
        "state": worker.get_state(),
        "current": _current(worker.get_current_job_id(), redis),
        "started_at": rfc3339(worker.birth_date),
        "last_heartbeat": rfc3339(worker.last_heartbeat),
    }


def _current(rq_id: str | None, redis: Redis) -> dict[str, Any] | None:
    """What a busy worker runs: a job (compression or one helper of a split job's segments) or a
    webhook delivery, the Squeeze job it belongs to, and since when."""
    if rq_id is None:
        return None
    try:
        running = RQJob.fetch(rq_id, connection=redis)
    except NoSuchJobError:  # it ended between the two reads
        return {"kind": "unknown", "rq_id": rq_id, "job_id": None, "since": None}
    kind = KINDS.get(running.func_name or "", "unknown")
    argument = running.args[0] if running.args else None
    if isinstance(argument, dict):  # a webhook's event names its job
        argument = argument.get("job_id")
    return {
        "kind": kind,
        "rq_id": rq_id,
        "job_id": argument if isinstance(argument, str) else None,
        "since": rfc3339(running.started_at),
    }
