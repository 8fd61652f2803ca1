"""Recording figures in Redis: histogram observations, counter increments, live connections.

A failure to record is logged and forgotten: figures must never break a job or a request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

log = logging.getLogger(__name__)
PREFIX = "squeeze:metrics:"
CONNECTIONS_PREFIX = PREFIX + "connections:"
CONNECTIONS_TTL_SECONDS = 30  # a dead web process's connections stop counting within this
CONNECTIONS_REFRESH_SECONDS = 10  # how often a live process renews its count's TTL

# name -> (help, upper bounds of the buckets). Each observation lands in one bucket.
HISTOGRAMS: dict[str, tuple[str, tuple[float, ...]]] = {
    "compression_seconds": (
        "Wall time of successful compressions (the encode, from start to output stored)",
        (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
    ),
    "compression_speed": (
        "Seconds of video compressed per second of wall time (x realtime)",
        (0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
    ),
    "storage_seconds": (
        "Time spent moving a job's bytes to and from storage, by operation",
        (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    ),
}
COUNTERS: dict[str, str] = {
    "webhook_deliveries": "Webhook delivery attempts, by outcome (delivered, retrying, failed)",
    "jobs_finished": "Jobs that reached a terminal state, by status",
    "readiness_failures": "Readiness checks that failed, by check and state (details in the log)",
}
CONNECTION_KINDS = ("sse", "websocket", "page")


def bucket_name(bound: float) -> str:
    """The hash field of a bucket: its upper bound as written in the HISTOGRAMS table."""
    return "+Inf" if bound == float("inf") else f"{bound:g}"


def label_text(labels: dict[str, str]) -> str:
    """Labels as one hash-field prefix, ``a=1,b=2`` (sorted)."""
    return ",".join(f"{name}={value}" for name, value in sorted(labels.items()))


def _redis() -> Redis:
    from app.extensions import redis_client

    return redis_client()


def observe(name: str, value: float, redis: Redis | None = None, **labels: str) -> None:
    """One observation of histogram ``name``."""
    _help, bounds = HISTOGRAMS[name]
    bucket = bucket_name(next((bound for bound in bounds if value <= bound), float("inf")))
    fields = label_text(labels)
    try:
        pipe = (redis or _redis()).pipeline(transaction=False)
        key = PREFIX + name
        pipe.hincrby(key, f"{fields}|le={bucket}", 1)
        pipe.hincrbyfloat(key, f"{fields}|sum", value)
        pipe.hincrby(key, f"{fields}|count", 1)
        pipe.execute()
    except RedisError as exc:
        log.info("metric %s not recorded: %s", name, exc)


def count(name: str, redis: Redis | None = None, **labels: str) -> None:
    """Add one to counter ``name``."""
    assert name in COUNTERS, name
    try:
        (redis or _redis()).hincrby(PREFIX + name, label_text(labels), 1)
    except RedisError as exc:
        log.info("metric %s not recorded: %s", name, exc)


@contextmanager
def timed(name: str, **labels: str) -> Iterator[None]:
    """Observe the seconds the block took (only when it completes)."""
    started = time.monotonic()
    yield
    observe(name, time.monotonic() - started, None, **labels)


class _Connections:
    """This process's open streams, mirrored into a Redis hash that outlives it by at most a TTL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._refresher: threading.Thread | None = None
        self._redis: Redis | None = None

    @property
    def key(self) -> str:
        return f"{CONNECTIONS_PREFIX}{socket.gethostname()}:{os.getpid()}"

    def change(self, redis: Redis, kind: str, delta: int) -> None:
        """Apply one open (+1) or close (-1): an increment, so concurrent changes never overwrite."""
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + delta
            self._redis = redis
            if self._refresher is None:
                self._refresher = threading.Thread(
                    target=self._refresh, name="metrics-connections", daemon=True
                )
                self._refresher.start()
        try:
            pipe = redis.pipeline(transaction=False)
            pipe.hincrby(self.key, kind, delta)
            pipe.expire(self.key, CONNECTIONS_TTL_SECONDS)
            pipe.execute()
        except RedisError as exc:
            log.info("connection count not recorded: %s", exc)

    def _refresh(self) -> None:
        """Keep the hash alive; write the whole count again only if Redis lost it (restart, flush)."""
        while True:
            time.sleep(CONNECTIONS_REFRESH_SECONDS)
            redis = self._redis
            if redis is None:
                continue
            try:
                if not redis.expire(self.key, CONNECTIONS_TTL_SECONDS):
                    with self._lock:
                        counts: dict[FieldT, EncodableT] = {
                            kind: str(n) for kind, n in self._counts.items() if n
                        }
                    if counts:
                        redis.hset(self.key, mapping=counts)
                        redis.expire(self.key, CONNECTIONS_TTL_SECONDS)
            except RedisError as exc:
                log.info("connection count not renewed: %s", exc)


_connections = _Connections()


@contextmanager
def connection(kind: str, redis: Redis | None = None) -> Iterator[None]:
    """Count an open stream of ``kind`` (sse, websocket, page) for as long as the block runs."""
    assert kind in CONNECTION_KINDS, kind
    client = redis or _redis()
    _connections.change(client, kind, +1)
    try:
        yield
    finally:
        _connections.change(client, kind, -1)


def read_histograms(redis: Redis) -> dict[str, dict[str, Any]]:
    """{name: {labels text: {"buckets": {bound: n}, "sum": s, "count": c}}} from Redis."""
    found: dict[str, dict[str, Any]] = {}
    pipe = redis.pipeline(transaction=False)
    for name in HISTOGRAMS:
        pipe.hgetall(PREFIX + name)
    for name, raw in zip(HISTOGRAMS, pipe.execute(), strict=True):
        series: dict[str, Any] = {}
        for field, value in raw.items():
            labels, _, part = field.decode().rpartition("|")
            entry = series.setdefault(labels, {"buckets": {}, "sum": 0.0, "count": 0})
            if part.startswith("le="):
                entry["buckets"][part[3:]] = int(value)
            elif part == "sum":
                entry["sum"] = float(value)
            elif part == "count":
                entry["count"] = int(value)
        found[name] = series
    return found


def read_counters(redis: Redis) -> dict[str, dict[str, int]]:
    pipe = redis.pipeline(transaction=False)
    for name in COUNTERS:
        pipe.hgetall(PREFIX + name)
    return {
        name: {field.decode(): int(value) for field, value in raw.items()}
        for name, raw in zip(COUNTERS, pipe.execute(), strict=True)
    }


def read_connections(redis: Redis) -> dict[str, int]:
    """Open streams of every live web process, by kind."""
    totals = dict.fromkeys(CONNECTION_KINDS, 0)
    keys = list(redis.scan_iter(match=CONNECTIONS_PREFIX + "*", count=500))
    if not keys:
        return totals
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    for raw in pipe.execute():
        for kind, value in raw.items():
            name = kind.decode()
            if name in totals:
                totals[name] += max(int(value), 0)
    return totals
