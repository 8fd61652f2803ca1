"""gunicorn's settings: several web processes without a shared SECRET_KEY refuse to start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app import ROOT
from app.embedded_redis import free_port


@pytest.mark.slow
def test_several_processes_without_a_secret_key_refuse_to_start() -> None:
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    args = [sys.executable, "-m", "gunicorn", "-c", "app/webserver.py", "-w", "2"]
    args += ["-b", f"127.0.0.1:{free_port()}", "wsgi:app"]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr
