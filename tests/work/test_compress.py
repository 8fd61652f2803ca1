"""The worker's bookkeeping around an attempt (ffmpeg itself runs in the live tests)."""

import os
import signal
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.owner import ANONYMOUS
from app.extensions import db
from app.jobs import lifecycle, retention
from app.jobs import segments as claims
from app.jobs.models import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, Job
from app.media import probe
from app.media.command import audio_size_command
from app.media.formats import CONTAINERS
from app.media.picture import video_filter
from app.media.probe import read_audio_kbps
from app.media.segments import Segment
from app.media.stills import poster as make_poster
from app.storage import (
    StorageError,
    input_key,
    job_prefix,
    job_storage,
    output_key,
    poster_key,
    seekable_key,
    segment_key,
    segments_prefix,
)
from app.storage.local import LocalStorage
from app.units import MB
from app.work import compress, stills
from app.work.compress import _drop_unwanted_output, compress_job
from app.work.failures import Interrupted, JobFailed
from app.work.steps import encode_limits
from tests.conftest import FFMPEG, frame_times, full_vmaf, make_clip
from tests.media import corpus
from tests.media.crafted import first_picture_of, picture_lead, recording


def _running_job_with_output(tmp_path: Path) -> str:
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
    lifecycle.start(job.id)
    for key in (input_key(job.id), output_key(job.id)):
        source = tmp_path / uuid.uuid4().hex
        source.write_bytes(b"bytes")
        job_storage().put(key, source, move=True)
    return job.id


@pytest.mark.parametrize("ending", ["canceled", "deleted"])
def test_an_output_stored_after_a_cancel_or_delete_is_removed(
    app: Flask, tmp_path: Path, ending: str
) -> None:
    with app.app_context():
        job_id = _running_job_with_output(tmp_path)
        if ending == "canceled":
            lifecycle.cancel(job_id)
        else:
            retention.delete_job(job_id)
            job_storage().put(output_key(job_id), _bytes(tmp_path))  # the upload finished after the delete
        assert lifecycle.succeed(job_id, {}) is None
        _drop_unwanted_output(job_id)
        assert job_storage().keys(job_prefix(job_id)) == []


