"""Encode a job's input into the file it delivers, keeping the promises made about that file.

- A preset is a VMAF target: a long enough video gets the CRF a search over samples of it
  found (``app.media.search``), a short one the preset's CRF.
- A target size is met with two passes where the encoder has them, the audio encoded first so
  its bytes are known exactly, and another pass lower when the result is over.
- Never larger: an encode that passes the input's size is stopped, and the input is delivered
  unchanged, unless the person asked for what the input is not (a lower height, another codec).
- The delivered file is scored against the input (VMAF and SSIM on sampled spans).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.media import MediaInfo, Options, Rate, encode_command, loudness
from app.media.command import (
    audio_command,
    audio_size_command,
    cues_command,
    default_crf,
    delay_args,
    mux_args,
    picture_input,
    preset_command,
    step_head,
)
from app.media.cues import NO_CUES, Cues, cut_chapters, cut_cues
from app.media.fence import input_args
from app.media.formats import CODECS, CONTAINERS, PRESETS, Container
from app.media.picture import kept_hdr, output_height, pixel_format, video_filter
from app.media.probe import read_audio_kbps
from app.media.quality import (
    IDENTICAL,
    MeasureError,
    Quality,
    measure_command,
    measure_spans,
    read_quality,
    spans_keyed,
)
from app.media.search import RETUNE_GUESS_LIMIT, best_try, crf_search, next_try, searchable
from app.media.sizing import (
    FILL_SHARE,
    audio_kbps,
    corrected_bitrate,
    preset_audio_kbps,
    too_small,
    video_bitrate,
)
from app.media.streams import container_for, kept_subtitles, left_out, text_subtitles
from app.media.trim import TIME_SLACK_SECONDS, range_problems, trim_of
from app.units import MB
from app.work.failures import JobFailed
from app.work.steps import Band, Steps, ffmpeg_path
from app.work.sync import picture_delay_of
from app.work.verify import first_frame_time, frame_and_keyframe_times

log = logging.getLogger(__name__)
OUTPUT_NAME = "output.mp4"
MAX_FITS = 3  # second passes to land under a target size before giving up
RETUNE_BEYOND = 2.0  # VMAF points off its target at which a short video is encoded again ...
MAX_RETUNES = 2  # ... at most this many times (the second step follows the line the first drew)
# Where a retune aims, from the target: the whole file's score is sure (a sample's is a guess),
# so it takes the smaller file the band allows, a point under the target with a point to spare.
RETUNE_AIM = -1.0
# How an encode to a VMAF target shares out the progress bar (weights, not percentages):
SEARCH_WEIGHT = 15.0  # the CRF search on samples (none for a video too short for one)
ENCODE_WEIGHT = 80.0  # the encode (a short video's retunes, if any, run with the bar at its end)
MEASURE_WEIGHT = 5.0  # the delivered file's VMAF and SSIM, on sampled spans
# ... and an encode to a target size:
AUDIO_WEIGHT = 3.0  # the audio, encoded alone first so its bytes are known
FIRST_PASS_WEIGHT = 25.0  # the first of two passes (none where the encoder has one pass)
SECOND_PASS_WEIGHT = 67.0  # the second pass (each re-done pass, lower, fills the same stretch)
UNMOVED: Band = (0.0, 0.0)  # a step that moves no bar (progress never goes back)


@dataclass(frozen=True)
class Delivery:
    """The file a job delivers and what is worth saying about it."""

    path: Path
    content_type: str  # the input's own type when it is delivered unchanged
    kept_original: bool
    note: str | None
    quality: Quality | None
    crf: float | None = None  # the CRF encoded with (None: a target size's bitrate, or the input)
    segments: list[dict[str, Any]] | None = None  # a split job's segments, in order

    def facts(self) -> dict[str, Any]:
        """The contract's output fields this decides (size and dimensions come from the file)."""
        return {
            "kept_original": self.kept_original,
            "note": self.note,
            "quality": self.quality.as_dict() if self.quality else None,
            "segments": self.segments,
        }


