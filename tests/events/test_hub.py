"""The hub: one listener per process, fanning events out by job and by owner, newest only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest

from app.events.hub import Hub
from app.events.publish import announce_revoked, encode, publish
from app.events.subscription import RESYNC, REVOKED


def _doc(job_id: str, version: int) -> dict[str, Any]:
    return {"id": job_id, "version": version, "status": "running"}


@pytest.fixture()
def redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


@pytest.fixture()
def hub(redis: fakeredis.FakeRedis) -> Iterator[Hub]:
    yield Hub(redis)


def test_a_job_subscription_hears_its_job_only(hub: Hub) -> None:
    mine = hub.subscribe(job_id="a")
    hub.dispatch(encode("o", _doc("b", 1)))
    hub.dispatch(encode("o", _doc("a", 1)))
    message = mine.get(1)
    assert message is not None and message["job"]["id"] == "a"
    assert mine.get(0) is None


def test_an_owner_subscription_hears_every_job_of_its_owner(hub: Hub) -> None:
    mine = hub.subscribe(owner="o")
    hub.dispatch(encode("other", _doc("x", 1)))
    for job_id in ("a", "b"):
        hub.dispatch(encode("o", _doc(job_id, 1)))
    heard = [mine.get(1), mine.get(1), mine.get(0)]
    assert [m and m["job"]["id"] for m in heard] == ["a", "b", None]


def test_older_and_repeated_versions_are_dropped(hub: Hub) -> None:
    mine = hub.subscribe(job_id="a")
    mine.seen("a", 2)  # version 2 was read from the database
    for version in (1, 2, 3, 3, 2, 4):
        hub.dispatch(encode("o", _doc("a", version)))
    versions = []
    while (message := mine.get(0)) is not None:
        versions.append(message["job"]["version"])
    assert versions == [3, 4]


def test_one_document_is_shared_by_every_subscriber(hub: Hub) -> None:
    first, second = hub.subscribe(job_id="a"), hub.subscribe(owner="o")
    hub.dispatch(encode("o", _doc("a", 1)))
    one, two = first.get(1), second.get(1)
    assert one is not None and two is not None and one["job"] is two["job"]


def test_unsubscribed_hears_nothing_and_leaves_no_entry(hub: Hub) -> None:
    mine = hub.subscribe(job_id="a", owner="o")
    hub.unsubscribe(mine)
    hub.dispatch(encode("o", _doc("a", 1)))
    assert mine.get(0) is None
    assert hub.subscriber_count() == 0


def test_a_subscriber_on_both_keys_gets_one_copy(hub: Hub) -> None:
    mine = hub.subscribe(job_id="a", owner="o")
    hub.dispatch(encode("o", _doc("a", 1)))
    assert mine.get(1) is not None and mine.get(0) is None


def test_events_published_on_redis_reach_subscribers(hub: Hub, redis: fakeredis.FakeRedis) -> None:
    mine = hub.subscribe(owner="o")
    assert hub.ready.is_set()
    publish(redis, "o", _doc("a", 5))
    message = mine.get(5)
    assert message is not None and message["job"]["version"] == 5


def test_malformed_events_are_ignored(hub: Hub) -> None:
    mine = hub.subscribe(owner="o")
    hub._safe_dispatch(b"not json")
    hub._safe_dispatch(json.dumps({"owner": "o"}))
    hub.dispatch(encode("o", _doc("a", 1)))
    message = mine.get(1)
    assert message is not None and message["job"]["id"] == "a"


def test_a_resync_reaches_every_subscriber(hub: Hub) -> None:
    subscriptions = [hub.subscribe(job_id="a"), hub.subscribe(owner="p")]
    hub._broadcast_resync()
    assert [s.get(1) for s in subscriptions] == [RESYNC, RESYNC]


def test_a_deletion_passes_once_and_silences_the_job(hub: Hub) -> None:
    mine = hub.subscribe(owner="o")
    hub.dispatch(encode("o", _doc("a", 3)))
    for _ in range(2):
        hub.dispatch(encode("o", {"id": "a", "deleted": True}))
    hub.dispatch(encode("o", _doc("a", 9)))  # a late update of the deleted job
    heard = []
    while (message := mine.get(0)) is not None:
        heard.append(message["job"])
    assert heard == [_doc("a", 3), {"id": "a", "deleted": True}]


def test_a_revoked_key_reaches_the_subscriptions_opened_with_it_only(
    hub: Hub, redis: fakeredis.FakeRedis
) -> None:
    """Even one that sends its updates itself (express): a revocation always wakes its listener."""
    revoked, kept = hub.subscribe(job_id="a", credential="d1"), hub.subscribe(job_id="a", credential="d2")
    revoked.express = lambda _message: True
    listener = redis.pubsub()
    listener.subscribe("squeeze:events")
    announce_revoked(redis, "d1")
    raw = [m for m in iter(lambda: listener.get_message(timeout=1), None) if m["type"] == "message"]
    hub.dispatch(raw[0]["data"])  # what the listener thread does with it
    assert revoked.get(0) is REVOKED
    assert kept.get(0) is None
    hub.dispatch(encode("o", _doc("a", 1)))
    message = kept.get(1)
    assert message is not None and message["job"]["version"] == 1
