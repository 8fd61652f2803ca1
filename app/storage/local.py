"""The file:// backend: objects are files under one folder (one machine, or a shared mount)."""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.storage.base import LocalFile, MissingObject, Storage, StorageError, StorageFull

PARTS_FOLDER = "parts"  # parts of unfinished uploads: parts/<upload id>/<number>
COPY_CHUNK = 1024 * 1024


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

    def start_parts(self, key: str) -> str:
        upload_id = uuid.uuid4().hex
        try:
            self._parts_folder(upload_id).mkdir(parents=True)
        except OSError as exc:
            raise StorageError(f"could not start an upload of {key}: {exc.strerror or exc}") from exc
        return upload_id

    def part_url(self, key: str, upload_id: str, number: int, seconds: int) -> None:
        return None  # parts are PUT to Squeeze itself, which calls write_part

    def write_part(
        self, key: str, upload_id: str, number: int, read: Callable[[int], bytes], size: int
    ) -> None:
        folder = self._parts_folder(upload_id)
        if not folder.is_dir():
            raise MissingObject(f"upload {upload_id}")
        landing = folder / f".{number}.{uuid.uuid4().hex}"
        try:
            with open(landing, "wb") as out:
                left = size
                while left > 0:
                    chunk = read(min(COPY_CHUNK, left))
                    if not chunk:
                        raise StorageError(f"part {number} ended {left} bytes early")
                    out.write(chunk)
                    left -= len(chunk)
            os.replace(landing, folder / str(number))  # whole, or not there at all
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not store part {number}: {exc.strerror or exc}") from exc
        finally:
            landing.unlink(missing_ok=True)

    def parts(self, key: str, upload_id: str) -> dict[int, int]:
        folder = self._parts_folder(upload_id)
        if not folder.is_dir():
            return {}
        return {int(p.name): p.stat().st_size for p in folder.iterdir() if p.name.isdigit()}

    def join_parts(self, key: str, upload_id: str, numbers: list[int]) -> None:
        folder = self._parts_folder(upload_id)
        target = self.path(key)
        landing = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(landing, "wb") as out:
                for number in numbers:
                    with open(folder / str(number), "rb") as part:
                        _copy_in_kernel(part.fileno(), out.fileno())
            os.replace(landing, target)
        except FileNotFoundError as exc:
            raise MissingObject(f"a part of upload {upload_id}") from exc
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not join the parts of {key}: {exc.strerror or exc}") from exc
        finally:
            landing.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    def abort_parts(self, key: str, upload_id: str) -> None:
        shutil.rmtree(self._parts_folder(upload_id), ignore_errors=True)

    def head_copy(self, key: str, folder: Path, size: int) -> Path:
        return self.fetch(key, folder)


def _copy_in_kernel(source: int, target: int) -> None:
    """Append all of ``source`` to ``target`` without passing the bytes through Python."""
    while os.copy_file_range(source, target, 64 * COPY_CHUNK):
        pass