def deliver(
    source: Path,
    info: MediaInfo,
    options: Options,
    filename: str,
    folder: Path,
    steps: Steps,
    frames: Path | None = None,
) -> Delivery:
    """Encode ``source`` as ``options`` ask into ``folder``; what to deliver (maybe the input).
    ``frames``: where the steps that seek (samples, scored spans) read the input's frames (a
    seekable copy: ``app.work.seekable``), when not in ``source``."""
    job = _Encode(source, info, options, filename, folder, steps, frames)
    if options.target_size_mb is not None and info.duration_seconds:
        return job.fit(options.target_size_mb * MB)
    return job.by_quality()


def deliver_joined(
    joined: Path | None,
    quality: Quality | None,
    segments: list[dict[str, Any]],
    source: Path,
    info: MediaInfo,
    options: Options,
    filename: str,
    folder: Path,
    steps: Steps,
) -> Delivery:
    """What a split job delivers: its ``joined`` segments (None: one outgrew its share of the
    input), or the input, kept by the same never-larger rule as a one-piece encode."""
    job = _Encode(source, info, options, filename, folder, steps)
    if joined is None:
        return job.original("already well compressed: re-encoding was making it larger")
    size = joined.stat().st_size
    note = None
    if options.target_size_mb is not None and size > options.target_size_mb * MB:
        target = options.target_size_mb
        raise JobFailed("target_unreachable", f"the video did not fit under {target:g} MB; allow more")
    if size >= job.input_size:
        if job.asked is None:
            joined.unlink(missing_ok=True)
            return job.original(f"already well compressed: re-encoding made it {job.larger(size)}")
        note = f"{job.larger(size)}, to give the {job.asked} asked for"
    content_type = delivered_in(info, options).content_type
    return Delivery(joined, content_type, False, noted(note, info, options), quality, None, segments)


def trimmed(info: MediaInfo, options: Options) -> MediaInfo:
    """The video the job works on: the input, or the part of it ``options`` keep. A trim the
    input turns out too short for (a source URL's length is known only now) fails the job."""
    start, end = options.start_seconds, options.end_seconds
    problems = range_problems(start, end, info.duration_seconds)
    if problems:
        raise JobFailed("trim_out_of_range", "; ".join(f"{field} {message}" for field, message in problems))
    return info.trimmed(trim_of(start, end, info.duration_seconds))


def with_audio_rate(source: Path, info: MediaInfo, steps: Steps) -> MediaInfo:
    """``info``, its sound's bitrate measured when its header states none (Matroska and WebM as
    ffmpeg writes them): the audio's packets read to the end, none decoded, so that
    ``preset_audio_kbps`` keeps to the source's rate there too."""
    seconds = info.trim.total if info.trim else info.duration_seconds
    if not info.has_audio or info.audio_kbps is not None or not seconds:
        return info
    summary = steps.run(audio_size_command(ffmpeg_path(), source), None, steps.here()).log_tail
    return replace(info, audio_kbps=read_audio_kbps(summary, seconds, info.audio_tracks))


def at_showing_frame(info: MediaInfo, times: list[float]) -> MediaInfo:
    """A one-piece job's video, its trim started at the frame on screen at its start
    (``Trim.from_showing_frame``; ``times``: the input's frames). A start at or after the end of
    the picture (its sound goes on) fails the job: there is no frame to encode."""
    if info.trim is None:
        return info
    end = info.trim.picture_end(times)
    if end is not None:
        raise JobFailed(
            "trim_out_of_range",
            f"start_seconds must be before the picture ends ({end:.3f} s): only sound comes after it",
        )
    return info.trimmed(info.trim.from_showing_frame(times))


def input_share(size: int, info: MediaInfo) -> int:
    """Of an input's ``size`` bytes, those a result is weighed against (never larger): all of
    them, or a trim's share by length."""
    return size if info.trim is None else round(size * info.trim.share)


def noted(note: str | None, info: MediaInfo, options: Options) -> str | None:
    """``note``, and what the delivered file could not keep of the input (``streams.left_out``)."""
    sentences = [part for part in (note, left_out(info, delivered_in(info, options))) if part]
    return "; ".join(sentences) or None


def delivered_in(info: MediaInfo, options: Options) -> Container:
    """The container an encode of this input is delivered in (``streams.container_for``)."""
    return container_for(info, options.container)


