"""Read a file's header with ``ffmpeg -i`` (the bundled build has no ffprobe)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from app.media.fence import Limits, input_args, list_kind
from app.media.trim import Trim

PROBE_TIMEOUT_SECONDS = 30  # a header read; anything longer is not a file we want
# A header read needs little: a few seconds of CPU, no file written, memory for a frame or two.
PROBE_LIMITS = Limits(cpu_seconds=PROBE_TIMEOUT_SECONDS, memory_bytes=2 * 1024**3, file_bytes=0)

# The container's own lines, at fixed indents: the Duration line at 2 spaces (after the
# container's metadata), each stream at 2 (4 inside a program). A file's metadata is printed
# deeper (4 and more), its keys padded and its values after ": ", so a title that reads
# "Duration: 00:00:01" never matches these.
_FACTS_START = re.compile(r"^  Duration: ", re.MULTILINE)
_DURATION = re.compile(r"^  Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)", re.MULTILINE)
# A stream's own length, where the container keeps one (Matroska's DURATION tag).
_STREAM_DURATION = re.compile(r"^ {6,}DURATION\s*: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)", re.MULTILINE)
# A packet's "unknown" length in milliseconds, as ffmpeg's DVD subtitle encoder writes it: a file
# this long (49 days) is one whose length came from such a packet, not from its picture or sound.
UNKNOWN_LENGTH_SECONDS = 0xFFFFFFFF / 1000
_START = re.compile(r"^  Duration: [^,\n]*, start: (-?\d+(?:\.\d+)?)", re.MULTILINE)
_INPUT_FORMAT = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
# A chapter's own line (its title is on a "Metadata:" line below it, further in).
_CHAPTER = re.compile(r"^    Chapter #\d+:\d+: start -?\d", re.MULTILINE)
_STREAM = re.compile(r"^ {2}(?: {2})?Stream #0:\d+[^:\n]*: (Video|Audio|Subtitle): (\w+)(.*)$", re.MULTILINE)
_SAR = re.compile(r"\[SAR (\d+):(\d+) DAR ")  # "320x240 [SAR 4:3 DAR 16:9]"
_ATTACHMENT = re.compile(r"^ {2}(?: {2})?Stream #0:\d+[^:\n]*: Attachment\b", re.MULTILINE)
# A stream's title among its metadata (6 spaces in): Matroska's "title", MP4's "name" (as ffmpeg
# reads the track name it writes from a title).
_TITLE = re.compile(r"^ {6}(title|name)\s*: (.*)$", re.MULTILINE)
_ROTATION = re.compile(r"^\s*display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_COLOUR = re.compile(r"\b(yuv\w+|gray\w*|rgb\w*|gbr\w*)\(([^)]*)\)")
_BIT_DEPTH = re.compile(r"p(9|10|12|14|16)(?:le|be)\b")
_CHANNELS = re.compile(r"\d+ Hz, ([^,]+),")
_COUNTED = re.compile(r"(\d+) channels")  # a layout without a name: "3 channels (FL+FR+LFE)"
_FIELDS = re.compile(r"\((?:[^)]*, )?(?:top|bottom)(?: coded)? first\b")  # "yuv420p(tv, top first)"
_KBPS = re.compile(r", (\d+) kb/s\b")  # a stream's stated bitrate ("128 kb/s")
# A stated audio bitrate below this is no rate to keep to (a header's placeholder).
MIN_STATED_AUDIO_KBPS = 8
_AUDIO_BYTES = re.compile(r"\baudio:(\d+(?:\.\d+)?)(KiB|kB)\b")  # ffmpeg's summary of what it wrote
# ffmpeg's names for channel layouts (``ffmpeg -layouts``; a variant such as "5.1(side)" counts as
# its base name), as counts.
_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "binaural": 2, "downmix": 2, "2.1": 3, "3.0": 3, "4.0": 4, "quad": 4,
    "3.1": 4, "5.0": 5, "4.1": 5, "5.1": 6, "6.0": 6, "3.1.2": 6, "hexagonal": 6, "6.1": 7, "7.0": 7,
    "7.1": 8, "5.1.2": 8, "octagonal": 8, "cube": 8, "5.1.4": 10, "7.1.2": 10, "7.1.4": 12, "7.2.3": 12,
    "9.1.4": 14, "9.1.6": 16, "hexadecagonal": 16, "22.2": 24,
}  # fmt: skip
# A track whose layout is none of those (a newer ffmpeg's name, ambisonics): more than stereo, as
# every layout of one or two channels is named above, so it is folded down to stereo.
UNLISTED_LAYOUT = 3
HDR_TRANSFERS = ("smpte2084", "arib-std-b67")  # PQ and HLG
# HDR10's static metadata, in the stream's side data (ffmpeg 9: "Mastering display metadata:",
# older: "Mastering Display Metadata,"; blue's x and y are parted by a space). Read only when both
# the primaries and the luminance are there: an encoder takes the two together.
_XY = r"\(([\d.]+),? *([\d.]+)\)"
_MASTERING = re.compile(
    rf"^\s*mastering display metadata[:,] has_primaries:1 has_luminance:1 r{_XY} g{_XY} b{_XY} wp{_XY} "
    r"min_luminance=([\d.]+), max_luminance=([\d.]+)",
    re.IGNORECASE,
)
_LIGHT = re.compile(r"^\s*content light level metadata[:,] MaxCLL=(\d+), MaxFALL=(\d+)", re.IGNORECASE)
# The picture's size follows a comma ("yuv420p(tv, progressive), 320x240"): a codec tag before it
# ("([2][0][0][0] / 0x0002)", MPEG-2 in MPEG-TS) reads as 0x0002 otherwise.
_SIZE = re.compile(r", ([1-9]\d{0,4})x([1-9]\d{0,4})\b")
_STATS_TIME = re.compile(r"time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")  # ffmpeg's progress line
_FPS = re.compile(r", (\d+(?:\.\d+)?)(k?) fps\b")  # the picture's average rate ("25 fps", "29.97 fps")
_INVALID_SIZE = re.compile(r"Picture size (\d+x\d+) is invalid")
_STILL_FORMATS = ("image2", "_pipe", "webp", "tiff")


# The MIME type of each container the probe recognises (ffmpeg's demuxer name, first of its list);
# where one demuxer reads several kinds, the file's extension picks among them.
CONTAINER_TYPES: dict[str, str] = {
    "mov": "video/mp4", "matroska": "video/x-matroska", "avi": "video/x-msvideo", "flv": "video/x-flv",
    "mpegts": "video/mp2t", "mpeg": "video/mpeg", "asf": "video/x-ms-asf", "ogg": "video/ogg",
    "mxf": "application/mxf", "dv": "video/x-dv", "gif": "image/gif",
}  # fmt: skip
SAME_CONTAINER_TYPES: dict[str, str] = {
    ".mov": "video/quicktime", ".webm": "video/webm", ".3gp": "video/3gpp", ".m4v": "video/x-m4v",
}  # fmt: skip


@dataclass(frozen=True)
class MasteringDisplay:
    """The display an HDR video was graded on: each primary's and the white point's CIE 1931
    (x, y), and the luminance it shows, in cd/m²."""

    red: tuple[float, float]
    green: tuple[float, float]
    blue: tuple[float, float]
    white: tuple[float, float]
    min_luminance: float
    max_luminance: float


@dataclass(frozen=True)
class ContentLight:
    """An HDR video's brightest pixel (MaxCLL) and brightest frame on average (MaxFALL), cd/m²."""

    max_cll: int
    max_fall: int


