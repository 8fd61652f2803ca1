"""GET /api/admin/queues and /workers: RQ's own registries and worker records, and pausing intake."""

from __future__ import annotations

import os
import socket

from flask import Flask
from flask.testing import FlaskClient
from rq import Worker

from app.extensions import redis_client
from app.jobs import queue
from tests.admin.conftest import ADMIN, failed_job


def test_queues_show_depth_oldest_waiting_and_paused(
    admin_app: Flask, client: FlaskClient, ctx: None
) -> None:
    queue.enqueue_compression("job-1")
    queue.enqueue_compression("job-2")
    listed = {q["name"]: q for q in client.get("/api/admin/queues", headers=ADMIN).get_json()["queues"]}
    assert set(listed) == {"compress", "segments", "webhooks"}
    assert listed["compress"]["depth"] == 2 and listed["compress"]["oldest_waiting_seconds"] >= 0
    assert listed["segments"] == {
        "name": "segments",
        "depth": 0,
        "oldest_waiting_seconds": 0.0,
        "running": 0,
        "failed": 0,
        "paused": False,
    }
    paused = client.post("/api/admin/queues/compress/pause", headers=ADMIN)
    assert paused.status_code == 200 and paused.get_json()["paused"] is True
    listed = {q["name"]: q for q in client.get("/api/admin/queues", headers=ADMIN).get_json()["queues"]}
    assert listed["compress"]["paused"] and not listed["webhooks"]["paused"]
    resumed = client.post("/api/admin/queues/compress/resume", headers=ADMIN).get_json()
    assert resumed["paused"] is False and resumed["depth"] == 2


def test_an_unknown_queue_is_a_404_that_names_the_queues(admin_app: Flask, client: FlaskClient) -> None:
    answer = client.post("/api/admin/queues/everything/pause", headers=ADMIN)
    assert answer.status_code == 404 and "compress" in answer.get_json()["detail"]


def test_workers_show_host_pid_state_and_the_job_they_run(
    admin_app: Flask, client: FlaskClient, ctx: None
) -> None:
    assert client.get("/api/admin/workers", headers=ADMIN).get_json() == {"workers": []}
    job = failed_job()  # any job id will do: the worker below says it runs it
    queue.enqueue_compression(job)
    worker = Worker(["compress", "segments"], connection=redis_client())
    worker.register_birth()
    worker.heartbeat()
    rq_job = queue.compress_queue().fetch_job(job)
    assert rq_job is not None
    worker.prepare_execution(rq_job)  # what RQ's worker records as it forks the job's work-horse
    worker.prepare_job_execution(rq_job)
    worker.set_state("busy")  # as RQ's worker does when it forks the job's work-horse
    listed = client.get("/api/admin/workers", headers=ADMIN).get_json()["workers"]
    assert len(listed) == 1
    found = listed[0]
    assert (found["host"], found["pid"]) == (socket.gethostname(), os.getpid())
    assert found["queues"] == ["compress", "segments"]
    assert found["state"] == "busy" and found["last_heartbeat"] is not None
    assert found["current"]["kind"] == "job" and found["current"]["job_id"] == job
    assert found["current"]["since"] is not None


def test_a_segment_helper_is_shown_as_a_segment_of_its_job(
    admin_app: Flask, client: FlaskClient, ctx: None
) -> None:
    queue.enqueue_helpers("the-job", 1, 1)
    helper = queue.Queue(queue.SEGMENT_QUEUE, connection=redis_client()).fetch_job("the-job_1_0")
    worker = Worker(["segments"], connection=redis_client())
    worker.register_birth()
    worker.prepare_execution(helper)
    worker.prepare_job_execution(helper)
    current = client.get("/api/admin/workers", headers=ADMIN).get_json()["workers"][0]["current"]
    assert (current["kind"], current["job_id"], current["rq_id"]) == ("segment", "the-job", "the-job_1_0")
