"""Build the ffmpeg command for one compression."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.media.fence import input_args

PRESETS = ("small", "balanced", "high")
CODECS = ("h264", "h265", "av1")
DEFAULT_PRESET, DEFAULT_CODEC = "balanced", "h264"  # what a request that names none gets

# Quality per preset as a CRF, per codec (lower is better and bigger). The scales differ:
# x265 and SVT-AV1 reach x264's look at higher numbers.
CRF: dict[str, dict[str, int]] = {
    "h264": {"small": 29, "balanced": 25, "high": 20},
    "h265": {"small": 31, "balanced": 28, "high": 23},
    "av1": {"small": 42, "balanced": 35, "high": 28},
}
ENCODER = {"h264": "libx264", "h265": "libx265", "av1": "libsvtav1"}
# Encoder speed: the middle of each encoder's range, a fair size/time trade on small machines.
SPEED_ARGS = {
    "h264": ["-preset", "medium"],
    "h265": ["-preset", "fast", "-x265-params", "log-level=error"],
    "av1": ["-preset", "8"],
}
AUDIO_KBPS = {"small": 96, "balanced": 128, "high": 160}
MIN_VIDEO_KBPS = 64  # below this a target size gives an unwatchable picture


@dataclass(frozen=True)
class Options:
    """A job's compression options (validated before they get here)."""

    preset: str = DEFAULT_PRESET
    codec: str = DEFAULT_CODEC
    max_height: int | None = None
    target_size_mb: float | None = None


def target_video_bitrate(target_size_mb: float, duration_seconds: float, preset: str) -> int | None:
    """Video bits per second that land the file near the target, or None if it cannot be met."""
    total_bps = target_size_mb * 1024 * 1024 * 8 / max(duration_seconds, 0.1)
    video_bps = total_bps * 0.97 - AUDIO_KBPS[preset] * 1000  # 3% for the container
    return int(video_bps) if video_bps >= MIN_VIDEO_KBPS * 1000 else None


def scale_filter(source_height: int, max_height: int | None) -> str:
    """Scale down to max_height keeping the aspect ratio; never up; always even sides."""
    if max_height is not None and source_height > max_height:
        return f"scale=-2:{max_height - max_height % 2}"
    return "scale=trunc(iw/2)*2:trunc(ih/2)*2"


def build_command(
    ffmpeg: str,
    source: str | Path,
    target: str | Path,
    options: Options,
    source_height: int,
    duration_seconds: float | None,
    has_audio: bool,
) -> list[str]:
    """The full argv: quiet, machine-readable progress on stdout, errors only on stderr."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats"]
    cmd += ["-progress", "pipe:1", "-y", *input_args(source)]
    cmd += ["-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1"]
    cmd += ["-vf", scale_filter(source_height, options.max_height), "-pix_fmt", "yuv420p"]
    cmd += ["-c:v", ENCODER[options.codec], *SPEED_ARGS[options.codec]]
    bitrate = None
    if options.target_size_mb is not None and duration_seconds:
        bitrate = target_video_bitrate(options.target_size_mb, duration_seconds, options.preset)
    if bitrate is not None:
        cmd += ["-b:v", str(bitrate), "-maxrate", str(int(bitrate * 1.5)), "-bufsize", str(bitrate * 2)]
    else:
        cmd += ["-crf", str(CRF[options.codec][options.preset])]
    if options.codec == "h265":
        cmd += ["-tag:v", "hvc1"]  # plays in Apple's players
    if has_audio:
        cmd += ["-c:a", "aac", "-b:a", f"{AUDIO_KBPS[options.preset]}k"]
    cmd += ["-movflags", "+faststart", "-f", "mp4", str(target)]
    return cmd
