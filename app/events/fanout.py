"""Streams fed by the hub, at scale: each frame built once, and closing work after the sends.

The hub hands every subscriber of a job the same ``SharedDocument``, and what they send is a
text memoized on it (``memoized``). A server's WebSocket frame of a text, without extensions,
is the same bytes on every connection (servers do not mask), so it is built once too and the
other sockets write those bytes. A socket whose client offered an extension (browsers offer
``permessage-deflate``) frames its own messages through wsproto, as ``Server.send`` does.

Under gevent a waiting socket's frame can even be written from the hub's dispatch
(``send_now``, a subscription's ``express``): its greenlet is not woken for each message.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from simple_websocket import ConnectionClosed, Server
from wsproto.frame_protocol import FrameProtocol

from app.events.memo import memoized

EXTENSIONS_OFFER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"  # the handshake header, as WSGI names it
CLOSE_DELAY_SECONDS = 0.25  # a burst to 1,000 sockets goes out in about 0.1 s
IDLE_WAIT_SECONDS = 1.0  # the most a finished stream then waits for the event loop to go idle


def send_shared(ws: Server, doc: Mapping[str, object], key: str, text: str) -> None:
    """Send ``text``, the render of ``doc`` under ``key``, as one text message.

    For a shared document the frame is built by the first socket and written by the others.
    """
    frames: dict[str, bytes] | None = getattr(doc, "frames", None)
    if frames is None or EXTENSIONS_OFFER in ws.environ:
        ws.send(text)
        return
    _write(ws, _frame(frames, key, text))


def cooperative() -> bool:
    """Whether streams here are greenlets (gevent), so ``send_now`` may write for them."""
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))


def send_now(ws: Server, doc: Mapping[str, object], key: str, render: Callable[[], str]) -> bool:
    """Write the shared frame of ``doc`` under ``key`` if it goes out whole without waiting.

    Called from the hub's dispatch while the socket's greenlet waits (gevent only). False, with
    nothing written, leaves the message to that greenlet: a document that is not shared, a socket
    with its own framing, closed, or with bytes still unsent (a client behind, whose greenlet
    writes and waits as usual). A frame cut short by a full buffer anyway cannot be followed by
    anything: the connection is shut, and the client reconnects as after any drop.
    """
    frames: dict[str, bytes] | None = getattr(doc, "frames", None)
    sock = ws.sock
    if frames is None or sock is None or not ws.connected or EXTENSIONS_OFFER in ws.environ:
        return False
    try:
        if _unsent_bytes(sock):
            return False
        frame = _frame(frames, key, memoized(doc, key, render))
        sent: int = cast(Any, sock).send(frame, 0, 0.0)  # gevent's send: timeout 0, never waits
    except OSError:  # BlockingIOError (nothing written) or a broken connection: the greenlet's turn
        return False
    if sent < len(frame):
        sock.shutdown(socket.SHUT_RDWR)
    return True


def _unsent_bytes(sock: socket.socket) -> int:
    """Bytes the kernel holds for the socket, not yet acknowledged by the client (SIOCOUTQ)."""
    queued: int = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    return queued


def _frame(frames: dict[str, bytes], key: str, text: str) -> bytes:
    """The server frame of ``text`` (one unmasked text message), built once per key."""
    frame = frames.get(key)
    if frame is None:
        frame = frames[key] = bytes(FrameProtocol(client=False, extensions=[]).send_data(text, fin=True))
    return frame


def _write(ws: Server, frame: bytes) -> None:
    """Write a built frame where, and as, ``ws.send`` writes the frame it builds."""
    if not ws.connected:
        raise ConnectionClosed(ws.close_reason, ws.close_message)
    sock = ws.sock
    assert sock is not None  # a connected socket has one
    # One send, then the rest if any: gevent's sendall asks the kernel for SO_SNDBUF every call.
    sent = sock.send(frame)
    if sent < len(frame):
        sock.sendall(memoryview(frame)[sent:])


def after_last_message() -> None:
    """Hold a finished stream's closing work until the burst that finished it has gone out.

    A burst wakes many streams at once, and each that ends (its job finished or was deleted)
    has a close, a metrics update and its request's teardown to do: several times the cost of
    a message, which would delay the messages still waiting for their turn. So a finished
    stream sleeps ``CLOSE_DELAY_SECONDS`` (its last message is already sent) and, under gevent,
    then waits for the event loop to go idle (at most ``IDLE_WAIT_SECONDS``).
    """
    time.sleep(CLOSE_DELAY_SECONDS)
    if cooperative():
        import gevent

        with gevent.Timeout(IDLE_WAIT_SECONDS, False):
            gevent.idle()