def test_a_failed_job_loses_only_the_late_output(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        job_id = _running_job_with_output(tmp_path)
        lifecycle.fail(job_id, "worker_lost", "the worker stopped")
        _drop_unwanted_output(job_id)
        assert job_storage().keys(job_prefix(job_id)) == [input_key(job_id)]


def test_the_output_of_an_attempt_that_took_over_is_kept(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        job_id = _running_job_with_output(tmp_path)
        lifecycle.requeue(job_id)  # the lease lapsed: another attempt owns the job now
        _drop_unwanted_output(job_id)
        assert job_storage().exists(output_key(job_id))


def _split_job_underway(job_id: str, tmp_path: Path) -> None:
    """Two segments planned, one of them stored, and a seekable copy of the input stored."""
    claims.record_plan(job_id, [Segment(n, 50 * n, 50, 2.0 * n, 2.0, 2.0 * n) for n in range(2)], [])
    for key in (segment_key(job_id, 0, "1-1"), seekable_key(job_id)):
        job_storage().put(key, _bytes(tmp_path))


def _bytes(tmp_path: Path) -> Path:
    path = tmp_path / uuid.uuid4().hex
    path.write_bytes(b"late")
    return path


class _Unreachable(LocalStorage):
    """A store that refuses every read, as one that cannot be reached."""

    def fetch(self, key: str, folder: Path) -> Path:
        raise StorageError("the object store is unreachable: connection refused")


def test_a_store_the_worker_cannot_reach_sends_the_job_back_then_fails_it(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "nice", lambda _n: 0)  # the test process keeps its priority
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # and its SIGTERM handler
    app.extensions["storage"] = _Unreachable(tmp_path / "store")
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        for retried in (False, True):  # an operator's retry: as many attempts again
            if retried:
                assert lifecycle.retry(job.id) is not None
            for attempt in range(1, app.config["JOB_MAX_ATTEMPTS"] + 1):
                compress_job(job.id)
                again = db.session.get(Job, job.id, populate_existing=True)
                assert again.attempts == attempt
                if attempt < app.config["JOB_MAX_ATTEMPTS"]:
                    assert (again.status, again.error) == (QUEUED, None), "worth another attempt"
            assert again.status == FAILED and again.error["code"] == "storage_unavailable"
            assert "could not be reached" in again.error["message"]
    assert list(Path(app.config["SCRATCH_DIR"]).iterdir()) == [], "no attempt left its scratch folder"


@pytest.mark.parametrize(
    "ending",
    [Interrupted("ffmpeg stalled", "stalled", retry=True), RuntimeError("a bug")],
    ids=["stopped on its last attempt", "failed unexpectedly"],
)
def test_a_split_job_failed_for_good_leaves_no_segment_behind(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: Exception
) -> None:
    """An attempt stopped for a retry keeps its segments for the next; when there is no next, or
    the attempt failed in a way nobody foresaw, the segments' files, the seekable copy of the
    input and the records go with the failure."""
    monkeypatch.setattr(os, "nice", lambda _n: 0)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)

    def attempt(job: Job, _attempt: int, _folder: Path) -> None:
        _split_job_underway(job.id, tmp_path)
        raise ending

    monkeypatch.setattr(compress, "_attempt", attempt)
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        job.attempts = app.config["JOB_MAX_ATTEMPTS"] - 1
        db.session.commit()
        compress_job(job.id)
        assert db.session.get(Job, job.id, populate_existing=True).status == FAILED
        assert job_storage().keys(segments_prefix(job.id)) == []
        assert claims.rows(job.id) == []


@pytest.mark.parametrize(
    "ending",
    [
        None,
        JobFailed("ffmpeg_failed", "late"),
        Interrupted("ffmpeg stalled", "stalled", retry=True),
        RuntimeError("a bug"),
    ],
    ids=["finished", "failed", "stopped for a retry", "failed unexpectedly"],
)
def test_an_attempt_whose_job_went_to_another_worker_leaves_it_to_that_one(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: Exception | None
) -> None:
    """A worker paused past its lease wakes up after the reconciler gave its split job to
    another worker: however its attempt ends, it neither finishes, fails nor requeues the job,
    and the segments the other attempt is working with stay."""
    monkeypatch.setattr(os, "nice", lambda _n: 0)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)

    def attempt(job: Job, _attempt: int, _folder: Path) -> tuple[dict[str, object], float]:
        claims.record_plan(job.id, [Segment(n, 50 * n, 50, 2.0 * n, 2.0, 2.0 * n) for n in range(2)], [])
        job_storage().put(segment_key(job.id, 0, "1-1"), _bytes(tmp_path))
        lifecycle.requeue(job.id, attempt=1)  # the reconciler, while this worker was paused
        lifecycle.start(job.id)  # another worker: attempt 2
        if ending is not None:
            raise ending
        return {"size_bytes": 4}, 1.0

    monkeypatch.setattr(compress, "_attempt", attempt)
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        compress_job(job.id)
        held = db.session.get(Job, job.id, populate_existing=True)
        assert (held.status, held.attempts, held.error, held.output) == (RUNNING, 2, None, None)
        assert job_storage().keys(segments_prefix(job.id)) == [segment_key(job.id, 0, "1-1")]
        assert len(claims.rows(job.id)) == 2


