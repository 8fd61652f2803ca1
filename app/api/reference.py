"""What the docs page (/api/docs) reads beyond the operations themselves: tags that group them,
and request examples its code samples and try-it console start from.

Both live in the served OpenAPI document (app/api/openapi/ includes them), so every other
reader of it gets them too; tests/api/test_openapi.py checks that the server accepts each
example.
"""

from __future__ import annotations

from typing import Any

from app.media.formats import DEFAULT_CODEC, DEFAULT_PRESET
from app.units import MB

# In the docs page's order. An operation without tags gets the first one whose prefix its path
# starts with (the page's and health routes carry their own).
TAGS: tuple[dict[str, str], ...] = (
    {"name": "jobs", "description": "Submit a video, then follow, fetch, cancel or delete its job"},
    {
        "name": "uploads",
        "description": "Resumable direct uploads for big files: promise, send parts, complete",
    },
    {"name": "docs", "description": "This document, for programs and for people"},
    {"name": "page", "description": "The browser page's routes: a signed session, not an API key"},
    {"name": "health", "description": "For load balancers and operators"},
)
TAG_PREFIXES = (("/api/jobs", "jobs"), ("/api/uploads", "uploads"), ("/api/", "docs"))

EXAMPLE_HEIGHT = 720  # an example max_height: a size phones play well
# "@name" is a file to send under that name: the docs page's samples then read it from disk
# (curl's --form file=@clip.mp4, Python's open("clip.mp4")) and its console asks for one.
UPLOAD_EXAMPLE = {
    "file": "@clip.mp4",
    "preset": DEFAULT_PRESET,
    "codec": DEFAULT_CODEC,
    "max_height": EXAMPLE_HEIGHT,
}
SOURCE_URL_EXAMPLE = {"source_url": "https://example.com/clip.mp4", "preset": DEFAULT_PRESET}
UPLOAD_PROMISE_EXAMPLE = {"filename": "clip.mp4", "size_bytes": 100 * MB, "preset": DEFAULT_PRESET}
PART_NUMBERS_EXAMPLE = {"numbers": [1, 2]}


def tagged(paths: dict[str, Any]) -> dict[str, Any]:
    """``paths`` with each untagged operation tagged by its path's prefix (see TAG_PREFIXES)."""
    return {path: _tag_item(item, _tag_of(path)) for path, item in paths.items()}


def _tag_of(path: str) -> str | None:
    return next((tag for prefix, tag in TAG_PREFIXES if path.startswith(prefix)), None)


def _tag_item(item: dict[str, Any], tag: str | None) -> dict[str, Any]:
    if tag is None:
        return item
    return {
        method: operation if method == "parameters" or "tags" in operation else {**operation, "tags": [tag]}
        for method, operation in item.items()
    }
