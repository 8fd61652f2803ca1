"""The file:// backend: objects are files under one folder (one machine, or a shared mount)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.storage.base import LocalFile, MissingObject, Readable, Storage, StorageError, StorageFull
from app.units import MB

# An unfinished upload is a folder, parts/<upload id>/, holding its file (OBJECT), sparse until
# the parts arrive, each written in place at (number - 1) × part size; LAYOUT, "<size>
# <part size>"; and one small file per part that arrived whole, "<number>.done", holding its
# size. Completing moves OBJECT to the key: the bytes are written once.
PARTS_FOLDER = "parts"
OBJECT, LAYOUT, DONE = "object", "layout", ".done"
READ_CHUNK = MB  # bytes of a part's body read (and written) at a time
JOIN_WAIT_SECONDS = 5  # how long a join waits for parts still being written


class LocalStorage(Storage):
    """Keys are relative paths under ``root``; writes land under a temporary name, then a rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str) -> LocalStorage:
        return cls(Path(unquote(urlsplit(url).path)))

    def path(self, key: str) -> Path:
        """Where ``key`` lives. Keys are made by the server, never by clients; still, no escaping."""
        if key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key: str, source: Path, content_type: str | None = None, move: bool = False) -> None:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if move:
                try:
                    os.replace(source, target)  # same filesystem: a rename, no copy
                    return
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        raise
            landing = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            shutil.copyfile(source, landing)
            os.replace(landing, target)
            if move:
                source.unlink()
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not store {key}: {exc.strerror or exc}") from exc

    def fetch(self, key: str, folder: Path) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise MissingObject(key)
        return path

    def readable(self, key: str, seconds: int) -> Readable:
        path = self.fetch(key, self.root)
        return Readable(path, path.stat().st_size)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        found = self.keys(prefix)
        for key in found:
            self.path(key).unlink(missing_ok=True)
        folder = self.path(prefix.rstrip("/")) if prefix.endswith("/") else None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        return len(found)

    def keys(self, prefix: str) -> list[str]:
        base = self.path(prefix.rstrip("/")) if prefix.endswith("/") else self.path(prefix).parent
        if not base.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(key for key in found if key.startswith(prefix) and not Path(key).name.startswith("."))

    def serve(self, key: str, download_name: str, content_type: str) -> LocalFile:
        path = self.path(key)
        if not path.is_file():
            raise MissingObject(key)
        return LocalFile(path)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.root}: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")

    def _parts_folder(self, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise ValueError(f"not an upload id: {upload_id!r}")
        return self.root / PARTS_FOLDER / upload_id

    def start_parts(self, key: str, size: int, part_size: int) -> str:
        upload_id = uuid.uuid4().hex
        folder = self._parts_folder(upload_id)
        try:
            folder.mkdir(parents=True)
            with open(folder / OBJECT, "wb") as out:
                out.truncate(size)  # sparse: blocks come with the parts
            _write_atomically(folder / LAYOUT, f"{size} {part_size}")
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not start an upload of {key}: {exc.strerror or exc}") from exc
        return upload_id

    def part_url(self, key: str, upload_id: str, number: int, seconds: int, size: int) -> None:
        return None  # parts are PUT to Squeeze itself, which calls write_part

    def write_part(
        self, key: str, upload_id: str, number: int, read: Callable[[int], bytes], size: int
    ) -> None:
        folder = self._parts_folder(upload_id)
        total, part_size = _layout(folder)
        offset = (number - 1) * part_size
        if number < 1 or offset >= total or size != min(part_size, total - offset):
            raise ValueError(f"part {number} of upload {upload_id} cannot be {size} bytes")
        done = folder / f"{number}{DONE}"
        try:
            fd = os.open(folder / OBJECT, os.O_WRONLY)
        except FileNotFoundError as exc:
            raise MissingObject(f"upload {upload_id}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # join_parts takes it alone, to move the file
            if not _same_file(fd, folder / OBJECT):
                raise MissingObject(f"upload {upload_id}")  # joined (or dropped) meanwhile
            done.unlink(missing_ok=True)  # a part sent again counts again only once whole
            written = 0
            while written < size:
                chunk = read(min(READ_CHUNK, size - written))
                if not chunk:
                    raise StorageError(f"part {number} ended {size - written} bytes early")
                _write_at(fd, chunk, offset + written)
                written += len(chunk)
            _settle(fd, offset, size)
            _write_atomically(done, str(size))
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not store part {number}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)

    def parts(self, key: str, upload_id: str) -> dict[int, int]:
        folder = self._parts_folder(upload_id)
        try:
            marks = [p for p in folder.iterdir() if p.name.endswith(DONE)]
        except FileNotFoundError:
            return {}
        found = {}
        for mark in marks:
            with contextlib.suppress(FileNotFoundError, ValueError):  # sent again right now
                found[int(mark.name.removesuffix(DONE))] = int(mark.read_text())
        return found

    def join_parts(self, key: str, upload_id: str, sizes: dict[int, int]) -> None:
        folder = self._parts_folder(upload_id)
        target = self.path(key)
        numbers = sorted(sizes)
        try:
            total, part_size = _layout(folder)
            if numbers != list(range(1, -(-total // part_size) + 1)):
                raise ValueError(f"a local upload is joined from all its parts in order, not {numbers}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(folder / OBJECT, "rb") as joined:
                _lock_alone(joined.fileno())  # no part is being written
                present = self.parts(key, upload_id)  # each written at its offset, of its size
                missing = {number for number in numbers if present.get(number) != sizes[number]}
                if missing:
                    raise MissingObject(f"part {min(missing)} of upload {upload_id}")
                os.replace(folder / OBJECT, target)  # the parts are in place already: no copy
        except FileNotFoundError as exc:
            raise MissingObject(f"upload {upload_id}") from exc
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not join the parts of {key}: {exc.strerror or exc}") from exc
        shutil.rmtree(folder, ignore_errors=True)

    def abort_parts(self, key: str, upload_id: str) -> None:
        shutil.rmtree(self._parts_folder(upload_id), ignore_errors=True)

    def head_copy(self, key: str, folder: Path, size: int) -> Path:
        return self.fetch(key, folder)


def _layout(folder: Path) -> tuple[int, int]:
    """An upload's size and part size, as ``start_parts`` wrote them. MissingObject if gone."""
    try:
        size, part_size = map(int, (folder / LAYOUT).read_text().split())
    except FileNotFoundError as exc:
        raise MissingObject(f"upload {folder.name}") from exc
    except OSError as exc:
        raise StorageError(f"upload {folder.name}: {exc.strerror or exc}") from exc
    return size, part_size


def _settle(fd: int, offset: int, size: int) -> None:
    """Put a part's bytes on disk before it counts, then out of the page cache: they are written
    once and read much later (by a worker), and keeping a big upload's pages cached costs more
    than writing them out as each part ends (fresh pages for every byte, and dirty-page
    throttling once gigabytes wait for the disk). Blocks this process for about one part's
    worth of disk writing."""
    getattr(os, "fdatasync", os.fsync)(fd)
    if hasattr(os, "posix_fadvise"):  # not on macOS
        os.posix_fadvise(fd, offset, size, os.POSIX_FADV_DONTNEED)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """All of ``data`` into ``fd`` at ``offset`` (one call, unless the kernel writes less)."""
    view = memoryview(data)
    while view:
        offset += (written := os.pwrite(fd, view, offset))
        view = view[written:]


def _write_atomically(path: Path, text: str) -> None:
    """``path`` holds ``text`` whole, or does not exist: written aside, then renamed."""
    landing = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        landing.write_text(text)
        os.replace(landing, path)
    finally:
        landing.unlink(missing_ok=True)


def _same_file(fd: int, path: Path) -> bool:
    """True while ``path`` still names the file open as ``fd`` (not moved or removed since)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _lock_alone(fd: int) -> None:
    """Wait, a little, until no part is being written (each holds a shared lock), then hold it alone."""
    deadline = time.monotonic() + JOIN_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise StorageError("a part is still arriving; complete again once it is in") from None
            time.sleep(0.05)  # a greenlet's sleep under gevent
