"""What many subscribers derive from one shared job document is made once (a leaf module).

The hub wraps each delivered document in a ``SharedDocument``; renders of it (the JSON for a base
URL, the page's row, the WebSocket frames) are kept on it, so a thousand followers cost one render.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class SharedDocument(dict):  # type: ignore[type-arg]
    """A job document delivered to many subscribers: what they derive from it is made once.

    ``renders`` holds texts by key (the JSON for a base URL, the page's row), ``frames`` the
    WebSocket frames of those texts (see ``app.events.fanout``).
    """

    __slots__ = ("frames", "renders")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renders: dict[str, str] = {}
        self.frames: dict[str, bytes] = {}


def memoized(doc: Mapping[str, object], key: str, render: Callable[[], str]) -> str:
    """``render()``, made once per key for a shared document (each time for any other)."""
    renders: dict[str, str] | None = getattr(doc, "renders", None)
    if renders is None:
        return render()
    text = renders.get(key)
    if text is None:
        text = renders[key] = render()
    return text
