"""The ffmpeg command for one encode, from the codec and preset records (``app.media.formats``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.media.cues import NO_CUES, Cues
from app.media.fence import CUE_DEMUXERS, input_args
from app.media.formats import CODECS, DEFAULT_CODEC, DEFAULT_PRESET, MP4, Container, HdrParams
from app.media.picture import Hdr, kept_hdr, video_filter
from app.media.probe import MasteringDisplay, MediaInfo
from app.media.sizing import preset_audio_kbps
from app.media.streams import audio_map, container_for, kept
from app.media.trim import Trim

STEREO = 2  # multichannel audio is delivered as stereo: what phones, laptops and browsers play
# A keyframe asked for at a time goes to the first frame at or after it: asked this much earlier,
# it lands on a frame at that time whose timestamp rounds a little below it.
KEYFRAME_LEEWAY = 0.002
# A trim's sound: silence after the track's last sample up to the trim's length, and nothing past
# it. A track with no sound in the part kept (it starts after, or ends before) still gives one, of
# silence, where ffmpeg wrote none (and the file failed its check); a track that has sound there is
# unchanged to the sample, where it lasts to the end.
SPAN_FILLED = "apad,atrim=end={span:.6f}"


@dataclass(frozen=True)
class Options:
    """A job's compression options (validated before they get here)."""

    preset: str = DEFAULT_PRESET
    codec: str = DEFAULT_CODEC
    max_height: int | None = None
    target_size_mb: float | None = None
    keep_location: bool = False  # keep where it was recorded (removed by default: copies are shared)
    start_seconds: float | None = None  # trim: keep the video from here (app.media.trim) ...
    end_seconds: float | None = None  # ... to here
    container: str | None = None  # "mp4" or "mkv"; None: MP4 unless the input needs Matroska
    normalize_audio: bool = False  # every audio track to -16 LUFS (app.media.loudness)
    sdr: bool = False  # tone-map HDR even where the codec could keep it (app.media.picture)
    codec_named: bool = True  # the request named the codec (else it is the default, not a wish)


@dataclass(frozen=True)
class Rate:
    """How the encoder spends bits: a constant quality (``crf``) or an average ``bitrate`` (bit/s).

    ``pass_number`` 1 or 2 with ``passlog`` makes it one pass of a two-pass encode.
    """

    crf: float | None = None
    bitrate: int | None = None
    pass_number: int | None = None
    passlog: Path | None = None


def default_crf(options: Options) -> float:
    """The preset's CRF for this codec: the start of a search, the choice when there is none."""
    return float(CODECS[options.codec].crf[options.preset])


def hdr_params(spelling: HdrParams, hdr: Hdr) -> list[str]:
    """The encoder's own parameters that carry ``hdr``'s static metadata (none without any)."""
    params = []
    if hdr.mastering is not None:
        params.append(f"{spelling.mastering}={_display(hdr.mastering, spelling.units)}")
    if hdr.light is not None:
        params.append(f"{spelling.light}={hdr.light.max_cll},{hdr.light.max_fall}")
    return [*spelling.switches, *params] if params else []


def _display(display: MasteringDisplay, units: tuple[int, int] | None) -> str:
    """``G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)`` in whole ``units`` (chromaticity, luminance), or
    in decimals without them."""
    chromaticity, luminance = units or (0, 0)

    def number(value: float, unit: int) -> str:
        return str(round(value * unit)) if unit else f"{value:.4f}"

    corners = {"G": display.green, "B": display.blue, "R": display.red, "WP": display.white}
    text = "".join(
        f"{k}({number(x, chromaticity)},{number(y, chromaticity)})" for k, (x, y) in corners.items()
    )
    return f"{text}L({number(display.max_luminance, luminance)},{number(display.min_luminance, luminance)})"


# Every frame keeps its own time: the encoder counts in the filters' time base (the input's), not
# in ticks of the nominal frame rate, where a variable-rate video (a phone's) had its frames moved
# onto an even grid and two that met on one tick dropped (100 frames in, 99 out, scored against the
# wrong pictures).
FRAME_TIMES_KEPT = ("-enc_time_base:v", "filter")


def video_args(codec: str, rate: Rate, hdr: Hdr | None = None) -> list[str]:
    """The encoder, its speed and its rate control; with ``hdr``, the HDR metadata it keeps."""
    spec = CODECS[codec]
    args = ["-c:v", spec.encoder, *spec.speed_args, *FRAME_TIMES_KEPT]
    own = list(spec.quiet)  # the encoder's own parameters (x265's: quiet, its passes; the HDR)
    if rate.bitrate is not None:
        args += ["-b:v", str(rate.bitrate)]
        if rate.pass_number is None:
            args += ["-maxrate", str(int(rate.bitrate * 1.5)), "-bufsize", str(rate.bitrate * 2)]
    else:
        crf = rate.crf if rate.crf is not None else spec.crf[DEFAULT_PRESET]
        args += ["-crf", spec.crf_text(crf)]
    if rate.pass_number is not None and rate.passlog is not None:
        if spec.extra:  # x265 (SVT-AV1 has no passes through ffmpeg: its ``two_pass`` is False)
            own += [f"pass={rate.pass_number}", f"stats={rate.passlog}"]
        else:
            args += ["-pass", str(rate.pass_number), "-passlogfile", str(rate.passlog)]
    if hdr is not None and spec.hdr is not None:
        own += hdr_params(spec.hdr, hdr)
    if spec.extra and own:
        args += [spec.extra, ":".join(own)]
    if codec == "h265":
        args += ["-tag:v", "hvc1"]  # hvc1: plays in Apple's players
    return args


