"""Several "machines" on one: each host has its own copy of the code, instance and temp folders.

Hosts share nothing but what a Procfile deploy shares: PostgreSQL, Redis and the object
store. Each process a host starts runs in a session of its own, so killing a host whole
(every process, SIGKILL) is one call.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from app import ROOT
from tests.live.stack import session_members, wait_until

CODE = ("app", "templates", "static", "wsgi.py", "worker.py")


class Host:
    """One machine of the deploy: a folder with a copy of the code, started processes in it."""

    def __init__(self, root: Path, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.folder = root / name
        self.folder.mkdir(parents=True)
        for item in CODE:
            source = ROOT / item
            if source.is_dir():
                shutil.copytree(source, self.folder / item, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, self.folder / item)
        self.instance = self.folder / "instance"
        self.tmp = self.folder / "tmp"
        self.tmp.mkdir()
        self.scratch = self.instance / "scratch"
        inherited = {
            k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "STORAGE_DIR", "SCRATCH_DIR"}
        }
        self.env = {**inherited, **env, "TMPDIR": str(self.tmp), "PYTHONPATH": str(self.folder)}
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, *args], cwd=self.folder, env=self.env, check=True, capture_output=True
        )

    def spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.folder / log_name).open("ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_web(self, port: int) -> subprocess.Popen[bytes]:
        args = ["-m", "gunicorn", "-c", "app/webserver.py", "-w", "1", "-b", f"127.0.0.1:{port}"]
        return self.spawn([*args, "--graceful-timeout", "2", "wsgi:app"], "web.log")

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.spawn(["worker.py"], "worker.log")

    def kill(self) -> None:
        """The machine dies: every process it started, and their children, SIGKILLed at once."""
        pids = [pid for process in self.processes for pid in session_members(process.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in self.processes:
            process.wait(timeout=30)
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids), 30, f"{self.name} to die")
        self.processes.clear()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                for pid in session_members(process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def local_bytes(self) -> list[Path]:
        """Files this host keeps outside its code: what a job could have left on its disk."""
        found = []
        for folder in (self.instance, self.tmp):
            if folder.exists():
                found += [path for path in folder.rglob("*") if path.is_file() and path.name != "secret_key"]
        return sorted(found)

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""
