"""Slow clients on raw sockets, hundreds at once from one thread.

Uploads whose body trickles in a few bytes at a time, SSE streams and long polls that stay
open: what people on home connections (and careless scripts) hold against a web process.
One selector loop drives them all, so the test process itself stays light.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

TICK_SECONDS = 0.25


@dataclass
class Held:
    """One open connection: what is left to send, and what came back."""

    sock: socket.socket
    kind: str  # "upload", "sse", "long-poll"
    pending: bytes = b""  # body bytes not sent yet (uploads)
    trickle: int = 0  # bytes sent per tick while trickling (0: silent)
    received: bytearray = field(default_factory=bytearray)
    closed: bool = False

    @property
    def status(self) -> int | None:
        """The HTTP status of the answer, once its status line has arrived."""
        head = bytes(self.received[:64])
        if head.startswith(b"HTTP/1.1 ") and len(head) >= 12:
            return int(head[9:12])
        return None


def multipart(clip: bytes, filename: str) -> tuple[bytes, str]:
    """A multipart body with one file field, and its Content-Type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head + clip + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class SlowClients:
    """Opens connections to ``host:port`` and keeps them slow until told otherwise."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.held: list[Held] = []
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def _open(self, request: bytes, kind: str, pending: bytes = b"", trickle: int = 0) -> Held:
        sock = socket.create_connection(self.address, timeout=10)
        sock.sendall(request)
        sock.setblocking(False)
        held = Held(sock, kind, pending, trickle)
        with self._lock:
            self.held.append(held)
            self._selector.register(sock, selectors.EVENT_READ, held)
        return held

    def upload(self, key: str, clip: bytes, trickle: int = 16, filename: str = "slow.mp4") -> Held:
        """POST /api/jobs whose body arrives ``trickle`` bytes per tick (0: nothing after the headers)."""
        body, content_type = multipart(clip, filename)
        head = (
            f"POST /api/jobs HTTP/1.1\r\nHost: {self.address[0]}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        return self._open(head + body[:200], "upload", body[200:], trickle)

    def part(self, target: str, data: bytes, trickle: int = 16) -> Held:
        """PUT a resumable upload's part to ``target`` (a path with its signed query), trickling."""
        head = (
            f"PUT {target} HTTP/1.1\r\nHost: {self.address[0]}\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        return self._open(head + data[:200], "upload", data[200:], trickle)

    def sse(self, key: str, job_id: str) -> Held:
        request = (
            f"GET /api/jobs/{job_id}/events HTTP/1.1\r\nHost: {self.address[0]}\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        return self._open(request, "sse")

    def long_poll(self, key: str, job_id: str, etag: str, seconds: int = 60) -> Held:
        request = (
            f"GET /api/jobs/{job_id} HTTP/1.1\r\nHost: {self.address[0]}\r\n"
            f"Authorization: Bearer {key}\r\nPrefer: wait={seconds}\r\nIf-None-Match: {etag}\r\n\r\n"
        ).encode()
        return self._open(request, "long-poll")

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _events in self._selector.select(timeout=TICK_SECONDS):
                self._read(key.data)
            with self._lock:
                trickling = [h for h in self.held if h.pending and h.trickle and not h.closed]
            for held in trickling:
                self._send(held, held.trickle)

    def _read(self, held: Held) -> None:
        try:
            data = held.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            held.received += data if held.kind != "sse" or len(held.received) < 4096 else b""
        else:
            held.closed = True
            with self._lock:
                self._selector.unregister(held.sock)

    def _send(self, held: Held, size: int) -> None:
        try:
            sent = held.sock.send(held.pending[:size])
            held.pending = held.pending[sent:]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            held.closed = True  # the server gave up on it (a refusal, an idle timeout)

    def finish_uploads(self, batch: int = 20, timeout: float = 120) -> list[int | None]:
        """Send the rest of every upload (``batch`` at a time) and wait for each answer's status."""
        uploads = [h for h in self.held if h.kind == "upload"]
        for start in range(0, len(uploads), batch):
            group = uploads[start : start + batch]
            for held in group:
                held.trickle = 1 << 20  # the loop (the one thread that sends) sends the rest at once
            deadline = time.monotonic() + timeout
            while any(h.status is None and not h.closed for h in group) and time.monotonic() < deadline:
                time.sleep(0.05)
        return [h.status for h in uploads]

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for held in self.held:
            held.sock.close()
        self._selector.close()
