"""The two WebSockets, described beside the operations (x-websockets), not as operations."""

from __future__ import annotations

# A WebSocket is not an HTTP operation: its handshake is a GET that upgrades the connection,
# which OpenAPI cannot describe (no 101 answer a client could read, no messages) and which a
# contract tester or a generated client cannot call. So the two sockets are described here, in
# an extension the docs page shows, and in docs/api.md; a job's links.ws names the job's one.
WEBSOCKETS = {
    "/api/jobs/{job_id}/ws": "One job JSON per text message, the current state first; a deletion is"
    ' {"id", "deleted": true}; closes with 1000 after the terminal one. Same credentials and 404s as'
    " GET /api/jobs/{job_id}; a plain GET (no upgrade) gets those refusals, else a 426 problem"
    " naming the upgrade.",
    "/page/ws": "The page's socket: row fragments HTMX swaps in. A browser session of this site only (403).",
}
SOCKETS_TEXT = "\n\nWebSockets (not operations: an upgraded connection, see x-websockets):" + "".join(
    f"\n- `{path}`: {about}" for path, about in WEBSOCKETS.items()
)
