"""Many machines: two web hosts and two worker hosts that share only PostgreSQL, Redis and S3.

Each host is its own copy of the code with its own instance and temp folders (``hosts.py``),
as dynos are. The tests run in order on one deploy: a job crosses hosts, a worker host dies
mid-job, a web host dies mid-stream, and afterwards no host's disk holds a job's bytes.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import requests
import websocket

from app.embedded_redis import EmbeddedRedis, free_port
from app.jobs.models import TERMINAL
from app.media import probe
from app.metrics.record import CONNECTIONS_TTL_SECONDS
from tests.conftest import FFMPEG, make_clip
from tests.live.hosts import Host
from tests.live.servers import Postgres, SeaweedFS
from tests.live.stack import (
    RECOVERY_SETTINGS,
    Api,
    processes_mentioning,
    registered_workers,
    serves,
    wait_until,
)
from tests.live.test_streams import sse_events

METRICS_TOKEN = secrets.token_hex(16)


@dataclass
class Deploy:
    """web-a and web-b (one gunicorn each), worker-1 and worker-2 (``python worker.py`` each)."""

    webs: dict[str, Host]
    workers: dict[str, Host]
    ports: dict[str, int]
    redis: EmbeddedRedis
    seaweed: SeaweedFS
    bucket: str
    prefix: str

    def url(self, web: str) -> str:
        return f"http://127.0.0.1:{self.ports[web]}"

    def hosts(self) -> list[Host]:
        return [*self.webs.values(), *self.workers.values()]

    def start_web(self, name: str) -> None:
        self.webs[name].start_web(self.ports[name])
        wait_until(lambda: serves(self.url(name) + "/readyz"), 30, f"{name} to serve")

    def start_worker(self, name: str) -> None:
        self.workers[name].start_worker()
        hosts_up = sum(1 for host in self.workers.values() if host.processes)
        wait_until(
            lambda: registered_workers(self.redis) >= 2 * hosts_up, 30, f"{name}'s workers to register"
        )

    def api(self, web: str) -> Api:
        return Api(self.url(web))

    def stored(self, job_id: str) -> list[str]:
        prefix = f"{self.prefix}/jobs/{job_id}/"
        listed = self.seaweed.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"][len(prefix) :] for item in listed.get("Contents", []))


def _submitted(api: Api, clip: Path, **fields: str) -> dict[str, Any]:
    response = api.submit(clip, **fields)
    assert response.status_code == 202, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def deploy(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, seaweed: SeaweedFS
) -> Iterator[Deploy]:
    root = tmp_path_factory.mktemp("hosts")
    redis = EmbeddedRedis(tls=True).start()
    prefix = "many-" + secrets.token_hex(4)
    seaweed.create_bucket("squeeze")
    shared = {
        "DATABASE_URL": postgres.create_database("sqz_" + secrets.token_hex(6)),
        "REDIS_URL": redis.url,
        "REDIS_SSL_CERT_REQS": "none",
        **seaweed.env("squeeze", prefix),
        "SECRET_KEY": secrets.token_hex(32),
        "METRICS_TOKEN": METRICS_TOKEN,
        "SUBMIT_RATE_LIMIT": "100000 per minute",
        "PYTHONUNBUFFERED": "1",
        **RECOVERY_SETTINGS,
    }
    webs = {name: Host(root, name, shared) for name in ("web-a", "web-b")}
    workers = {name: Host(root, name, shared) for name in ("worker-1", "worker-2")}
    cluster = Deploy(
        webs, workers, {"web-a": free_port(), "web-b": free_port()}, redis, seaweed, "squeeze", prefix
    )
    webs["web-a"].run("-m", "flask", "--app", "wsgi", "db", "upgrade")  # the Procfile's release phase
    try:
        for name in webs:
            cluster.start_web(name)
        for name in workers:
            cluster.start_worker(name)
        yield cluster
    finally:
        for host in cluster.hosts():
            host.stop()
        redis.stop()


def test_every_host_runs_its_own_copy_of_the_code(deploy: Deploy) -> None:
    for host in deploy.hosts():
        assert host.instance.is_dir(), f"{host.name} made its instance folder in its own copy"
    assert "Listening at" in deploy.webs["web-a"].log("web.log")


def test_a_job_submitted_on_one_web_host_is_followed_and_downloaded_on_the_other(
    deploy: Deploy, tmp_path: Path
) -> None:
    # long enough (with its CRF search) that both followers are connected while it runs
    clip = make_clip(tmp_path / "crossing.mp4", seconds=20, size="640x360")
    job = _submitted(deploy.api("web-a"), clip, max_height="240")
    job_id, web_b = job["id"], deploy.url("web-b")
    streamed: dict[str, list[dict[str, Any]]] = {"sse": [], "ws": []}

    def follow_sse() -> None:
        response = requests.get(f"{web_b}/api/jobs/{job_id}/events", stream=True, timeout=120)
        streamed["sse"] = [json.loads(e["data"]) for e in sse_events(response) if e.get("event") == "job"]

    def follow_ws() -> None:
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{deploy.ports['web-b']}/api/jobs/{job_id}/ws", timeout=120
        )
        while True:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return
            streamed["ws"].append(json.loads(data))

    followers = [threading.Thread(target=follow_sse), threading.Thread(target=follow_ws)]
    for follower in followers:
        follower.start()
    for follower in followers:
        follower.join(timeout=150)
    for channel, docs in streamed.items():
        assert docs and docs[-1]["status"] == "succeeded", (channel, docs[-1:] if docs else docs)
        assert any(d["status"] == "running" and 0 < d["progress"] < 100 for d in docs), (
            f"{channel} saw progress"
        )
        assert docs[-1]["links"]["self"] == f"{web_b}/api/jobs/{job_id}"

    redirect = requests.get(f"{web_b}/api/jobs/{job_id}/output", allow_redirects=False, timeout=30)
    assert redirect.status_code == 307, redirect.text
    store = urlsplit(redirect.headers["Location"])
    assert f"{store.scheme}://{store.netloc}" == deploy.seaweed.endpoint, "the bytes come from the store"
    download = requests.get(redirect.headers["Location"], timeout=30)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "video/mp4"
    assert "filename=crossing-squeezed.mp4" in download.headers["Content-Disposition"]
    assert len(download.content) == streamed["sse"][-1]["output"]["size_bytes"]
    (tmp_path / "out.mp4").write_bytes(download.content)
    assert probe(FFMPEG, tmp_path / "out.mp4").height == 240
    assert deploy.stored(job_id) == [
        "frames/original.jpg",
        "frames/result.jpg",
        "input",
        "output.mp4",
        "poster.jpg",
    ]


def test_rate_limits_and_idempotency_claims_live_in_the_shared_tls_redis(
    deploy: Deploy, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "claimed.mp4", seconds=1)
    key = {"Idempotency-Key": "k-" + secrets.token_hex(4)}
    answers = []
    for web in ("web-a", "web-b"):  # one request through each host
        with clip.open("rb") as handle:
            answers.append(
                requests.post(f"{deploy.url(web)}/api/jobs", files={"file": (clip.name, handle)}, headers=key,
                              timeout=60)
            )  # fmt: skip
    assert [a.status_code for a in answers] == [202, 202]
    assert (
        answers[0].headers["Location"].rsplit("/", 1)[1] == answers[1].headers["Location"].rsplit("/", 1)[1]
    )
    client = redis.Redis.from_url(deploy.redis.url, **deploy.redis.client_options)  # type: ignore[arg-type]
    try:
        assert list(client.scan_iter(match="LIMITS:*")), "the per-owner submit counters are kept in it"
    finally:
        client.close()
    deploy.api("web-a").wait_for_status(answers[0].json()["id"], TERMINAL, timeout=180)


def _host_running(deploy: Deploy, job_id: str) -> Host:
    """The worker host whose scratch disk holds the job's attempt."""
    found: list[Host] = []

    def located() -> bool:
        found[:] = [h for h in deploy.workers.values() if list(h.scratch.glob(f"job-{job_id}-*"))]
        return len(found) == 1

    wait_until(located, 60, f"a worker host to take job {job_id}")
    return found[0]


