"""gunicorn's settings for the web process: ``gunicorn -c app/webserver.py wsgi:app``.

Loaded by path, not as ``python:app.webserver``: importing the ``app`` package in gunicorn's
master would load ssl and threading before the gevent worker patches them.

One place for the Procfile, ``make run``, the tests and the benchmarks; flags on the command
line (``-w``, ``-b``) override these.
"""

import gc
import importlib.util
import json
import os
import socket
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import gunicorn.util

# Streams (WebSocket, SSE, long poll) each hold a connection for minutes: greenlets, not threads.
worker_class = "gevent"
# Connections one web process accepts at once (its sockets, streams and uploads together).
worker_connections = 2000
# gunicorn 27's admin socket has one default path per user: two servers on one host would
# take it from each other, and Squeeze does not use it.
control_socket_disable = True
# The access log's line: gunicorn's default without the query string, where the signatures of
# part URLs travel (a log line must not be a credential): "%(m)s %(U)s %(H)s", not "%(r)s".
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
# Seconds a stopping worker lets requests finish (a deploy); streams are resumed by clients.
graceful_timeout = 10
# The collector in a web process: CPython's young-generation thresholds (700, 10), and a full
# collection after 100 of the middle generation's instead of 10. Each open stream keeps a few
# hundred objects alive, so with 1,000 sockets a full collection walks ~300,000 objects and
# stalls every stream for ~100 ms; the objects a waiting stream holds (its timer, the document
# it last sent) reach the old generation round after round, and at 10 one ran every few
# seconds of traffic.
GC_THRESHOLDS = (700, 10, 100)


def _problems() -> ModuleType:
    """``app/problems.py`` alone (it imports nothing of the app): the package would load ssl and
    threading in gunicorn's master, before the gevent worker patches them."""
    spec = importlib.util.spec_from_file_location("squeeze_problems", Path(__file__).with_name("problems.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_http_problem = _problems().http_problem


def write_problem(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """What gunicorn refuses before the app sees the request (a request line or headers past its
    limits, a line it cannot parse) as problem+json, as every other error, not its HTML page."""
    body = json.dumps(_http_problem(status, message or reason).body())  # ASCII: JSON escapes the rest
    head = f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
    gunicorn.util.write_nonblock(sock, f"{head}Content-Length: {len(body)}\r\n\r\n{body}".encode("latin-1"))


gunicorn.util.write_error = write_problem  # the workers, forked from this process, write theirs so


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the app: set the collector up for a process of many streams."""
    gc.collect()
    gc.freeze()  # the app's own objects (modules, routes, mappings) last as long as the process
    gc.set_threshold(*GC_THRESHOLDS)


def on_starting(server: Any) -> None:
    """Refuse to serve from several processes without a shared SECRET_KEY.

    Each process would make a random key of its own: a session, CSRF token or signed part
    URL made by one would fail on the others, at random, depending on which answers.
    """
    if server.cfg.workers > 1 and not os.environ.get("SECRET_KEY"):
        sys.exit(
            f"SECRET_KEY is not set, and {server.cfg.workers} web processes would each make their own: "
            "sessions, CSRF tokens and upload URLs would fail between them. Set SECRET_KEY "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), or run one process (-w 1)."
        )
