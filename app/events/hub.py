"""The per-process hub: ONE Redis pub/sub listener fanning job events out to subscribers.

Sockets, SSE streams and long polls subscribe to a job or to an owner and read from an
in-process queue; none of them holds a Redis connection of its own. Under gunicorn's
gevent worker the listener thread and the queues are cooperative (monkey-patched).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from app.events.memo import SharedDocument
from app.events.publish import CHANNEL
from app.events.resp2 import resp2
from app.events.subscription import RESYNC, REVOKED, Subscription

log = logging.getLogger(__name__)
RECONNECT_DELAY_SECONDS = 1.0


class Hub:
    """Fans messages of the events channel out to subscriptions keyed by job and by owner."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._subscriptions: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def subscribe(
        self, job_id: str | None = None, owner: str | None = None, credential: str | None = None
    ) -> Subscription:
        """A subscription to a job's or an owner's events; told ``REVOKED`` when ``credential``
        (the digest of the API key it was opened with) is revoked."""
        named = (
            job_id and f"job:{job_id}",
            owner and f"owner:{owner}",
            credential and f"credential:{credential}",
        )
        keys = tuple(k for k in named if k)
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
        if "revoked" in message:
            with self._lock:
                revoked = set(self._subscriptions.get(f"credential:{message['revoked']}", ()))
            for subscription in revoked:
                subscription.deliver(REVOKED)
            return
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
