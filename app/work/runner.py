"""Start RQ workers with the app context around every job.

``python worker.py`` serves the compression queue (then the segments of split jobs) and
runs a second worker process for webhook deliveries, so a slow receiver never holds up a
compression.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys
from types import FrameType

from rq import Worker

from app import create_app
from app.extensions import redis_client
from app.jobs.queue import COMPRESS_QUEUE, SEGMENT_QUEUE, WEBHOOK_QUEUE
from app.work import maintenance
from app.work.intake import PausableQueue

WORKER_TTL_SECONDS = 35  # a dead worker's RQ key expires within this (RQ's default: 420)
# How long the thread listening for RQ's commands (stop a job, shut down) waits for one before
# looking again. RQ's 60 s made a stopping worker wait up to a minute for that thread to let go
# of its connection (seen with TLS Redis under load): a SIGTERM must end a worker in seconds.
COMMAND_LISTEN_SECONDS = 1.0
# RQ logs each cleaning of its registries at INFO, one line per queue: at its own default cadence
# (600 s) a line now and then, at Squeeze's upkeep's (MAINTENANCE_SECONDS: 15 s) twelve a minute
# from every host, which buried what an operator reads the log for.
UPKEEP_LINES = ("Worker %s: cleaning registries for queue: %s", "Worker %s: cleaning group registries")


def quiet_upkeep(record: logging.LogRecord) -> bool:
    """A filter for RQ's worker log: every line but those of its registries' cleaning."""
    return record.msg not in UPKEEP_LINES


class SqueezeWorker(Worker):
    """An RQ worker that also runs Squeeze's upkeep and hands its job back on SIGTERM."""

    def run_maintenance_tasks(self) -> None:
        """RQ's upkeep and Squeeze's; none once a stop is asked for. RQ's would start its
        scheduler again (the stop ended it while the last job ran), and the worker's exit would
        then wait on that process for ever: a SIGTERM that never ends the worker."""
        if self._stop_requested:
            return
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]  # rq: unannotated
        maintenance.run_if_due(self.connection)

    @property
    def dequeue_timeout(self) -> int:
        """An idle worker waits on its queues no longer than the upkeep interval, so the upkeep
        runs when due (RQ looks only between waits, which last ``worker_ttl - 15`` s)."""
        return max(1, min(super().dequeue_timeout, int(self.maintenance_interval)))

    def subscribe(self) -> None:
        """RQ's subscription to this worker's command channel, with a thread that wakes every
        COMMAND_LISTEN_SECONDS (see there)."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # rq types it None
            sleep_time=COMMAND_LISTEN_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Warm shutdown, but first tell the work-horse: it stops ffmpeg and requeues its job."""
        horse = getattr(self, "horse_pid", 0)
        if horse:
            with contextlib.suppress(ProcessLookupError):
                os.kill(horse, signal.SIGTERM)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]  # rq: unannotated


def serve(queues: list[str], burst: bool = False) -> bool:
    """Run one worker on ``queues`` until stopped (or, with ``burst``, until they are empty)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("rq.worker").addFilter(quiet_upkeep)
    app = create_app()  # once, before RQ forks a work-horse per job
    with app.app_context():
        connection = redis_client()
        # RQ gives its connection a timeout longer than its waits on the queues (a BLPOP of up
        # to the upkeep interval) when it has none: a web request's would cut those waits short.
        connection.connection_pool.connection_kwargs.pop("socket_timeout", None)
        connection.connection_pool.disconnect()  # any made already had the short one
        worker = SqueezeWorker(
            queues,
            connection=connection,
            queue_class=PausableQueue,  # takes nothing from a queue whose intake is paused
            worker_ttl=WORKER_TTL_SECONDS,
            maintenance_interval=app.config["MAINTENANCE_SECONDS"],  # RQ's default: 600
        )
        # Everything loaded so far (Flask, SQLAlchemy, botocore's service models) lives as long
        # as the process: keep it out of the garbage collector's way. A work-horse's collections
        # would otherwise walk it, touching every page it shares with this process (copy-on-write):
        # ~140 ms of CPU per job with object storage.
        gc.collect()
        gc.freeze()
        return worker.work(burst=burst, with_scheduler=True)


def run_worker() -> None:
    """The compression worker here, the webhook worker in a child process.

    The child is forked before either creates its app (no thread, no connection yet): it starts
    with every module already imported, where a new interpreter spent ~1.5 s of CPU on them."""
    webhooks = multiprocessing.get_context("fork").Process(
        target=serve, args=([WEBHOOK_QUEUE],), name="webhooks"
    )
    webhooks.start()
    try:
        serve([COMPRESS_QUEUE, SEGMENT_QUEUE])  # in this order: a new job before a long one's segments
    finally:
        webhooks.terminate()
        webhooks.join(timeout=15)
        if webhooks.is_alive():
            webhooks.kill()
            webhooks.join()


if __name__ == "__main__":
    serve(sys.argv[1:] or [COMPRESS_QUEUE, SEGMENT_QUEUE, WEBHOOK_QUEUE])