def keyframes_at(times: Sequence[float]) -> list[str]:
    """Keyframes at ``times`` (seconds on the output's timeline) besides the encoder's own: where
    the file is scored (``quality.measure_spans``) and, in a segment, where the check of its seam
    starts (``verify.seam_keyframe``), so a seek there decodes nothing before."""
    if not times:
        return []
    return [
        "-force_key_frames",
        ",".join(f"{max(time - KEYFRAME_LEEWAY, 0.0):.3f}" for time in sorted(times)),
    ]


def audio_args(
    channels: Sequence[int], kbps: int, filters: tuple[str, ...] = (), span: float | None = None
) -> list[str]:
    """AAC at ``kbps`` for the tracks of ``channels`` (each one's count, in order), each track of
    more than two folded down to stereo, ``filters[n]`` on track ``n`` (the loudness
    normalization); ``-an`` when there is no audio. ``span``: a trim's length, to which every
    track is padded with silence and cut (``SPAN_FILLED``)."""
    if not channels:
        return ["-an"]
    args = ["-c:a", "aac", "-b:a", f"{kbps}k"]
    for track, count in enumerate(channels):
        if count > STEREO:
            args += [f"-ac:a:{track}", str(STEREO)]
    for track in range(len(channels)):
        chain = [*filters[track : track + 1], *([SPAN_FILLED.format(span=span)] if span is not None else [])]
        if chain:
            args += [f"-filter:a:{track}", ",".join(chain)]
    return args


def step_head(ffmpeg: str, loglevel: str = "error") -> list[str]:
    """How every step starts: quiet (errors only, unless a step reads a filter's summary from
    ``info``), progress as key=value lines on stdout, outputs overwritten."""
    quiet = ["-hide_banner", "-nostdin", "-loglevel", loglevel, "-nostats"]
    return [ffmpeg, *quiet, "-progress", "pipe:1", "-y"]


def audio_size_command(ffmpeg: str, path: str | Path) -> list[str]:
    """Reads every audio packet of ``path`` to the end, none decoded: ffmpeg's summary (at
    ``info``) then gives their bytes (``probe.read_audio_kbps``)."""
    return [*step_head(ffmpeg, "info"), *input_args(path), "-map", "0:a", "-c", "copy", "-f", "null", "-"]


def encode_command(
    ffmpeg: str,
    source: str | Path,
    target: str | Path,
    vf: str,
    codec: str,
    rate: Rate,
    audio: list[str],
    kept: list[str] | None = None,
    trim: Trim | None = None,
    hdr: Hdr | None = None,
    container: Container = MP4,
    keyframes: Sequence[float] = (),
    picture: list[str] | None = None,
    cues: Cues = NO_CUES,
) -> list[str]:
    """The full argv: quiet, machine-readable progress on stdout, errors only on stderr.

    A first pass of two writes nothing (``-f null``); everything else writes a ``container``
    (MP4 by default) that starts playing before it has all arrived. ``kept``: what else the file
    keeps (``app.media.streams.kept``); without it, only the picture and the sound. ``trim``:
    the part of ``source`` to encode. ``hdr``: the HDR the picture keeps (``vf`` made it so).
    ``keyframes``: times that start a keyframe (``keyframes_at``). ``picture``: the input the
    picture is read from instead of ``source`` (``picture_input``). ``cues``: a trim's text
    subtitles and chapters (``kept`` reads them from the inputs after the picture's).
    """
    cmd = [*step_head(ffmpeg), *input_args(source, trim), *(picture or []), *cue_inputs(cues)]
    cmd += ["-map", "1:v:0" if picture else "0:v:0", *audio_map(), "-dn"]
    cmd += kept if kept is not None else ["-sn", "-map_metadata", "-1"]
    cmd += ["-vf", vf, *video_args(codec, rate, hdr), *keyframes_at(keyframes)]
    if rate.pass_number == 1:
        return [*cmd, "-an", "-f", "null", os.devnull]
    return [*cmd, *audio, *container.muxer_args, "-f", container.muxer, str(target)]


