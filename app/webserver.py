"""gunicorn's settings for the web process: ``gunicorn -c app/webserver.py wsgi:app``.

Loaded by path, not as ``python:app.webserver``: importing the ``app`` package in gunicorn's
master would load ssl and threading before the gevent worker patches them.

One place for the Procfile, ``make run``, the tests and the benchmarks; flags on the command
line (``-w``, ``-b``) override these.
"""

# Streams (WebSocket, SSE, long poll) each hold a connection for minutes: greenlets, not threads.
worker_class = "gevent"
# Connections one web process accepts at once (its sockets, streams and uploads together).
worker_connections = 2000
# gunicorn 27's admin socket has one default path per user: two servers on one host would
# take it from each other, and Squeeze does not use it.
control_socket_disable = True
# Seconds a stopping worker lets requests finish (a deploy); streams are resumed by clients.
graceful_timeout = 10
