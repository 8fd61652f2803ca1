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
