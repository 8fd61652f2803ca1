from app.media import Options, build_command, target_video_bitrate
from app.media.command import CRF, ENCODER, scale_filter


def _command(**options: object) -> list[str]:
    return build_command("ffmpeg", "in", "out.mp4", Options(**options), 1080, 60.0, has_audio=True)  # type: ignore[arg-type]


def _value(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def test_each_codec_uses_its_encoder_and_the_presets_crf() -> None:
    for codec, encoder in ENCODER.items():
        for preset, crf in CRF[codec].items():
            cmd = _command(codec=codec, preset=preset)
            assert _value(cmd, "-c:v") == encoder
            assert _value(cmd, "-crf") == str(crf)


def test_presets_order_quality_for_every_codec() -> None:
    for codec in ENCODER:
        assert CRF[codec]["small"] > CRF[codec]["balanced"] > CRF[codec]["high"]


def test_output_is_mp4_yuv420p_aac_faststart_with_progress_on_stdout() -> None:
    cmd = _command()
    assert _value(cmd, "-pix_fmt") == "yuv420p"
    assert _value(cmd, "-c:a") == "aac"
    assert _value(cmd, "-movflags") == "+faststart"
    assert _value(cmd, "-progress") == "pipe:1"
    assert cmd[-1] == "out.mp4" and _value(cmd, "-f") == "mp4"


def test_h265_is_tagged_for_apple_players() -> None:
    assert _value(_command(codec="h265"), "-tag:v") == "hvc1"


def test_no_audio_flags_without_an_audio_stream() -> None:
    cmd = build_command("ffmpeg", "in", "out", Options(), 720, 10.0, has_audio=False)
    assert "-c:a" not in cmd


def test_max_height_scales_down_with_even_width_but_never_up() -> None:
    assert scale_filter(1080, 720) == "scale=-2:720"
    assert scale_filter(1080, 481) == "scale=-2:480"  # odd heights are made even
    assert scale_filter(480, 720) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert scale_filter(1080, None) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert _value(_command(max_height=720), "-vf") == "scale=-2:720"


def test_target_size_switches_from_crf_to_a_bitrate() -> None:
    cmd = _command(target_size_mb=10.0)
    assert "-crf" not in cmd
    bitrate = int(_value(cmd, "-b:v"))
    # 10 MiB over 60 s, less audio (128k) and container overhead
    assert 1_100_000 < bitrate < 1_400_000
    assert int(_value(cmd, "-maxrate")) > bitrate


def test_target_size_too_small_for_the_duration_is_refused() -> None:
    assert target_video_bitrate(0.5, 600.0, "balanced") is None
    assert target_video_bitrate(50, 60.0, "balanced") is not None
