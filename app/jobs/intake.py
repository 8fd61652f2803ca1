"""Intake paused per queue: a Redis set of queue names that workers read before taking work.

An operator pauses a queue for maintenance (``POST /api/admin/queues/{name}/pause``): workers
finish what they run and take nothing new from it; submissions are still accepted and wait
queued until it is resumed. The worker's side is ``app/work/intake.py``.
"""

from __future__ import annotations

from redis import Redis

PAUSED_KEY = "squeeze:paused-queues"  # a set of queue names


def pause(redis: Redis, name: str) -> None:
    redis.sadd(PAUSED_KEY, name)


def resume(redis: Redis, name: str) -> None:
    redis.srem(PAUSED_KEY, name)


def paused(redis: Redis) -> set[str]:
    """The names of the queues whose intake is paused."""
    return {item.decode() if isinstance(item, bytes) else str(item) for item in redis.smembers(PAUSED_KEY)}
