"""``squeeze``: compress videos on a Squeeze server from the command line.

Exit codes a script can rely on:
  0  done (every job succeeded, or the command did what it says)
  1  a job failed or was canceled
  2  bad usage (an unknown option, a missing file)
  3  the server refused the request (its message is printed)
  4  the server could not be reached (an upload resumes when run again)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from squeeze_client.api import ApiError, Client, NetworkError

DONE, JOB_FAILED, USAGE, REFUSED, UNREACHABLE = 0, 1, 2, 3, 4
SERVER_MB = 1024 * 1024  # the server counts target_size_mb in these (as its *_MB settings)
UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
         "kib": 1024, "mib": 1024**2, "gib": 1024**3}  # fmt: skip


def seconds(text: str) -> float:
    """A time in the video: seconds (``90``, ``90.5``) or minutes and seconds (``1:30``, ``1:02:03``)."""
    try:
        total = 0.0
        for part in text.strip().split(":"):
            total = total * 60 + float(part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (seconds, or m:ss)") from None
    if total < 0:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (it is before the start)")
    return total


def size_in_bytes(text: str) -> float:
    """``25MB`` -> 25e6, ``2M`` -> 2e6, ``1.5GiB`` -> 1.5 * 2**30."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if match is None or match.group(2).lower() not in UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 25MB)")
    return float(match.group(1)) * UNITS[match.group(2).lower()]


def server_megabytes(size: float) -> float:
    """``size`` bytes in the server's megabytes (``target_size_mb``: 1,048,576 bytes each), to the
    thousandth below, so the file is never over what was asked (``--fit 10MB``: 9.536, not 10)."""
    return math.floor(size / SERVER_MB * 1000) / 1000