def test_a_worker_host_killed_whole_mid_job_the_job_completes_on_another(
    deploy: Deploy, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "long.mp4", seconds=6, size="640x360")  # killed at its first progress
    job_id = _submitted(deploy.api("web-a"), clip, codec="h265", preset="high")["id"]
    deploy.api("web-b").follow(job_id, lambda job: job["progress"] > 0, 120, "the job to make progress")
    doomed = _host_running(deploy, job_id)
    survivor = next(h for h in deploy.workers.values() if h is not doomed)
    doomed.kill()
    assert not processes_mentioning(job_id), "its ffmpeg died with the host"
    done = deploy.api("web-b").wait_for_status(job_id, TERMINAL, timeout=240)
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    assert not list(survivor.scratch.glob("job-*")), "the survivor cleaned up after its attempt"
    assert list(doomed.scratch.glob(f"job-{job_id}-*")), "the dead host's disk still holds its attempt"
    name = next(n for n, h in deploy.workers.items() if h is doomed)
    deploy.start_worker(name)  # the host restarts: its worker sweeps what the crash left
    wait_until(lambda: not list(doomed.scratch.glob("job-*")), 60, f"{name} to sweep its scratch")


def test_a_web_host_killed_while_a_client_streams_the_client_resumes_on_the_other(
    deploy: Deploy, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "stream.mp4", seconds=6, size="640x360")
    job_id = _submitted(deploy.api("web-b"), clip, codec="h265")["id"]
    stream = requests.get(f"{deploy.url('web-a')}/api/jobs/{job_id}/events", stream=True, timeout=120)
    events = sse_events(stream)
    seen = next(e for e in events if e.get("event") == "job")
    deploy.webs["web-a"].kill()
    with pytest.raises(requests.exceptions.RequestException):
        for _event in events:  # the connection breaks with its host
            pass
    resumed = requests.get(
        f"{deploy.url('web-b')}/api/jobs/{job_id}/events",
        headers={"Last-Event-ID": seen["id"]},
        stream=True,
        timeout=240,
    )
    docs = [json.loads(e["data"]) for e in sse_events(resumed) if e.get("event") == "job"]
    assert docs and all(d["version"] > int(seen["id"]) for d in docs)
    assert docs[-1]["status"] == "succeeded"
    deploy.start_web("web-a")


