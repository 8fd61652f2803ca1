"""Fault injection against real processes: nothing lost, nothing stuck.

A stack of its own (these tests kill workers, stop ffmpeg and wipe Redis), with
JOB_MAX_ATTEMPTS=2 and STALL_TIMEOUT_SECONDS=5 so each fault plays out in seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from app.jobs.models import TERMINAL
from tests.conftest import make_clip
from tests.live.backends import Backend, on_backend
from tests.live.stack import LiveStack, live_processes, wait_until
from tests.live.test_streams import sse_events

pytestmark = on_backend("postgres-s3")  # the production shape: TLS Redis, PostgreSQL, S3

RECOVERY_SECONDS = 60  # the bound on noticing a dead worker or a wiped Redis


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[LiveStack]:
    live = LiveStack(tmp_path_factory.mktemp(f"faults-{backend.name}"), backend=backend, JOB_MAX_ATTEMPTS="2",
                     STALL_TIMEOUT_SECONDS="5")  # fmt: skip
    yield live
    live.stop()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough (as H.265 'high': some seconds of encode) to catch its ffmpeg at work. Each
    fault is dealt the moment the job shows progress, so no test needs more of it."""
    return make_clip(tmp_path_factory.mktemp("long") / "long.mp4", seconds=6, size="640x360")


def _running(stack: LiveStack, clip: Path) -> str:
    job_id = stack.submit(clip, codec="h265", preset="high").json()["id"]
    stack.follow(job_id, lambda job: job["progress"] > 0, 120, f"job {job_id} to make progress")
    return job_id


def _ffmpeg_of(job_id: str) -> int:
    """The job's encode: its ffmpeg that writes the output (a search's and a scoring's come and go)."""

    def encodes() -> list[int]:
        return [
            pid
            for pid, _fields, cmdline in live_processes()
            if job_id.encode() in cmdline and b"ffmpeg" in cmdline and b"output.mp4" in cmdline
        ]

    wait_until(lambda: len(encodes()) == 1, 120, f"the encode of job {job_id} to run")
    (pid,) = encodes()
    return pid


def _only_worker(stack: LiveStack) -> None:
    """Exactly one live worker (start one if none)."""
    if not stack.alive_workers():
        stack.start_worker()


def test_a_killed_worker_is_noticed_and_the_job_completes_elsewhere(
    faults: LiveStack, long_clip: Path
) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    (first,) = faults.alive_workers()
    killed = time.monotonic()
    faults.kill(first, signal.SIGKILL)
    faults.start_worker()  # elsewhere: started after the kill, so the job cannot end first
    faults.follow(job_id, lambda job: job["attempts"] == 2, RECOVERY_SECONDS, "the job to be started again")
    assert time.monotonic() - killed < RECOVERY_SECONDS
    done = faults.wait_for_status(job_id, TERMINAL, timeout=180)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    assert faults.scratch_of(job_id) == [], "the killed attempt's scratch folder was swept"


def test_after_max_attempts_a_job_fails_with_a_clear_message(faults: LiveStack, long_clip: Path) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    for attempt in (1, 2):
        faults.follow(
            job_id,
            lambda job, a=attempt: job["attempts"] == a and job["progress"] > 0,
            RECOVERY_SECONDS + 60,
            f"attempt {attempt} to run",
        )
        (worker,) = faults.alive_workers()
        faults.kill(worker, signal.SIGKILL)
        faults.start_worker()
    done = faults.wait_for_status(job_id, TERMINAL, timeout=RECOVERY_SECONDS + 30)
    assert done["status"] == "failed" and done["error"]["code"] == "worker_lost"
    assert "2 attempts" in done["error"]["message"]


def test_a_stalled_ffmpeg_is_killed_and_the_job_retried(faults: LiveStack, long_clip: Path) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    frozen = _ffmpeg_of(job_id)
    os.kill(frozen, signal.SIGSTOP)  # alive, silent: a stall
    wait_until(
        lambda: not Path(f"/proc/{frozen}").exists() or _state(frozen) == "Z", 30, "the stalled ffmpeg to die"
    )
    done = faults.wait_for_status(job_id, TERMINAL, timeout=180)
    assert done["status"] == "succeeded" and done["attempts"] == 2


