import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.storage import scratch
from app.storage.scratch import LOCK_NAME, UNLOCKED_GRACE_SECONDS, ScratchFolder, entries, sweep

HOLDER = """
import sys, time
from pathlib import Path
from app.storage.scratch import ScratchFolder
folder = ScratchFolder(Path(sys.argv[1]), "dead")
(folder.path / "input").write_bytes(b"x" * 1000)
print(folder.path, flush=True)
time.sleep(60)
"""


def test_a_scratch_folder_is_removed_when_closed(tmp_path: Path) -> None:
    with ScratchFolder(tmp_path, "job-x") as scratch:
        (scratch.path / "output.mp4").write_bytes(b"partial")
        assert scratch.path.name.startswith("job-x-") and (scratch.path / LOCK_NAME).exists()
    assert entries(tmp_path) == []


def test_sweep_spares_folders_in_use_and_removes_those_of_dead_processes(tmp_path: Path) -> None:
    alive = ScratchFolder(tmp_path, "alive")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE)
    assert holder.stdout is not None
    held = Path(holder.stdout.readline().decode().strip())
    assert sweep(tmp_path) == 0, "both owners are alive"
    os.kill(holder.pid, signal.SIGKILL)  # the work-horse dies without cleaning up
    holder.wait()
    assert sweep(tmp_path) == 1
    assert not held.exists() and alive.path.exists()
    alive.close()


def test_sweep_removes_old_strays_but_not_new_ones(tmp_path: Path) -> None:
    fresh = tmp_path / "being-made"
    fresh.mkdir()
    stray = tmp_path / "stray-file"
    stray.write_bytes(b"x")
    old = time.time() - UNLOCKED_GRACE_SECONDS - 5
    os.utime(stray, (old, old))
    assert sweep(tmp_path) == 1
    assert fresh.exists() and not stray.exists()


def test_a_sweep_while_a_folder_is_being_made_leaves_it_to_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process sweeps just as this one makes its folder, before it holds the lock (seen
    in CI: an upload's spool folder vanished under it, a 500)."""
    real_flock = scratch.fcntl.flock

    def sweep_first(fd: int, operation: int) -> None:
        sweep(tmp_path)  # the other host process, at the worst moment
        real_flock(fd, operation)

    monkeypatch.setattr(scratch.fcntl, "flock", sweep_first)
    folder = ScratchFolder(tmp_path, "upload")
    monkeypatch.undo()
    try:
        (folder.path / "upload-part").write_bytes(b"bytes")  # its owner can still use it
        assert sweep(tmp_path) == 0 and (folder.path / LOCK_NAME).exists()
    finally:
        folder.close()
