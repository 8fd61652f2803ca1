"""Publish a job's new state on the one Redis channel every web process listens to."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from app.jobs.contract import JobUpdate

CHANNEL = "squeeze:events"
log = logging.getLogger(__name__)


def encode(owner: str, doc: JobUpdate) -> str:
    return json.dumps({"owner": owner, "job": doc}, separators=(",", ":"))


def announce_revoked(redis: Redis, digest: str) -> None:
    """Tell every web process that the API key whose SHA-256 is ``digest`` is revoked: the
    streams opened with it (and the sessions signed in with it) end at once.

    A Redis failure is logged: the key is revoked in the database either way (every process
    refuses it within KEY_CACHE_SECONDS); only the streams already open would go on.
    """
    try:
        redis.publish(CHANNEL, json.dumps({"revoked": digest}))
    except RedisError as exc:
        log.warning("could not announce a key's revocation to open streams: %s", exc)


def publish(redis: Redis, owner: str, doc: JobUpdate) -> None:
    """Send ``doc`` (the job object, links as paths, or a deleted notice) to every subscriber
    of its job or owner.

    A lost event is repaired by the next one or by any client's re-read (every message is
    the full state with its version), so a Redis failure here is logged, not raised.
    """
    try:
        redis.publish(CHANNEL, encode(owner, doc))
    except RedisError as exc:
        log.warning("could not publish an update of job %s: %s", doc["id"], exc)
