"""Pure ffmpeg: probe a file, build a command, run it, measure the result.

Knows nothing of Flask, the database or Redis; every function takes what it needs.
"""

from app.media.binary import ffmpeg_binary
from app.media.command import Options, Rate, encode_command, preset_command
from app.media.probe import MediaInfo, ProbeError, probe
from app.media.runner import RunResult, run_ffmpeg

__all__ = [
    "MediaInfo",
    "Options",
    "ProbeError",
    "Rate",
    "RunResult",
    "encode_command",
    "ffmpeg_binary",
    "preset_command",
    "probe",
    "run_ffmpeg",
]
