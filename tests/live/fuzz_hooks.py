"""What the contract tester (schemathesis) needs that a schema cannot say; loaded by
tests/live/test_fuzz.py and, as ``SCHEMATHESIS_HOOKS=tests.live.fuzz_hooks``, by ``make fuzz``.

- A video: the document says a submitted file is ``video/*``, which no schema can make out of
  random bytes (the server probes it: else 415). Positive cases get a short real clip, as
  does the document's example (``"@clip.mp4"``: a file to send).
- Nothing leaves this machine: the server resolves the host of a ``callback_url`` or
  ``source_url`` (app.netguard), so each is replaced by a loopback URL (the stack under test
  allows private addresses), which the server checks and accepts the same way.
- Facts of one request the schema cannot relate: a trim within the clip (its length is in
  the file) and ending after it starts, a target size the clip can be made to fit; an
  ``Idempotency-Key`` never reused for another request (a reuse is the client's mistake:
  422 by the draft standard).
"""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import schemathesis
from hypothesis import strategies as st

LOOPBACK_URL = "http://127.0.0.1:9/fuzzed"  # nothing listens on the discard port: refused at once
REFUSED_URL = "ftp://127.0.0.1:9/fuzzed"  # not http(s): neither the schema nor the server takes it
RESOLVED_FIELDS = ("callback_url", "source_url")
CLIP_SECONDS = 0.4  # a few frames: every accepted submit is an encode the worker runs
CLIP_TARGET_MB = 1.0  # a size the clip fits in (a target below what its sound needs is a 422)


def _clip() -> bytes:
    """A few frames of testsrc2 and a tone, made here with ffmpeg alone: this module imports
    nothing of the project's, since Hypothesis draws strings and numbers from the constants of
    every local module loaded (any change to the app's text would move which cases are drawn,
    and which of the document's links a fixed seed's run follows)."""
    with tempfile.TemporaryDirectory(prefix="squeeze-fuzz-") as folder:
        path = Path(folder) / "fuzz.mp4"
        sources = [f"testsrc2=size=64x48:rate=10:duration={CLIP_SECONDS}", f"sine=duration={CLIP_SECONDS}"]
        inputs = [arg for source in sources for arg in ("-f", "lavfi", "-i", source)]
        codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
        head = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y"]
        cmd = [*head, *inputs, *codecs, "-shortest", str(path)]
        subprocess.run(cmd, check=True, timeout=60)
        return path.read_bytes()


CLIP = _clip()
schemathesis.openapi.media_type("video/mp4", st.just(CLIP))


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    """A multipart file the document declares ``contentMediaType: video/*`` is sent as video/mp4
    (schemathesis reads a part's type from ``encoding`` only): then it gets the clip."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            if form is None:
                continue
            name = form["schema"]["$ref"].rsplit("/", 1)[-1]
            fields = raw_schema["components"]["schemas"][name]["properties"]
            videos = [f for f, schema in fields.items() if schema.get("contentMediaType") == "video/*"]
            form.setdefault("encoding", {}).update({f: {"contentType": "video/mp4"} for f in videos})


@schemathesis.hook
def before_call(context: Any, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    """Every request, in every phase: loopback URLs; in positive cases (every part valid) a fresh
    idempotency key, a trim that fits and a target size the clip can meet."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    body = case.body
    if not isinstance(body, dict):
        return
    for name in RESOLVED_FIELDS:
        if isinstance(body.get(name), str):
            # A negative case keeps a wrong URL here (its scheme: refused before any lookup),
            # so it stays a case the API must refuse.
            body[name] = LOOPBACK_URL if positive else REFUSED_URL
    if positive and isinstance(body.get("file"), str) and body["file"].startswith("@"):
        body["file"] = CLIP  # the document's example: "@clip.mp4" is a file of that name to send
    if positive and "file" in body:
        _fit_trim(body, CLIP_SECONDS)
        if isinstance(body.get("target_size_mb"), int | float):
            body["target_size_mb"] = max(body["target_size_mb"], CLIP_TARGET_MB)
    elif positive:
        _fit_trim(body, None)
    if "file" in body:
        # Each change above keeps the case as valid (or as invalid) as it was generated; but
        # schemathesis re-checks a changed body and counts one with a file in it invalid.
        case._sync_validated_hashes()


def _fit_trim(body: dict[str, Any], length: float | None) -> None:
    """Start before end, and with a file both within its ``length`` (the clip's)."""
    start, end = body.get("start_seconds"), body.get("end_seconds")
    given = [v for v in (start, end) if v is not None]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in given):
        return
    if length is not None:
        half = length / 2
        if start is not None:
            body["start_seconds"] = start % half  # [0, half)
        if end is not None:
            body["end_seconds"] = half + end % half  # [half, length)
    elif start is not None and end is not None and end <= start:
        body["start_seconds"] = end / 2
