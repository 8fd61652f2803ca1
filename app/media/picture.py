"""The picture a person asked for: the video filter chain every encode, sample and still shares.

ffmpeg turns a rotated (phone) video upright while decoding, so the chain sees the picture as
displayed: ``max_height`` applies to the displayed height. HDR (PQ or HLG) stays HDR where the
codec carries it (``kept_hdr``: 10-bit 4:2:0, tagged BT.2020 with the input's transfer) unless
the person asked for SDR; otherwise it is tone-mapped to 8-bit SDR BT.709, since an HDR video
delivered as 8-bit without it looks grey and washed out. Stills are always SDR (a JPEG is).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.media.formats import CODECS
from app.media.probe import ContentLight, MasteringDisplay, MediaInfo

SDR_PIXELS, HDR_PIXELS = "yuv420p", "yuv420p10le"  # what an encode is fed: 8-bit, or 10-bit HDR
# An interlaced picture (two fields a frame) made progressive, a frame for each frame (the frame
# count stays the input's), only where a frame is flagged interlaced: players on the web and on
# phones do not deinterlace, and the fields' combs would be encoded into the picture.
DEINTERLACE = "bwdif=mode=send_frame:deint=interlaced"
# Linear light at 100 nits, Hable's curve (keeps highlights without crushing the midtones), back
# to BT.709 in TV range. The input's transfer is named: zscale does not trust every file's tags.
# The HDR metadata goes with the HDR: ffmpeg would otherwise hand it on to the encoder and the
# file, and an SDR picture would claim a 1000-nit display (HDR10), or a player reshape it (HDR10+,
# Dolby Vision).
_HDR_SIDE_DATA = (
    "MASTERING_DISPLAY_METADATA", "CONTENT_LIGHT_LEVEL", "DYNAMIC_HDR_PLUS", "DOVI_RPU_BUFFER",
    "DOVI_METADATA",
)  # fmt: skip
_TONE_MAP = (
    "zscale=tin={transfer}:min=bt2020nc:pin=bt2020:t=linear:npl=100,format=gbrpf32le,"
    "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,"
    + ",".join(f"sidedata=mode=delete:type={kind}" for kind in _HDR_SIDE_DATA)
)
# Kept HDR says so: the encoders tag the stream as the frames are tagged.
_HDR_TAGS = "setparams=color_primaries=bt2020:color_trc={transfer}:colorspace=bt2020nc"


@dataclass(frozen=True)
class Hdr:
    """The HDR an encode keeps: the input's transfer (PQ or HLG) and its static metadata, where
    the probe found it (ffmpeg also hands the encoder what the decoded frames carry)."""

    transfer: str
    mastering: MasteringDisplay | None = None
    light: ContentLight | None = None


def kept_hdr(info: MediaInfo, codec: str, sdr: bool) -> Hdr | None:
    """The input's HDR when the encode keeps it: an HDR input, a codec that carries HDR, and no
    ``sdr`` asked for; None: the picture is delivered SDR."""
    if info.transfer is None or not info.hdr or sdr or CODECS[codec].hdr is None:
        return None
    return Hdr(info.transfer, info.mastering, info.light)


def pixel_format(hdr: Hdr | None) -> str:
    """The pixel format an encode is fed (and scored in)."""
    return SDR_PIXELS if hdr is None else HDR_PIXELS


def output_height(info: MediaInfo, max_height: int | None) -> int:
    """The delivered picture's height: the displayed one, lowered to ``max_height``, even."""
    height = info.height if max_height is None else min(info.height, max_height)
    return height - height % 2


def scale_filter(source_height: int, max_height: int | None) -> str:
    """Scale down to max_height keeping the aspect ratio; never up; always even sides."""
    if max_height is not None and source_height > max_height:
        return f"scale=-2:{max_height - max_height % 2}"
    return "scale=trunc(iw/2)*2:trunc(ih/2)*2"


def first_size(info: MediaInfo) -> str:
    """Every frame at the size the video starts with (``info``'s, upright): that size's frames
    pass untouched; a frame of another size (a stream whose size changes on the way: a
    broadcast's ad break, a call recorded as the network allowed) is fitted inside it, its own
    shape kept, the rest black. Each frame is looked at as it comes (``eval=frame``), since
    every input a chain reads keeps its filters when the frames change (``fence.KEEP_FILTERS``):
    ffmpeg would otherwise build them again mid-stream, squeezing later sizes into the first
    and breaking a graph of several inputs (a score's spans) or a segment's timestamps."""
    width, height = info.width, info.height
    same = f"eq(iw,{width})*eq(ih,{height})"
    fitted_width = f"if({same},iw,min({width},2*trunc(iw*{height}/ih/2)))"
    fitted_height = f"if({same},ih,min({height},2*trunc(ih*{width}/iw/2)))"
    return f"scale=w='{fitted_width}':h='{fitted_height}':eval=frame,pad={width}:{height}:-1:-1:eval=frame"


def video_filter(info: MediaInfo, max_height: int | None, hdr: Hdr | None = None) -> str:
    """The ``-vf`` chain from the decoded (upright) input to the 4:2:0 picture we encode:
    every frame at the first one's size (``first_size``), progressive (DEINTERLACE), 8-bit SDR
    (HDR tone-mapped), or with ``hdr`` (``kept_hdr``) 10-bit, tagged as the HDR it keeps."""
    steps = [first_size(info)]
    if info.interlaced:
        steps.append(DEINTERLACE)
    if info.hdr and hdr is None:
        steps.append(_TONE_MAP.format(transfer=info.transfer))
    steps.append(scale_filter(info.height, max_height))
    if hdr is not None:
        steps.append(_HDR_TAGS.format(transfer=hdr.transfer))
    steps.append(f"format={pixel_format(hdr)}")
    return ",".join(steps)
