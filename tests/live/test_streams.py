"""SSE and the JSON WebSocket against a live server with a real worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import requests
import websocket

from app.jobs.models import TERMINAL
from tests.conftest import make_clip
from tests.live.backends import on_backend
from tests.live.stack import LiveStack

pytestmark = on_backend("postgres-s3")  # events travel through (TLS) Redis, not the database


def sse_events(response: requests.Response) -> Iterator[dict]:
    """Parse a text/event-stream into {'event', 'id', 'data', 'retry', 'comment'} dicts."""
    event: dict = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if event:
                yield event
            event = {}
        elif line.startswith(":"):
            event["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


def _slow_clip(tmp_path: Path, seconds: float = 6) -> Path:
    """A job of some seconds: it is followed from its start through a few progress events."""
    return make_clip(tmp_path / "slow.mp4", seconds=seconds, size="640x360")


def test_sse_sends_current_state_then_every_change_then_ends(stack: LiveStack, tmp_path: Path) -> None:
    job_id = stack.submit(_slow_clip(tmp_path)).json()["id"]
    response = requests.get(f"{stack.url}/api/jobs/{job_id}/events", stream=True, timeout=120)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = list(sse_events(response))
    assert events[0].get("retry") == "2000"
    jobs = [e for e in events if e.get("event") == "job"]
    docs = [json.loads(e["data"]) for e in jobs]
    assert [int(e["id"]) for e in jobs] == [d["version"] for d in docs]
    versions = [d["version"] for d in docs]
    assert versions == sorted(set(versions)), "strictly increasing, no duplicates"
    assert docs[-1]["status"] == "succeeded"
    assert [d["status"] for d in docs if d["status"] in TERMINAL] == ["succeeded"]
    assert any(d["status"] == "running" and 0 < d["progress"] < 100 for d in docs), "progress was streamed"
    assert docs[-1]["links"]["self"] == f"{stack.url}/api/jobs/{job_id}"

    # Resuming from a middle version sends only what is newer; from the terminal one: 204.
    middle = docs[len(docs) // 2]["version"]
    resumed = requests.get(f"{stack.url}/api/jobs/{job_id}/events", headers={"Last-Event-ID": str(middle)},
                           stream=True, timeout=30)  # fmt: skip
    later = [json.loads(e["data"]) for e in sse_events(resumed) if e.get("event") == "job"]
    assert [d["version"] for d in later] == [docs[-1]["version"]]
    done = requests.get(f"{stack.url}/api/jobs/{job_id}/events",
                        headers={"Last-Event-ID": str(docs[-1]["version"])}, timeout=30)  # fmt: skip
    assert done.status_code == 204


def test_websocket_sends_the_same_messages_and_closes_with_1000(stack: LiveStack, tmp_path: Path) -> None:
    job_id = stack.submit(_slow_clip(tmp_path)).json()["id"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", timeout=120)
    docs = []
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big")
            break
        docs.append(json.loads(data))
    assert code == 1000
    versions = [d["version"] for d in docs]
    assert versions == sorted(set(versions))
    assert docs[-1]["status"] == "succeeded"
    assert docs[-1]["links"]["ws"] == f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws"


def test_streams_of_an_unknown_job_are_404_before_any_upgrade(stack: LiveStack) -> None:
    assert requests.get(f"{stack.url}/api/jobs/nope/events", timeout=10).status_code == 404
    try:
        websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/nope/ws", timeout=10)
    except websocket.WebSocketBadStatusException as exc:
        assert exc.status_code == 404
    else:
        raise AssertionError("the handshake should have been refused")


def test_many_subscribers_all_receive_every_event(stack: LiveStack, tmp_path: Path) -> None:
    job_id = stack.submit(_slow_clip(tmp_path, 12)).json()["id"]  # time for 40 streams to join
    received: list[list[int]] = [[] for _ in range(40)]

    def follow(index: int) -> None:
        kind = "ws" if index % 2 else "sse"
        if kind == "ws":
            ws = websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", timeout=120)
            try:
                while True:
                    opcode, data = ws.recv_data()
                    if opcode == websocket.ABNF.OPCODE_CLOSE:
                        return
                    received[index].append(json.loads(data)["version"])
            finally:
                ws.close()
        response = requests.get(f"{stack.url}/api/jobs/{job_id}/events", stream=True, timeout=120)
        received[index].extend(int(e["id"]) for e in sse_events(response) if e.get("event") == "job")

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(len(received))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    final = stack.job(job_id)
    assert final["status"] == "succeeded"
    for versions in received:
        assert versions == sorted(set(versions))
        assert versions[-1] == final["version"], "everyone saw the terminal state"
    # Everyone who joined before a version saw it: all tails agree from the latest first message.
    start = max(v[0] for v in received)
    tails = {tuple(v for v in versions if v >= start) for versions in received}
    assert len(tails) == 1


def test_another_owners_job_is_404_on_every_stream(stack: LiveStack, clips: dict) -> None:
    job_id = stack.submit(clips["small"]).json()["id"]  # the anonymous API owner's job
    browser = requests.Session()
    assert browser.get(stack.url + "/", timeout=10).status_code == 200  # a page session: another owner
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    for path in ("", "/events", "/output"):
        assert browser.get(f"{stack.url}/api/jobs/{job_id}{path}", timeout=10).status_code == 404
    try:
        websocket.create_connection(
            f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", cookie=cookie, timeout=10
        )
    except websocket.WebSocketBadStatusException as exc:
        assert exc.status_code == 404
    else:
        raise AssertionError("another owner's job socket should be refused")
    ws = websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", timeout=60)
    assert json.loads(ws.recv())["id"] == job_id  # its owner gets it
    ws.close()


def test_a_deleted_job_is_announced_on_sse_and_websocket(stack: LiveStack, tmp_path: Path) -> None:
    job_id = stack.submit(_slow_clip(tmp_path)).json()["id"]
    response = requests.get(f"{stack.url}/api/jobs/{job_id}/events", stream=True, timeout=60)
    events = sse_events(response)
    first = next(e for e in events if e.get("event") == "job")  # the stream is subscribed now
    ws = websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", timeout=60)
    assert json.loads(ws.recv())["id"] == job_id

    assert requests.delete(f"{stack.url}/api/jobs/{job_id}", timeout=30).status_code == 204

    rest = list(events)  # the stream ends after the notice
    assert json.loads(first["data"])["id"] == job_id
    assert rest[-1]["event"] == "deleted" and json.loads(rest[-1]["data"])["id"] == job_id
    assert not any(json.loads(e["data"]).get("status") == "canceled" for e in rest if e.get("event") == "job")
    messages = []
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            assert int.from_bytes(data[:2], "big") == 1000
            break
        messages.append(json.loads(data))
    assert messages[-1] == {"id": job_id, "deleted": True}
    assert requests.get(f"{stack.url}/api/jobs/{job_id}/events", timeout=10).status_code == 404