def preset_command(
    ffmpeg: str,
    source: str | Path,
    target: str | Path,
    options: Options,
    info: MediaInfo,
    crf: float | None = None,
    audio_filters: tuple[str, ...] = (),
    keyframes: Sequence[float] = (),
    picture: list[str] | None = None,
    cues: Cues = NO_CUES,
) -> list[str]:
    """One encode as ``options`` ask, at ``crf`` (the preset's when None), audio included
    (through ``audio_filters``, one per track, when its loudness is normalized); ``keyframes``:
    times that start a keyframe; ``picture``, ``cues``: see ``encode_command``."""
    rate = Rate(crf=default_crf(options) if crf is None else crf)
    span = info.trim.length if info.trim else None
    kbps = preset_audio_kbps(options.preset, info.audio_kbps)
    audio = audio_args(info.audio_channels, kbps, audio_filters, span)
    hdr = kept_hdr(info, options.codec, options.sdr)
    vf = video_filter(info, options.max_height, hdr)
    container = container_for(info, options.container)
    first_cue = 2 if picture else 1  # the inputs: the source, the picture's copy, the cues' files
    extras = kept(info, keep_location=options.keep_location, container=container, cues=(cues, first_cue))
    return encode_command(
        ffmpeg, source, target, vf, options.codec, rate, audio, extras, info.trim, hdr, container, keyframes,
        picture, cues,
    )  # fmt: skip


def cues_command(ffmpeg: str, source: str | Path, tracks: Sequence[int], cues: Cues) -> list[str]:
    """Write ``cues``' files from the whole of ``source``: the subtitle streams ``tracks`` (one
    ASS file each, in order) and its chapters (FFMETADATA); ``app.media.cues`` then cuts them."""
    cmd = [*step_head(ffmpeg), *input_args(source)]
    for track, path in zip(tracks, cues.subtitles, strict=True):
        cmd += ["-map", f"0:s:{track}", "-c:s", "ass", "-f", "ass", str(path)]
    if cues.chapters is not None:
        cmd += ["-map_chapters", "0", "-f", "ffmetadata", str(cues.chapters)]
    return cmd


def cue_inputs(cues: Cues) -> list[str]:
    """The inputs of ``cues``' files (Squeeze's own: read with CUE_DEMUXERS)."""
    return [arg for path in cues.files for arg in input_args(path, demuxers=CUE_DEMUXERS)]


def picture_input(copy: Path | None, info: MediaInfo) -> list[str] | None:
    """Where a trimmed encode of ``info``'s input reads its picture (``encode_command``): from
    ``copy``, a seekable copy of its video (``app.work.seekable``), when it has one. A trim's
    seek in the input itself may start mid-GOP there (an MPEG-TS with one keyframe gave no
    picture at all); the copy holds the same frames at the same timestamps, and is read from
    the trim's timestamp and timed from the input's start (``Trim.input_options``): the frames
    the input would give, as far from its sound. None: the input's own picture will do."""
    if copy is None or info.trim is None:
        return None
    return input_args(copy, info.trim, origin=info.timeline_start)


def audio_command(
    ffmpeg: str,
    source: str | Path,
    target: Path,
    channels: Sequence[int],
    kbps: int,
    filters: tuple[str, ...] = (),
    trim: Trim | None = None,
) -> list[str]:
    """Every audio track of ``source`` (the part ``trim`` keeps) encoded on its own into an m4a
    (each keeps its language, title and default flag): a target size counts its exact bytes, a
    split job's joins add none."""
    cmd = [*step_head(ffmpeg), *input_args(source, trim), *audio_map(), "-vn", "-sn", "-dn"]
    span = trim.length if trim else None
    return [*cmd, *audio_args(channels, kbps, filters, span), "-f", "mp4", str(target)]


def delay_args(seconds: float) -> list[str]:
    """What precedes an input's ``-i`` to start it ``seconds`` later (nothing for none or less):
    a part of a file encoded apart, put back as far after the other as it was (``sync``)."""
    return ["-itsoffset", f"{seconds:.6f}"] if seconds > 0 else []


def mux_args(
    audio: Path | None,
    source: str | Path,
    info: MediaInfo,
    keep_location: bool,
    container: Container = MP4,
    audio_delay: float = 0.0,
    cues: Cues = NO_CUES,
) -> list[str]:
    """After a video input (input 0): the audio file's tracks (copied; starting ``audio_delay``
    seconds in, where the input's sound starts after its picture), and from ``source`` what the
    file keeps besides (subtitles, chapters, metadata; a trim's text subtitles from ``cues``,
    see ``encode_command``), into a ``container`` ready to stream."""
    cmd: list[str] = ["-map", "0:v:0"]
    inputs: list[str] = []
    if audio is not None:
        inputs += [*delay_args(audio_delay), *input_args(audio)]
        cmd += ["-map", "1:a?"]
    inputs += input_args(source, info.trim)  # subtitles and chapters of the part kept, from 0
    inputs += cue_inputs(cues)
    source_index = 2 if audio is not None else 1
    extras = kept(
        info, source=source_index, keep_location=keep_location, container=container,
        cues=(cues, source_index + 1),
    )  # fmt: skip
    return [*inputs, *cmd, "-c", "copy", *extras, *container.muxer_args, "-f", container.muxer]
