"""Fan-out to many sockets: a shared document's texts and frames are made once, and are the
bytes wsproto would have sent."""

from __future__ import annotations

from typing import Any

import pytest
from simple_websocket import ConnectionClosed
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.frame_protocol import CloseReason

from app.events.fanout import EXTENSIONS_OFFER, send_now, send_shared
from app.events.memo import SharedDocument, memoized
from app.events.subscription import Subscription

HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: squeeze\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class FakeSocket:
    """Takes at most ``chunk`` bytes per send, like a kernel with a nearly full buffer."""

    def __init__(self, chunk: int | None = None) -> None:
        self.chunk = chunk
        self.written = b""

    def send(self, data: bytes) -> int:
        taken = bytes(data[: self.chunk] if self.chunk else data)
        self.written += taken
        return len(taken)

    def sendall(self, data: Any) -> None:
        self.written += bytes(data)


class FakeServer:
    """The part of simple_websocket's Server that ``send_shared`` uses."""

    def __init__(self, environ: dict[str, str] | None = None, chunk: int | None = None) -> None:
        self.environ = environ or {}
        self.sock = FakeSocket(chunk)
        self.connected = True
        self.close_reason = CloseReason.NO_STATUS_RCVD
        self.close_message: str | None = None
        self.sent: list[str] = []

    def send(self, data: str) -> None:
        self.sent.append(data)


def _wsproto_frame(text: str) -> bytes:
    """What a wsproto server connection (no extension) sends for ``text``."""
    connection = WSConnection(ConnectionType.SERVER)
    connection.receive_data(HANDSHAKE)
    request = next(connection.events())
    assert isinstance(request, Request)
    connection.send(AcceptConnection())
    return connection.send(TextMessage(data=text))


@pytest.mark.parametrize("size", [5, 200, 70_000])  # each of the three length encodings
def test_a_shared_frame_is_the_frame_wsproto_sends(size: int) -> None:
    text = "é" * size
    ws = FakeServer()
    send_shared(ws, SharedDocument(id="a"), "k", text)
    assert ws.sock.written == _wsproto_frame(text)


def test_the_frame_is_built_once_for_every_socket() -> None:
    doc = SharedDocument(id="a")
    sockets = [FakeServer() for _ in range(3)]
    for ws in sockets:
        send_shared(ws, doc, "k", "{}")
    assert list(doc.frames) == ["k"]
    assert {ws.sock.written for ws in sockets} == {doc.frames["k"]}


def test_a_socket_offered_an_extension_frames_its_own() -> None:
    ws = FakeServer({EXTENSIONS_OFFER: "permessage-deflate; client_max_window_bits"})
    doc = SharedDocument(id="a")
    send_shared(ws, doc, "k", "{}")
    assert ws.sent == ["{}"] and ws.sock.written == b"" and not doc.frames


def test_a_document_that_is_not_shared_goes_through_send() -> None:
    ws = FakeServer()
    send_shared(ws, {"id": "a"}, "k", "{}")
    assert ws.sent == ["{}"]


def test_a_partial_write_is_completed() -> None:
    ws = FakeServer(chunk=3)
    send_shared(ws, SharedDocument(id="a"), "k", "x" * 300)
    assert ws.sock.written == _wsproto_frame("x" * 300)


def test_a_closed_socket_raises_as_send_does() -> None:
    ws = FakeServer()
    ws.connected = False
    with pytest.raises(ConnectionClosed):
        send_shared(ws, SharedDocument(id="a"), "k", "{}")


def test_a_shared_document_renders_once_per_key() -> None:
    calls: list[str] = []

    def render(text: str) -> str:
        calls.append(text)
        return text

    doc = SharedDocument(id="a")
    assert [memoized(doc, key, lambda k=key: render(k)) for key in ("x", "x", "y")] == ["x", "x", "y"]
    assert calls == ["x", "y"]
    assert [memoized({"id": "a"}, "x", lambda: render("z")) for _ in range(2)] == ["z", "z"]
    assert calls == ["x", "y", "z", "z"]


class GeventServer(FakeServer):
    """A server whose socket is a gevent socket, one end of a connected pair."""

    def __init__(self) -> None:
        super().__init__()
        from gevent import socket as gsocket

        self.sock, self.client = gsocket.socketpair()  # type: ignore[assignment]


def test_send_now_writes_the_shared_frame_without_waiting() -> None:
    servers = [GeventServer() for _ in range(3)]
    doc = SharedDocument(id="j", version=2)
    renders: list[int] = []
    for server in servers:
        assert send_now(server, doc, "k", lambda: renders.append(1) or "hello")  # type: ignore[arg-type]
    assert renders == [1]  # rendered and framed once for every socket
    for server in servers:
        assert server.client.recv(100) == _wsproto_frame("hello")


def test_send_now_leaves_what_it_cannot_send_whole_to_the_greenlet() -> None:
    closed, extended, plain = GeventServer(), GeventServer(), GeventServer()
    closed.connected = False
    extended.environ[EXTENSIONS_OFFER] = "permessage-deflate"
    shared = SharedDocument(id="j", version=2)
    assert not send_now(closed, shared, "k", lambda: "x")  # type: ignore[arg-type]
    assert not send_now(extended, shared, "k", lambda: "x")  # type: ignore[arg-type]
    assert not send_now(plain, {"id": "j"}, "k", lambda: "x")  # type: ignore[arg-type]


def _update(version: int, status: str = "running") -> dict[str, Any]:
    return {"owner": "o", "job": SharedDocument(id="j", version=version, status=status)}


def test_a_waiting_subscription_takes_the_express_and_is_not_woken() -> None:
    taken: list[int] = []
    subscription = Subscription(("job:j",))
    subscription.express = lambda message: taken.append(message["job"]["version"]) or True
    subscription._waiting = True  # as inside get()
    for version in (1, 2, 2, 1, 3):
        subscription.deliver(_update(version))
    assert taken == [1, 2, 3]  # stale versions dropped, nothing queued
    subscription._waiting = False
    assert subscription.get(0) is None


def test_a_declined_or_busy_express_queues_the_message() -> None:
    subscription = Subscription(("job:j",))
    subscription.express = lambda message: False
    subscription._waiting = True
    subscription.deliver(_update(1))
    subscription._waiting = False  # the listener is busy: no express
    subscription.express = lambda message: pytest.fail("a busy listener's messages keep their order")
    subscription.deliver(_update(2))
    assert [subscription.get(0)["job"]["version"] for _ in range(2)] == [1, 2]  # type: ignore[index]
