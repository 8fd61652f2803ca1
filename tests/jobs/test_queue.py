import uuid

from flask import Flask

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
