"""Pure ffmpeg: probe a file, build a command, run it and report progress.

Knows nothing of Flask, the database or Redis; every function takes what it needs.
"""

from app.media.binary import ffmpeg_binary
from app.media.command import Options, build_command, target_video_bitrate
from app.media.probe import MediaInfo, ProbeError, probe
from app.media.runner import RunResult, run_ffmpeg

__all__ = [
    "MediaInfo",
    "Options",
    "ProbeError",
    "RunResult",
    "build_command",
    "ffmpeg_binary",
    "probe",
    "run_ffmpeg",
    "target_video_bitrate",
]
