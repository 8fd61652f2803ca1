"""gunicorn's settings for the web process: ``gunicorn -c app/webserver.py wsgi:app``.

Loaded by path, not as ``python:app.webserver``: importing the ``app`` package in gunicorn's
master would load ssl and threading before the gevent worker patches them.

One place for the Procfile, ``make run``, the tests and the benchmarks; flags on the command
line (``-w``, ``-b``) override these.
"""

import gc

# Streams (WebSocket, SSE, long poll) each hold a connection for minutes: greenlets, not threads.
worker_class = "gevent"
# Connections one web process accepts at once (its sockets, streams and uploads together).
worker_connections = 2000
# gunicorn 27's admin socket has one default path per user: two servers on one host would
# take it from each other, and Squeeze does not use it.
control_socket_disable = True
# Seconds a stopping worker lets requests finish (a deploy); streams are resumed by clients.
graceful_timeout = 10
# The collector in a web process: CPython's young-generation thresholds (700, 10), and a full
# collection after 100 of the middle generation's instead of 10. Each open stream keeps a few
# hundred objects alive, so with 1,000 sockets a full collection walks ~300,000 objects and
# stalls every stream for ~100 ms; the objects a waiting stream holds (its timer, the document
# it last sent) reach the old generation round after round, and at 10 one ran every few
# seconds of traffic.
GC_THRESHOLDS = (700, 10, 100)


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the app: set the collector up for a process of many streams."""
    gc.collect()
    gc.freeze()  # the app's own objects (modules, routes, mappings) last as long as the process
    gc.set_threshold(*GC_THRESHOLDS)
