"""``make run``: Redis (embedded unless REDIS_URL is set), the schema, one web process, one worker.

Ctrl-C stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from app import ROOT
from app.config import EMBEDDED_REDIS_FILE
from app.embedded_redis import EmbeddedRedis

# Where ``make run`` listens unless HOST says otherwise: this machine alone. An API without keys
# is open to anyone who reaches it; HOST=0.0.0.0 serves the network (create a key first).
LOCAL_ONLY = "127.0.0.1"


def web_command(host: str, port: str) -> list[str]:
    """The one web process ``make run`` starts, on ``host``:``port``."""
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "app/webserver.py", "-w", "1", "-b", f"{host}:{port}"]
    return [*gunicorn, "--access-logfile", "-", "wsgi:app"]


def main() -> int:
    env = dict(os.environ)
    port = env.setdefault("PORT", "5000")
    env.setdefault("SECRET_KEY", _local_secret())
    redis = None
    announced = ROOT / "instance" / EMBEDDED_REDIS_FILE  # for the flask commands of other shells
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis().start()
        env["REDIS_URL"] = redis.url
        announced.parent.mkdir(parents=True, exist_ok=True)
        announced.write_text(redis.url)
        print(f"squeeze: started an embedded Redis at {redis.url}", flush=True)
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, check=True, cwd=ROOT
        )
        # Children get sessions of their own: Ctrl-C reaches only us, and we stop them in order
        # with SIGTERM (the graceful signal for gunicorn and RQ alike).
        host = env.get("HOST", LOCAL_ONLY)
        web = web_command(host, port)
        for args in ([sys.executable, "worker.py"], web):
            children.append(subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True))
        print(f"squeeze: serving on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        if redis is not None:
            announced.unlink(missing_ok=True)
            redis.stop()
        print("squeeze: stopped", flush=True)


def _local_secret() -> str:
    """A SECRET_KEY kept in the instance folder, so sessions survive restarts of `make run`."""
    path = ROOT / "instance" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return Path(path).read_text().strip()


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child's whole process group (gunicorn's workers, the webhook worker a
    worker forks), then SIGKILL to what is left after 10 s: nothing outlives ``make run``."""
    for child in children:
        if child.poll() is None:
            _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _signal_group(child, signal.SIGKILL)  # its own children, if any stayed behind


def _signal_group(child: subprocess.Popen[bytes], sent: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sent)  # its session's group: started with start_new_session


if __name__ == "__main__":
    sys.exit(main())
