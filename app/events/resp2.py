"""A RESP2 client beside an app's Redis client, for the hub's pub/sub listener."""

from __future__ import annotations

from redis import ConnectionPool, Redis


def resp2(redis: Redis) -> Redis:
    """A client for the server ``redis`` talks to, on RESP2: the listener's.

    On RESP3 redis-py hands each pub/sub message to a push handler that formats it for a
    debug log line, whether or not that level is on: ~15 µs of a burst's every message.
    """
    pool = redis.connection_pool
    options = {k: v for k, v in pool.connection_kwargs.items() if not k.startswith("maint_notifications")}
    options["protocol"] = 2  # maintenance notifications (dropped above) need RESP3
    options.pop("socket_timeout", None)  # the listener waits for the next event as long as it takes
    return Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **options))