class ProbeError(Exception):
    """The file is not a video ffmpeg can read; the message says why, for a person."""


@dataclass(frozen=True)
class MediaInfo:
    """What the header says about a video; ``width``/``height`` as displayed (rotation applied)."""

    duration_seconds: float | None
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    format_name: str
    rotation: int = 0  # degrees the player turns the picture: 0, 90, 180 or 270
    pixel_aspect: float = 1.0  # a stored pixel's width over its height (SAR): not 1 in anamorphic video
    transfer: str | None = None  # the colour transfer tag, e.g. "bt709", "smpte2084" (PQ)
    bit_depth: int = 8
    mastering: MasteringDisplay | None = None  # HDR10's static metadata, where the stream has it
    light: ContentLight | None = None
    audio_channels: tuple[int, ...] = ()  # each audio stream's channels, in order: all kept
    audio_kbps: int | None = None  # the highest bitrate its audio tracks state (None: one states none)
    audio_titles: tuple[str | None, ...] = ()  # each audio track's title (None: it has none), in order
    subtitles: tuple[str, ...] = ()  # each subtitle stream's codec, in order
    attachments: int = 0  # attached files (Matroska's: fonts for styled subtitles, a cover)
    other_pictures: int = 0  # video streams besides the one encoded (cover pictures, other angles)
    chapters: int = 0
    frame_rate: float | None = None  # frames a second (the stream's average), where ffmpeg says
    interlaced: bool = False  # its picture is stored as two fields ("top first"), where ffmpeg says
    # The part of the file a job works on (``duration_seconds`` is then that part's length).
    trim: Trim | None = None
    # Where the file's timeline starts (its earliest stream's first timestamp): ffmpeg's times,
    # a trim's too, count from there.
    timeline_start: float = 0.0

    def trimmed(self, trim: Trim | None) -> MediaInfo:
        """The video a job works on: this one, or the part ``trim`` keeps of it."""
        return self if trim is None else replace(self, duration_seconds=trim.length, trim=trim)

    @property
    def start_seconds(self) -> float:
        """Where the video a job works on starts in the file (0 unless trimmed)."""
        return self.trim.start if self.trim else 0.0

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def audio_tracks(self) -> int:
        return len(self.audio_channels)

    @property
    def hdr(self) -> bool:
        """PQ or HLG: must be tone-mapped to look right as 8-bit SDR."""
        return self.transfer in HDR_TRANSFERS

    def beyond(self, max_pixels: int, max_duration_seconds: float) -> str | None:
        """Why the video is beyond these limits, for a person; None when it is within them."""
        pixels = self.width * self.height
        if pixels > max_pixels:
            return (f"the video is {self.width}×{self.height} ({pixels / 1e6:.1f} megapixels); this server "
                    f"takes at most {max_pixels / 1e6:.1f} megapixels a frame (MAX_PIXELS)")  # fmt: skip
        if self.duration_seconds is not None and self.duration_seconds > max_duration_seconds:
            return (f"the video is {_length(self.duration_seconds)} long; this server takes at most "
                    f"{_length(max_duration_seconds)} (MAX_DURATION_MINUTES)")  # fmt: skip
        return None

    def content_type(self, filename: str) -> str:
        """The file's MIME type from what the probe found it to be (its name only picks
        among the kinds one container format covers: .mov or .mp4, .webm or .mkv)."""
        demuxer = self.format_name.split(",")[0]
        found = CONTAINER_TYPES.get(demuxer, "application/octet-stream")
        suffix = Path(filename).suffix.lower()
        if suffix in SAME_CONTAINER_TYPES and suffix[1:] in self.format_name.split(","):
            return SAME_CONTAINER_TYPES[suffix]
        return found

    @property
    def shown_size(self) -> tuple[int, int]:
        """Width and height as a player shows the picture: upright, and its pixels' aspect
        applied (a DVD's 720x480 at 32:27 shows as 854x480, HDV's 1440x1080 as 1920x1080)."""
        if self.pixel_aspect == 1.0:
            return self.width, self.height
        if self.rotation in (90, 270):  # the stored width is the height shown
            return self.width, _even(self.height * self.pixel_aspect)
        return _even(self.width * self.pixel_aspect), self.height

    def as_input(self, filename: str, size_bytes: int) -> dict[str, object]:
        """The contract's ``input`` object (its size as shown)."""
        facts = asdict(self)
        facts["width"], facts["height"] = self.shown_size
        internals = (
            "format_name",
            "rotation",
            "pixel_aspect",
            "transfer",
            "bit_depth",
            "mastering",
            "light",
            "audio_channels",
            "audio_kbps",
            "audio_titles",
            "interlaced",
            "other_pictures",
            "subtitles",
            "attachments",
            "chapters",
            "trim",
            "timeline_start",
        )
        for internal in internals:
            facts.pop(internal)
        return {"filename": filename, "size_bytes": size_bytes, **facts}


