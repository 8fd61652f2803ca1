"""What an encode keeps besides the picture: every audio track, the subtitles, chapters, metadata.

A person's file is theirs: every audio track (each with its language, title and default flag,
which ffmpeg carries with a mapped stream), the text subtitles (as MP4's ``mov_text``, with
their languages), the chapters, the container's metadata (title, ``creation_time``, make,
model) and, in Matroska, the attached files (fonts) are kept. The recording place is not,
unless asked for (a compressed copy is usually made to be shared). Picture subtitles (PGS,
VobSub, DVB) and attached files cannot live in an MP4: an input with them is delivered as
Matroska, which holds every subtitle as it is, unless MP4 is asked for; then the note says what
was left out.
"""

from __future__ import annotations

from app.media.cues import NO_CUES, Cues
from app.media.formats import CONTAINERS, MP4, Container
from app.media.probe import MediaInfo

# Subtitle codecs that are pictures, not text: no MP4 can carry them.
PICTURE_SUBTITLES = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"})
# Where containers keep the recording place (QuickTime's, MP4's, and their language variants).
LOCATION_KEYS = ("location", "location-eng", "com.apple.quicktime.location.ISO6709")


def text_subtitles(info: MediaInfo) -> list[int]:
    """The positions (among the subtitle streams) of those an MP4 can carry."""
    return [index for index, codec in enumerate(info.subtitles) if codec not in PICTURE_SUBTITLES]


def container_for(info: MediaInfo, asked: str | None) -> Container:
    """The container ``asked`` for; when none is, MP4 unless the input has streams only
    Matroska can hold: subtitles drawn as pictures, attached files (fonts)."""
    if asked is not None:
        return CONTAINERS[asked]
    only_matroska = len(text_subtitles(info)) < len(info.subtitles) or info.attachments
    return CONTAINERS["mkv"] if only_matroska else MP4


def kept_subtitles(info: MediaInfo, container: Container) -> list[int]:
    """The positions (among the subtitle streams) of those ``container`` keeps."""
    return list(range(len(info.subtitles))) if container.picture_subtitles else text_subtitles(info)


def kept(
    info: MediaInfo,
    source: int = 0,
    keep_location: bool = False,
    container: Container = MP4,
    cues: tuple[Cues, int] = (NO_CUES, 0),
) -> list[str]:
    """ffmpeg output arguments keeping, from input ``source``, the subtitles ``container`` can
    hold, the chapters and the metadata (the recording place only with ``keep_location``).

    ``cues``: a trim's timed text (``app.media.cues``) and the input its first file is: the
    text subtitles are read from there, each with the metadata (language, title) of the track
    it stands for, and the chapters from its chapters' file.
    The audio is mapped where it is encoded (``audio_map``); the video by each command.
    """
    timed, first = cues
    args: list[str] = []
    texts = text_subtitles(info)
    for output, index in enumerate(kept_subtitles(info, container)):
        if timed.subtitles and index in texts:
            args += ["-map", f"{first + texts.index(index)}:s:0"]
            codec = container.text_subtitles or ("ass" if info.subtitles[index] in ("ass", "ssa") else "srt")
        else:
            args += ["-map", f"{source}:s:{index}"]
            codec = container.text_subtitles or ("srt" if info.subtitles[index] == "mov_text" else "copy")
        args += [f"-c:s:{output}", codec]
        if timed.subtitles:  # a cue file's track takes its metadata from the track it stands for
            args += [f"-map_metadata:s:s:{output}", f"{source}:s:s:{index}"]
    attached = info.attachments if container.attachments else 0
    if attached:  # copied as they are (each with its file name and type)
        args += ["-map", f"{source}:t", "-c:t", "copy"]
    if timed.subtitles:  # one stream's mapping ends ffmpeg's own copy for every stream: each is named
        for track in range(info.audio_tracks):  # (the audio is mapped in the same order it is read)
            args += [f"-map_metadata:s:a:{track}", f"{source}:s:a:{track}"]
        for attachment in range(attached):  # (Matroska refuses one without its type)
            args += [f"-map_metadata:s:t:{attachment}", f"{source}:s:t:{attachment}"]
    for track, title in enumerate(info.audio_titles):  # named, not copied: an m4a's encode, or an
        if title:  # MP4 input, reads it back as "name", which no muxer writes
            args += [f"-metadata:s:a:{track}", f"title={title}"]
    chapters = first + len(timed.subtitles) if timed.chapters else source
    args += ["-map_metadata", str(source), "-map_chapters", str(chapters)]
    if not keep_location:
        for key in LOCATION_KEYS:
            args += ["-metadata", f"{key}="]  # an empty value removes the key
    return args


def audio_map(source: int = 0) -> list[str]:
    """Every audio track of input ``source`` (none is fine)."""
    return ["-map", f"{source}:a?"]


def left_out(info: MediaInfo, container: Container = MP4) -> str | None:
    """What the delivered file does not hold, in words a person understands; None: nothing."""
    sentences = []
    pictures = len(info.subtitles) - len(kept_subtitles(info, container))
    if pictures:
        tracks = "track" if pictures == 1 else "tracks"
        sentences.append(
            f"{pictures} subtitle {tracks} drawn as pictures (as on Blu-ray or DVD) cannot be kept in an MP4"
        )
    if info.attachments and not container.attachments:
        files = "file" if info.attachments == 1 else "files"
        sentences.append(
            f"{info.attachments} attached {files} (as the fonts of styled subtitles) cannot be kept in an MP4"
        )
    if info.other_pictures:  # one picture is compressed; a cover picture or a second angle is not
        streams = "video stream" if info.other_pictures == 1 else "video streams"
        sentences.append(f"{info.other_pictures} more {streams} (a cover picture or another angle) not kept")
    return "; ".join(sentences) or None
