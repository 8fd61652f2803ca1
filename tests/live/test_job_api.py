"""Cancel, delete, long poll, idempotency and source URLs against real processes."""

from __future__ import annotations

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.conftest import make_clip
from tests.live.stack import LiveStack, processes_mentioning, wait_until


def _long_clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "long.mp4", seconds=40, size="640x360")


def test_cancel_running_and_queued_jobs(stack: LiveStack, tmp_path: Path, clips: dict) -> None:
    running = stack.submit(_long_clip(tmp_path), codec="h265", preset="high").json()["id"]
    queued = stack.submit(clips["small"]).json()["id"]
    stack.follow(running, lambda job: job["progress"] > 0, 120, "the first job to make progress")
    assert processes_mentioning(running), "its ffmpeg runs"
    assert stack.job(queued)["status"] == "queued"

    response = requests.post(f"{stack.url}/api/jobs/{queued}/cancel", timeout=10)
    assert response.status_code == 202 and response.json()["status"] == "canceled"
    asked = time.monotonic()
    response = requests.post(f"{stack.url}/api/jobs/{running}/cancel", timeout=10)
    assert response.status_code == 202
    wait_until(lambda: not processes_mentioning(running), 5, "ffmpeg of the canceled job to end")
    assert time.monotonic() - asked < 2.0, "ffmpeg is gone within 2 s"
    job = stack.job(running)
    assert job["status"] == "canceled" and job["links"]["cancel"] is None
    wait_until(lambda: not stack.scratch_of(running), 5, "the partial output (the attempt's scratch) to go")
    assert stack.objects(running) == [], "cancel removes the job's stored files"
    assert stack.job(queued)["attempts"] == 0, "the queued job never started"
    again = requests.post(f"{stack.url}/api/jobs/{running}/cancel", timeout=10)
    assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"


def test_delete_then_404(stack: LiveStack, clips: dict) -> None:
    job_id = stack.submit(clips["small"]).json()["id"]
    stack.wait_for_status(job_id, {"succeeded"})
    assert requests.delete(f"{stack.url}/api/jobs/{job_id}", timeout=10).status_code == 204
    for path in ("", "/output", "/events"):
        assert requests.get(f"{stack.url}/api/jobs/{job_id}{path}", timeout=10).status_code == 404
    assert stack.objects(job_id) == []


def test_long_poll_returns_on_a_change(stack: LiveStack, clips: dict) -> None:
    submitted = stack.submit(clips["small"])
    url, etag = submitted.headers["Location"], submitted.headers["ETag"]
    started = time.monotonic()
    answer = requests.get(url, headers={"Prefer": "wait=50", "If-None-Match": etag}, timeout=70)
    assert time.monotonic() - started < 45, "answered on the change, not at the deadline"
    assert answer.status_code == 200 and answer.headers["Preference-Applied"] == "wait=50"
    assert answer.json()["version"] > int(etag.strip('"v'))


def test_long_poll_without_a_change_ends_at_the_deadline_with_304(stack: LiveStack, clips: dict) -> None:
    job_id = stack.submit(clips["small"]).json()["id"]
    stack.wait_for_status(job_id, {"succeeded"})
    current = requests.get(f"{stack.url}/api/jobs/{job_id}", timeout=10)
    started = time.monotonic()
    answer = requests.get(current.url, headers={"Prefer": "wait=2", "If-None-Match": current.headers["ETag"]},
                          timeout=30)  # fmt: skip
    waited = time.monotonic() - started
    assert answer.status_code == 304 and answer.headers["Preference-Applied"] == "wait=2"
    assert waited < 10


def test_idempotent_submissions(stack: LiveStack, clips: dict, tmp_path: Path) -> None:
    key = {"Idempotency-Key": f"k-{time.time_ns()}"}
    first = stack.submit(clips["small"], headers=key, preset="small")
    again = stack.submit(clips["small"], headers=key, preset="small")
    assert first.status_code == again.status_code == 202
    assert first.headers["Location"] == again.headers["Location"]
    other = stack.submit(clips["small"], headers=key, preset="high")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    other_file = stack.submit(make_clip(tmp_path / "other.mp4", seconds=1), headers=key, preset="small")
    assert other_file.status_code == 422


def test_concurrent_submissions_with_one_key_make_one_job(stack: LiveStack, clips: dict) -> None:
    key = {"Idempotency-Key": f"c-{time.time_ns()}"}
    answers: list[requests.Response] = []
    barrier = threading.Barrier(6)

    def submit() -> None:
        barrier.wait()
        answers.append(stack.submit(clips["small"], headers=key))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} <= {202, 409}
    made = {a.headers["Location"] for a in answers if a.status_code == 202}
    assert len(made) == 1
    listed = requests.get(f"{stack.url}/api/jobs", params={"limit": 100}, timeout=10).json()["jobs"]
    assert sum(1 for job in listed if job["links"]["self"] in made) == 1


def test_source_url_is_downloaded_and_compressed(stack: LiveStack, tmp_path: Path) -> None:
    make_clip(tmp_path / "remote.mp4", seconds=3)
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = f"http://127.0.0.1:{server.server_address[1]}/remote.mp4"
        response = requests.post(
            f"{stack.url}/api/jobs", json={"source_url": source, "max_height": 120}, timeout=10
        )
        assert response.status_code == 202, response.text
        assert response.json()["input"]["filename"] == "remote.mp4"
        done = stack.wait_for_status(response.json()["id"], {"succeeded", "failed"})
        assert done["status"] == "succeeded", done["error"]
        assert done["input"]["width"] == 320 and done["output"]["height"] == 120
        missing = requests.post(f"{stack.url}/api/jobs", json={"source_url": source + ".gone"}, timeout=10)
        failed = stack.wait_for_status(missing.json()["id"], {"succeeded", "failed"})
        assert failed["status"] == "failed" and "404" in failed["error"]["message"]
    finally:
        server.shutdown()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass
