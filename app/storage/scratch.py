"""A host's own disk: one scratch folder per web request or worker attempt, removed after.

Each folder holds an exclusive ``flock`` on its ``.lock`` file for as long as its owner
lives; the kernel drops the lock when the process dies, however it dies. ``sweep``
removes the folders whose lock nobody holds: the leftovers of a crash (SIGKILL, OOM).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType

LOCK_NAME = ".lock"
UNLOCKED_GRACE_SECONDS = 600  # a folder with no lock file yet is being made; past this, a leftover


class ScratchFolder:
    """A fresh folder under ``root``, locked until ``close()`` removes it."""

    def __init__(self, root: Path, label: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=root))
        # The lock file gets its name only once locked: a sweep never finds it free in between
        # (it would take the lock and remove a folder its owner is about to use). A folder with
        # no lock file yet is young, and a sweep leaves it be (UNLOCKED_GRACE_SECONDS).
        making = self.path / f"{LOCK_NAME}.making"
        self._lock: int | None = os.open(making, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        os.rename(making, self.path / LOCK_NAME)

    def close(self) -> None:
        """Remove the folder and everything in it (idempotent)."""
        if self._lock is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._lock)
        self._lock = None

    def __enter__(self) -> ScratchFolder:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()


def sweep(root: Path) -> int:
    """Remove the folders under ``root`` that no live process holds; how many."""
    if not root.is_dir():
        return 0
    removed = 0
    for entry in root.iterdir():
        if entry.is_dir() and _orphaned(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        elif not entry.is_dir() and _age(entry) > UNLOCKED_GRACE_SECONDS:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def entries(root: Path) -> list[Path]:
    """What ``root`` holds (for health checks and tests)."""
    return sorted(root.iterdir()) if root.is_dir() else []


def _orphaned(folder: Path) -> bool:
    try:
        lock = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return _age(folder) > UNLOCKED_GRACE_SECONDS
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its owner is alive
    finally:
        os.close(lock)  # closing drops the lock we may have taken; the folder goes next anyway
    return True


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
