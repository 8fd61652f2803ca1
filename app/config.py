"""Configuration, read from the environment in this one place.

Every setting the contract names is here with its default. The rest of the app receives
these values through ``app.config``; nothing else reads ``os.environ`` (boto3 alone finds
its credentials itself, from the standard ``AWS_*`` variables or the host's role).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.units import whole_number


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable and what it got."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str, default: str = "") -> list[str]:
    raw = env.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _ints(env: Mapping[str, str], name: str, default: str) -> list[int]:
    items = _list(env, name, default)
    numbers = [whole_number(item) for item in items]
    if None in numbers:
        raise ConfigError(f"{name} must be comma-separated whole seconds, got {env.get(name)!r}")
    return [number for number in numbers if number is not None]


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the app's settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    instance = Path(instance_path)
    max_upload_mb = _int(env, "MAX_UPLOAD_MB", 2048)
    redis_url = env.get("REDIS_URL") or _embedded_redis_url(instance) or "redis://127.0.0.1:6379/0"
    redis_options = _redis_options(redis_url, env.get("REDIS_SSL_CERT_REQS", ""))
    return {
        # Signs the browser session cookie and CSRF tokens. A random one per process
        # when unset: fine for a single local process, set it for any real deploy.
        "SECRET_KEY": env.get("SECRET_KEY") or os.urandom(32).hex(),
        "SECRET_KEY_IS_RANDOM": not env.get("SECRET_KEY"),
        # The job records: SQLite in the instance folder, or PostgreSQL (postgres:// as
        # Heroku spells it, or postgresql://) through psycopg 3.
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance),
        # Redis for the RQ queues, the event pub/sub, rate limits and idempotency claims.
        # `make run` starts an embedded one. rediss:// is Redis over TLS.
        "REDIS_URL": redis_url,
        # Extra arguments for every Redis client: REDIS_SSL_CERT_REQS=none accepts a managed
        # Redis whose certificate is self-signed (Heroku's); the default verifies it.
        "REDIS_OPTIONS": redis_options,
        # Where a job's bytes live: file:///absolute/path (one machine; STORAGE_DIR means the
        # same) or s3://bucket/prefix (any S3-compatible store, shared by every host).
        "STORAGE_URL": storage_url(env, instance),
        # A non-AWS S3 endpoint (SeaweedFS, MinIO, R2...), and the one browsers and API
        # clients reach for presigned URLs when it differs (default: S3_ENDPOINT_URL).
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_PUBLIC_ENDPOINT_URL": env.get("S3_PUBLIC_ENDPOINT_URL") or env.get("S3_ENDPOINT_URL") or None,
        "AWS_REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        # This host's own disk: upload spools of web requests, one folder per worker attempt.
        # Nothing in it outlives its request or attempt; orphans of a crash are swept at start.
        "SCRATCH_DIR": env.get("SCRATCH_DIR") or str(instance / "scratch"),
        # Largest accepted upload, in MiB (also the cap on source_url downloads).
        "MAX_UPLOAD_MB": max_upload_mb,
        # Uploads one client (API key, browser session, or address when the API is open) may
        # stream at once, across every web process; past it: 429 with Retry-After.
        "MAX_UPLOADS_PER_CLIENT": _int(env, "MAX_UPLOADS_PER_CLIENT", 8),
        # An upload that sends no byte for this long is dropped (its slot and spool freed).
        "UPLOAD_IDLE_TIMEOUT_SECONDS": _int(env, "UPLOAD_IDLE_TIMEOUT_SECONDS", 60),
        # Resumable uploads (POST /api/uploads): an unfinished one is aborted, its parts
        # removed, this long after it began; parts are this size (at least 5, S3's minimum).
        "UPLOAD_TTL_HOURS": _float(env, "UPLOAD_TTL_HOURS", 24),
        "UPLOAD_PART_MB": max(_int(env, "UPLOAD_PART_MB", 8), 5),
        # The "Fit under" sizes the page offers, in MB (beside "no limit" and a custom value):
        # common limits of messengers and mail.
        "FIT_SIZES_MB": _ints(env, "FIT_SIZES_MB", "10,25,50,100"),
        # Comma-separated bearer keys for API clients; empty with no CLI keys = open API.
        "API_KEYS": _list(env, "API_KEYS"),
        # Comma-separated bearer keys of operators: /admin and /api/admin/... answer only them
        # (anyone else gets 404 there). Empty (the default) turns the console off.
        "ADMIN_KEYS": _list(env, "ADMIN_KEYS"),
        # Standard Webhooks signing secret (whsec_...); callback_url is refused without it.
        "WEBHOOK_SECRET": env.get("WEBHOOK_SECRET", ""),
        # 1 lets webhooks and source URLs reach loopback/private addresses (local use, tests).
        "WEBHOOK_ALLOW_PRIVATE": _flag(env, "WEBHOOK_ALLOW_PRIVATE"),
        # Seconds between webhook delivery attempts.
        "WEBHOOK_RETRY_DELAYS": _ints(env, "WEBHOOK_RETRY_DELAYS", "5,30,120,600,1800,3600,10800,21600"),
        # ffmpeg to run; empty means the static build bundled by imageio-ffmpeg.
        "FFMPEG_BINARY": env.get("FFMPEG_BINARY", ""),
        # Outputs and inputs are deleted this long after a job finishes.
        "OUTPUT_TTL_HOURS": _float(env, "OUTPUT_TTL_HOURS", 24),
        # Job records (and their idempotency keys) are deleted this long after finishing.
        "JOB_TTL_DAYS": _float(env, "JOB_TTL_DAYS", 7),
        # Hard limit on one compression attempt.
        "JOB_TIMEOUT_MINUTES": _int(env, "JOB_TIMEOUT_MINUTES", 120),
        # Videos beyond these are refused at submit (422) rather than tying up a worker for
        # hours: pixels a frame (default 8K, 7680×4320) and minutes of running time.
        "MAX_PIXELS": _int(env, "MAX_PIXELS", 7680 * 4320),
        "MAX_DURATION_MINUTES": _int(env, "MAX_DURATION_MINUTES", 240),
        # Address space one ffmpeg may use (RLIMIT_AS). A 4K AV1 encode on 2 cores peaks near
        # 3 GB; more cores mean more threads: raise it on big hosts that take 8K videos.
        "FFMPEG_MEMORY_MB": _int(env, "FFMPEG_MEMORY_MB", 8192),
        # The largest output file ffmpeg may write (RLIMIT_FSIZE); default: MAX_UPLOAD_MB.
        "MAX_OUTPUT_MB": _int(env, "MAX_OUTPUT_MB", max_upload_mb),
        # Times a worker may start a job before it fails for good (worker deaths, stalls).
        "JOB_MAX_ATTEMPTS": _int(env, "JOB_MAX_ATTEMPTS", 3),
        # A video at least SEGMENT_MIN_SECONDS long is encoded in segments of about
        # SEGMENT_SECONDS, each by whichever worker is free, on any host (app/work/segments.py).
        "SEGMENT_SECONDS": _float(env, "SEGMENT_SECONDS", 30),
        "SEGMENT_MIN_SECONDS": _float(env, "SEGMENT_MIN_SECONDS", 60),
        # A worker that has not said it is alive for this long is gone: its job (or the segment
        # it held) is started again elsewhere. It says so every quarter of this.
        "LEASE_SECONDS": _float(env, "LEASE_SECONDS", 20),
        # How often the upkeep (requeue what a lost worker held, expire outputs and uploads)
        # runs; one pass per interval across all workers. Lower means faster recovery.
        "MAINTENANCE_SECONDS": _int(env, "MAINTENANCE_SECONDS", 15),
        # An ffmpeg that reports no progress for this long is killed.
        "STALL_TIMEOUT_SECONDS": _int(env, "STALL_TIMEOUT_SECONDS", 300),
        # Submissions per owner (HTTP 429 with Retry-After past it), counted in Redis.
        "SUBMIT_RATE_LIMIT": env.get("SUBMIT_RATE_LIMIT", "60 per minute"),
        "RATELIMIT_STORAGE_URI": redis_url,  # with the same options as every Redis client
        # GET /metrics (Prometheus text) answers only with 'Authorization: Bearer <token>';
        # empty (the default) turns the route off (404).
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # WebSocket pings keep idle sockets open through proxies (Heroku closes at 55 s idle).
        "SOCK_SERVER_OPTIONS": {"ping_interval": _int(env, "WS_PING_SECONDS", 25)},
        # Database connections per process: a request holds one only while it queries (never
        # while a body streams in or a stream waits), so a few serve thousands of connections.
        # A request that finds them all busy for DATABASE_POOL_TIMEOUT_SECONDS gets a 503.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "pool_size": _int(env, "DATABASE_POOL_SIZE", 20),
            # Beyond the pool: connections opened for a burst and closed after (churn: TLS,
            # authentication). None by default: twenty kept connections serve a gevent process.
            "max_overflow": _int(env, "DATABASE_POOL_OVERFLOW", 0),
            "pool_timeout": _float(env, "DATABASE_POOL_TIMEOUT_SECONDS", 2),
        },
        # Redis connections per process (commands hold one for a round trip; the event hub one
        # for good), and how long a command waits for a free one before a 503.
        "REDIS_POOL_SIZE": _int(env, "REDIS_POOL_SIZE", 50),
        "REDIS_POOL_TIMEOUT_SECONDS": _float(env, "REDIS_POOL_TIMEOUT_SECONDS", 2),
        # How long a command waits for Redis's answer: one that stopped answering (a paused or
        # swapping server) fails a request as 503 after this, instead of holding it. The event
        # listener, which waits on purpose, and RQ's workers (which set their own, longer than
        # their waits on the queues) do without it.
        "REDIS_SOCKET_TIMEOUT_SECONDS": _float(env, "REDIS_SOCKET_TIMEOUT_SECONDS", 5),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked explicitly where a session acts
    }


# Where ``make run`` writes the address of the Redis it started (a free port), while it runs: a
# ``flask keys revoke`` in another shell then reaches the same one (and ends the key's streams).
EMBEDDED_REDIS_FILE = "embedded-redis.url"


def _embedded_redis_url(instance: Path) -> str | None:
    try:
        return (instance / EMBEDDED_REDIS_FILE).read_text().strip() or None
    except OSError:
        return None


def database_url(url: str | None, instance: Path) -> str:
    """SQLAlchemy's URL for DATABASE_URL: SQLite by default; PostgreSQL through psycopg 3."""
    if not url:
        return f"sqlite:///{instance / 'squeeze.sqlite3'}"
    for spelling in ("postgres://", "postgresql://"):  # SQLAlchemy would pick psycopg2 for these
        if url.startswith(spelling):
            return "postgresql+psycopg://" + url[len(spelling) :]
    return url


def storage_url(env: Mapping[str, str], instance: Path) -> str:
    """STORAGE_URL, else STORAGE_DIR as a file:// URL, else the instance folder's storage."""
    url = env.get("STORAGE_URL", "").strip()
    if url:
        if not url.startswith(("file:///", "s3://")):
            raise ConfigError(f"STORAGE_URL must be file:///absolute/path or s3://bucket/prefix, got {url!r}")
        return url
    folder = Path(env.get("STORAGE_DIR") or instance / "storage").resolve()
    return folder.as_uri()


def _redis_options(url: str, cert_reqs: str) -> dict[str, Any]:
    if not url.startswith("rediss://"):
        return {}
    choice = cert_reqs.strip().lower() or "required"
    if choice not in {"none", "optional", "required"}:
        raise ConfigError(f"REDIS_SSL_CERT_REQS must be none, optional or required, got {cert_reqs!r}")
    return {"ssl_cert_reqs": choice}
