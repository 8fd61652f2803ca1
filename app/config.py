"""Configuration, read from the environment in this one place.

Every setting the contract names is here with its default. The rest of the app receives
these values through ``app.config``; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


def _list(env: Mapping[str, str], name: str, default: str = "") -> list[str]:
    raw = env.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Build the app's settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    instance = Path(instance_path)
    max_upload_mb = _int(env, "MAX_UPLOAD_MB", 2048)
    return {
        # Signs the browser session cookie and CSRF tokens. A random one per process
        # when unset: fine for a single local process, set it for any real deploy.
        "SECRET_KEY": env.get("SECRET_KEY") or os.urandom(32).hex(),
        "SECRET_KEY_IS_RANDOM": not env.get("SECRET_KEY"),
        # The job records. Heroku-style postgres:// URLs are accepted as given.
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL"), instance),
        # Redis for the RQ queues and the event pub/sub. `make run` starts an embedded one.
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Inputs, outputs and upload spools, one folder per job.
        "STORAGE_DIR": env.get("STORAGE_DIR") or str(instance / "storage"),
        # Largest accepted upload, in MiB (also the cap on source_url downloads).
        "MAX_UPLOAD_MB": max_upload_mb,
        "MAX_CONTENT_LENGTH": max_upload_mb * 1024 * 1024 + 1024 * 1024,  # + room for the form
        # Comma-separated bearer keys for API clients; empty with no CLI keys = open API.
        "API_KEYS": _list(env, "API_KEYS"),
        # Standard Webhooks signing secret (whsec_...); webhooks are unsigned-refused without it.
        "WEBHOOK_SECRET": env.get("WEBHOOK_SECRET", ""),
        # 1 lets webhooks and source URLs reach loopback/private addresses (local use, tests).
        "WEBHOOK_ALLOW_PRIVATE": _flag(env, "WEBHOOK_ALLOW_PRIVATE"),
        # Seconds between webhook delivery attempts.
        "WEBHOOK_RETRY_DELAYS": [
            int(x) for x in _list(env, "WEBHOOK_RETRY_DELAYS", "5,30,120,600,1800,3600,10800,21600")
        ],
        # ffmpeg to run; empty means the static build bundled by imageio-ffmpeg.
        "FFMPEG_BINARY": env.get("FFMPEG_BINARY", ""),
        # Outputs and inputs are deleted this long after a job finishes.
        "OUTPUT_TTL_HOURS": _float(env, "OUTPUT_TTL_HOURS", 24),
        # Job records (and their idempotency keys) are deleted this long after finishing.
        "JOB_TTL_DAYS": _float(env, "JOB_TTL_DAYS", 7),
        # Hard limit on one compression attempt.
        "JOB_TIMEOUT_MINUTES": _int(env, "JOB_TIMEOUT_MINUTES", 120),
        # Times a worker may start a job before it fails for good (worker deaths, stalls).
        "JOB_MAX_ATTEMPTS": _int(env, "JOB_MAX_ATTEMPTS", 3),
        # An ffmpeg that reports no progress for this long is killed.
        "STALL_TIMEOUT_SECONDS": _int(env, "STALL_TIMEOUT_SECONDS", 300),
        # Submissions per owner (HTTP 429 with Retry-After past it), counted in Redis.
        "SUBMIT_RATE_LIMIT": env.get("SUBMIT_RATE_LIMIT", "60 per minute"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # WebSocket pings keep idle sockets open through proxies (Heroku closes at 55 s idle).
        "SOCK_SERVER_OPTIONS": {"ping_interval": _int(env, "WS_PING_SECONDS", 25)},
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked explicitly where a session acts
    }


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'squeeze.sqlite3'}"
    if url.startswith("postgres://"):  # Heroku's spelling; SQLAlchemy 2 wants postgresql://
        return "postgresql://" + url[len("postgres://") :]
    return url