def test_a_split_job_whose_segment_a_helper_failed_leaves_no_segment_behind(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper fails the job when a segment fails for good; the coordinator then stops with that
    failure, which no longer takes (the job is failed already): the segments go all the same."""
    monkeypatch.setattr(os, "nice", lambda _n: 0)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)

    def attempt(job: Job, _attempt: int, _folder: Path) -> None:
        _split_job_underway(job.id, tmp_path)
        lifecycle.fail(job.id, "segment_failed", "the part 0:02-0:04 could not be encoded")  # a helper
        raise JobFailed("segment_failed", "the part 0:02-0:04 could not be encoded")

    monkeypatch.setattr(compress, "_attempt", attempt)
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        compress_job(job.id)
        assert db.session.get(Job, job.id, populate_existing=True).status == FAILED
        assert job_storage().keys(segments_prefix(job.id)) == []
        assert claims.rows(job.id) == []


@pytest.mark.slow
def test_an_attempt_keeps_its_own_number_when_its_job_moves_on_under_it(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job went to another worker while this attempt fetched its input: the job's record
    now says attempt 2, and an attempt that read its number from it would encode and deliver
    over the other one. It stops at its first step instead."""
    fetch = compress._input

    def fetched_then_taken(job: Job, attempt: int, folder: Path) -> object:
        found = fetch(job, attempt, folder)
        lifecycle.requeue(job.id, attempt=attempt)  # the reconciler: this attempt's lease lapsed
        lifecycle.start(job.id)  # another worker
        return found

    monkeypatch.setattr(compress, "_input", fetched_then_taken)
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch)
        held = db.session.get(Job, job_id, populate_existing=True)
        assert (held.status, held.attempts, held.output) == (RUNNING, 2, None)
        assert not job_storage().exists(output_key(job_id))


def _compress_a_clip(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seconds: float = 2,
    clip: Path | None = None,
    owner: str = "o",
    **options: object,
) -> str:
    """A job for a real clip (made here unless given), attempted in this process as a worker
    would (real ffmpeg)."""
    monkeypatch.setattr(os, "nice", lambda _n: 0)  # the test process keeps its priority
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # and its SIGTERM handler
    clip = clip or make_clip(tmp_path / "clip.mp4", seconds=seconds, extra=("-g", "250"))
    job = Job(id=str(uuid.uuid4()), owner=owner, options=options,
              input={"filename": clip.name, "size_bytes": clip.stat().st_size})  # fmt: skip
    job_storage().put(input_key(job.id), clip)
    lifecycle.create(job)
    compress_job(job.id)
    return job.id


