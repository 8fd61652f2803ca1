import pytest

from app.media.sizing import (
    MIN_VIDEO_KBPS,
    audio_kbps,
    corrected_bitrate,
    preset_audio_kbps,
    reachable,
    smallest_target_mb,
    split_bitrates,
    too_small,
    video_bitrate,
)
from app.units import MB


def test_a_target_too_small_for_the_duration_is_refused() -> None:
    assert not reachable(0.5, 600.0, 128, audio_tracks=1)
    assert reachable(50, 60.0, 128, audio_tracks=1)


def test_without_audio_the_video_gets_the_whole_budget() -> None:
    with_audio = video_bitrate(10 * MB, 128_000 // 8 * 60, 60.0)
    without = video_bitrate(10 * MB, 0, 60.0)
    assert with_audio is not None and without is not None
    assert without - with_audio == 128_000  # exactly the audio's bits, nothing more


def test_a_tight_budget_takes_audio_down_but_not_below_its_floor() -> None:
    assert audio_kbps(100 * MB, 60.0, 128) == 128
    assert 48 <= audio_kbps(2 * MB, 300.0, 128) < 128


def test_a_miss_is_corrected_towards_the_target() -> None:
    over = corrected_bitrate(1_000_000, 12 * MB, 10 * MB, 0)
    under = corrected_bitrate(1_000_000, 7 * MB, 10 * MB, 0)
    assert over < 1_000_000 < under


def test_a_split_budget_follows_how_hard_each_segment_is() -> None:
    rates = split_bitrates(1_000_000, [1.0, 3.0], [30.0, 30.0])
    assert rates == [500_000, 1_500_000]  # the same bits in all, three times as many for the hard one
    uneven = split_bitrates(1_000_000, [1.0, 1.0], [45.0, 15.0])  # equal bytes over unequal lengths
    assert uneven == [666_666, 2_000_000]  # the same bytes in 45 s and in 15 s
    assert split_bitrates(100_000, [0.001, 1.0], [30.0, 30.0])[0] == MIN_VIDEO_KBPS * 1000  # a floor


def test_audio_is_kept_at_most_at_the_sources_own_rate() -> None:
    assert preset_audio_kbps("balanced", None) == 128  # not stated: the preset's
    assert preset_audio_kbps("balanced", 40) == 40
    assert preset_audio_kbps("balanced", 320) == 128
    assert preset_audio_kbps("small", 112) == 96
    assert preset_audio_kbps("high", 12) == 32  # not below AAC's own floor


def test_audio_tracks_share_the_audios_part_of_a_tight_budget() -> None:
    """8 tracks in 1 MB over 8 s: each was given a fifth of the whole budget, 8 of them more than
    all of it, and the job failed as too small."""
    assert audio_kbps(1 * MB, 8.0, 128, tracks=8) == 48  # its floor: a fifth shared by 8 is less
    assert audio_kbps(1 * MB, 8.0, 128, tracks=1) == 128
    assert reachable(1, 8.0, 128, audio_tracks=8)
    assert not reachable(0.4, 8.0, 128, audio_tracks=8)  # 8 x 48 kb/s leave too little picture


@pytest.mark.parametrize(
    ("seconds", "tracks", "preset_kbps"), [(8.0, 8, 128), (600.0, 1, 96), (3.0, 0, 128), (60.0, 2, 32)]
)
def test_the_least_target_named_is_the_least_that_holds(
    seconds: float, tracks: int, preset_kbps: int
) -> None:
    least = smallest_target_mb(seconds, preset_kbps, tracks)
    assert reachable(least, seconds, preset_kbps, tracks)
    assert not reachable(least - 0.01, seconds, preset_kbps, tracks)
    assert too_small(0.1, seconds, preset_kbps, tracks).endswith(f"allow at least {least:g} MB")
