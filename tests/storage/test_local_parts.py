"""The local store's uploads in parts: each part written in place in one file, joined by a rename."""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.storage import MissingObject, StorageError, local
from app.storage.local import PARTS_FOLDER, LocalStorage

KEY = "jobs/j/input"
DATA = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes: parts of 4,096, the last one 2,052
PART = 4096
SIZES = {1: PART, 2: PART, 3: len(DATA) - 2 * PART}


def _reader(data: bytes) -> Callable[[int], bytes]:
    return io.BytesIO(data).read


def _part(number: int, data: bytes = DATA) -> bytes:
    return data[(number - 1) * PART : number * PART]


def _send(store: LocalStorage, upload_id: str, number: int, data: bytes = DATA) -> None:
    part = _part(number, data)
    store.write_part(KEY, upload_id, number, _reader(part), len(part))


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def test_parts_land_in_place_in_one_file_and_the_join_is_a_rename(store: LocalStorage) -> None:
    upload_id = store.start_parts(KEY, len(DATA), PART)
    folder = store.root / PARTS_FOLDER / upload_id
    for number in (3, 1, 2):  # any order
        _send(store, upload_id, number)
    assert store.parts(KEY, upload_id) == SIZES
    (held,) = [p for p in folder.iterdir() if p.stat().st_size == len(DATA)]
    assert held.read_bytes() == DATA, "every part at its offset of the one file"
    inode = held.stat().st_ino

    store.join_parts(KEY, upload_id, SIZES)
    joined = store.path(KEY)
    assert joined.read_bytes() == DATA
    assert joined.stat().st_ino == inode, "moved, not copied"
    assert not folder.exists() and store.parts(KEY, upload_id) == {}


def test_a_part_sent_twice_replaces_itself(store: LocalStorage) -> None:
    upload_id = store.start_parts(KEY, len(DATA), PART)
    other = bytes(len(DATA))
    for number in SIZES:
        _send(store, upload_id, number, other)
    _send(store, upload_id, 2)
    _send(store, upload_id, 2)
    assert store.parts(KEY, upload_id) == SIZES
    store.join_parts(KEY, upload_id, SIZES)
    assert store.path(KEY).read_bytes() == _part(1, other) + _part(2) + _part(3, other)


def test_a_part_cut_off_mid_body_does_not_count_even_if_it_had_arrived_before(store: LocalStorage) -> None:
    upload_id = store.start_parts(KEY, len(DATA), PART)
    for number in SIZES:
        _send(store, upload_id, number)
    with pytest.raises(StorageError, match="early"):
        store.write_part(KEY, upload_id, 2, _reader(_part(2)[:1000]), PART)  # sent again, cut off
    assert store.parts(KEY, upload_id) == {1: PART, 3: SIZES[3]}
    with pytest.raises(MissingObject):
        store.join_parts(KEY, upload_id, SIZES)
    assert not store.exists(KEY)

    _send(store, upload_id, 2)
    assert store.parts(KEY, upload_id) == SIZES
    store.join_parts(KEY, upload_id, SIZES)
    assert store.path(KEY).read_bytes() == DATA


def test_a_part_of_the_wrong_size_is_refused(store: LocalStorage) -> None:
    upload_id = store.start_parts(KEY, len(DATA), PART)
    for number, size in ((1, PART - 1), (3, PART), (4, 10), (0, PART)):
        with pytest.raises(ValueError, match="cannot be"):
            store.write_part(KEY, upload_id, number, _reader(bytes(size)), size)
    assert store.parts(KEY, upload_id) == {}


def test_no_part_is_taken_once_joined_or_dropped(store: LocalStorage) -> None:
    upload_id = store.start_parts(KEY, len(DATA), PART)
    for number in SIZES:
        _send(store, upload_id, number)
    store.join_parts(KEY, upload_id, SIZES)
    with pytest.raises(MissingObject):
        store.write_part(KEY, upload_id, 1, _reader(bytes(PART)), PART)
    assert store.path(KEY).read_bytes() == DATA

    dropped = store.start_parts(KEY, len(DATA), PART)
    store.abort_parts(KEY, dropped)
    with pytest.raises(MissingObject):
        _send(store, dropped, 1)
    assert store.parts(KEY, dropped) == {}


def test_the_join_waits_for_a_part_still_being_written(
    store: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "JOIN_WAIT_SECONDS", 0.2)
    upload_id = store.start_parts(KEY, len(DATA), PART)
    for number in SIZES:
        _send(store, upload_id, number)
    writing = os.open(store.root / PARTS_FOLDER / upload_id / local.OBJECT, os.O_WRONLY)
    try:
        fcntl.flock(writing, fcntl.LOCK_SH)  # what write_part holds while a body arrives
        with pytest.raises(StorageError, match="still arriving"):
            store.join_parts(KEY, upload_id, SIZES)
    finally:
        os.close(writing)
    store.join_parts(KEY, upload_id, SIZES)
    assert store.path(KEY).read_bytes() == DATA