def probe(ffmpeg: str, path: str | Path) -> MediaInfo:
    """Describe the video at ``path`` or raise ProbeError (fenced: see ``app.media.fence``)."""
    kind = list_kind(path)
    if kind is not None:
        raise ProbeError(f"the file is {kind}, which names other files; upload the video itself")
    info = parse_probe(_ffmpeg_says(ffmpeg, path))
    if info.duration_seconds is None:  # a header written before the length was known (a recording)
        info = replace(info, duration_seconds=_read_length(ffmpeg, path))
    return info


def _ffmpeg_says(ffmpeg: str, path: str | Path, *more: str) -> str:
    """What ffmpeg writes to stderr reading ``path`` (with ``more`` arguments), fenced."""
    try:
        done = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", *input_args(path), *more],
            capture_output=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
            preexec_fn=PROBE_LIMITS.preexec(),
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeError("reading the file's header took too long; is it a video?") from exc
    return done.stderr.decode("utf-8", "replace")


def read_audio_kbps(summary: str, seconds: float, tracks: int) -> int | None:
    """An audio track's mean bitrate from ``command.audio_size_command``'s summary over ``seconds`` of
    ``tracks`` tracks (their bytes shared evenly); None when the summary gives no size."""
    found = _AUDIO_BYTES.findall(summary)
    if not found or seconds <= 0 or tracks <= 0:
        return None
    kilobytes = float(found[-1][0]) * (1024 if found[-1][1] == "KiB" else 1000)
    kbps = round(kilobytes * 8 / seconds / tracks / 1000)
    return kbps if kbps >= MIN_STATED_AUDIO_KBPS else None


