"""Read a file's header with ``ffmpeg -i`` (the bundled build has no ffprobe)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from app.media.fence import Limits, input_args, list_kind

PROBE_TIMEOUT_SECONDS = 30  # a header read; anything longer is not a file we want
# A header read needs little: a few seconds of CPU, no file written, memory for a frame or two.
PROBE_LIMITS = Limits(cpu_seconds=PROBE_TIMEOUT_SECONDS, memory_bytes=2 * 1024**3, file_bytes=0)

_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_INPUT_FORMAT = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
_STREAM = re.compile(r"^\s*Stream #0:\d+[^:]*: (Video|Audio): (\w+)(.*)$", re.MULTILINE)
_SIZE = re.compile(r"\b(\d{1,5})x(\d{1,5})\b")
_INVALID_SIZE = re.compile(r"Picture size (\d+x\d+) is invalid")
_STILL_FORMATS = ("image2", "_pipe", "webp", "tiff")


class ProbeError(Exception):
    """The file is not a video ffmpeg can read; the message says why, for a person."""


@dataclass(frozen=True)
class MediaInfo:
    """What the header says about a video."""

    duration_seconds: float | None
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    format_name: str

    def beyond(self, max_pixels: int, max_duration_seconds: float) -> str | None:
        """Why the video is beyond these limits, for a person; None when it is within them."""
        pixels = self.width * self.height
        if pixels > max_pixels:
            return (f"the video is {self.width}×{self.height} ({pixels / 1e6:.1f} megapixels); this server "
                    f"takes at most {max_pixels / 1e6:.1f} megapixels a frame (MAX_PIXELS)")  # fmt: skip
        if self.duration_seconds is not None and self.duration_seconds > max_duration_seconds:
            return (f"the video is {self.duration_seconds / 60:.0f} minutes long; this server takes at most "
                    f"{max_duration_seconds / 60:.0f} minutes (MAX_DURATION_MINUTES)")  # fmt: skip
        return None

    def as_input(self, filename: str, size_bytes: int) -> dict[str, object]:
        """The contract's ``input`` object."""
        facts = asdict(self)
        facts.pop("format_name")
        return {"filename": filename, "size_bytes": size_bytes, **facts}


def probe(ffmpeg: str, path: str | Path) -> MediaInfo:
    """Describe the video at ``path`` or raise ProbeError (fenced: see ``app.media.fence``)."""
    kind = list_kind(path)
    if kind is not None:
        raise ProbeError(f"the file is {kind}, which names other files; upload the video itself")
    try:
        done = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", *input_args(path)],
            capture_output=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
            preexec_fn=PROBE_LIMITS.preexec(),
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeError("reading the file's header took too long; is it a video?") from exc
    return parse_probe(done.stderr.decode("utf-8", "replace"))


def parse_probe(text: str) -> MediaInfo:
    """Parse ``ffmpeg -i`` output into MediaInfo (or raise ProbeError)."""
    fmt = _INPUT_FORMAT.search(text)
    if fmt is None:
        size = _INVALID_SIZE.search(text)
        if size is not None:
            raise ProbeError(f"the file claims a picture of {size.group(1)} pixels, which is not a real size")
        raise ProbeError("the file is not a video that ffmpeg can read")
    format_name = fmt.group(1).rstrip(",")
    video = audio = None
    for kind, codec, rest in _STREAM.findall(text):
        if kind == "Video" and video is None and "(attached pic)" not in rest:
            video = (codec, rest)
        elif kind == "Audio" and audio is None:
            audio = codec
    if video is None:
        raise ProbeError("the file has no video stream")
    size = _SIZE.search(video[1])
    if size is None:
        raise ProbeError("the video stream has no picture size")
    duration = _duration(text)
    if not duration and any(marker in format_name for marker in _STILL_FORMATS):
        raise ProbeError("the file is a still image, not a video")
    return MediaInfo(
        duration_seconds=duration,
        width=int(size.group(1)),
        height=int(size.group(2)),
        video_codec=video[0],
        audio_codec=audio,
        format_name=format_name,
    )


def _duration(text: str) -> float | None:
    match = _DURATION.search(text)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)
