"""Streams fed by the hub, at scale: each frame built once, and closing work after the sends.

The hub hands every subscriber of a job the same ``SharedDocument``, and what they send is a
text memoized on it (``memoized``). A server's WebSocket frame of a text, without extensions,
is the same bytes on every connection (servers do not mask), so it is built once too and the
other sockets write those bytes. A socket whose client offered an extension (browsers offer
``permessage-deflate``) frames its own messages through wsproto, as ``Server.send`` does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from simple_websocket import ConnectionClosed, Server
from wsproto.frame_protocol import FrameProtocol

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
    frame = frames.get(key)
    if frame is None:
        frame = frames[key] = bytes(FrameProtocol(client=False, extensions=[]).send_data(text, fin=True))
    _write(ws, frame)


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
    from gevent import monkey

    if monkey.is_module_patched("threading"):
        import gevent

        with gevent.Timeout(IDLE_WAIT_SECONDS, False):
            gevent.idle()
