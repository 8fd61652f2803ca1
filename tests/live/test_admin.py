"""Paused intake with real workers: a paused queue's job waits while its worker goes round, and
runs once resumed; a running job is finished, not interrupted, by a pause."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
import websocket
from rq import Worker

from tests.conftest import make_clip
from tests.live.stack import LiveStack, wait_until

ADMIN = {"Authorization": "Bearer sqz_live_admin"}


@pytest.fixture(scope="module")
def operated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    live = LiveStack(tmp_path_factory.mktemp("operated-stack"), ADMIN_KEYS="sqz_live_admin")
    yield live
    live.stop()


def _compress_worker_heartbeats(stack: LiveStack) -> list[datetime]:
    client = stack.redis_client()
    try:
        workers = Worker.all(connection=client)
        return [w.last_heartbeat for w in workers if "compress" in w.queue_names() and w.last_heartbeat]
    finally:
        client.close()


def _intake(stack: LiveStack, action: str) -> dict:
    answer = requests.post(f"{stack.url}/api/admin/queues/compress/{action}", headers=ADMIN, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_paused_queue_holds_its_jobs_until_resumed_and_lets_a_running_one_finish(
    operated: LiveStack, tmp_path: Path
) -> None:
    running = operated.submit(make_clip(tmp_path / "long.mp4", seconds=20, size="640x360")).json()["id"]
    operated.wait_for_status(running, {"running"}, 60)
    assert _intake(operated, "pause")["paused"] is True
    waiting = operated.submit(make_clip(tmp_path / "short.mp4", seconds=2)).json()["id"]
    assert operated.wait_for_status(running, {"succeeded", "failed"})["status"] == "succeeded"

    # The worker is free and goes round its queues (a heartbeat each time): twice past the job.
    (seen,) = _compress_worker_heartbeats(operated)
    wait_until(lambda: min(_compress_worker_heartbeats(operated)) > seen, 30, "the worker to go round")
    (again,) = _compress_worker_heartbeats(operated)
    wait_until(lambda: min(_compress_worker_heartbeats(operated)) > again, 30, "the worker to go round again")
    held = operated.job(waiting)
    assert (held["status"], held["queue_position"]) == ("queued", 1)
    queues = requests.get(f"{operated.url}/api/admin/queues", headers=ADMIN, timeout=10).json()["queues"]
    assert {q["name"]: (q["depth"], q["paused"]) for q in queues}["compress"] == (1, True)

    assert _intake(operated, "resume")["paused"] is False
    assert operated.wait_for_status(waiting, {"succeeded", "failed"})["status"] == "succeeded"


def test_a_revoked_keys_open_streams_end_before_its_jobs_next_update(
    operated: LiveStack, tmp_path: Path
) -> None:
    """An SSE stream and a job's WebSocket, opened with a key the operator then revokes: neither
    hears of the job again."""
    made = requests.post(
        f"{operated.url}/api/admin/keys", json={"name": "revoked-later"}, headers=ADMIN, timeout=10
    )
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["id"]
    auth = {"Authorization": f"Bearer {key}"}
    _intake(operated, "pause")  # the job waits, so its next update comes only after the revocation
    job = operated.submit(make_clip(tmp_path / "clip.mp4", seconds=2), headers=auth).json()
    events = requests.get(job["links"]["events"], headers=auth, stream=True, timeout=60)
    lines = events.iter_lines(decode_unicode=True)
    assert next(line for line in lines if line.startswith("id: ")) == f"id: {job['version']}"
    socket = websocket.create_connection(
        job["links"]["ws"], header=[f"Authorization: Bearer {key}"], timeout=60
    )
    assert json.loads(socket.recv())["version"] == job["version"]
    revoked = requests.delete(f"{operated.url}/api/admin/keys/{key_id}", headers=ADMIN, timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert [line for line in lines if line.startswith("id: ")] == []  # the stream ended, nothing more
    opcode, reason = socket.recv_data()
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(reason[:2], "big") == 1008  # policy
    _intake(operated, "resume")
    done = _admin_job(operated, job["id"], "succeeded")
    assert done["version"] > job["version"]  # the job went on, for nobody's streams
    # No key is left, and the API stays closed: to the revoked key, and to anyone without one.
    assert requests.get(job["links"]["self"], headers=auth, timeout=10).status_code == 401
    assert requests.get(f"{operated.url}/api/jobs", timeout=10).status_code == 401


def _admin_job(stack: LiveStack, job_id: str, status: str) -> dict:
    def found() -> dict | None:
        listing = requests.get(
            f"{stack.url}/api/admin/jobs?status={status}", headers=ADMIN, timeout=10
        ).json()
        return next((item["job"] for item in listing["jobs"] if item["job"]["id"] == job_id), None)

    wait_until(lambda: found() is not None, 120, f"job {job_id} to be {status}")
    job = found()
    assert job is not None
    return job
