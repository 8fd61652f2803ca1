"""The Flask extensions and the shared Redis client, created unbound and set up by create_app."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for the typed SQLAlchemy 2 models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
sock = Sock()
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


def init_redis(app: Flask) -> None:
    """One Redis client (and connection pool) per process, kept on the app."""
    app.extensions["redis"] = Redis.from_url(
        app.config["REDIS_URL"],
        health_check_interval=30,
        socket_connect_timeout=5,
        **app.config["REDIS_OPTIONS"],
    )


def redis_client() -> Redis:
    """The current app's Redis client."""
    return current_app.extensions["redis"]
