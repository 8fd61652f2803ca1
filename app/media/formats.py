"""The codecs and presets Squeeze offers, each one record: adding a codec is one entry here.

Everything else (the commands, the CRF search, the never-larger rule, the API's options and its
OpenAPI document, the page) reads these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class Preset:
    """A look: the VMAF a CRF search aims each video at, and the audio's rate."""

    name: str
    vmaf_target: float  # VMAF, 0-100
    audio_kbps: int
    label: str  # as the page offers it


@dataclass(frozen=True)
class HdrParams:
    """How an encoder's own parameters carry HDR10's static metadata: the mastering display as
    ``G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)``, the content light level as ``MaxCLL,MaxFALL``."""

    mastering: str  # the mastering display's key
    light: str  # the content light level's key
    # Chromaticities and luminance (cd/m²) as whole counts of 1/these (x265's); None: as decimals.
    units: tuple[int, int] | None = None
    switches: tuple[str, ...] = ()  # set beside the metadata


@dataclass(frozen=True)
class Codec:
    """One video encoder as Squeeze drives it."""

    name: str  # as a request names it
    encoder: str  # ffmpeg's encoder
    probe_name: str  # as ffmpeg's probe reports a stream of it
    speed_args: tuple[str, ...]  # the middle of the encoder's range: a fair size/time trade
    crf: MappingProxyType[str, int]  # per preset: a search's start, the choice without one
    crf_range: tuple[float, float]  # where a search may go: past these ends the gain is not worth it
    slope: float  # growth of ln(100 - VMAF) per CRF step: a search's first guess (app.media.search)
    two_pass: bool  # ffmpeg can run it in two passes (SVT-AV1 through ffmpeg cannot)
    whole_crf: bool  # it takes whole CRFs only
    label: str  # as the page offers it
    extra: str = ""  # its own parameters' option, where it has one (x265's, SVT-AV1's)
    quiet: tuple[str, ...] = ()  # its own parameters that keep its log to errors
    # How it keeps an HDR input's HDR (10-bit, BT.2020, PQ or HLG, the metadata); None: it is
    # always delivered as 8-bit SDR, tone-mapped (H.264: few players take 10-bit H.264).
    hdr: HdrParams | None = None

    def crf_text(self, crf: float) -> str:
        return str(round(crf)) if self.whole_crf else f"{crf:g}"


PRESET_LIST: Final = (
    Preset("small", vmaf_target=87.0, audio_kbps=96, label="Small file"),
    Preset("balanced", vmaf_target=93.0, audio_kbps=128, label="Balanced"),
    Preset("high", vmaf_target=96.0, audio_kbps=160, label="High quality"),
)
# x265 counts chromaticities in 1/50000 and luminance in 1/10000 cd/m², and sends the metadata
# as SEI with every keyframe (each segment of a split job starts with one); SVT-AV1 takes
# decimals and writes metadata OBUs.
X265_HDR: Final = HdrParams("master-display", "max-cll", units=(50000, 10000), switches=("hdr10=1",))
SVT_AV1_HDR: Final = HdrParams("mastering-display", "content-light")
# The scales differ: x265 and SVT-AV1 reach x264's look at higher numbers; SVT-AV1's steps are finer.
CODEC_LIST: Final = (
    Codec("h264", "libx264", "h264", ("-preset", "medium"),
          MappingProxyType({"small": 29, "balanced": 25, "high": 20}), (14, 40),
          slope=0.15, two_pass=True, whole_crf=False, label="H.264 (plays everywhere)"),
    Codec("h265", "libx265", "hevc", ("-preset", "fast"),
          MappingProxyType({"small": 31, "balanced": 28, "high": 23}), (16, 42),
          slope=0.15, two_pass=True, whole_crf=False, label="H.265 (smaller)", extra="-x265-params",
          quiet=("log-level=error",), hdr=X265_HDR),
    Codec("av1", "libsvtav1", "av1", ("-preset", "8"),
          MappingProxyType({"small": 42, "balanced": 35, "high": 28}), (18, 58),
          slope=0.07, two_pass=False, whole_crf=True, label="AV1 (smallest)", extra="-svtav1-params",
          hdr=SVT_AV1_HDR),
)  # fmt: skip
PRESETS: Final = {preset.name: preset for preset in PRESET_LIST}
CODECS: Final = {codec.name: codec for codec in CODEC_LIST}
DEFAULT_PRESET, DEFAULT_CODEC = "balanced", "h264"  # what a request that names none gets


@dataclass(frozen=True)
class Container:
    """A file format an encode is delivered in."""

    name: str  # as a request names it (``container``)
    muxer: str  # ffmpeg's
    demuxer: str  # the name ffmpeg's reader of it lists a file as (``MediaInfo.format_name``)
    content_type: str
    extension: str  # of the download's name
    muxer_args: tuple[str, ...]  # how it starts playing before it has all arrived
    picture_subtitles: bool  # it holds subtitles drawn as pictures (PGS, VobSub)
    text_subtitles: str | None  # the codec text subtitles are kept in (None: each as it is)
    attachments: bool = False  # it holds attached files (the fonts styled subtitles are drawn in)


CONTAINER_LIST: Final = (
    Container("mp4", "mp4", "mp4", "video/mp4", "mp4", ("-movflags", "+faststart"),
              picture_subtitles=False, text_subtitles="mov_text"),
    # Matroska holds every subtitle as it is (but MP4's own mov_text, made SubRip), its index first.
    Container("mkv", "matroska", "matroska", "video/x-matroska", "mkv", ("-cues_to_front", "1"),
              picture_subtitles=True, text_subtitles=None, attachments=True),
)  # fmt: skip
CONTAINERS: Final = {container.name: container for container in CONTAINER_LIST}
MP4: Final = CONTAINERS["mp4"]  # the default, and every intermediate file's
OUTPUT_TYPE = MP4.content_type  # what an encode delivers by default (a kept original keeps its own)
