"""``make run``: one command serves Squeeze, on this machine only unless HOST says otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from app import ROOT
from app.embedded_redis import EmbeddedRedis, free_port

START_SECONDS = 60


def _listening(port: int) -> set[str]:
    """The addresses a socket listens on at ``port`` (IPv4, from the kernel's own table)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, at = local.split(":")
        if state == "0A" and int(at, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_make_run_serves_this_machine_only_and_stops_on_sigterm(tmp_path: Path) -> None:
    """It bound every interface, so an API without keys was open to the whole network."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "STORAGE_URL": (tmp_path / "storage").as_uri(),
        "SCRATCH_DIR": str(tmp_path / "scratch"),
        "SECRET_KEY": "devserver-test",
    }
    env.pop("HOST", None)
    redis = EmbeddedRedis().start()
    try:
        env["REDIS_URL"] = redis.url
        command = [sys.executable, "-m", "app.devserver"]
        output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        run = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **output)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _listening(port):
                assert run.poll() is None and time.monotonic() < deadline, "make run did not start serving"
                time.sleep(0.2)
            assert _listening(port) == {"127.0.0.1"}
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:  # a busy machine may take a while over the first answer: asked again until the deadline
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "make run never got ready"
                time.sleep(0.2)
        finally:
            os.killpg(run.pid, signal.SIGTERM)
            said = run.communicate(timeout=60)[0].decode()  # its children stop within 10 s
    finally:
        redis.stop()
    assert run.returncode == 0, said
    assert f"serving on http://127.0.0.1:{port}/" in said and "squeeze: stopped" in said
    assert not _listening(port)
