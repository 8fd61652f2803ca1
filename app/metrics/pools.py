"""How full this process's database and Redis connection pools are, read from their counters.

The one place that reads private pool attributes (SQLAlchemy's overflow limit, redis-py's
open connections): neither library makes them public.
"""

from __future__ import annotations

from flask import Flask
from redis import BlockingConnectionPool
from sqlalchemy.pool import QueuePool

from app.extensions import db


def pool_usage(app: Flask) -> dict[str, tuple[int, int]]:
    """{"database": (in use, most), "redis": (in use, most)} for this process, as far as known."""
    usage: dict[str, tuple[int, int]] = {}
    pool = db.engine.pool
    if isinstance(pool, QueuePool):
        usage["database"] = (pool.checkedout(), pool.size() + max(pool._max_overflow, 0))
    redis_pool = app.extensions["redis"].connection_pool
    if isinstance(redis_pool, BlockingConnectionPool):
        idle = sum(1 for connection in list(redis_pool.pool.queue) if connection is not None)
        usage["redis"] = (len(redis_pool._connections) - idle, redis_pool.max_connections)
    return usage
