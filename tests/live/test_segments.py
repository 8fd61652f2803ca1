"""A long video on two workers: split, encoded on both, joined without a seam; faults, cancel, fairness."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.media import probe
from app.media.formats import PRESETS
from app.media.picture import video_filter
from app.media.quality import measure_command, read_quality
from app.media.sync import first_frames_command, read_first_time
from app.media.trim import Trim
from tests.conftest import FFMPEG, frame_times
from tests.live.backends import Backend, on_backend
from tests.live.stack import LiveStack, live_processes, processes_mentioning, wait_until
from tests.media.corpus import already_compressed
from tests.media.crafted import FFMPEG_TIMEOUT_SECONDS, first_picture_of, picture_lead, recording

SEGMENT_SECONDS = 3  # small segments, so a clip of seconds makes a split job


@pytest.fixture(scope="module")
def split_stack(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[LiveStack]:
    """Two workers (two hosts' worth), splitting anything of 6 s and more."""
    live = LiveStack(
        tmp_path_factory.mktemp(f"split-{backend.name}"),
        backend=backend,
        SEGMENT_SECONDS=str(SEGMENT_SECONDS),
        SEGMENT_MIN_SECONDS="6",
    )
    live.start_worker()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def busy_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 s of 720p: ten segments that keep both workers busy a while (made once, for each test
    and configuration that needs a long job to be running)."""
    return _clip(tmp_path_factory.mktemp("busy") / "busy.mp4", 30, size="1280x720")


def _clip(
    path: Path,
    seconds: float,
    size: str = "640x360",
    keyframe_seconds: float = 20,
    more: bool = False,
    piped: bool = False,
    picture_late: float = 0.0,
) -> Path:
    """A busy picture with stereo sound; keyframes ``keyframe_seconds`` apart (cuts fall between).

    ``more``: a second audio track (French) and English subtitles too, as an MKV; ``piped``:
    written to a pipe, as a browser records (Matroska without cues: a seek reads all before it);
    ``picture_late``: the picture starts this long after the sound (as a phone's may).
    """
    gop = str(int(25 * keyframe_seconds))
    late = ["-itsoffset", f"{picture_late:g}"] if picture_late else []
    inputs = [*late, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds:g}"]
    inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds:g}"]
    maps = ["-map", "0:v", "-map", "1:a"]
    if more:
        subtitles = path.with_suffix(".srt")
        subtitles.write_text("1\n00:00:01,000 --> 00:00:03,000\nAcross a join\n")
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=660:duration={seconds:g}", "-i", str(subtitles)]
        maps += [
            "-map",
            "2:a",
            "-map",
            "3:s",
            "-metadata:s:a:1",
            "language=fra",
            "-metadata:s:s:0",
            "language=eng",
        ]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-g", gop, "-sc_threshold", "0"]
    # Every source ends by itself; -t tells a pipe's Matroska its length, but beside a stream
    # offset it once left ffmpeg hung.
    length = [] if picture_late else ["-t", f"{seconds:g}"]
    cmd = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", *inputs, *maps, *length, *codec, "-ac", "2"]
    if piped:
        with path.open("wb") as out:
            piping = [*cmd, "-c:a", "aac", "-f", "matroska", "pipe:1"]
            subprocess.run(piping, stdout=out, check=True, timeout=FFMPEG_TIMEOUT_SECONDS)
    else:
        subprocess.run([*cmd, "-c:a", "aac", str(path)], check=True, timeout=FFMPEG_TIMEOUT_SECONDS)
    return path


def _start_gap(path: Path) -> float:
    """How much later the picture starts than the sound."""
    picture, sound = path.with_suffix(".picture.crc"), path.with_suffix(".sound.crc")
    subprocess.run(first_frames_command(FFMPEG, path, picture, sound), check=True)
    return (read_first_time(picture.read_text()) or 0.0) - (read_first_time(sound.read_text()) or 0.0)


def _halves(path: Path, seconds: float) -> Path:
    """Flat grey for the first half, grain for the second (stereo sound throughout): one easy
    and one hard stretch, keyframes far apart."""
    half = seconds / 2
    flat = f"color=c=gray:size=640x360:rate=25:duration={half}"
    inputs = ["-f", "lavfi", "-i", flat, "-f", "lavfi", "-i", f"{flat},noise=alls=25:allf=t+u"]
    inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    graph = ["-filter_complex", "[0][1]concat=n=2:v=1[v]", "-map", "[v]", "-map", "2:a", "-ac", "2"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-g", "500", "-c:a", "aac"]
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *inputs, *graph, *codec, str(path)], check=True)
    return path


def _vmaf_across(output: Path, original: Path, at: float) -> float:
    """The VMAF of the 2 s of ``output`` around ``at`` seconds (a join), against ``original``."""
    vf = video_filter(probe(FFMPEG, original), None)
    cmd = measure_command(FFMPEG, output, original, vf, [(at - 1.0, 2.0)])
    scored = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return read_quality(scored.stderr).vmaf


def _submit(stack: LiveStack, clip: Path) -> str:
    response = stack.submit(clip, preset="balanced")
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _running_segments(stack: LiveStack, job_id: str, at_least: int) -> dict[str, Any]:
    def reached(job: dict[str, Any]) -> bool:
        ended = job["status"] not in ("queued", "running")
        return ended or (job.get("segments") or {}).get("running", 0) >= at_least

    found = stack.follow(job_id, reached, 120, f"{at_least} segments of {job_id} to run")
    assert found["status"] == "running", found
    return found


def test_a_long_video_is_encoded_on_both_workers_and_joined_frame_exact(
    split_stack: LiveStack, tmp_path: Path
) -> None:
    clip = _clip(tmp_path / "long.mkv", 12, more=True, picture_late=0.12)
    job_id = _submit(split_stack, clip)
    job = split_stack.wait_for_status(job_id, {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["segments"] == {"total": 4, "done": 4, "running": 0}
    segments = job["output"]["segments"]
    assert [round(s["start_seconds"]) for s in segments] == [0, 3, 6, 9]
    assert all(s["crf"] and s["vmaf"] and s["size_bytes"] for s in segments)
    assert abs(job["output"]["quality"]["vmaf"] - 93) < 6  # each segment aimed at balanced's 93

    output = tmp_path / "output.mp4"
    output.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job_id}/output", timeout=60).content)
    assert len(frame_times(output)) == len(frame_times(clip))
    delivered, original = probe(FFMPEG, output), probe(FFMPEG, clip)
    assert abs((delivered.duration_seconds or 0) - (original.duration_seconds or 0)) <= 1 / 25
    assert delivered.audio_channels == (2, 2)
    assert (delivered.audio_tracks, delivered.subtitles) == (2, ("mov_text",))  # kept across the joins
    assert job["output"]["verified"] is True
    assert _start_gap(output) == pytest.approx(_start_gap(clip), abs=0.5 / 25), (
        "the picture as late as before"
    )
    for join in [s["start_seconds"] for s in segments[1:]]:  # no seam: the look holds across each
        assert _vmaf_across(output, clip, join) >= PRESETS["balanced"].vmaf_target - 3, join
    decoded = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(output), "-f", "null", "-"], capture_output=True
    )
    assert decoded.returncode == 0 and decoded.stderr == b""

    # every worker encoded some of it; nothing of the segments is left anywhere
    for worker in range(2):
        log = split_stack.log(f"worker-{worker}.log")
        assert f"job {job_id}: segment" in log, f"worker {worker} idle"
        assert "cleaning registries" not in log, "RQ's upkeep left out of the log (runner.quiet_upkeep)"
    assert not [name for name in split_stack.objects(job_id) if name.startswith("segments/")]
    assert not list(split_stack.scratch.glob(f"*{job_id}*"))


def test_a_trimmed_long_video_is_split_within_its_trim(split_stack: LiveStack, tmp_path: Path) -> None:
    """2.5 s to 10.5 s of a 12 s clip recorded as a browser does (Matroska without cues, a
    keyframe every 2 s): segments from the trim's start, every frame on screen within it and
    none outside, the audio and subtitles from it too. Helpers read a seekable copy of its
    video, stored by the coordinator, and nothing of it is left after."""
    clip = _clip(tmp_path / "long.mkv", 12, keyframe_seconds=2, more=True, piped=True)
    response = split_stack.submit(clip, preset="balanced", start_seconds="2.5", end_seconds="10.5")
    assert response.status_code == 202, response.text
    job = split_stack.wait_for_status(response.json()["id"], {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["segments"]["total"] >= 2 and job["output"]["verified"] is True
    assert job["output"]["segments"][0]["start_seconds"] == 0.0
    output = tmp_path / "trimmed.mp4"
    output.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job['id']}/output", timeout=60).content)
    expected = Trim(2.5, 10.5).kept_frames(frame_times(clip))  # from 2.48: the frame showing at 2.5 s
    assert len(frame_times(output)) == len(expected) == 201
    delivered = probe(FFMPEG, output)
    assert abs((delivered.duration_seconds or 0) - 8.0) <= 2 / 25
    assert (delivered.audio_tracks, delivered.subtitles) == (2, ("mov_text",))
    logs = split_stack.log("worker-0.log") + split_stack.log("worker-1.log")
    assert f"job {job['id']}: every worker reads a seekable copy of the input's video" in logs
    assert not [name for name in split_stack.objects(job["id"]) if name.startswith("segments/")]


@on_backend("sqlite-file")  # which frames a seek finds is ffmpeg's work, wherever the bytes are kept
def test_an_mpeg_ts_recording_keeps_every_frame_across_the_joins(
    split_stack: LiveStack, tmp_path: Path
) -> None:
    """MPEG-TS with B-frames, a keyframe every 2 s: a seek in it between keyframes (to 3 s, to
    9 s) decodes a broken picture first, so every worker reads the seekable copy, where each
    segment's seek finds its first frame: every frame is there, the input's picture."""
    clip = recording(tmp_path / "recording.ts", "mpegts", 12, keyframe_seconds=2)
    job_id = _submit(split_stack, clip)
    job = split_stack.wait_for_status(job_id, {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    output = tmp_path / "recording.mp4"
    output.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job_id}/output", timeout=60).content)
    assert len(frame_times(output)) == len(frame_times(clip)) == 300
    whole = measure_command(FFMPEG, output, clip, "format=yuv420p", [(0.0, 12.0)])  # no seek in the input
    scored = subprocess.run(whole, capture_output=True, text=True, check=True)
    assert read_quality(scored.stderr).vmaf >= PRESETS["balanced"].vmaf_target - 3, (
        "the input's frames, in order"
    )


@on_backend("sqlite-file")  # which frames a seek finds is ffmpeg's work, wherever the bytes are kept
def test_a_trimmed_mpeg_ts_recording_keeps_its_picture_with_its_sound(
    split_stack: LiveStack, tmp_path: Path
) -> None:
    """2.5 s to 10.5 s of an MPEG-TS whose picture starts 0.3 s after its sound: the trim counts
    from where the file starts (its sound, as a player does, and as its sound is cut), so its
    first picture is the one showing at 2.5 s from there; the segments were cut 0.34 s later,
    counted from the picture's own start (ffmpeg times an MPEG-TS's picture read alone so)."""
    clip = recording(tmp_path / "recording.ts", "mpegts", 12, keyframe_seconds=2, picture_late=0.3)
    response = split_stack.submit(clip, preset="balanced", start_seconds="2.5", end_seconds="10.5")
    assert response.status_code == 202, response.text
    job = split_stack.wait_for_status(response.json()["id"], {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["segments"]["total"] >= 2
    output = tmp_path / "trimmed.mp4"
    output.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job['id']}/output", timeout=60).content)
    showing = int((2.5 - picture_lead(clip)) * 25)  # the frame on screen at 2.5 s
    assert first_picture_of(output, clip, range(showing - 6, showing + 12)) == showing
    assert len(frame_times(output)) == len(Trim(2.5, 10.5).kept_frames(frame_times(clip)))


@on_backend("sqlite-file")  # the timing is ffmpeg's work, wherever the bytes are kept
def test_a_phones_variable_frame_rate_keeps_its_frames_and_timing_across_the_joins(
    split_stack: LiveStack, tmp_path: Path
) -> None:
    """5 s at 30 fps, then 12 fps with jitter, with sound: every frame at its own time, joined."""
    clip = tmp_path / "phone.mp4"
    picture = "testsrc2=size=320x240:rate=30,setpts='if(lt(N,150),N/30,5+(N-150)/12+0.013*mod(N,3))/TB'"
    inputs = ["-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", "sine=frequency=440", "-t", "10"]
    codec = ["-c:v", "libx264", "-fps_mode", "vfr", "-bf", "2", "-c:a", "aac", "-ac", "2"]
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *inputs, *codec, str(clip)], check=True)
    job_id = _submit(split_stack, clip)
    job = split_stack.wait_for_status(job_id, {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["segments"]["total"] >= 3
    output = tmp_path / "phone-out.mp4"
    output.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job_id}/output", timeout=60).content)
    before, after = frame_times(clip), frame_times(output)
    assert len(after) == len(before)
    assert max(abs(a - b) for a, b in zip(after, before, strict=True)) <= 1 / 30  # each at its time
    assert (
        abs((probe(FFMPEG, output).duration_seconds or 0) - (probe(FFMPEG, clip).duration_seconds or 0))
        <= 1 / 12
    )


@on_backend("sqlite-file")  # the budget is arithmetic over the segments, wherever they are kept
def test_a_target_size_is_shared_by_how_hard_each_segment_is(split_stack: LiveStack, tmp_path: Path) -> None:
    """12 s, flat then grainy, to 1 MB: under the target and near it, the grainy segments given
    many times the flat ones' bytes, every frame there."""
    clip = _halves(tmp_path / "halves.mp4", 12)
    response = split_stack.submit(clip, target_size_mb="1")
    assert response.status_code == 202, response.text
    job = split_stack.wait_for_status(response.json()["id"], {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    output = job["output"]
    assert 0.85 * 1024 * 1024 <= output["size_bytes"] <= 1024 * 1024, output
    assert output["verified"] is True and output["kept_original"] is False
    sizes = [segment["size_bytes"] for segment in output["segments"]]
    assert len(sizes) == 4 and all(segment["crf"] is None for segment in output["segments"])
    assert min(sizes[2:]) > 4 * max(sizes[:2]), sizes  # bits go where the picture needs them
    delivered = tmp_path / "fitted.mp4"
    delivered.write_bytes(requests.get(f"{split_stack.url}/api/jobs/{job['id']}/output", timeout=60).content)
    assert len(frame_times(delivered)) == len(frame_times(clip)) == 300


def test_cancel_stops_every_segment_on_every_worker(split_stack: LiveStack, busy_clip: Path) -> None:
    job_id = _submit(split_stack, busy_clip)
    _running_segments(split_stack, job_id, 2)
    response = requests.post(f"{split_stack.url}/api/jobs/{job_id}/cancel", timeout=10)
    assert response.status_code == 202 and response.json()["status"] == "canceled"
    wait_until(lambda: not processes_mentioning(job_id), 2, "every ffmpeg of the canceled job to end")
    wait_until(
        lambda: not [name for name in split_stack.objects(job_id) if name.startswith("segments/")],
        10, "the segments' objects to be removed",
    )  # fmt: skip


@on_backend("postgres-s3")  # what a delete removes is the same in either store
def test_delete_stops_every_segment_and_leaves_nothing(split_stack: LiveStack, busy_clip: Path) -> None:
    """The coordinator read the deleted job's id from its record: it crashed ("failed
    unexpectedly") where a cancel ends quietly."""
    job_id = _submit(split_stack, busy_clip)
    _running_segments(split_stack, job_id, 2)
    assert requests.delete(f"{split_stack.url}/api/jobs/{job_id}", timeout=10).status_code == 204
    wait_until(lambda: not processes_mentioning(job_id), 2, "every ffmpeg of the deleted job to end")
    wait_until(lambda: split_stack.objects(job_id) == [], 10, "every object of the job to be removed")
    with split_stack.redis_client() as client:
        wait_until(
            lambda: all(client.hget(name, "state") == b"idle" for name in client.smembers("rq:workers")),
            30, "both workers to be idle again",
        )  # fmt: skip
    logs = "".join(split_stack.log(f"worker-{n}.log") for n in range(len(split_stack.workers)))
    assert f"job {job_id} failed unexpectedly" not in logs
    assert requests.get(f"{split_stack.url}/api/jobs/{job_id}", timeout=10).status_code == 404


@on_backend("sqlite-file")  # which job a free worker takes is the queues' order, wherever bytes are kept
def test_a_short_job_does_not_wait_behind_a_long_jobs_segments(
    split_stack: LiveStack, busy_clip: Path, tmp_path: Path
) -> None:
    long_id = _submit(split_stack, busy_clip)
    _running_segments(split_stack, long_id, 2)  # both workers busy, 8 segments still queued
    short = split_stack.wait_for_status(_submit(split_stack, _clip(tmp_path / "short.mp4", 2)), {"succeeded"})
    assert short["segments"] is None  # too short to split
    long_job = split_stack.job(long_id)
    assert long_job["status"] == "running" and long_job["segments"]["done"] < long_job["segments"]["total"]
    requests.post(f"{split_stack.url}/api/jobs/{long_id}/cancel", timeout=10)


def test_a_worker_killed_mid_segment_costs_that_segment_only(split_stack: LiveStack, tmp_path: Path) -> None:
    job_id = _submit(split_stack, _clip(tmp_path / "kill.mp4", 15))
    helper: list[int] = []

    def helper_running() -> bool:
        helper[:] = [
            int(fields[3])
            for _pid, fields, cmdline in live_processes()
            if f"segments-{job_id}".encode() in cmdline and b"ffmpeg" in cmdline
        ]
        return bool(helper)

    wait_until(helper_running, 120, "a helper to encode a segment", interval=0.05)
    worker = next(w for w in split_stack.alive_workers() if w.pid == helper[0])  # its session's leader
    split_stack.kill(worker)
    job = split_stack.wait_for_status(job_id, {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1  # the job went on: only the segment was done again
    assert len(job["output"]["segments"]) == 5
    split_stack.start_worker()


def test_a_split_job_never_delivers_a_larger_file(split_stack: LiveStack, tmp_path: Path) -> None:
    clip = already_compressed(tmp_path / "small.mp4", seconds=12, crf=40)  # smaller than any re-encode of it
    job_id = _submit(split_stack, clip)
    job = split_stack.wait_for_status(job_id, {"succeeded", "failed"}, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["segments"] is not None and job["output"]["kept_original"] is True
    assert (
        job["output"]["size_bytes"] == clip.stat().st_size
        and "already well compressed" in job["output"]["note"]
    )
    wait_until(
        lambda: not [name for name in split_stack.objects(job_id) if name.startswith("segments/")],
        30, "the segments' objects to be removed",
    )  # fmt: skip
