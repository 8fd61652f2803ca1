"""A helper's bookkeeping around one segment (the encodes themselves run in the live tests), and
the second encode of a segment whose score missed its target."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job, SegmentRecord
from app.media import probe
from app.media.command import Rate
from app.media.formats import PRESETS
from app.media.probe import parse_probe
from app.media.quality import Quality
from app.media.search import SearchResult
from app.media.segments import Segment, segment_command
from app.storage import job_storage, segment_key, segments_prefix
from app.timeutil import utcnow
from app.work import segment_encode as segments
from app.work.failures import OUTPUT_INVALID, Interrupted
from app.work.steps import Steps
from tests.conftest import FFMPEG, make_clip

HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':
  Duration: 00:01:00.00, start: 0.000000, bitrate: 2633 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x360, 25 fps
"""


def _context(job_id: str, tmp_path: Path) -> segments.Context:
    source = tmp_path / "input.mp4"
    source.write_bytes(b"x" * 1000)
    return segments.Context(
        job_id=job_id, start=1, source=source, info=parse_probe(HEADER), options=segments.Options(),
        folder=tmp_path, started_at=None, band=(0.0, 90.0), input_size=1000, change_asked=False,
    )  # fmt: skip


@pytest.fixture()
def job_id(app: Flask) -> str:
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        claims.record_plan(job.id, [Segment(n, 750 * n, 750, 30.0 * n, 30.0, 30.0 * n) for n in range(2)], [])
        return job.id


def _encoded_as(monkeypatch: pytest.MonkeyPatch, result: dict[str, Any]) -> None:
    monkeypatch.setattr(segments, "_encode_segment", lambda *_args: dict(result))


def _encoded_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment's encode made a real file (of 5 bytes), scored 93.1."""
    encoded = tmp_path / "segment-0.mp4"
    encoded.write_bytes(b"video")
    _encoded_as(monkeypatch, {"crf": 24.0, "vmaf": 93.1, "ssim": 0.98, "size_bytes": 5, "path": str(encoded)})


def _claimed(job_id: str) -> SegmentRecord:
    row = claims.claim(job_id)
    assert row is not None
    return row


