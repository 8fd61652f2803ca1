"""Publish a job's new state on the one Redis channel every web process listens to."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

CHANNEL = "squeeze:events"
log = logging.getLogger(__name__)


def encode(owner: str, doc: dict[str, Any]) -> str:
    return json.dumps({"owner": owner, "job": doc}, separators=(",", ":"))


def publish(redis: Redis, owner: str, doc: dict[str, Any]) -> None:
    """Send ``doc`` (the job object, links as paths) to every subscriber of its job or owner.

    A lost event is repaired by the next one or by any client's re-read (every message is
    the full state with its version), so a Redis failure here is logged, not raised.
    """
    try:
        redis.publish(CHANNEL, encode(owner, doc))
    except RedisError as exc:
        log.warning("could not publish job %s v%s: %s", doc.get("id"), doc.get("version"), exc)
