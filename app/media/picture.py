"""The picture a person asked for: the video filter chain every encode, sample and still shares.

ffmpeg turns a rotated (phone) video upright while decoding, so the chain sees the picture as
displayed: ``max_height`` applies to the displayed height. HDR (PQ or HLG) is tone-mapped to
8-bit SDR BT.709; without it an HDR video delivered as 8-bit looks grey and washed out.
"""

from __future__ import annotations

from app.media.probe import MediaInfo

# Linear light at 100 nits, Hable's curve (keeps highlights without crushing the midtones), back
# to BT.709 in TV range. The input's transfer is named: zscale does not trust every file's tags.
_TONE_MAP = (
    "zscale=tin={transfer}:min=bt2020nc:pin=bt2020:t=linear:npl=100,format=gbrpf32le,"
    "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)


def output_height(info: MediaInfo, max_height: int | None) -> int:
    """The delivered picture's height: the displayed one, lowered to ``max_height``, even."""
    height = info.height if max_height is None else min(info.height, max_height)
    return height - height % 2


def scale_filter(source_height: int, max_height: int | None) -> str:
    """Scale down to max_height keeping the aspect ratio; never up; always even sides."""
    if max_height is not None and source_height > max_height:
        return f"scale=-2:{max_height - max_height % 2}"
    return "scale=trunc(iw/2)*2:trunc(ih/2)*2"


def video_filter(info: MediaInfo, max_height: int | None) -> str:
    """The ``-vf`` chain from the decoded (upright) input to the 8-bit 4:2:0 picture we encode."""
    steps = []
    if info.hdr:
        steps.append(_TONE_MAP.format(transfer=info.transfer))
    steps += [scale_filter(info.height, max_height), "format=yuv420p"]
    return ",".join(steps)