def test_an_ffmpeg_crash_fails_the_job_and_removes_temporary_files(
    faults: LiveStack, long_clip: Path
) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    os.kill(_ffmpeg_of(job_id), signal.SIGSEGV)
    done = faults.wait_for_status(job_id, TERMINAL, timeout=60)
    assert done["status"] == "failed" and done["error"]["code"] == "ffmpeg_crashed"
    assert "signal 11" in done["error"]["message"]
    assert faults.scratch_of(job_id) == [], "the partial output went with the attempt's scratch folder"
    assert "output.mp4" not in faults.objects(job_id)


@contextmanager
def _tiny_disk(folder: Path) -> Iterator[None]:
    """A 16 KiB filesystem mounted over ``folder``: every sizeable write fails with ENOSPC."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root: mounting a small filesystem must work there")
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def test_disk_full_fails_with_a_clear_message(faults: LiveStack, clips: dict) -> None:
    for worker in faults.alive_workers():
        faults.kill(worker, signal.SIGTERM)
    job_id = faults.submit(clips["small"]).json()["id"]
    with _tiny_disk(faults.scratch):  # the worker host's disk is full
        faults.start_worker()
        done = faults.wait_for_status(job_id, TERMINAL, timeout=60)
        assert faults.scratch_of(job_id) == []
        for worker in faults.alive_workers():
            faults.kill(worker, signal.SIGTERM)
    assert done["status"] == "failed" and done["error"]["code"] == "disk_full", done["error"]
    assert "disk space" in done["error"]["message"]
    assert "output.mp4" not in faults.objects(job_id)


def test_redis_flushed_with_a_queued_job(faults: LiveStack, clips: dict) -> None:
    for worker in faults.alive_workers():
        faults.kill(worker, signal.SIGTERM)
    job_id = faults.submit(clips["small"]).json()["id"]
    client = faults.redis_client()
    client.flushall()
    assert client.llen("rq:queue:compress") == 0
    faults.start_worker()
    done = faults.wait_for_status(job_id, TERMINAL, timeout=RECOVERY_SECONDS + 30)
    assert done["status"] == "succeeded"


def test_redis_restarted_without_persistence_mid_job(faults: LiveStack, long_clip: Path, clips: dict) -> None:
    _only_worker(faults)
    running = _running(faults, long_clip)
    waiting = faults.submit(clips["small"]).json()["id"]
    faults.redis.restart()  # all queues, registries and locks are gone
    for job_id in (running, waiting):
        done = faults.wait_for_status(job_id, TERMINAL, timeout=RECOVERY_SECONDS + 180)
        assert done["status"] == "succeeded", done


def test_sigterm_puts_the_job_back_in_the_queue(faults: LiveStack, long_clip: Path) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    (worker,) = faults.alive_workers()
    os.kill(worker.pid, signal.SIGTERM)  # a dyno restart: the main worker process is told first
    back = faults.wait_for_status(job_id, {"queued", "failed", "succeeded", "canceled"}, timeout=30)
    assert back["status"] == "queued" and back["error"] is None
    worker.wait(timeout=30)
    assert faults.scratch_of(job_id) == [], "the stopped attempt removed its scratch folder"
    faults.start_worker()
    done = faults.wait_for_status(job_id, TERMINAL, timeout=180)
    assert done["status"] == "succeeded" and done["attempts"] == 2


def test_sse_clients_resume_across_a_web_restart(faults: LiveStack, long_clip: Path) -> None:
    _only_worker(faults)
    job_id = _running(faults, long_clip)
    stream = requests.get(f"{faults.url}/api/jobs/{job_id}/events", stream=True, timeout=60)
    first = next(e for e in sse_events(stream) if e.get("event") == "job")
    stream.close()
    assert faults.web is not None
    faults.kill(faults.web, signal.SIGKILL)
    faults.start_web()
    resumed = requests.get(
        f"{faults.url}/api/jobs/{job_id}/events",
        headers={"Last-Event-ID": first["id"]},
        stream=True,
        timeout=240,
    )
    docs = [json.loads(e["data"]) for e in sse_events(resumed) if e.get("event") == "job"]
    assert docs and all(d["version"] > int(first["id"]) for d in docs)
    assert docs[-1]["status"] == "succeeded"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return "gone"
