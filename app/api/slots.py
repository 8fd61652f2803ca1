"""At most MAX_UPLOADS_PER_CLIENT uploads stream in at once per client, across every web process.

Each upload holds a slot: a member of a Redis sorted set per client, scored by the moment it
lapses. The slot is renewed while bytes arrive and released when the request ends; a web
process that dies leaves slots that lapse within SLOT_SECONDS. Holding a slot holds no Redis
connection, and taking one is one round trip (a script: a burst of one client's uploads
never retries, so a burst of hundreds stays within the process's Redis pool).
"""

from __future__ import annotations

import time
import uuid

from redis import Redis

from app.problems import Problem

SLOT_SECONDS = 60  # a slot not renewed for this long lapses (its web process died)
RENEW_SECONDS = 15  # how often a streaming upload renews its slot
RETRY_AFTER_SECONDS = 5  # what a refused client is told to wait
KEY_PREFIX = "squeeze:uploads:"

# KEYS[1]: a client's slots; ARGV: now, the limit, this upload's token, SLOT_SECONDS.
# Drops the slots of dead processes, then adds this one if there is room. Returns whether it
# was added (1 or 0), and how many were in flight before it.
ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local in_flight = redis.call('ZCARD', KEYS[1])
if in_flight >= tonumber(ARGV[2]) then
    return {0, in_flight}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
redis.call('EXPIRE', KEYS[1], 2 * tonumber(ARGV[4]))
return {1, in_flight}
"""


class UploadSlot:
    """One upload's place among its client's uploads in flight."""

    def __init__(self, redis: Redis, client: str, limit: int) -> None:
        self._redis = redis
        self._key = KEY_PREFIX + client
        self._limit = limit
        self._token = uuid.uuid4().hex
        self._renewed = 0.0
        self.held = False

    def acquire(self) -> UploadSlot:
        """Take a slot, or raise a 429 problem when the client already streams ``limit`` uploads."""
        args: list[str | float] = [time.time(), self._limit, self._token, SLOT_SECONDS]
        added, in_flight = self._redis.register_script(ACQUIRE)(keys=[self._key], args=args)
        if not added:
            raise Problem(
                429,
                "too_many_uploads",
                f"{in_flight} uploads of yours are already in progress (at most {self._limit} at "
                f"once); send this one when one of them has finished",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.held, self._renewed = True, time.monotonic()
        return self

    def renew(self) -> None:
        """Keep the slot while bytes keep arriving (at most every RENEW_SECONDS)."""
        if not self.held or time.monotonic() - self._renewed < RENEW_SECONDS:
            return
        self._renewed = time.monotonic()
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(self._key, {self._token: time.time() + SLOT_SECONDS}, xx=True)
        pipe.expire(self._key, SLOT_SECONDS * 2)
        pipe.execute()

    def release(self) -> None:
        if self.held:
            self.held = False
            self._redis.zrem(self._key, self._token)