def _read_length(ffmpeg: str, path: str | Path) -> float | None:
    """The length of a file whose header gives none (a browser's MediaRecorder WebM, a stream
    saved as it came): its picture's and sound's packets read to the end, none decoded. Limits,
    quotas and the split into segments all count on it. None when it cannot be read in time
    (the file is still a video: its length stays unknown, as before)."""
    try:
        said = _ffmpeg_says(ffmpeg, path, "-map", "0:v:0", "-map", "0:a?", "-c", "copy", "-f", "null", "-")
    except ProbeError:
        return None
    seconds = [_seconds(match) for match in _STATS_TIME.finditer(said)]
    return seconds[-1] if seconds and seconds[-1] > 0 else None


def parse_probe(text: str) -> MediaInfo:
    """Parse ``ffmpeg -i`` output into MediaInfo (or raise ProbeError)."""
    fmt = _INPUT_FORMAT.search(text)
    if fmt is None:
        size = _INVALID_SIZE.search(text)
        if size is not None:
            raise ProbeError(f"the file claims a picture of {size.group(1)} pixels, which is not a real size")
        if "Format not on whitelist" in text:  # ffmpeg knows it, as a kind of file that is no video
            raise ProbeError("the file is not a video: its format holds sound, pictures or text (as MP3)")
        raise ProbeError("the file is not a video that ffmpeg can read")
    format_name = fmt.group(1).rstrip(",")
    start = _FACTS_START.search(text)
    text = text[start.start() :] if start else text  # the container's metadata stays behind
    video: tuple[str, str, str] | None = None  # codec, the rest of its line, its side data
    audio: tuple[str, str] | None = None
    channels: list[int] = []
    rates: list[int | None] = []  # each audio track's stated kb/s
    titles: list[str | None] = []
    subtitles = []
    pictures = 0
    played: list[float] = []  # the picture's and the sound's own lengths, where the file says
    for match in _STREAM.finditer(text):
        kind, codec, rest = match.groups()
        following = _STREAM.search(text, match.end())
        block = text[match.end() : following.start() if following else len(text)]  # its metadata, side data
        if kind in ("Video", "Audio"):
            played += _durations(block)[:1]
        if kind == "Video":
            pictures += 1
        if kind == "Video" and video is None and "(attached pic)" not in rest:
            video = (codec, rest, block)
        elif kind == "Audio":
            channels.append(_channels(rest))
            rates.append(_stated_kbps(rest))
            titles.append(_title(block))
            audio = audio or (codec, rest)
        elif kind == "Subtitle":
            subtitles.append(codec)
    if video is None:
        raise ProbeError("the file has no video stream")
    size = _SIZE.search(video[1])
    if size is None:
        raise ProbeError("the video stream has no picture size")
    duration = _duration(text)
    if duration is not None and duration >= UNKNOWN_LENGTH_SECONDS:
        duration = round(max(played), 3) if played else None
    if not duration and any(marker in format_name for marker in _STILL_FORMATS):
        raise ProbeError("the file is a still image, not a video")
    width, height = int(size.group(1)), int(size.group(2))
    sample = _SAR.search(video[1])
    pixel_aspect = int(sample[1]) / int(sample[2]) if sample and int(sample[1]) and int(sample[2]) else 1.0
    side_data = _side_data(video[2])
    rotation = _rotation(side_data)
    if rotation in (90, 270):
        width, height = height, width
    transfer, bit_depth = _colour(video[1])
    return MediaInfo(
        duration_seconds=duration,
        width=width,
        height=height,
        video_codec=video[0],
        audio_codec=audio[0] if audio else None,
        format_name=format_name,
        rotation=rotation,
        pixel_aspect=pixel_aspect,
        transfer=transfer,
        bit_depth=bit_depth,
        mastering=_mastering(side_data),
        light=_light(side_data),
        audio_channels=tuple(channels),
        audio_kbps=_highest(rates),
        audio_titles=tuple(titles),
        other_pictures=pictures - 1,
        subtitles=tuple(subtitles),
        chapters=len(_CHAPTER.findall(text)),
        attachments=len(_ATTACHMENT.findall(text)),
        frame_rate=_frame_rate(video[1]),
        interlaced=bool(_FIELDS.search(video[1])),
        timeline_start=float(start_time.group(1)) if (start_time := _START.search(text)) else 0.0,
    )


