"""How ffmpeg is fenced in: what it may open, and how much it may use.

Uploads are files from strangers. ffmpeg reads them as a local file, or (``StoreUrl``) in
byte ranges from a time-limited URL of the deployment's own store, never from any other
address; with the demuxers of real media containers only: playlists (HLS, DASH), concat
lists and image sequences, which name other files or URLs, are refused before anything is
read. Every run also gets kernel resource limits, so a crafted file cannot spin a CPU,
take the host's memory or fill its disk.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.media.trim import Trim

ALLOWED_PROTOCOLS = ("file",)
# A StoreUrl's protocols by its scheme: what it runs on, and nothing it could be redirected to.
STORE_PROTOCOLS = {"https": ("https", "tls", "tcp"), "http": ("http", "tcp")}
# How a StoreUrl is read: on one kept-alive connection, a dropped one picked up again (a store
# down for longer stalls the step, which is then retried). Options of ffmpeg 4.4 and later.
STORE_READING = ("-multiple_requests", "1", "-reconnect", "1", "-reconnect_on_network_error", "1",
                 "-reconnect_delay_max", "8")  # fmt: skip
# What ffmpeg writes when the network or the store failed a read. A read cut short mid-file and
# not resumed ends ffmpeg's input as if the file ended there ("partial file"), exit status 0;
# one resumed ("Stream ends prematurely", then a reconnect) is not trouble.
STORE_TROUBLE = (
    "connection refused", "connection reset", "connection timed out", "server returned", "http error",
    "error during demuxing", "input/output error", "partial file",
)  # fmt: skip
# Demuxers of media containers and raw streams that never refer to another file or URL.
# The image pipes are here so a still image is told apart from a video in the probe.
ALLOWED_DEMUXERS = (
    "mov", "matroska", "avi", "flv", "mpegts", "mpeg", "mpegvideo", "asf", "ogg", "mxf", "dv",
    "nut", "ivf", "obu", "h264", "hevc", "m4v", "yuv4mpegpipe", "gif", "rm", "wtv",
    "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe",
)  # fmt: skip
# What Squeeze's own files of a trim's subtitle cues and chapters are read with (``app.media.cues``).
CUE_DEMUXERS = ("ass", "ffmetadata")
# What playlists and concat lists start with: named in the refusal, so a person knows why.
LIST_MARKERS = {b"#EXTM3U": "an HLS playlist", b"ffconcat": "an ffconcat list", b"<?xml": "an XML document"}


def store_trouble(log: str) -> bool:
    """Whether ffmpeg's ``log`` of a run reading a ``StoreUrl`` says the store failed it."""
    return any(sign in log.lower() for sign in STORE_TROUBLE)


def reads_store(cmd: list[str]) -> bool:
    """Whether ``cmd`` reads a ``StoreUrl``: its failures are the store's until shown otherwise
    (the job's first worker read the same bytes as a local file)."""
    return any(isinstance(arg, StoreUrl) for arg in cmd)


class StoreUrl(str):
    """A time-limited URL of the deployment's own object store (presigned by ``app.storage``),
    read in byte ranges: a worker encodes its part of an input without copying all of it.
    Only this type is read over the network; a plain string is a local path."""

    @property
    def scheme(self) -> str:
        """``https`` or ``http`` (ValueError for anything else)."""
        scheme = self.split("://", 1)[0].lower()
        if scheme not in STORE_PROTOCOLS:
            raise ValueError(f"a store URL is http(s), not {scheme!r}")
        return scheme


@dataclass(frozen=True)
class Limits:
    """Kernel limits for one ffmpeg process (None: no limit of that kind)."""

    cpu_seconds: int | None = None  # CPU time over all its threads (RLIMIT_CPU: SIGXCPU)
    memory_bytes: int | None = None  # address space (RLIMIT_AS: allocations fail)
    file_bytes: int | None = None  # the largest file it may write (RLIMIT_FSIZE: SIGXFSZ)

    def apply(self) -> None:
        """Set the limits on the current process (run in the child, before exec)."""
        for kind, value in (
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
        ):
            if value is not None:
                resource.setrlimit(kind, (value, value))

    def preexec(self) -> Callable[[], None] | None:
        """``preexec_fn`` for subprocess, or None when there is nothing to limit."""
        limited = (self.cpu_seconds, self.memory_bytes, self.file_bytes)
        return self.apply if any(value is not None for value in limited) else None


# Every input's video keeps its filters when its frames change size or format mid-stream: the
# chain's first filter (``picture.first_size``) fits each frame itself, where ffmpeg would build
# the filters again, which resets a graph of several inputs (a score's concat: it stalled) and
# the timestamps a segment's encode counts from.
KEEP_FILTERS = ("-reinit_filter:v", "0")


def input_args(
    path: str | Path,
    trim: Trim | None = None,
    origin: float | None = None,
    demuxers: Sequence[str] = ALLOWED_DEMUXERS,
) -> list[str]:
    """``-i`` and what precedes it: the allowlists (``demuxers``: CUE_DEMUXERS for a file of
    cues Squeeze wrote), the part to read (``trim``: all of it when None; ``origin``: see
    ``Trim.input_options``), then the input as a local file (or a ``StoreUrl``, read in ranges)."""
    if isinstance(path, StoreUrl):
        reading = ["-protocol_whitelist", ",".join(STORE_PROTOCOLS[path.scheme]), *STORE_READING]
        target: str = path  # kept a StoreUrl in the argv: ``reads_store`` finds it there
    else:
        reading = ["-protocol_whitelist", ",".join(ALLOWED_PROTOCOLS)]
        target = f"file:{Path(path).absolute()}"
    return [
        *(trim.input_options(origin) if trim else []),
        *reading,
        *KEEP_FILTERS,
        "-format_whitelist", ",".join(demuxers),
        "-i", target,
    ]  # fmt: skip


def list_kind(path: str | Path) -> str | None:
    """'an HLS playlist' (etc.) when the file is a text list of other files, else None (and
    for a ``StoreUrl``: its job's first worker read the same input as a local file first)."""
    if isinstance(path, StoreUrl):
        return None
    with open(path, "rb") as file:
        head = file.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return next((kind for marker, kind in LIST_MARKERS.items() if head.startswith(marker)), None)
