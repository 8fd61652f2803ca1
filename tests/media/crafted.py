"""Crafted inputs: files that lie about themselves or name other files, made at test time."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

from tests.conftest import FFMPEG, make_clip

MATROSKA_DURATION = b"\x44\x89\x88"  # the Segment Info's Duration element, an 8-byte float


def hls_playlist(path: Path, target: str = "http://127.0.0.1:9/clip.ts") -> Path:
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{target}\n#EXT-X-ENDLIST\n")
    return path


def ffconcat_list(path: Path, target: str = "/etc/hostname") -> Path:
    path.write_text(f"ffconcat version 1.0\nfile '{target}'\n")
    return path


def y4m_header(path: Path, width: int, height: int) -> Path:
    """A raw-video header claiming ``width``×``height`` frames, and no frame data to speak of."""
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\nFRAME\n".encode())
    return path


def claims_hours(path: Path, hours: float) -> Path:
    """A one-second Matroska clip whose header says it lasts ``hours``."""
    data = bytearray(make_clip(path.with_suffix(".mkv"), seconds=1, size="64x48", audio=False).read_bytes())
    at = data.index(MATROSKA_DURATION) + len(MATROSKA_DURATION)
    data[at : at + 8] = struct.pack(">d", hours * 3600 * 1000)  # in milliseconds (the default scale)
    path.write_bytes(bytes(data))
    return path


def seek_indexed(path: Path, indexed: bool) -> Path:
    """20 s of noisy 640x360 (~70 MB, a keyframe every 2 s) whose seeks read little (an mp4:
    its sample tables) or everything before them (Matroska written to a pipe, as a browser
    records: no cues)."""
    picture = "testsrc2=size=640x360:rate=25:duration=20,noise=alls=20:allf=t"
    cmd = [
        FFMPEG,
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        picture,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ]
    cmd += ["-crf", "16", "-g", "50"]
    if indexed:
        subprocess.run([*cmd, "-f", "mp4", str(path)], check=True)
    else:
        with path.open("wb") as out:
            subprocess.run([*cmd, "-f", "matroska", "pipe:1"], stdout=out, check=True)
    return path


FFMPEG_TIMEOUT_SECONDS = 120  # a few seconds' work: past this ffmpeg hung (once, on a stream offset)


def recording(
    path: Path,
    container: str,
    seconds: float,
    size: str = "640x360",
    keyframe_seconds: float = 10.0,
    picture_late: float = 0.0,
    sound: str = "aac",
) -> Path:
    """A recorder's file, in ``container`` (``mpegts``, ``avi``...): testsrc2 with B-frames and a
    keyframe every ``keyframe_seconds`` (no other), a sine beside it (in ``sound``), the picture
    starting ``picture_late`` seconds after the sound."""
    late = ["-itsoffset", f"{picture_late:g}"] if picture_late else []
    picture = [*late, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds:g}"]
    tone = ["-f", "lavfi", "-i", f"sine=duration={seconds:g}"]
    gop = str(round(25 * keyframe_seconds))
    codec = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", gop, "-sc_threshold", "0"]
    codec += ["-c:a", sound]
    cmd = [FFMPEG, "-nostdin", "-v", "error", *picture, *tone, *codec, "-f", container, str(path)]
    subprocess.run(cmd, check=True, timeout=FFMPEG_TIMEOUT_SECONDS)
    return path


def picture_lead(path: Path) -> float:
    """How long after ``path``'s timeline starts (at its earliest stream, where players and a
    trim count from) its picture does: as ffmpeg's header says, or where it says nothing of the
    picture's start (AVI), its first frames' earliest time."""
    header = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    timeline = re.search(r"^  Duration: .*, start: (-?[\d.]+)", header, re.MULTILINE)
    picture = re.search(r"Stream #0:\d+.*: Video: .*, start (-?[\d.]+)", header)
    assert timeline is not None, header
    if picture is not None:
        return float(picture.group(1)) - float(timeline.group(1))
    listed = ["-fflags", "+genpts", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-frames:v", "16"]
    crc = subprocess.run([FFMPEG, "-v", "error", *listed, "-f", "framecrc", "-"], capture_output=True,
                         text=True, check=True, timeout=FFMPEG_TIMEOUT_SECONDS).stdout  # fmt: skip
    base = re.search(r"#tb 0: (\d+)/(\d+)", crc)
    assert base is not None, crc
    pts = [int(line.split(",")[2]) for line in crc.splitlines() if line.startswith("0,")]
    return min(pts) * int(base.group(1)) / int(base.group(2))


def first_picture_of(output: Path, clip: Path, candidates: range) -> int:
    """Which of ``clip``'s frames (numbered from its first, decoded without a seek) is the first
    picture of ``output``: the one among ``candidates`` it is most alike (PSNR)."""
    first = f"[0:v]trim=end_frame=1,loop=loop={len(candidates) - 1}:size=1,setpts=N/25/TB[one]"
    frames = f"[1:v]select='between(n,{candidates.start},{candidates.stop - 1})',setpts=N/25/TB[many]"
    graph = f"{first};{frames};[one][many]psnr=stats_file=-"
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-i",
        str(output),
        "-i",
        str(clip),
        "-filter_complex",
        graph,
        "-f",
        "null",
        "-",
    ]
    stats = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=FFMPEG_TIMEOUT_SECONDS
    ).stdout
    scores = [float(found) for found in re.findall(r"psnr_avg:(\S+)", stats.replace("inf", "1000"))]
    assert len(scores) == len(candidates), stats
    return candidates.start + max(range(len(scores)), key=scores.__getitem__)