def _length(seconds: float) -> str:
    """A length as a person reads it: ``70 s``, ``1 minute``, ``12.5 minutes``."""
    if seconds < 120 and seconds % 60:
        return f"{seconds:.0f} s"
    minutes = f"{seconds / 60:.1f}".removesuffix(".0")
    return f"{minutes} minute" + ("" if minutes == "1" else "s")


def _frame_rate(stream: str) -> float | None:
    match = _FPS.search(stream)
    rate = float(match.group(1)) * (1000 if match.group(2) else 1) if match else 0.0
    return rate if rate > 0 else None


def _rotation(side_data: list[str]) -> int:
    """The display matrix's rotation as a quarter turn in 0..270 (0 without one), read from
    the stream's ``Side data:`` section only (its metadata may say anything)."""
    for line in side_data:
        match = _ROTATION.match(line)
        if match is not None:
            return round(float(match.group(1)) / 90) % 4 * 90
    return 0


def _mastering(side_data: list[str]) -> MasteringDisplay | None:
    """The mastering display from the stream's side data (None without one)."""
    for line in side_data:
        match = _MASTERING.match(line)
        if match is not None:
            v = [float(value) for value in match.groups()]
            return MasteringDisplay((v[0], v[1]), (v[2], v[3]), (v[4], v[5]), (v[6], v[7]), v[8], v[9])
    return None


def _light(side_data: list[str]) -> ContentLight | None:
    """The content light level from the stream's side data (None without one)."""
    for line in side_data:
        match = _LIGHT.match(line)
        if match is not None:
            return ContentLight(int(match.group(1)), int(match.group(2)))
    return None


def _side_data(block: str) -> list[str]:
    """The lines under a stream's ``Side data:`` header (indented deeper than it)."""
    lines, found, depth = block.splitlines(), [], None
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if depth is not None and indent <= depth:
            depth = None
        if depth is not None:
            found.append(line)
        elif line.strip() == "Side data:":
            depth = indent
    return found


def _colour(stream_line: str) -> tuple[str | None, int]:
    """The transfer tag (None when untagged) and bits per sample, from the stream's line."""
    match = _COLOUR.search(stream_line)
    if match is None:
        return None, 8
    depth = _BIT_DEPTH.search(match.group(1))
    tags = [part.strip() for part in match.group(2).split(",")]
    # "(tv, bt2020nc/bt2020/smpte2084, progressive)": matrix/primaries/transfer, or one name for all.
    transfer = next((tag.split("/")[-1] for tag in tags if tag.count("/") == 2), None)
    if transfer is None:
        transfer = next((tag for tag in tags if tag.startswith(("bt", "smpte", "arib"))), None)
    return transfer, int(depth.group(1)) if depth else 8


def _even(length: float) -> int:
    """``length`` to the nearest even number of pixels (as 4:2:0 pictures are sized)."""
    return max(2, round(length / 2) * 2)


def _highest(rates: list[int | None]) -> int | None:
    """The highest of the tracks' stated bitrates; None when there is none or one is not stated."""
    stated = [rate for rate in rates if rate is not None]
    return max(stated) if stated and len(stated) == len(rates) else None


def _stated_kbps(audio_line: str) -> int | None:
    """The bitrate an audio stream's line states, in kb/s; None when it states none (or a
    placeholder below MIN_STATED_AUDIO_KBPS)."""
    match = _KBPS.search(audio_line)
    kbps = int(match.group(1)) if match else 0
    return kbps if kbps >= MIN_STATED_AUDIO_KBPS else None


def _title(block: str) -> str | None:
    """A stream's title, from the metadata under its line: its ``title``, else its ``name``."""
    found = {key: value.strip() for key, value in _TITLE.findall(block)}
    return found.get("title") or found.get("name") or None


def _channels(audio_line: str) -> int:
    """How many channels an audio stream's line says it has (UNLISTED_LAYOUT: it does not say)."""
    match = _CHANNELS.search(audio_line)
    if match is None:
        return UNLISTED_LAYOUT
    layout = match.group(1).strip()
    counted = _COUNTED.match(layout)
    if counted is not None:
        return int(counted.group(1))
    return _LAYOUT_CHANNELS.get(layout.split("(")[0], UNLISTED_LAYOUT)


def _duration(text: str) -> float | None:
    match = _DURATION.search(text)
    if match is None:
        return None
    return _seconds(match)


def _durations(block: str) -> list[float]:
    """The DURATION tags in a stream's block of the header."""
    return [_seconds(match) for match in _STREAM_DURATION.finditer(block)]


def _seconds(match: re.Match[str]) -> float:
    hours, minutes, seconds = match.groups()
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)
