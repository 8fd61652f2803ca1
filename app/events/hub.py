"""The per-process hub: ONE Redis pub/sub listener fanning job events out to subscribers.

Sockets, SSE streams and long polls subscribe to a job or to an owner and read from an
in-process queue; none of them holds a Redis connection of its own. Under gunicorn's
gevent worker the listener thread and the queues are cooperative (monkey-patched).
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from redis import ConnectionPool, Redis
from redis.exceptions import RedisError

from app.events.memo import SharedDocument
from app.events.publish import CHANNEL

log = logging.getLogger(__name__)
RECONNECT_DELAY_SECONDS = 1.0
RESYNC = {"resync": True}  # sent to every subscriber after the listener reconnects
GONE = sys.maxsize  # the "version seen" of a deleted job: nothing about it passes any more


class Subscription:
    """One listener's inbox. Drops any version it has already seen or passed, per job.

    ``express``, when set, is offered each message the hub delivers while the listener waits
    with an empty inbox (so nothing of its own is in progress): it returns True when it has
    handled the message right there, in the hub's dispatch, and the listener is not woken.
    Set it only where listeners are cooperative (gevent), never with preemptive threads.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.express: Callable[[dict[str, Any]], bool] | None = None
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._seen: dict[str, int] = {}
        self._waiting = False

    def deliver(self, message: dict[str, Any]) -> None:
        express = self.express
        if express is not None and self._waiting and message is not RESYNC and self._inbox.empty():
            if not self._is_new(message["job"]):
                return  # the listener would drop it
            if express(message):
                self._note(message["job"])
                return
        self._inbox.put(message)

    def seen(self, job_id: str, version: int) -> None:
        """Note a version already sent by other means (the initial state read from the database)."""
        self._seen[job_id] = max(self._seen.get(job_id, 0), version)

    def admit(self, job: Mapping[str, Any]) -> bool:
        """Whether ``job`` (a document or a deletion) is news to this listener; noted if so."""
        if not self._is_new(job):
            return False
        self._note(job)
        return True

    def get(self, timeout: float | None) -> dict[str, Any] | None:
        """The next newer job message (a deletion always passes, and ends that job's updates),
        ``RESYNC`` after a listener outage, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            self._waiting = True
            try:
                message = self._inbox.get(timeout=remaining)
            except queue.Empty:
                return None
            finally:
                self._waiting = False
            if message is RESYNC or self.admit(message["job"]):
                return message

    def _is_new(self, job: Mapping[str, Any]) -> bool:
        if job.get("deleted"):
            return self._seen.get(job["id"]) != GONE
        return bool(job["version"] > self._seen.get(job["id"], 0))

    def _note(self, job: Mapping[str, Any]) -> None:
        self._seen[job["id"]] = GONE if job.get("deleted") else job["version"]


class Hub:
    """Fans messages of the events channel out to subscriptions keyed by job and by owner."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._subscriptions: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def subscribe(self, job_id: str | None = None, owner: str | None = None) -> Subscription:
        keys = tuple(k for k in (job_id and f"job:{job_id}", owner and f"owner:{owner}") if k)
        subscription = Subscription(keys)
        with self._lock:
            for key in keys:
                self._subscriptions[key].add(subscription)
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="squeeze-hub", daemon=True)
                self._thread.start()
        self.ready.wait(timeout=5)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            for key in subscription.keys:
                members = self._subscriptions.get(key)
                if members is not None:
                    members.discard(subscription)
                    if not members:
                        del self._subscriptions[key]

    def subscriber_count(self) -> int:
        """How many subscriptions are listening (each counted once)."""
        with self._lock:
            return len({s for members in self._subscriptions.values() for s in members})

    def dispatch(self, raw: bytes | str) -> None:
        message = json.loads(raw)
        message["job"] = SharedDocument(message["job"])
        keys = (f"job:{message['job']['id']}", f"owner:{message['owner']}")
        with self._lock:
            targets = {s for key in keys for s in self._subscriptions.get(key, ())}
        for subscription in targets:
            subscription.deliver(message)

    def _broadcast_resync(self) -> None:
        with self._lock:
            targets = {s for members in self._subscriptions.values() for s in members}
        for subscription in targets:
            subscription.deliver(RESYNC)

    def _listen(self) -> None:
        reconnecting = False
        listener = resp2(self._redis)
        while True:
            try:
                pubsub = listener.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self.ready.set()
                if reconnecting:  # events may have been missed: subscribers re-read the database
                    self._broadcast_resync()
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._safe_dispatch(message["data"])
            except RedisError as exc:
                log.warning("event listener lost Redis (%s); reconnecting", exc)
            reconnecting = True
            time.sleep(RECONNECT_DELAY_SECONDS)

    def _safe_dispatch(self, raw: bytes | str) -> None:
        try:
            self.dispatch(raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed event: %s", exc)


def resp2(redis: Redis) -> Redis:
    """A client for the server ``redis`` talks to, on RESP2: the listener's.

    On RESP3 redis-py hands each pub/sub message to a push handler that formats it for a
    debug log line, whether or not that level is on: ~15 µs of a burst's every message.
    """
    pool = redis.connection_pool
    options = {k: v for k, v in pool.connection_kwargs.items() if not k.startswith("maint_notifications")}
    options["protocol"] = 2  # maintenance notifications (dropped above) need RESP3
    return Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **options))


_hub_lock = threading.Lock()


def hub_for(extensions: dict[str, Any], redis: Redis) -> Hub:
    """The process's hub, created on first use (after any fork)."""
    with _hub_lock:
        hub: Hub | None = extensions.get("hub")
        if hub is None:
            hub = extensions["hub"] = Hub(redis)
        return hub


def current_hub() -> Hub:
    """The hub of the current app in this process."""
    from flask import current_app

    from app.extensions import redis_client

    return hub_for(current_app.extensions, redis_client())
