"""Fit a file under a size: the audio's share, the video's bitrate, the correction after a miss."""

from __future__ import annotations

import math

from app.media.formats import PRESETS
from app.units import MB

MIN_VIDEO_KBPS = 64  # below this a target size gives an unwatchable picture
MIN_AUDIO_KBPS = 48  # AAC stereo that still sounds like the original
MIN_KEPT_AUDIO_KBPS = 32  # a source's lower rate is not followed below this (AAC's own floor)
AUDIO_SHARE = 0.2  # audio takes at most this share of a tight budget (its preset's rate otherwise)
CONTAINER_SHARE = 0.99  # mp4's index grows with the frames: a share of the file, ...
CONTAINER_BYTES = 16 * 1024  # ... plus its fixed boxes
FILL_SHARE = 0.85  # a delivered file under this share of the target wasted what was allowed
AIM_SHARE = 0.97  # a retry aims this far under the target: the encoder misses by a little


def preset_audio_kbps(preset: str, source_kbps: int | None) -> int:
    """The audio's bitrate at ``preset``: the preset's, or the source's own when that is lower
    (``source_kbps``, None: not stated), but not below MIN_KEPT_AUDIO_KBPS. Bits past the
    source's add bytes, not sound: a 40 kb/s voice track stays near 40 kb/s, not 128."""
    kbps = PRESETS[preset].audio_kbps
    return kbps if source_kbps is None else min(kbps, max(source_kbps, MIN_KEPT_AUDIO_KBPS))


def audio_kbps(target_bytes: float, duration_seconds: float, preset_kbps: int, tracks: int = 1) -> int:
    """Each audio track's bitrate: the preset's, or less when the whole budget is tight (the
    ``tracks`` share AUDIO_SHARE of it), but not below MIN_AUDIO_KBPS (nor above the preset's)."""
    total_kbps = target_bytes * 8 / max(duration_seconds, 0.1) / 1000
    return int(min(preset_kbps, max(MIN_AUDIO_KBPS, total_kbps * AUDIO_SHARE / max(tracks, 1))))


def video_bitrate(target_bytes: float, audio_bytes: int, duration_seconds: float) -> int | None:
    """Video bits per second that fill ``target_bytes`` beside the audio, or None if they cannot."""
    video_bytes = target_bytes * CONTAINER_SHARE - audio_bytes - CONTAINER_BYTES
    video_bps = video_bytes * 8 / max(duration_seconds, 0.1)
    return int(video_bps) if video_bps >= MIN_VIDEO_KBPS * 1000 else None


def corrected_bitrate(bitrate: int, delivered_bytes: int, target_bytes: float, audio_bytes: int) -> int:
    """The next try's video bitrate after one that delivered ``delivered_bytes``: scaled by how
    far the video's part missed the video's budget, aiming AIM_SHARE of the target."""
    video_got = max(delivered_bytes - audio_bytes, 1)
    video_budget = target_bytes * AIM_SHARE - audio_bytes
    return max(int(bitrate * video_budget / video_got), MIN_VIDEO_KBPS * 1000)


def reachable(target_mb: float, duration_seconds: float, preset_kbps: int, audio_tracks: int) -> bool:
    """Whether ``target_mb`` leaves the video a watchable bitrate beside its ``audio_tracks``."""
    target = target_mb * MB
    kbps = audio_kbps(target, duration_seconds, preset_kbps, audio_tracks) if audio_tracks else 0
    audio_bytes = int(kbps * 1000 / 8 * duration_seconds * audio_tracks)
    return video_bitrate(target, audio_bytes, duration_seconds) is not None


def smallest_target_mb(duration_seconds: float, preset_kbps: int, audio_tracks: int) -> float:
    """The smallest ``target_size_mb`` that is ``reachable``, rounded up to a hundredth: what a
    refusal tells the person to allow."""
    low, high = 0.0, 1.0
    while not reachable(high, duration_seconds, preset_kbps, audio_tracks):
        low, high = high, high * 2
    for _ in range(30):  # a larger target only ever holds more
        middle = (low + high) / 2
        low, high = (
            (low, middle)
            if reachable(middle, duration_seconds, preset_kbps, audio_tracks)
            else (middle, high)
        )
    return math.ceil(high * 100) / 100


def too_small(target_mb: float, duration_seconds: float, preset_kbps: int, audio_tracks: int) -> str:
    """Why ``target_mb`` cannot hold the video, for a person: the least it needs."""
    least = smallest_target_mb(duration_seconds, preset_kbps, audio_tracks)
    return f"{target_mb:g} MB is too small for this video; allow at least {least:g} MB"


def split_bitrates(bitrate: int, weights: list[float], durations: list[float]) -> list[int]:
    """Each segment's video bitrate when ``bitrate`` over the whole video is shared by how hard
    each segment is (``weights``), as a two-pass encode shares it: never below MIN_VIDEO_KBPS."""
    bits = bitrate * sum(durations)
    total = sum(weights) or 1.0
    return [
        max(int(bits * weight / total / max(seconds, 0.01)), MIN_VIDEO_KBPS * 1000)
        for weight, seconds in zip(weights, durations, strict=True)
    ]