def test_an_output_past_max_output_mb_fails_the_job_with_the_limit_named(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real encode under the kernel's file-size cap (RLIMIT_FSIZE), as a worker runs it."""
    app.config["MAX_OUTPUT_MB"] = 0  # any output at all is past the cap
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == FAILED and done.error["code"] == "output_too_large", done.error
        assert "MAX_OUTPUT_MB" in done.error["message"]
        assert not job_storage().exists(output_key(job_id))


def test_an_input_past_max_upload_mb_is_refused_by_the_worker(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever reached the store (a swollen part, a store's own limit), the worker takes no more."""
    app.config["MAX_UPLOAD_MB"] = 0
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == FAILED and done.error["code"] == "too_large", done.error
        assert "MAX_UPLOAD_MB" in done.error["message"]


def test_a_poster_stored_just_after_a_cancel_is_removed_with_the_job_s_files(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancel deletes the job's files while the worker makes the poster; the poster lands
    after that, and the attempt, stopped by the cancel, removes it on its way out."""
    store_poster = stills.store_poster

    def cancel_then_store(job_id: str, *args: object, **kwargs: object) -> bool:
        retention.cancel_job(job_id)
        assert job_storage().keys(job_prefix(job_id)) == []
        return store_poster(job_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stills, "store_poster", cancel_then_store)
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch)
        assert db.session.get(Job, job_id, populate_existing=True).status == CANCELED
        assert job_storage().keys(job_prefix(job_id)) == []


def test_encode_limits_follow_the_configuration(app: Flask) -> None:
    limits = encode_limits({"JOB_TIMEOUT_MINUTES": 2, "FFMPEG_MEMORY_MB": 512, "MAX_OUTPUT_MB": 10})
    assert limits.cpu_seconds == 120 * (os.cpu_count() or 1)
    assert (limits.memory_bytes, limits.file_bytes) == (512 * MB, 10 * MB)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mp4", "mpegts", "mpegts-pcm"])
def test_a_trimmed_job_delivers_exactly_the_part_asked_for(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """1.5 s to 4 s of a 6 s clip with one keyframe: the frames on screen then (in the mp4,
    1.48 .. 3.96 at 25 fps; checked by the worker's own verification too), those very pictures
    (its score); never answered with the original. In an MPEG-TS with B-frames, whose picture
    starts 0.12 s after its sound, a seek to 1.5 s starts decoding mid-GOP: the encode read no
    picture at all, and the job failed its check. The trim counts from where the file starts
    (its sound, as a player does), so the first picture is the one showing at 1.5 s from there,
    and every frame after it to the end asked for: also where the earliest stream is one that
    ffmpeg reads as data (Blu-ray's PCM), kept out of the copy, and the trim has no end."""
    end = None if kind == "mpegts-pcm" else 4.0
    if kind == "mp4":
        clip = make_clip(tmp_path / "clip.mp4", seconds=6, extra=("-g", "250"))
    else:
        sound = "pcm_bluray" if kind == "mpegts-pcm" else "aac"
        clip = recording(tmp_path / "clip.ts", "mpegts", 6, "320x240", picture_late=0.12, sound=sound)
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip, start_seconds=1.5, end_seconds=end)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == SUCCEEDED, done.error
        output = done.output
        assert output["verified"] and not output["kept_original"]
        if end is not None:
            assert output["duration_seconds"] == pytest.approx(2.5, abs=0.1)
        assert output["quality"]["vmaf"] > 85  # scored against the input's own frames
        delivered = job_storage().fetch(output_key(job_id), tmp_path / "got")
        assert job_storage().exists(poster_key(job_id))
    frames = len(frame_times(delivered))
    if kind == "mp4":  # ffmpeg's -ss 1.5 alone began at the frame at 1.52, and kept the one at 4.0
        assert first_picture_of(delivered, clip, range(31, 44)) == 37
        assert frames == 63
        return
    showing = int((1.5 - picture_lead(clip)) * 25)  # the frame on screen at 1.5 s
    first = first_picture_of(delivered, clip, range(showing - 6, showing + 12))
    assert first == showing
    last = int((end - picture_lead(clip)) * 25) if end is not None else 6 * 25 - 1  # on screen at the end
    assert frames == last - first + 1


def test_a_copy_cut_between_keyframes_delivers_the_frames_it_shows(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cut made with ``-c copy`` from 1.3 s (LosslessCut does the same) keeps the GOP before it
    behind an edit list: those packets were counted as frames (133 where 100 show), and the job
    failed its check three times."""
    whole = make_clip(tmp_path / "whole.mp4", seconds=8, audio=False, extra=("-g", "250"))
    clip = tmp_path / "cut.mp4"
    cut = ["-ss", "1.3", "-i", str(whole), "-c", "copy", "-t", "4", str(clip)]
    subprocess.run([FFMPEG, "-v", "error", *cut], check=True)
    decoded = [FFMPEG, "-v", "error", "-i", str(clip), "-f", "framecrc", "-"]
    shown = subprocess.run(decoded, capture_output=True, text=True, check=True).stdout.count("\n0,")
    copied = [FFMPEG, "-v", "error", "-i", str(clip), "-c", "copy", "-f", "framecrc", "-"]
    packets = subprocess.run(copied, capture_output=True, text=True, check=True).stdout.count("\n0,")
    assert (packets, shown) == (133, 100)  # the 33 packets before 1.3 s are kept to decode from
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == SUCCEEDED, done.error
        delivered = job_storage().fetch(output_key(job_id), tmp_path / "got")
    assert len(frame_times(delivered)) == shown


def test_matroska_sound_is_not_given_more_bits_than_it_had(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matroska as ffmpeg writes it states no audio bitrate: its 48 kb/s mono track came out at
    102 kb/s. The worker measures it from the packets instead."""
    clip = tmp_path / "voice.mkv"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6"]
    sound = ["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:duration=6"]
    voice = ["-c:a", "aac", "-b:a", "48k", "-ac", "1"]
    subprocess.run([FFMPEG, "-v", "error", *picture, *sound, *corpus.FAITHFUL, *voice, str(clip)], check=True)
    assert probe(FFMPEG, clip).audio_kbps is None  # not stated
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip, preset="high")
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == SUCCEEDED, done.error
        delivered = job_storage().fetch(output_key(job_id), tmp_path / "got")
    rates = []
    for path in (clip, delivered):
        said = subprocess.run(audio_size_command(FFMPEG, path), capture_output=True, text=True, check=True)
        rates.append(read_audio_kbps(said.stderr, 6.0, 1))
    assert rates[0] is not None and rates[1] is not None and rates[1] <= rates[0] * 1.1, rates


def test_a_trim_that_starts_after_the_picture_ends_fails_with_the_reason(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2 s of picture, 4 s of sound, a trim from 3 s: ffmpeg's words were "Failed to set value
    '0:v:0' for option 'map'"; the message now says where the picture ends."""
    clip = tmp_path / "short-picture.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"]
    sound = ["-f", "lavfi", "-i", "sine=duration=4"]
    subprocess.run([FFMPEG, "-v", "error", *picture, *sound, "-c:a", "aac", str(clip)], check=True)
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip, start_seconds=3)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == FAILED and done.error["code"] == "trim_out_of_range", done.error
        assert "before the picture ends (2.000 s)" in done.error["message"]


@pytest.mark.slow
@pytest.mark.parametrize("container", ["mpegts", "avi"])
def test_a_recording_without_a_seek_index_is_scored_and_pictured_from_its_own_frames(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, container: str
) -> None:
    """MPEG-TS or AVI, with B-frames and one keyframe, its sound starting a little before its
    picture: ffmpeg's seeks in it start decoding mid-GOP (other pictures), and the encode puts
    its first frame on the frame grid (later than the input's by a fraction of a frame). The
    job's score must still compare each frame with itself (it reported 40-65 for files scoring
    91-97 whole, and retuned them to twice the bytes), and its poster show a frame of the video."""
    clip = recording(tmp_path / f"recording.{container}", container, 6, "320x240", picture_late=0.023)
    indexed = tmp_path / "indexed.mp4"  # the same packets where a seek lands exactly
    remux = ["-fflags", "+genpts", "-i", str(clip), "-map", "0:v", "-c", "copy", str(indexed)]
    subprocess.run([FFMPEG, "-v", "error", *remux], check=True)
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == SUCCEEDED, done.error
        delivered = job_storage().fetch(output_key(job_id), tmp_path / "got")
        assert done.output["quality"]["vmaf"] == pytest.approx(full_vmaf(delivered, clip, "null"), abs=1.5)
        poster = job_storage().fetch(poster_key(job_id), tmp_path / "poster")
        info = probe(FFMPEG, clip)
        vf = video_filter(info, None)
        expected = make_poster(FFMPEG, indexed, tmp_path / "expected.jpg", info.duration_seconds, vf)
        assert poster.read_bytes() == expected.read_bytes()


def test_a_source_too_short_for_its_trim_fails_with_the_reason(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source URL's length is known only once it is fetched: the worker checks the trim."""
    with app.app_context():
        job_id = _compress_a_clip(tmp_path, monkeypatch, seconds=2, start_seconds=5)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == FAILED and done.error["code"] == "trim_out_of_range"
        assert "start_seconds" in done.error["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("making", "options", "container", "subtitles", "note"),
    [
        (corpus.holiday, {"container": "mkv"}, "mkv", 2, None),  # asked for
        (corpus.disc, {}, "mkv", 2, None),  # a picture subtitle: Matroska by default
        (corpus.disc, {"container": "mp4"}, "mp4", 1, "1 subtitle track drawn as pictures"),
    ],
)
def test_the_container_keeps_what_it_can_and_the_download_is_named_for_it(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    making: Callable[[Path], Path],
    options: dict[str, str],
    container: str,
    subtitles: int,
    note: str | None,
) -> None:
    with app.app_context():
        clip = making(tmp_path / "holiday.mkv")
        job_id = _compress_a_clip(tmp_path, monkeypatch, clip=clip, owner=ANONYMOUS, **options)
        done = db.session.get(Job, job_id, populate_existing=True)
        assert done.status == SUCCEEDED, done.error
        assert done.output["verified"] and done.output["streams"]["subtitles"] == subtitles
        assert (done.output["note"] or "").startswith(note or "")
        assert bool(done.output["note"]) is bool(note)
    answer = client.get(f"/api/jobs/{job_id}/output")
    assert answer.mimetype == CONTAINERS[container].content_type
    assert f"filename=holiday-squeezed.{container}" in answer.headers["Content-Disposition"]