class Bar:
    """One line of progress on a terminal (silent when output is not a terminal or --json)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet = label, quiet or not sys.stderr.isatty()
        self.started = time.monotonic()

    def show(self, fraction: float, detail: str = "") -> None:
        if self.quiet:
            return
        width = 30
        filled = int(width * min(max(fraction, 0), 1))
        bar = "#" * filled + "." * (width - filled)
        line = f"\r{self.label[:24]:<24} [{bar}] {fraction * 100:5.1f}% {detail}"
        sys.stderr.write(line[:120].ljust(120))
        sys.stderr.flush()

    def bytes(self, done: int, total: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-3)
        speed = done / elapsed
        left = (total - done) / speed if speed > 0 else 0
        self.show(
            done / total if total else 1,
            f"{done / 1e6:.1f}/{total / 1e6:.1f} MB {speed / 1e6:.1f} MB/s {left:.0f}s left",
        )

    def job(self, job: dict[str, Any]) -> None:
        eta = job.get("eta_seconds")
        self.show(job["progress"] / 100, job["status"] + (f", {eta}s left" if eta is not None else ""))

    def end(self) -> None:
        if not self.quiet:
            sys.stderr.write("\n")


def _client(args: argparse.Namespace) -> Client:
    return Client(args.url, args.api_key)


def _say(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data) if args.json else text)


def compress(args: argparse.Namespace) -> int:
    client, code, results = _client(args), DONE, []
    options = {"preset": args.preset, "codec": args.codec, "max_height": args.max_height,
               "callback_url": args.callback,
               "target_size_mb": server_megabytes(args.fit) if args.fit else None,
               "normalize_audio": True if args.normalize else None,
               "keep_location": True if args.keep_location else None,
               "sdr": True if args.sdr else None,
               "start_seconds": args.start, "end_seconds": args.end,
               "container": args.container}  # fmt: skip
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"squeeze: no such file: {name}", file=sys.stderr)
            return USAGE
        bar = Bar(f"up {path.name}", args.json)
        job, sent = client.upload(
            path, options, on_progress=bar.bytes, parallel=args.parallel, rate_limit=args.limit_rate
        )
        bar.end()
        result: dict[str, Any] = {
            "file": str(path),
            "job": job["id"],
            "status": job["status"],
            "parts_sent": sent,
        }
        if args.wait:
            follow = Bar(f"compress {path.name}", args.json)
            job = client.follow(job["id"], follow.job)
            follow.end()
            result["status"] = job["status"]
            if job["status"] == "succeeded":
                folder = Path(args.output) if args.output else path.parent
                folder.mkdir(parents=True, exist_ok=True)
                target = client.download(job["id"], folder / f"{path.stem}-squeezed.mp4")
                result |= {"output": str(target), "size_bytes": target.stat().st_size,
                           "input_size_bytes": path.stat().st_size}  # fmt: skip
            else:
                code = JOB_FAILED
                result["error"] = job.get("error")
        results.append(result)
        _say(args, result, _summary(result))
    return code


def _summary(result: dict[str, Any]) -> str:
    if "output" in result:
        ratio = result["size_bytes"] / max(result["input_size_bytes"], 1)
        size = result["size_bytes"] / 1e6
        return f"{result['file']} -> {result['output']} ({size:.1f} MB, {ratio:.0%} of the input)"
    if result.get("error"):
        return f"{result['file']}: {result['status']}: {result['error'].get('message')}"
    return f"{result['file']}: job {result['job']} {result['status']}"


def jobs(args: argparse.Namespace) -> int:
    listed = _client(args).jobs(limit=args.limit)
    if args.json:
        print(json.dumps(listed))
    for job in [] if args.json else listed:
        print(f"{job['id']}  {job['status']:<9} {job['progress']:5.1f}%  {job['input'].get('filename')}")
    return DONE


def status(args: argparse.Namespace) -> int:
    job = _client(args).job(args.id)
    _say(args, job, f"{job['id']}  {job['status']}  {job['progress']:.1f}%")
    return JOB_FAILED if job["status"] in ("failed", "canceled") else DONE


def cancel(args: argparse.Namespace) -> int:
    job = _client(args).cancel(args.id)
    _say(args, job, f"{job['id']}  {job['status']}")
    return DONE


def download(args: argparse.Namespace) -> int:
    client = _client(args)
    job = client.job(args.id)
    name = Path(job["input"].get("filename") or "video").stem + "-squeezed.mp4"
    folder = Path(args.output or ".")
    folder.mkdir(parents=True, exist_ok=True)
    bar = Bar(f"down {name}", args.json)
    target = client.download(args.id, folder / name, bar.bytes)
    bar.end()
    _say(args, {"job": args.id, "output": str(target)}, str(target))
    return DONE


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="squeeze", description="Compress videos on a Squeeze server.")
    top.add_argument("--url", default=os.environ.get("SQUEEZE_URL", "http://127.0.0.1:5000"),
                     help="the server (default: $SQUEEZE_URL or http://127.0.0.1:5000)")  # fmt: skip
    top.add_argument("--api-key", default=os.environ.get("SQUEEZE_API_KEY"), help="default: $SQUEEZE_API_KEY")
    top.add_argument("--json", action="store_true", help="machine-readable output, one JSON per line")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("compress", help="upload (resumable), and with --wait follow and download")
    run.add_argument("files", nargs="+", metavar="FILE")
    run.add_argument("--preset", choices=("small", "balanced", "high"))
    run.add_argument("--codec", choices=("h264", "h265", "av1"))
    run.add_argument("--max-height", type=int)
    run.add_argument("--fit", type=size_in_bytes, help="aim under this size, e.g. 25MB")
    run.add_argument("--callback", help="a URL for the signed webhook")
    run.add_argument("--normalize", action="store_true", help="even every audio track out to -16 LUFS")
    run.add_argument(
        "--keep-location", action="store_true", help="keep where it was filmed (removed by default)"
    )
    run.add_argument("--sdr", action="store_true", help="tone-map HDR to SDR even with h265 or av1")
    run.add_argument("--start", type=seconds, help="keep the video from this time: 90, 1:30 or 1:30.5")
    run.add_argument("--end", type=seconds, help="keep the video up to this time (same forms)")
    run.add_argument("--container", choices=("mp4", "mkv"), help="the result's format (default: MP4, or MKV "
                     "when the video has subtitles drawn as pictures)")  # fmt: skip
    run.add_argument("--wait", action="store_true", help="follow the job and download the result")
    run.add_argument("-o", "--output", help="where results go (default: next to each input)")
    run.add_argument("--parallel", type=int, default=4, help="parts in flight (default 4)")
    run.add_argument("--limit-rate", type=size_in_bytes, help="upload at most this many bytes a second")
    run.set_defaults(handler=compress)

    listing = commands.add_parser("jobs", help="your newest jobs")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=jobs)
    for name, handler, text in (("status", status, "one job"), ("cancel", cancel, "stop a job")):
        one = commands.add_parser(name, help=text)
        one.add_argument("id")
        one.set_defaults(handler=handler)
    fetch = commands.add_parser("download", help="save a finished job's output")
    fetch.add_argument("id")
    fetch.add_argument("-o", "--output")
    fetch.set_defaults(handler=download)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ApiError as error:
        print(f"squeeze: {error}", file=sys.stderr)
        return REFUSED
    except NetworkError as error:
        print(f"squeeze: {error}", file=sys.stderr)
        return UNREACHABLE
    except KeyboardInterrupt:
        print("\nsqueeze: interrupted; run the same command again to resume", file=sys.stderr)
        return UNREACHABLE
    return code


if __name__ == "__main__":
    sys.exit(main())
