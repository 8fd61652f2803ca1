import threading
import time

import fakeredis
import pytest

from app.api import slots
from app.api.slots import UploadSlot
from app.problems import Problem


def test_a_client_gets_its_limit_of_slots_then_a_429() -> None:
    redis = fakeredis.FakeRedis()
    held = [UploadSlot(redis, "key:a", 2).acquire() for _ in range(2)]
    with pytest.raises(Problem) as refused:
        UploadSlot(redis, "key:a", 2).acquire()
    assert (refused.value.status, refused.value.code) == (429, "too_many_uploads")
    assert refused.value.headers["Retry-After"] == str(slots.RETRY_AFTER_SECONDS)
    assert "2 uploads" in refused.value.detail
    UploadSlot(redis, "key:b", 2).acquire()  # another client is not affected
    held[0].release()
    UploadSlot(redis, "key:a", 2).acquire()  # a finished upload frees its slot


def test_slots_of_a_dead_process_lapse(monkeypatch: pytest.MonkeyPatch) -> None:
    redis = fakeredis.FakeRedis()
    UploadSlot(redis, "key:a", 1).acquire()  # never released: its web process died
    later = time.time() + slots.SLOT_SECONDS + 1
    monkeypatch.setattr(slots.time, "time", lambda: later)
    UploadSlot(redis, "key:a", 1).acquire()


def test_a_streaming_upload_renews_its_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    redis = fakeredis.FakeRedis()
    slot = UploadSlot(redis, "key:a", 1).acquire()
    first = redis.zscore(slots.KEY_PREFIX + "key:a", slot._token)
    slot.renew()
    assert redis.zscore(slots.KEY_PREFIX + "key:a", slot._token) == first, "not yet due"
    clock = time.monotonic() + slots.RENEW_SECONDS + 1
    monkeypatch.setattr(slots.time, "monotonic", lambda: clock)
    slot.renew()
    assert redis.zscore(slots.KEY_PREFIX + "key:a", slot._token) > first
    slot.release()
    slot.renew()  # after release: nothing to renew, nothing comes back
    assert redis.zcard(slots.KEY_PREFIX + "key:a") == 0


def test_a_burst_of_one_clients_uploads_gets_exactly_its_limit() -> None:
    """Taking a slot is one atomic step: uploads arriving together neither overshoot nor retry."""
    redis = fakeredis.FakeRedis()
    start = threading.Barrier(16)
    outcomes: list[int] = []

    def upload() -> None:
        start.wait()
        try:
            UploadSlot(redis, "key:a", 5).acquire()
            outcomes.append(202)
        except Problem as refused:
            outcomes.append(refused.status)

    threads = [threading.Thread(target=upload) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [202] * 5 + [429] * 11
    assert redis.zcard(slots.KEY_PREFIX + "key:a") == 5