def test_metrics_add_up_across_web_and_worker_hosts(deploy: Deploy, tmp_path: Path) -> None:
    def live(kind: str) -> float:
        return _metrics(deploy, "web-b").get(f'squeeze_live_connections{{kind="{kind}"}}', -1)

    # The stream that died with web-a's old process stops counting once its TTL lapses.
    wait_until(lambda: live("sse") == 0, CONNECTIONS_TTL_SECONDS + 5, "a dead host's streams to expire")
    clip = make_clip(tmp_path / "watched.mp4", seconds=30, size="640x360")
    job_id = _submitted(deploy.api("web-a"), clip, codec="h265", preset="high")["id"]
    streams = [
        requests.get(f"{deploy.url('web-a')}/api/jobs/{job_id}/events", stream=True, timeout=120)
        for _ in range(3)
    ]
    sockets = [
        websocket.create_connection(
            f"ws://127.0.0.1:{deploy.ports['web-b']}/api/jobs/{job_id}/ws", timeout=120
        )
        for _ in range(2)
    ]
    try:
        wait_until(
            lambda: live("sse") == 3 and live("websocket") == 2, 30, "both hosts' streams to be counted"
        )
    finally:
        for response in streams:
            response.close()
        for ws in sockets:
            ws.close()
    wait_until(lambda: live("sse") == 0 and live("websocket") == 0, 30, "closed streams to stop counting")
    requests.post(f"{deploy.url('web-b')}/api/jobs/{job_id}/cancel", timeout=10)
    figures = _metrics(deploy, "web-a")
    listed = requests.get(f"{deploy.url('web-a')}/api/jobs", params={"limit": 100}, timeout=10).json()["jobs"]
    succeeded = sum(1 for job in listed if job["status"] == "succeeded")
    assert figures['squeeze_jobs{status="succeeded"}'] == succeeded
    assert figures['squeeze_jobs{status="canceled"}'] == 1
    # A worker records a job's time just after the job is marked succeeded: poll for it.
    wait_until(
        lambda: _metrics(deploy, "web-a").get("squeeze_compression_seconds_count") == succeeded,
        30,
        "every success on either worker host to be counted",
    )
    assert figures['squeeze_storage_seconds_count{operation="put_input"}'] == len(listed), "one upload each"
    assert figures['squeeze_storage_seconds_count{operation="put_output"}'] >= succeeded
    assert figures['squeeze_queue_depth{queue="compress"}'] == 0
    unauthorized = requests.get(f"{deploy.url('web-a')}/metrics", timeout=10)
    assert unauthorized.status_code == 401


def _metrics(deploy: Deploy, web: str) -> dict[str, float]:
    response = requests.get(
        f"{deploy.url(web)}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    figures = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            figures[name] = float(value)
    return figures


def test_afterwards_no_host_holds_a_jobs_bytes(deploy: Deploy) -> None:
    def leftovers() -> dict[str, list[Path]]:
        return {host.name: host.local_bytes() for host in deploy.hosts() if host.local_bytes()}

    wait_until(lambda: not leftovers(), 30, "every host's disk to hold no job bytes")
