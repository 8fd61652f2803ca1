"""The Prometheus view: figures read from the database and Redis when /metrics is scraped.

Reading shared state (not a process's memory) makes the answer the same whichever web
process, on whichever host, serves the scrape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from redis import Redis
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import queue
from app.jobs.models import STATUSES, Job, Status
from app.metrics import record


class SqueezeCollector(Collector):
    """Jobs by status, queues, compression and storage timings, webhooks, live streams."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def collect(self) -> Iterator[Metric]:
        yield self._jobs()
        depth = GaugeMetricFamily("squeeze_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
        age = GaugeMetricFamily(
            "squeeze_queue_oldest_age_seconds",
            "Seconds the job at the head of each queue has waited",
            labels=["queue"],
        )
        for name in queue.QUEUE_NAMES:
            waiting, oldest = queue.depth_and_age(self._redis, name)
            depth.add_metric([name], waiting)
            age.add_metric([name], oldest)
        yield depth
        yield age
        yield from self._histograms()
        for name, series in record.read_counters(self._redis).items():
            label_names = _label_names(series)
            counter = CounterMetricFamily(f"squeeze_{name}", record.COUNTERS[name], labels=label_names)
            for labels, value in sorted(series.items()):
                counter.add_metric(_label_values(labels, label_names), value)
            yield counter
        live = GaugeMetricFamily(
            "squeeze_live_connections", "Open event streams on all web processes", labels=["kind"]
        )
        for kind, value in record.read_connections(self._redis).items():
            live.add_metric([kind], value)
        yield live

    def _jobs(self) -> Metric:
        counted = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        rows: dict[Status, int] = {status: number for status, number in counted}
        db.session.remove()
        jobs = GaugeMetricFamily("squeeze_jobs", "Job records by status", labels=["status"])
        for status in STATUSES:
            jobs.add_metric([status], rows.get(status, 0))
        return jobs

    def _histograms(self) -> Iterator[Metric]:
        for name, series in record.read_histograms(self._redis).items():
            help_text, bounds = record.HISTOGRAMS[name]
            label_names = _label_names(series)
            family = HistogramMetricFamily(f"squeeze_{name}", help_text, labels=label_names)
            for labels, entry in sorted(series.items()):
                cumulative, buckets = 0, []
                for bound in [*bounds, float("inf")]:
                    cumulative += entry["buckets"].get(record.bucket_name(bound), 0)
                    buckets.append((floatToGoString(bound), cumulative))
                family.add_metric(_label_values(labels, label_names), buckets, entry["sum"])
            yield family


def _label_names(series: Mapping[str, object]) -> list[str]:
    names: set[str] = set()
    for labels in series:
        names.update(part.split("=", 1)[0] for part in labels.split(",") if part)
    return sorted(names)


def _label_values(labels: str, names: list[str]) -> list[str]:
    pairs = dict(part.split("=", 1) for part in labels.split(",") if part)
    return [pairs.get(name, "") for name in names]
