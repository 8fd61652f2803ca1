"""The Flask extensions and the shared Redis client, created unbound and set up by create_app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import BlockingConnectionPool, Redis
from sqlalchemy.orm import DeclarativeBase

from app.redis_tls import SharedContextSSLConnection


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


def release_database() -> None:
    """End the session's transaction and hand its connection back to the pool.

    Called before anything that waits on a client (a request body streaming in, an event
    stream, a long poll), so a slow client never holds a database connection. The next
    query checks one out again.
    """
    db.session.close()


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
        socket_timeout=app.config["REDIS_SOCKET_TIMEOUT_SECONDS"],
        **redis_options(app.config),
    )
    app.extensions["redis"] = Redis(connection_pool=pool)


def redis_client() -> Redis:
    """The current app's Redis client."""
    client: Redis = current_app.extensions["redis"]
    return client
