"""One listener's inbox of job events: newer versions only, per job, and a resync after an outage."""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

RESYNC = {"resync": True}  # sent to every subscriber after the listener reconnects
REVOKED = {"revoked": True}  # sent to the subscribers of a credential (an API key) just revoked
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
        if express is not None and self._waiting and "job" in message and self._inbox.empty():
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
        ``RESYNC`` after a listener outage, ``REVOKED`` once its credential is, or None on timeout."""
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
            if "job" not in message or self.admit(message["job"]):
                return message

    def _is_new(self, job: Mapping[str, Any]) -> bool:
        if job.get("deleted"):
            return self._seen.get(job["id"]) != GONE
        return bool(job["version"] > self._seen.get(job["id"], 0))

    def _note(self, job: Mapping[str, Any]) -> None:
        self._seen[job["id"]] = GONE if job.get("deleted") else job["version"]
