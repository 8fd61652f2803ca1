"""``make run``: Redis (embedded unless REDIS_URL is set), the schema, one web process, one worker.

Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from app import ROOT
from app.embedded_redis import EmbeddedRedis


def main() -> int:
    env = dict(os.environ)
    port = env.setdefault("PORT", "5000")
    env.setdefault("SECRET_KEY", _local_secret())
    redis = None
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis().start()
        env["REDIS_URL"] = redis.url
        print(f"squeeze: started an embedded Redis at {redis.url}", flush=True)
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, check=True, cwd=ROOT
        )
        # Children get sessions of their own: Ctrl-C reaches only us, and we stop them in order
        # with SIGTERM (the graceful signal for gunicorn and RQ alike).
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "app/webserver.py",
            "-w",
            "1",
            "-b",
            f"0.0.0.0:{port}",
        ]
        for args in ([sys.executable, "worker.py"], [*web, "--access-logfile", "-", "wsgi:app"]):
            children.append(subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True))
        print(f"squeeze: serving on http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        if redis is not None:
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
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    sys.exit(main())
