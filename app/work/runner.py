"""Start RQ workers with the app context around every job.

``python worker.py`` serves the compression queue and runs a second worker process for
webhook deliveries, so a slow receiver never holds up a compression.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from rq import Worker

from app import create_app
from app.extensions import redis_client
from app.jobs.queue import COMPRESS_QUEUE, WEBHOOK_QUEUE

WORKER_TTL_SECONDS = 35  # a dead worker is noticed by others within this (RQ's default: 420)
MAINTENANCE_INTERVAL_SECONDS = 30  # how often RQ cleans its registries (RQ's default: 600)


def serve(queues: list[str], burst: bool = False) -> bool:
    """Run one RQ worker on ``queues`` until stopped (or, with ``burst``, until they are empty)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s")
    app = create_app()  # once, before RQ forks a work-horse per job
    with app.app_context():
        worker = Worker(
            queues,
            connection=redis_client(),
            worker_ttl=WORKER_TTL_SECONDS,
            maintenance_interval=MAINTENANCE_INTERVAL_SECONDS,
        )
        return worker.work(burst=burst, with_scheduler=True)


def run_worker() -> None:
    """The compression worker here, the webhook worker in a child process."""
    webhooks = subprocess.Popen([sys.executable, "-m", "app.work.runner", WEBHOOK_QUEUE])
    try:
        serve([COMPRESS_QUEUE])
    finally:
        webhooks.terminate()
        try:
            webhooks.wait(timeout=15)
        except subprocess.TimeoutExpired:
            webhooks.kill()


if __name__ == "__main__":
    serve(sys.argv[1:] or [COMPRESS_QUEUE, WEBHOOK_QUEUE])
