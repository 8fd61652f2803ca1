import uuid

from flask import Flask
from rq import Queue

from app.extensions import redis_client
from app.jobs import lifecycle, queue
from app.jobs.document import document
from app.jobs.models import Job


def test_queued_jobs_know_their_place_in_line(app: Flask) -> None:
    with app.app_context():
        first, second = (lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
                         for _ in range(2))  # fmt: skip
        assert document(first)["queue_position"] == 1
        assert document(second)["queue_position"] == 2
        lifecycle.start(first.id)
        queue.compress_queue().remove(first.id)  # as a worker would when it takes the job
        assert document(second)["queue_position"] == 1
        assert document(first)["queue_position"] is None  # running: no place in line
        queue.compress_queue().remove(second.id)  # taken by a worker, not yet marked running
        assert document(second)["queue_position"] == 1  # still queued: a place, the first


def test_the_task_names_are_the_worker_functions() -> None:
    """The web side names its tasks by string (it imports no worker code): the names must resolve."""
    from rq.utils import import_attribute

    from app.work.compress import compress_job
    from app.work.webhooks import deliver

    assert import_attribute(queue.COMPRESS_FUNCTION) is compress_job
    assert import_attribute(queue.WEBHOOK_FUNCTION) is deliver


def test_an_enqueued_compression_names_its_task_and_job(app: Flask) -> None:
    from rq.job import Job as RQJob

    with app.app_context():
        queue.enqueue_compression("job-1")
        queued = RQJob.fetch("job-1", connection=queue.redis_client())
        assert (queued.func_name, queued.args, queued.origin) == (
            queue.COMPRESS_FUNCTION,
            ("job-1",),
            "compress",
        )
        assert queued.timeout == app.config["JOB_TIMEOUT_MINUTES"] * 60 + queue.TIMEOUT_MARGIN_SECONDS


def test_a_split_jobs_waiting_helpers_are_taken_off_the_queue(app: Flask) -> None:
    with app.app_context():
        queue.enqueue_helpers("job-a", 3, "1")
        queue.enqueue_helpers("job-b", 2, "1")
        queue.remove_helpers("job-a")
        waiting = Queue(queue.SEGMENT_QUEUE, connection=redis_client()).get_job_ids()
        assert sorted(waiting) == ["job-b_1_0", "job-b_1_1"]