def asked_change(info: MediaInfo, options: Options) -> str | None:
    """What the person asked for that the input is not (a lower height, another codec, SDR from
    HDR), if any: then an encode is delivered even when it is larger than the input."""
    if output_height(info, options.max_height) < info.height - info.height % 2:
        return f"a height of {options.max_height}"
    if options.codec_named and CODECS[options.codec].probe_name != info.video_codec:
        return f"{options.codec.upper()} video"
    if options.sdr and info.hdr:
        return "SDR picture"
    if options.normalize_audio and info.has_audio:
        return "evened-out sound"
    if info.trim is not None:
        return "part of the video"
    if options.container is not None and CONTAINERS[options.container].demuxer not in info.format_name.split(
        ","
    ):
        return f"an {options.container.upper()} file"
    return None


def loudness_filters(source: Path, info: MediaInfo, options: Options, steps: Steps) -> tuple[str, ...]:
    """With ``normalize_audio``, each audio track's second-pass filter from its first pass
    (a step each, at the bar's place: an audio decode is quick); else none."""
    if not (options.normalize_audio and info.has_audio):
        return ()
    filters = []
    for track in range(max(info.audio_tracks, 1)):
        log_tail = steps.run(
            loudness.measure_command(ffmpeg_path(), source, track, info.trim), None, steps.here()
        ).log_tail
        try:
            filters.append(loudness.normalize_filter(loudness.read_measurement(log_tail)))
        except loudness.LoudnessError as exc:
            raise JobFailed(
                "audio_unreadable", f"the loudness of audio track {track + 1} could not be measured: {exc}"
            ) from exc
    return tuple(filters)


def measured_loudness(delivered: Path, steps: Steps) -> float | None:
    """The integrated loudness (LUFS) of the delivered file's first audio track; None (logged)
    when ffmpeg cannot say."""
    result = steps.run(loudness.result_command(ffmpeg_path(), delivered), None, steps.here())
    try:
        return round(loudness.read_integrated(result.log_tail), 1)
    except loudness.LoudnessError as exc:
        log.warning("loudness of %s not measured: %s", delivered, exc)
        return None


def trim_cues(source: Path, info: MediaInfo, container: Container, folder: Path, steps: Steps) -> Cues:
    """A trim's text subtitles (those ``container`` keeps) and chapters, timed from its start
    (``app.media.cues``): a step at the bar's place. None untrimmed, or with neither."""
    tracks = [index for index in kept_subtitles(info, container) if index in text_subtitles(info)]
    if info.trim is None or not (tracks or info.chapters):
        return NO_CUES
    cues = Cues(
        tuple(folder / f"cues-{track}.ass" for track in tracks),
        folder / "chapters.txt" if info.chapters else None,
    )
    steps.run(cues_command(ffmpeg_path(), source, tracks, cues), None, steps.here())
    for path in cues.subtitles:
        path.write_text(cut_cues(path.read_text(encoding="utf-8"), info.trim), encoding="utf-8")
    if cues.chapters is not None:
        text = cues.chapters.read_text(encoding="utf-8")
        cues.chapters.write_text(cut_chapters(text, info.trim), encoding="utf-8")
    return cues


