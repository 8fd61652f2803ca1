from app.media import MediaInfo, Options, Rate, encode_command, preset_command
from app.media.command import audio_args, video_args
from app.media.formats import CODECS, PRESETS
from app.media.picture import output_height, scale_filter, video_filter

INFO = MediaInfo(60.0, 1920, 1080, "h264", "aac", "mov", audio_channels=2)


def _command(**options: object) -> list[str]:
    return preset_command("ffmpeg", "in", "out.mp4", Options(**options), INFO)  # type: ignore[arg-type]


def _value(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def test_each_codec_uses_its_encoder_and_the_presets_crf() -> None:
    for codec in CODECS.values():
        for preset, crf in codec.crf.items():
            cmd = _command(codec=codec.name, preset=preset)
            assert _value(cmd, "-c:v") == codec.encoder
            assert _value(cmd, "-crf") == str(crf)


def test_presets_order_quality_for_every_codec() -> None:
    for codec in CODECS.values():
        assert set(codec.crf) == set(PRESETS), "a CRF for every preset"
        assert codec.crf["small"] > codec.crf["balanced"] > codec.crf["high"]
        low, high = codec.crf_range
        assert all(low <= crf <= high for crf in codec.crf.values())
    assert PRESETS["small"].vmaf_target < PRESETS["balanced"].vmaf_target < PRESETS["high"].vmaf_target


def test_output_is_mp4_yuv420p_aac_faststart_with_progress_on_stdout() -> None:
    cmd = _command()
    assert _value(cmd, "-vf").endswith("format=yuv420p")
    assert _value(cmd, "-c:a") == "aac"
    assert _value(cmd, "-movflags") == "+faststart"
    assert _value(cmd, "-progress") == "pipe:1"
    assert cmd[-1] == "out.mp4" and _value(cmd, "-f") == "mp4"


def test_h265_is_tagged_for_apple_players() -> None:
    assert _value(_command(codec="h265"), "-tag:v") == "hvc1"


def test_audio_is_stereo_aac_or_nothing() -> None:
    assert audio_args(None, 128) == ["-an"]
    assert "-ac" not in audio_args(2, 128)
    assert _value(audio_args(6, 128), "-ac") == "2"  # 5.1 folded down
    silent = preset_command("ffmpeg", "in", "out", Options(), MediaInfo(10.0, 640, 360, "h264", None, "mov"))
    assert "-c:a" not in silent and "-an" in silent


def test_max_height_scales_down_with_even_width_but_never_up() -> None:
    assert scale_filter(1080, 720) == "scale=-2:720"
    assert scale_filter(1080, 481) == "scale=-2:480"  # odd heights are made even
    assert scale_filter(480, 720) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert scale_filter(1080, None) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert _value(_command(max_height=720), "-vf").startswith("scale=-2:720")


def test_max_height_applies_to_the_displayed_height_of_a_rotated_video() -> None:
    portrait = MediaInfo(10.0, 1080, 1920, "h264", None, "mov", rotation=90)
    assert output_height(portrait, 720) == 720
    assert video_filter(portrait, 720).startswith("scale=-2:720")
    assert video_filter(portrait, 2000).startswith("scale=trunc")


def test_hdr_is_tone_mapped_to_8_bit_bt709() -> None:
    pq = MediaInfo(10.0, 1920, 1080, "hevc", None, "mov", transfer="smpte2084", bit_depth=10)
    chain = video_filter(pq, None)
    assert "tin=smpte2084" in chain and "tonemap=" in chain and chain.endswith("format=yuv420p")
    assert "tonemap" not in video_filter(INFO, None)


def test_rates_crf_bitrate_and_two_passes() -> None:
    assert _value(video_args("h264", Rate(crf=23.5)), "-crf") == "23.5"
    assert _value(video_args("av1", Rate(crf=35.4)), "-crf") == "35"  # SVT-AV1 takes whole numbers
    second = video_args("h264", Rate(bitrate=900_000, pass_number=2, passlog="/x/log"))  # type: ignore[arg-type]
    assert (_value(second, "-b:v"), _value(second, "-pass")) == ("900000", "2")
    x265 = _value(video_args("h265", Rate(bitrate=900_000, pass_number=1, passlog="/x/log")), "-x265-params")  # type: ignore[arg-type]
    assert "pass=1" in x265 and "stats=/x/log" in x265
    first = encode_command("ffmpeg", "in", "out.mp4", "null", "h264", Rate(bitrate=1, pass_number=1), [])
    assert first[-3:-1] == ["-f", "null"]  # a first pass writes nothing
