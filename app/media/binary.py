"""Which ffmpeg to run."""

from __future__ import annotations


def ffmpeg_binary(configured: str = "") -> str:
    """The configured ffmpeg, else the static build bundled by imageio-ffmpeg."""
    if configured:
        return configured
    import imageio_ffmpeg

    bundled: str = imageio_ffmpeg.get_ffmpeg_exe()
    return bundled