def test_an_outgrown_segment_is_recorded_and_nothing_is_stored(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_as(monkeypatch, {"outgrown": True, "crf": 25.0, "path": str(tmp_path / "gone.mp4")})
    with app.app_context():
        row = _claimed(job_id)
        assert segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        done = claims.rows(job_id)[0]
        assert done.state == "done" and done.result == {"outgrown": True, "crf": 25.0}
        assert job_storage().keys(segments_prefix(job_id)) == []


def test_a_claimed_segment_is_counted_running_before_its_encode_reports(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``segments.running`` read 0 while a segment was encoded, until its first progress."""
    seen: list[dict[str, int] | None] = []

    def encode(*_args: object) -> dict[str, Any]:
        seen.append(db.session.get(Job, job_id, populate_existing=True).segments)
        return {"outgrown": True, "crf": 25.0, "path": str(tmp_path / "gone.mp4")}

    monkeypatch.setattr(segments, "_encode_segment", encode)
    with app.app_context():
        assert segments.encode_claimed(_context(job_id, tmp_path), _claimed(job_id), app.config)
    assert seen == [{"total": 2, "done": 0, "running": 1}]


def test_a_segment_is_stored_and_counted(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_file(tmp_path, monkeypatch)
    with app.app_context():
        row = _claimed(job_id)
        assert segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        assert len(job_storage().keys(segments_prefix(job_id))) == 1
        assert [r.state for r in claims.rows(job_id)] == ["done", "waiting"]
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job is not None and job.segments == {"total": 2, "done": 1, "running": 0}


def test_a_segment_finished_after_its_job_ended_is_removed(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encoded_file(tmp_path, monkeypatch)
    with app.app_context():
        row = _claimed(job_id)
        claims.forget(job_id)  # the coordinator gave up meanwhile (canceled, outgrown)
        assert not segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        assert job_storage().keys(segments_prefix(job_id)) == []


def test_a_segment_taken_over_while_it_was_encoded_is_left_to_the_new_holder(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This worker paused past its claim; another took the segment (its claim count is the
    record's now) and stored its file. This one's finish is refused, its own file goes, and
    the holder's file and record stay as they were."""
    encoded = tmp_path / "segment-0.mp4"
    encoded.write_bytes(b"late")
    holder_key = segment_key(job_id, 0, claims.Claim(0, 2, 1).token)

    def taken_over(*_args: object) -> dict[str, Any]:
        quiet = utcnow() - timedelta(seconds=app.config["LEASE_SECONDS"] + 1)
        db.session.execute(update(SegmentRecord).where(SegmentRecord.number == 0).values(heartbeat_at=quiet))
        db.session.commit()
        assert (other := claims.claim(job_id)) is not None and other.attempts == 2
        job_storage().put(holder_key, tmp_path / "holder.mp4")
        return {"crf": 24.0, "vmaf": 93.1, "ssim": 0.98, "size_bytes": 4, "path": str(encoded)}

    (tmp_path / "holder.mp4").write_bytes(b"kept")
    monkeypatch.setattr(segments, "_encode_segment", taken_over)
    with app.app_context():
        row = _claimed(job_id)
        assert not segments.encode_claimed(_context(job_id, tmp_path), row, app.config)
        assert job_storage().keys(segments_prefix(job_id)) == [holder_key]
        held = db.session.get(SegmentRecord, (job_id, 0), populate_existing=True)
        assert held is not None and (held.state, held.attempts, held.result) == ("running", 2, None)


def _real_context(job_id: str, tmp_path: Path) -> tuple[segments.Context, Segment]:
    """4 s of noisy 640x360, its first segment the whole of it."""
    source = make_clip(
        tmp_path / "source.mp4", 4.0, "640x360", audio=False, extra=("-vf", "noise=alls=12:allf=t")
    )
    info = probe(FFMPEG, source)
    context = segments.Context(
        job_id=job_id, start=1, source=source, info=info, options=segments.Options(), folder=tmp_path,
        started_at=None, band=(0.0, 90.0), input_size=source.stat().st_size * 10, change_asked=False,
    )  # fmt: skip
    return context, Segment(0, 0, 100, 0.0, 4.0, 0.0)


def _coarse(context: segments.Context, segment: Segment, path: Path, steps: Steps) -> Quality:
    """The segment encoded far too coarse into ``path`` (its samples misled the search): its score,
    far under the target."""
    cmd = segment_command(FFMPEG, context.source, path, segment, context.vf, "h264", Rate(crf=42.0))
    steps.run(cmd, 4.0, steps.here(), whole=True)
    first = segments._score(context, path, segment, [(0.0, 4.0)], steps, steps.here())
    assert first is not None
    assert first.vmaf < PRESETS[context.options.preset].vmaf_target - segments.SEGMENT_RETUNE_BEYOND
    return first


def test_a_segment_whose_score_missed_its_target_is_encoded_again_nearer_it(
    app: Flask, job_id: str, tmp_path: Path
) -> None:
    """Encoded far too coarse, scored far under the target: encoded once more at the CRF the
    score points to, which lands nearer; that one is kept, in its place."""
    with app.app_context():
        context, segment = _real_context(job_id, tmp_path)
        steps = Steps(job_id, 0.0, app.config)
        path = tmp_path / "segment-0.mp4"
        spans = [(0.0, 4.0)]
        first = _coarse(context, segment, path, steps)
        target = PRESETS[context.options.preset].vmaf_target
        coarse = path.stat().st_size
        crf, kept = segments._retuned(context, segment, path, (42.0, first), spans, [], steps)
    assert crf < 42.0 and abs(kept.vmaf - target) < abs(first.vmaf - target)
    assert path.stat().st_size > coarse, "the finer encode took the first one's place"
    assert [item.name for item in tmp_path.glob("segment-0*")] == ["segment-0.mp4"], (
        "the other encode is gone"
    )


def test_a_retune_that_fails_its_check_leaves_the_first_encode(
    app: Flask, job_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first encode decoded and scored; its retune does not decode: the first one stands
    (the segment is not given back for a third encode)."""
    with app.app_context():
        context, segment = _real_context(job_id, tmp_path)
        steps = Steps(job_id, 0.0, app.config)
        path = tmp_path / "segment-0.mp4"
        first = _coarse(context, segment, path, steps)
        coarse = path.read_bytes()

        def check(encoded: Path, *_args: object) -> None:
            raise Interrupted(f"{encoded.name} failed its check", OUTPUT_INVALID, retry=True)

        monkeypatch.setattr(segments, "check_segment", check)
        assert segments._retuned(context, segment, path, (42.0, first), [(0.0, 4.0)], [], steps) == (
            42.0,
            first,
        )
    assert path.read_bytes() == coarse
    assert [item.name for item in tmp_path.glob("segment-0*")] == ["segment-0.mp4"], "the retune is gone"


def test_a_segment_near_its_target_is_not_encoded_again(app: Flask, job_id: str, tmp_path: Path) -> None:
    with app.app_context():
        context, segment = _real_context(job_id, tmp_path)
        target = PRESETS[context.options.preset].vmaf_target
        first = (24.0, Quality(vmaf=target - segments.SEGMENT_RETUNE_BEYOND + 0.1, ssim=0.99))
        path = tmp_path / "segment-0.mp4"
        assert (
            segments._retuned(context, segment, path, first, [(0.0, 4.0)], [], Steps(job_id, 0.0, app.config))
            == first
        )
    assert not list(tmp_path.glob("segment-0*")), "nothing encoded"


def test_a_segment_whose_samples_misled_its_search_is_retuned_to_its_target(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 12 s segment (long enough for a search of its own) whose search answered far too coarse
    a CRF comes out within SEGMENT_RETUNE_BEYOND of the preset's target, at the CRF the scores
    pointed to."""
    source = make_clip(
        tmp_path / "source.mp4", 12.0, "640x360", audio=False, extra=("-vf", "noise=alls=12:allf=t")
    )
    monkeypatch.setattr(segments, "crf_search", lambda *_args, **_kwargs: SearchResult(crf=44.0, tries=()))
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        (row,) = claims.record_plan(job.id, [Segment(0, 0, 300, 0.0, 12.0, 0.0)], [])
        context = segments.Context(
            job_id=job.id, start=1, source=source, info=probe(FFMPEG, source), options=segments.Options(),
            folder=tmp_path, started_at=None, band=(0.0, 90.0), input_size=source.stat().st_size * 10,
            change_asked=False,
        )  # fmt: skip
        result = segments._encode_segment(context, row, claims.Claim.of(row, 1), app.config)
    target = PRESETS[context.options.preset].vmaf_target
    assert result["crf"] < 44.0 and abs(result["vmaf"] - target) <= segments.SEGMENT_RETUNE_BEYOND, result
    assert Path(result["path"]).stat().st_size == result["size_bytes"]
