"""Whether a job's own score tells the truth whatever the container the video came in.

    .venv/bin/python -m bench.containers [--seconds 12] [--size 640x360]

The same picture (testsrc2 with B-frames, one keyframe, the picture starting 23 ms after the
sound, as recorders write it) in mp4, MPEG-TS, AVI, FLV and MPEG program stream (MPEG-2
video); each compressed in-process as a one-piece job's attempt does (``seekable.
frames_to_seek_in``, then ``encode.deliver`` at the default preset). Prints, per container,
the job's own VMAF (on its sampled spans) beside a VMAF over every frame with no seek (each
file decoded from its start), the CRF and the bytes delivered, and whether the job read a
seekable copy. Target: the job's VMAF within 1.5 of the full one for every container (a
score off by more misleads a short video's retune: an MPEG-TS input once came back at twice
the bytes, scored 47 where it was 97).

``--trim START END``: the jobs keep that part (an encode that seeks, where a seek in MPEG-TS
may start mid-GOP); the full VMAF is then against the input's frames from the one showing at
START (decoded from the file's start, no seek), and the table says which frame the delivered
file starts with against that one (the same, or the next: ffmpeg's seek keeps frames from START).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from app.media import Options, probe
from app.work import seekable
from app.work.encode import deliver, trimmed
from bench.quality import attempt, bench_app
from tests.conftest import FFMPEG, full_vmaf
from tests.media.crafted import first_picture_of, picture_lead

CONTAINERS = {  # name: (muxer, file suffix, video codec arguments, audio codec)
    "mp4": ("mp4", "mp4", ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"], "aac"),
    "MPEG-TS": ("mpegts", "ts", ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"], "aac"),
    "AVI": ("avi", "avi", ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"], "mp3"),
    "FLV": ("flv", "flv", ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"], "aac"),
    "MPEG-PS": ("vob", "mpg", ["-c:v", "mpeg2video", "-q:v", "4", "-bf", "2"], "mp2"),
}
TOLERANCE = 1.5


def make(folder: Path, name: str, seconds: float, size: str) -> Path:
    """``name``'s file of the clip: one keyframe, the picture 23 ms after the sound."""
    muxer, suffix, video, audio = CONTAINERS[name]
    path = folder / f"clip.{suffix}"
    source = f"testsrc2=size={size}:rate=25:duration={seconds:g}"
    picture = ["-itsoffset", "0.023", "-f", "lavfi", "-i", source]
    sound = ["-f", "lavfi", "-i", f"sine=duration={seconds:g}"]
    keyframes = ["-g", str(int(seconds * 25) + 1)]
    cmd = [FFMPEG, "-y", "-v", "error", *picture, *sound, *video, *keyframes, "-c:a", audio, "-f", muxer]
    subprocess.run([*cmd, str(path)], check=True)
    return path


def trimmed_vmaf(delivered: Path, clip: Path, first: int, frames: int) -> float:
    """VMAF of ``delivered`` over every frame against ``frames`` of ``clip``'s from its ``first``
    (decoded from its start: no seek)."""
    kept = f"select='between(n\\,{first}\\,{first + frames - 1})',format=yuv420p"
    return full_vmaf(delivered, clip, kept)


def frame_count(path: Path) -> int:
    """How many video frames ``path`` holds (its packets, counted)."""
    cmd = [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    listing = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return sum(1 for line in listing.splitlines() if line.startswith("0,"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="clip length (default 12)")
    parser.add_argument("--size", default="640x360", help="clip size (default 640x360)")
    parser.add_argument("--trim", nargs=2, type=float, metavar=("START", "END"), help="keep that part")
    args = parser.parse_args()
    options = Options(start_seconds=args.trim[0], end_seconds=args.trim[1]) if args.trim else Options()
    first_column = " first frame (showing at START) |" if args.trim else ""
    columns = "| container | read through a copy | job's VMAF | full VMAF, no seek | CRF | bytes |"
    print(f"{columns}{first_column} within 1.5 |")
    print("|---|---|---|---|---|---|---|" + ("---|" if args.trim else ""))
    misses = 0
    for name in CONTAINERS:
        with tempfile.TemporaryDirectory(prefix="bench-containers-") as tmp:
            folder = Path(tmp)
            clip = make(folder, name, args.seconds, args.size)
            app = bench_app(folder)
            with app.app_context():
                steps, work = attempt(app, folder)
                whole = probe(FFMPEG, clip)
                frames = seekable.frames_to_seek_in("bench", clip, whole, work, steps)
                info = trimmed(whole, options)
                delivered = deliver(clip, info, options, clip.name, work, steps, frames)
            if delivered.quality is None or delivered.kept_original:
                print(f"| {name} | {frames is not None} | (not scored: original kept) | | | | |")
                continue
            first = ""
            if args.trim:
                showing = int((args.trim[0] - picture_lead(clip)) * 25)
                starts = first_picture_of(delivered.path, clip, range(max(showing - 6, 0), showing + 6))
                full = trimmed_vmaf(delivered.path, clip, starts, frame_count(delivered.path))
                first = f" {starts} ({showing}) |"
            else:
                full = full_vmaf(delivered.path, clip, "format=yuv420p")
            within = abs(delivered.quality.vmaf - full) <= TOLERANCE
            misses += not within
            copied, verdict = "yes" if frames is not None else "no", "yes" if within else "NO"
            print(f"| {name} | {copied} | {delivered.quality.vmaf:.2f} | {full:.2f} | {delivered.crf:g} "
                  f"| {delivered.path.stat().st_size:,} |{first} {verdict} |", flush=True)  # fmt: skip
    print(f"containers whose job score is off by more than {TOLERANCE}: {misses}")


if __name__ == "__main__":
    main()