class _Encode:
    """One attempt's encode: its input, the picture asked for, where its files go."""

    def __init__(
        self,
        source: Path,
        info: MediaInfo,
        options: Options,
        filename: str,
        folder: Path,
        steps: Steps,
        frames: Path | None = None,
    ) -> None:
        self.source, self.info, self.options, self.folder, self.steps = source, info, options, folder, steps
        self.frames = frames or source  # where a seek lands on the frame asked for
        self.picture = picture_input(frames, info)  # where a trimmed encode reads its picture
        self.filename = filename
        self.ffmpeg = ffmpeg_path()
        self.hdr = kept_hdr(info, options.codec, options.sdr)
        self.vf = video_filter(info, options.max_height, self.hdr)
        self.input_size = input_share(source.stat().st_size, info)
        self.asked = asked_change(info, options)
        self.duration = info.duration_seconds or 0.0
        self.target = folder / OUTPUT_NAME
        self.audio_filters = loudness_filters(source, info, options, steps)
        self.cues = trim_cues(source, info, delivered_in(info, options), folder, steps)
        self._listing: tuple[list[float], list[float]] | None = None
        self._delay: float | None = None  # the picture's start after the sound's (``_mux``)
        self._spans: list[tuple[float, float]] | None = None

    def by_quality(self) -> Delivery:
        """The preset's VMAF target at the smallest size; the input when that is not smaller.

        A long video's CRF comes from a search over samples; a short one is encoded at the
        preset's CRF and, when the delivered file's score misses the target by more than
        RETUNE_BEYOND, again at the CRF the scores point to (the video is short: another
        encode costs little, and the whole file's score is surer than samples').
        """
        options, crf = self.options, default_crf(self.options)
        target = PRESETS[options.preset].vmaf_target
        search = searchable(self.duration)
        weights = (SEARCH_WEIGHT if search else 0.0, ENCODE_WEIGHT, MEASURE_WEIGHT)
        search_band, encode_band, measure_band = self.steps.bands(*weights)
        if search:
            keyframes = self.keyframes()
            found = crf_search(
                self.ffmpeg, self.frames, self.duration, self.vf, options.codec, crf, target, self.folder,
                self.steps.runner(search_band), self.info.start_seconds, self.hdr, keyframes,
            )  # fmt: skip
            log.info("crf search: %s", found)
            crf = found.crf
        first = self._at_crf(crf, encode_band, measure_band)
        if search or first.kept_original or first.quality is None:
            return first
        if abs(first.quality.vmaf - target) <= RETUNE_BEYOND:
            return first
        return self._retuned(first, target, measure_band)

    def _retuned(self, first: Delivery, target: float, measure_band: Band) -> Delivery:
        """Encode a short video again (up to MAX_RETUNES times) at the CRF its scores point to
        (aiming RETUNE_AIM from ``target``); deliver the smallest encode within RETUNE_BEYOND of
        ``target``, else the nearest (``search.best_try``), with the CRF it was encoded at."""
        done, aim = measure_band[1], target + RETUNE_AIM
        tried = [replace(first, path=first.path.replace(self.folder / "try-0.mp4"))]
        for attempt in range(1, MAX_RETUNES + 1):
            crf = next_try(
                [(d.crf or 0.0, _vmaf(d)) for d in tried], aim, self.options.codec, RETUNE_GUESS_LIMIT
            )
            if crf is None:
                break  # at an end of the CRF range
            again = self._at_crf(crf, (done, done), measure_band)
            if again.kept_original or again.quality is None:
                break  # a lower CRF grew past the input (or could not be scored): keep what we have
            tried.append(replace(again, path=again.path.replace(self.folder / f"try-{attempt}.mp4")))
            if abs(again.quality.vmaf - target) <= RETUNE_BEYOND:
                break
        log.info("retuned: %s", [(d.crf, d.quality) for d in tried])
        outcomes = [(_vmaf(d), d.path.stat().st_size) for d in tried]
        best = tried[best_try(outcomes, target, RETUNE_BEYOND)]
        best.path.replace(self.target)
        for other in tried:
            other.path.unlink(missing_ok=True)
        return replace(best, path=self.target)

    def _at_crf(self, crf: float, band: Band, measure_band: Band) -> Delivery:
        """Encode at ``crf`` into ``self.target`` (filling ``band``) and deliver it with that CRF,
        scored in ``measure_band``; the input if not smaller."""
        cmd = preset_command(
            self.ffmpeg, self.source, self.target, self.options, self.info, crf, self.audio_filters,
            self.scored_starts(), self.picture, self.cues,
        )  # fmt: skip
        limit = None if self.asked else self.input_size
        self.steps.run(
            cmd,
            self.info.duration_seconds,
            band,
            size_limit=limit,
            whole=True,
            frame_rate=self.info.frame_rate,
        )
        outgrown = self.steps.outgrown
        if outgrown is not None:
            share = outgrown.seconds_done / self.duration if self.duration else 0
            projected = outgrown.size_bytes / share if share > 0.05 else outgrown.size_bytes
            larger = self.larger(projected)
            return self.original(f"already well compressed: re-encoding was making it about {larger}")
        size = self.target.stat().st_size
        if size >= self.input_size:
            if self.asked is None:
                return self.original(f"already well compressed: re-encoding made it {self.larger(size)}")
            return self.encoded(f"{self.larger(size)}, to give the {self.asked} asked for", measure_band, crf)
        return self.encoded(None, measure_band, crf)

    def fit(self, target_bytes: float) -> Delivery:
        """Under ``target_bytes``, and not wastefully under it (FILL_SHARE), unless the `high`
        preset's look is reached below it."""
        if self.input_size <= target_bytes and self.asked is None:
            return self.original(f"already under the {target_bytes / MB:g} MB asked for")
        codec, passes = self.options.codec, CODECS[self.options.codec].two_pass
        weights = (AUDIO_WEIGHT, FIRST_PASS_WEIGHT if passes else 0.0, SECOND_PASS_WEIGHT)
        audio_band, first_band, second_band = self.steps.bands(*weights)
        audio_file, audio_bytes = self._audio_alone(target_bytes, audio_band)
        bitrate = video_bitrate(target_bytes, audio_bytes, self.duration)
        if bitrate is None:
            preset_kbps = preset_audio_kbps(self.options.preset, self.info.audio_kbps)
            message = too_small(target_bytes / MB, self.duration, preset_kbps, self.info.audio_tracks)
            raise JobFailed("target_too_small", message)
        passlog = self.folder / "passlog"
        if passes:
            rate = Rate(bitrate=bitrate, pass_number=1, passlog=passlog)
            unused = self.folder / "unused"
            first = encode_command(
                self.ffmpeg, self.source, unused, self.vf, codec, rate, [], None, self.info.trim, self.hdr,
                keyframes=self.scored_starts(), picture=self.picture,
            )  # fmt: skip
            self.steps.run(first, self.duration, first_band)  # the picture alone: see below
        best: Path | None = None
        raised = False
        for attempt in range(MAX_FITS):
            video = self.folder / f"video-{attempt}.mp4"
            rate = Rate(bitrate=bitrate, pass_number=2 if passes else None, passlog=passlog)
            cmd = encode_command(
                self.ffmpeg, self.source, video, self.vf, codec, rate, ["-an"], None, self.info.trim,
                self.hdr, keyframes=self.scored_starts(), picture=self.picture,
            )  # fmt: skip
            # The picture alone may end before the file's length (its sound goes on): not a sign of
            # a damaged input here; the check counts the frames delivered against the input's.
            self.steps.run(cmd, self.duration, second_band)
            candidate = self._mux(video, audio_file, self.folder / f"fit-{attempt}.mp4")
            size = candidate.stat().st_size
            log.info("fit %d: %d bit/s gave %d bytes (target %d)", attempt, bitrate, size, target_bytes)
            if size <= target_bytes:
                if best is None or size > best.stat().st_size:
                    best = candidate
                if size >= target_bytes * FILL_SHARE or raised:
                    break
                quality = self._measure(candidate, UNMOVED)
                if quality is None or quality.vmaf >= PRESETS["high"].vmaf_target:
                    break  # as good as the best preset already: more bytes would be waste
                raised = True
            bitrate = corrected_bitrate(bitrate, size, target_bytes, audio_bytes)
        if best is None:
            raise JobFailed(
                "target_unreachable", f"the video did not fit under {target_bytes / MB:g} MB; allow more"
            )
        best.replace(self.target)
        if self.target.stat().st_size >= self.input_size and self.asked is None:
            return self.original(f"already under the {target_bytes / MB:g} MB asked for")
        return self.encoded(None, UNMOVED)

    def encoded(self, note: str | None, measure_band: Band, crf: float | None = None) -> Delivery:
        """Deliver the encode in ``self.target`` (made at ``crf``; None: at a bitrate), scored
        against the input in ``measure_band``."""
        quality = self._measure(self.target, measure_band)
        content_type = delivered_in(self.info, self.options).content_type
        return Delivery(self.target, content_type, False, noted(note, self.info, self.options), quality, crf)

    def original(self, note: str) -> Delivery:
        """Deliver the input unchanged, in its own container."""
        self.target.unlink(missing_ok=True)
        return Delivery(self.source, self.info.content_type(self.filename), True, note, IDENTICAL)

    def keyframes(self) -> list[float]:
        """The input's keyframes: where samples and scored spans seek cheaply."""
        return self._listed()[1]

    def _listed(self) -> tuple[list[float], list[float]]:
        """The input's frame and keyframe times, listed once."""
        if self._listing is None:
            self._listing = frame_and_keyframe_times(self.frames, self.folder, self.steps)
        return self._listing

    def shift(self, path: Path) -> float:
        """How much later the frames of the encode at ``path`` sit on its timeline than the
        input's do on the part encoded. The encoder puts the first frame on its frame grid: an
        MPEG-TS input's video, which starts a fraction of a frame after its sound, comes out up
        to half a frame later, and the same time in both files would name neighbouring frames."""
        start = self.info.start_seconds
        encoded = [time for time in self._listed()[0] if time >= start - TIME_SLACK_SECONDS]
        first = first_frame_time(path, self.folder, self.steps)
        return 0.0 if first is None or not encoded else first - (encoded[0] - start)

    def scored_spans(self) -> list[tuple[float, float]]:
        """Where the delivered file is scored (on the timeline of the part encoded): chosen from
        the input alone, once, so every encode of the video is scored on the same frames."""
        if self._spans is None:
            self._spans = []
            if self.duration:  # the input's keyframes, on that timeline
                start = self.info.start_seconds
                self._spans = measure_spans(self.duration, [time - start for time in self.keyframes()])
        return self._spans

    def scored_starts(self) -> list[float]:
        """Where each encode starts a keyframe: the scored spans' starts (a cheap seek there), in
        a video long enough for them (``quality.spans_keyed``; a shorter one is decoded whole)."""
        return [start for start, _ in self.scored_spans()] if spans_keyed(self.duration) else []

    def larger(self, size: float) -> str:
        """How much larger ``size`` bytes are than the input, in words (a trim's: than its share)."""
        than = "the original" if self.info.trim is None else "that part's share of the original"
        return f"{(size / self.input_size - 1) * 100:.0f}% larger than {than}"

    def _measure(self, path: Path, band: Band) -> Quality | None:
        """VMAF and SSIM of ``path`` against the input, filling ``band``; None (and a log line)
        when ffmpeg cannot.

        A step like the others: a cancel, a stall or the job's time limit stops it.
        """
        spans = self.scored_spans()
        shift = self.shift(path) if spans else 0.0  # the same frames in both files
        own = [(max(start + shift, 0.0), length) for start, length in spans] if spans else None
        cmd = measure_command(
            self.ffmpeg, path, self.frames, self.vf, spans or [(0.0, 3600.0)], self.info.start_seconds,
            pixel_format(self.hdr), distorted_spans=own, distorted_whole=not spans_keyed(self.duration),
        )  # fmt: skip
        seconds = sum(length for _, length in spans) or None
        try:
            return read_quality(self.steps.run(cmd, seconds, band).log_tail)
        except (JobFailed, MeasureError) as exc:
            log.warning("quality of %s not measured: %s", path, exc)
            return None

    def _audio_alone(self, target_bytes: float, band: tuple[float, float]) -> tuple[Path | None, int]:
        """The audio encoded on its own, so its exact size comes off the budget (none: 0 bytes)."""
        if not self.info.has_audio:
            return None, 0
        preset_kbps = preset_audio_kbps(self.options.preset, self.info.audio_kbps)
        kbps = audio_kbps(target_bytes, self.duration, preset_kbps, self.info.audio_tracks)
        path = self.folder / "audio.m4a"
        cmd = audio_command(
            self.ffmpeg, self.source, path, self.info.audio_channels, kbps, self.audio_filters, self.info.trim
        )
        self.steps.run(cmd, self.duration, band)
        return path, path.stat().st_size

    def _mux(self, video: Path, audio: Path | None, target: Path) -> Path:
        """The video (and the audio) in one mp4 that starts playing before it has all arrived,
        the picture as far after the sound as the input's (each was encoded apart from 0)."""
        if audio is not None and self._delay is None:
            self._delay = picture_delay_of(self.source, self.info, self.folder, self.steps)
        delay = self._delay or 0.0
        cmd = [*step_head(self.ffmpeg), *delay_args(delay), *input_args(video)]
        container = delivered_in(self.info, self.options)
        keep = self.options.keep_location
        mux = mux_args(audio, self.source, self.info, keep, container, max(-delay, 0.0), self.cues)
        cmd += [*mux, str(target)]
        self.steps.run(cmd, None, UNMOVED)
        video.unlink(missing_ok=True)
        return target


def _vmaf(delivery: Delivery) -> float:
    """The VMAF a retune's try scored (every try is scored: one that is not ends the retune)."""
    return delivery.quality.vmaf if delivery.quality else 0.0
