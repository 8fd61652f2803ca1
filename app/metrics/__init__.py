"""Figures for operators: recorded in Redis by any process, served as Prometheus text by any web.

Web and worker processes run on many hosts, so nothing is kept in a process: histograms and
counters are Redis hashes every process adds to, gauges are read from the database and Redis
when ``GET /metrics`` is scraped, and each web process keeps its live-connection count in a
Redis hash that expires if the process dies. ``pools.py`` alone reads this process's own
connection pools, for the readiness check.
"""

from app.metrics.record import connection, count, observe, timed

__all__ = ["connection", "count", "observe", "timed"]
