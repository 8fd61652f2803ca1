"""The Flask extensions and the shared Redis client, created unbound and set up by create_app."""

from __future__ import annotations

import sqlite3
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import BlockingConnectionPool, Redis
from redis.connection import SSLConnection
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import QueuePool


class Base(DeclarativeBase):
    """Declarative base for the typed SQLAlchemy 2 models."""


class SockExtension(Protocol):
    """What Squeeze uses of flask-sock, which ships no types. ``route`` registers the view and
    returns None (the decorated name is not the view afterwards)."""

    def init_app(self, app: Flask) -> None: ...

    def route(
        self, path: str, bp: Blueprint | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., None]], None]: ...


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    Model = Base  # db.Model is made at runtime from Base and Flask-SQLAlchemy's mixins
else:
    Model = db.Model
migrate = Migrate()
sock: SockExtension = Sock()
csrf = CSRFProtect()
# Limits are declared where they apply (per owner on submit); counters live in Redis.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: object, _record: object) -> None:
    """WAL and a busy timeout, so web processes and workers write side by side."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class SharedContextSSLConnection(SSLConnection):
    """Redis over TLS with one SSL context per set of settings, shared by every connection.

    redis-py builds a context per connection, and building one loads the system's CA bundle:
    ~30 ms of CPU each time, paid again in every RQ work-horse (a fork opens new connections).
    A context made before the fork is reused by the children. Only the settings Squeeze uses
    (verification mode, host name check) take this path; any other TLS option goes to redis-py.
    """

    _contexts: ClassVar[dict[tuple[int, bool], ssl.SSLContext]] = {}
    _lock = threading.Lock()

    def _wrap_socket_with_ssl(self, sock: Any) -> Any:
        extras = (
            self.certfile,
            self.keyfile,
            self.ca_certs,
            self.ca_path,
            self.ca_data,
            self.ssl_min_version,
        )
        flags = (self.ssl_ciphers, self.ssl_include_verify_flags, self.ssl_exclude_verify_flags)
        if any(extras) or any(flags) or self.ssl_validate_ocsp or self.ssl_validate_ocsp_stapled:
            return super()._wrap_socket_with_ssl(sock)  # type: ignore[no-untyped-call]  # redis-py: untyped
        key = (int(self.cert_reqs), bool(self.check_hostname))
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = ssl.create_default_context()
                context.check_hostname = key[1]
                context.verify_mode = ssl.VerifyMode(key[0])
                self._contexts[key] = context
        return context.wrap_socket(sock, server_hostname=self.host)


def redis_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments for every Redis client of the app (ours, RQ's through it, the rate limiter's)."""
    options = dict(config["REDIS_OPTIONS"])
    if config["REDIS_URL"].startswith("rediss://"):
        options["connection_class"] = SharedContextSSLConnection
    return options


def init_redis(app: Flask) -> None:
    """One Redis client per process, kept on the app, with a bounded pool that waits briefly.

    Past REDIS_POOL_SIZE connections in use, a command waits up to REDIS_POOL_TIMEOUT_SECONDS
    for one to come back, then fails (a 503 for a request) instead of opening ever more.
    """
    pool = BlockingConnectionPool.from_url(
        app.config["REDIS_URL"],
        max_connections=app.config["REDIS_POOL_SIZE"],
        timeout=app.config["REDIS_POOL_TIMEOUT_SECONDS"],
        health_check_interval=30,
        socket_connect_timeout=5,
        **redis_options(app.config),
    )
    app.extensions["redis"] = Redis(connection_pool=pool)


def release_database() -> None:
    """End the session's transaction and hand its connection back to the pool.

    Called before anything that waits on a client (a request body streaming in, an event
    stream, a long poll), so a slow client never holds a database connection. The next
    query checks one out again.
    """
    db.session.close()


def pool_usage(app: Flask) -> dict[str, tuple[int, int]]:
    """{"database": (in use, most), "redis": (in use, most)} for this process, as far as known."""
    usage: dict[str, tuple[int, int]] = {}
    pool = db.engine.pool
    if isinstance(pool, QueuePool):
        usage["database"] = (pool.checkedout(), pool.size() + max(pool._max_overflow, 0))
    redis_pool = app.extensions["redis"].connection_pool
    if isinstance(redis_pool, BlockingConnectionPool):
        idle = sum(1 for connection in list(redis_pool.pool.queue) if connection is not None)
        usage["redis"] = (len(redis_pool._connections) - idle, redis_pool.max_connections)
    return usage


def redis_client() -> Redis:
    """The current app's Redis client."""
    client: Redis = current_app.extensions["redis"]
    return client
