"""gunicorn's settings: several web processes without a shared SECRET_KEY refuse to start; the
access log keeps no query string; gunicorn's own refusals are problem+json."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from app import ROOT
from app.embedded_redis import free_port
from tests.live.stack import serves, wait_until


@pytest.mark.slow
def test_several_processes_without_a_secret_key_refuse_to_start() -> None:
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    args = [sys.executable, "-m", "gunicorn", "-c", "app/webserver.py", "-w", "2"]
    args += ["-b", f"127.0.0.1:{free_port()}", "wsgi:app"]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


@pytest.mark.slow
def test_the_access_log_leaves_out_query_strings_and_refusals_are_problems(tmp_path: Path) -> None:
    """Signed part URLs carry their signature in the query: it never reaches a log line. What
    gunicorn refuses itself (a path or headers past its limits) is problem+json, as the app's."""
    port, log = free_port(), tmp_path / "access.log"
    args = [sys.executable, "-m", "gunicorn", "-c", "app/webserver.py", "-w", "1", "-b", f"127.0.0.1:{port}"]
    args += ["--access-logfile", str(log), "wsgi:app"]
    env = {**os.environ, "SECRET_KEY": "access-log-test", "REDIS_URL": "redis://127.0.0.1:9/0"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["STORAGE_URL"], env["SCRATCH_DIR"] = (tmp_path / "store").as_uri(), str(tmp_path / "scratch")
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/healthz?signature=s3cr3t-signature&expires=1"
        wait_until(lambda: serves(url), 30, "gunicorn to answer")
        wait_until(
            lambda: "/healthz" in log.read_text() if log.exists() else False, 10, "the access log line"
        )
        base = f"http://127.0.0.1:{port}"
        refusals = {
            "uri_too_long": requests.get(f"{base}/{'a' * 9000}", timeout=10),
            "headers_too_large": requests.get(f"{base}/healthz", headers={"X-Big": "b" * 20_000}, timeout=10),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "s3cr3t-signature" not in log.read_text()
    for code, refused in refusals.items():
        assert refused.status_code in (414, 431)
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == code and refused.json()["status"] == refused.status_code
