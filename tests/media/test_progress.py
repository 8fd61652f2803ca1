from app.media.progress import ProgressParser

# Recorded from `ffmpeg -progress pipe:1` compressing a 4 s clip (two reports and the end).
RECORDED = """frame=31
fps=0.00
stream_0_0_q=29.0
bitrate=N/A
total_size=48
out_time_us=N/A
out_time_ms=N/A
out_time=N/A
dup_frames=0
drop_frames=0
speed=N/A
progress=continue
frame=61
fps=60.12
stream_0_0_q=29.0
bitrate= 120.4kbits/s
total_size=30312
out_time_us=1000000
out_time_ms=1000000
out_time=00:00:01.000000
dup_frames=0
drop_frames=0
speed=2.00x
progress=continue
frame=120
fps=58.00
stream_0_0_q=-1.0
bitrate= 785.0kbits/s
total_size=392484
out_time_us=4000000
out_time_ms=4000000
out_time=00:00:04.000000
dup_frames=0
drop_frames=0
speed=1.95x
progress=end
"""


def _reports(duration: float | None) -> list:
    parser = ProgressParser(duration)
    return [r for r in (parser.feed(line) for line in RECORDED.splitlines()) if r is not None]


def test_each_block_gives_one_report_with_percent_and_eta() -> None:
    first, second, last = _reports(4.0)
    assert (first.percent, first.eta_seconds, first.finished) == (0.0, None, False)
    assert second.percent == 25.0
    assert second.eta_seconds == 2  # 3 s of media left at 2x
    assert (last.percent, last.finished) == (100.0, True)


def test_percent_never_passes_99_9_before_the_end() -> None:
    parser = ProgressParser(1.0)
    for line in ("out_time_us=1500000", "speed=1x"):
        parser.feed(line)
    report = parser.feed("progress=continue")
    assert report is not None and report.percent == 99.9


def test_unknown_duration_reports_zero_until_the_end() -> None:
    reports = _reports(None)
    assert [r.percent for r in reports] == [0.0, 0.0, 100.0]


def test_garbage_lines_are_ignored() -> None:
    parser = ProgressParser(4.0)
    assert parser.feed("not a key value line") is None
    assert parser.feed("") is None


def test_progress_never_goes_back_as_the_encoders_flush() -> None:
    """Recorded near a 3 s encode's end: ffmpeg's time fell back (a lagging stream) then was N/A."""
    parser = ProgressParser(3.0)
    percents = []
    for time in ("2832834", "1120000", "N/A", "N/A"):
        parser.feed(f"out_time_us={time}")
        report = parser.feed("progress=continue")
        assert report is not None
        percents.append(report.percent)
    assert percents == [94.4, 94.4, 94.4, 94.4]
