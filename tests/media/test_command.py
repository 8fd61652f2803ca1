from app.media import MediaInfo, Options, Rate, encode_command, preset_command
from app.media.command import audio_args, keyframes_at, video_args
from app.media.formats import CODECS, PRESETS
from app.media.picture import Hdr, first_size, kept_hdr, output_height, scale_filter, video_filter
from app.media.probe import ContentLight, MasteringDisplay

INFO = MediaInfo(60.0, 1920, 1080, "h264", "aac", "mov", audio_channels=(2,))


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
    assert audio_args((), 128) == ["-an"]
    assert not [arg for arg in audio_args((2, 1), 128) if arg.startswith("-ac")]
    surround_second = audio_args((1, 6, 2, 24), 128)  # each track as it is: only surround folded down
    assert [arg for arg in surround_second if arg.startswith("-ac")] == ["-ac:a:1", "-ac:a:3"]
    assert _value(surround_second, "-ac:a:1") == "2"
    silent = preset_command("ffmpeg", "in", "out", Options(), MediaInfo(10.0, 640, 360, "h264", None, "mov"))
    assert "-c:a" not in silent and "-an" in silent


def test_max_height_scales_down_with_even_width_but_never_up() -> None:
    assert scale_filter(1080, 720) == "scale=-2:720"
    assert scale_filter(1080, 481) == "scale=-2:480"  # odd heights are made even
    assert scale_filter(480, 720) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert scale_filter(1080, None) == "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    assert _value(_command(max_height=720), "-vf").startswith(first_size(INFO) + ",scale=-2:720")


def test_max_height_applies_to_the_displayed_height_of_a_rotated_video() -> None:
    portrait = MediaInfo(10.0, 1080, 1920, "h264", None, "mov", rotation=90)
    assert output_height(portrait, 720) == 720
    assert video_filter(portrait, 720).startswith(first_size(portrait) + ",scale=-2:720")
    assert video_filter(portrait, 2000).startswith(first_size(portrait) + ",scale=trunc")
    assert first_size(portrait).startswith("scale=w='if(eq(iw,1080)*eq(ih,1920),iw,")  # the upright size


def test_hdr_is_tone_mapped_to_8_bit_bt709() -> None:
    pq = MediaInfo(10.0, 1920, 1080, "hevc", None, "mov", transfer="smpte2084", bit_depth=10)
    chain = video_filter(pq, None)
    assert "tin=smpte2084" in chain and "tonemap=" in chain and chain.endswith("format=yuv420p")
    assert "type=MASTERING_DISPLAY_METADATA" in chain and "type=CONTENT_LIGHT_LEVEL" in chain  # SDR: none
    assert "tonemap" not in video_filter(INFO, None)


DISPLAY = MasteringDisplay((0.68, 0.32), (0.265, 0.69), (0.15, 0.06), (0.3127, 0.329), 0.0001, 1000.0)
PQ = MediaInfo(10.0, 1920, 1080, "hevc", None, "mov", transfer="smpte2084", bit_depth=10, mastering=DISPLAY,
               light=ContentLight(1000, 400))  # fmt: skip


def test_h265_and_av1_keep_hdr_unless_sdr_is_asked_for_and_h264_never_does() -> None:
    kept = Hdr("smpte2084", DISPLAY, ContentLight(1000, 400))
    assert kept_hdr(PQ, "h265", sdr=False) == kept_hdr(PQ, "av1", sdr=False) == kept
    assert kept_hdr(PQ, "h264", sdr=False) is None
    assert kept_hdr(PQ, "h265", sdr=True) is None and kept_hdr(PQ, "av1", sdr=True) is None
    assert kept_hdr(INFO, "h265", sdr=False) is None  # nothing to keep
    hlg = MediaInfo(10.0, 1920, 1080, "hevc", None, "mov", transfer="arib-std-b67", bit_depth=10)
    assert kept_hdr(hlg, "av1", sdr=False) == Hdr("arib-std-b67")


def test_kept_hdr_is_10_bit_bt2020_with_the_inputs_transfer_and_no_tone_mapping() -> None:
    chain = video_filter(PQ, 720, kept_hdr(PQ, "h265", sdr=False))
    assert chain == first_size(PQ) + (
        ",scale=-2:720,setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc,"
        "format=yuv420p10le"
    )
    hlg = Hdr("arib-std-b67")
    assert "color_trc=arib-std-b67" in video_filter(PQ, None, hlg) and "tonemap" not in video_filter(
        PQ, None, hlg
    )
    vf = _value(preset_command("ffmpeg", "in", "out.mp4", Options(codec="av1"), PQ), "-vf")
    assert vf.endswith("format=yuv420p10le")
    vf = _value(preset_command("ffmpeg", "in", "out.mp4", Options(codec="av1", sdr=True), PQ), "-vf")
    assert "tonemap=" in vf and vf.endswith("format=yuv420p")


def test_x265_gets_hdr10_metadata_in_its_own_units() -> None:
    """Chromaticities in 1/50000, luminance in 1/10000 cd/m², green first (as x265 reads them)."""
    cmd = preset_command("ffmpeg", "in", "out.mp4", Options(codec="h265"), PQ)
    own = _value(cmd, "-x265-params").split(":")
    assert own[0] == "log-level=error" and "hdr10=1" in own
    assert "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)" in own
    assert "max-cll=1000,400" in own
    sdr = preset_command("ffmpeg", "in", "out.mp4", Options(codec="h265", sdr=True), PQ)
    assert _value(sdr, "-x265-params") == "log-level=error"


def test_svt_av1_gets_hdr10_metadata_as_decimals() -> None:
    own = _value(video_args("av1", Rate(crf=35), kept_hdr(PQ, "av1", sdr=False)), "-svtav1-params")
    assert own == (
        "mastering-display=G(0.2650,0.6900)B(0.1500,0.0600)R(0.6800,0.3200)WP(0.3127,0.3290)"
        "L(1000.0000,0.0001):content-light=1000,400"
    )
    assert "-svtav1-params" not in video_args("av1", Rate(crf=35))  # nothing to say: no option
    assert "-svtav1-params" not in video_args("av1", Rate(crf=35), Hdr("arib-std-b67"))  # HLG, no metadata
    assert "-x264-params" not in video_args("h264", Rate(crf=23), Hdr("smpte2084", DISPLAY))


def test_rates_crf_bitrate_and_two_passes() -> None:
    assert _value(video_args("h264", Rate(crf=23.5)), "-crf") == "23.5"
    assert _value(video_args("av1", Rate(crf=35.4)), "-crf") == "35"  # SVT-AV1 takes whole numbers
    second = video_args("h264", Rate(bitrate=900_000, pass_number=2, passlog="/x/log"))  # type: ignore[arg-type]
    assert (_value(second, "-b:v"), _value(second, "-pass")) == ("900000", "2")
    x265 = _value(video_args("h265", Rate(bitrate=900_000, pass_number=1, passlog="/x/log")), "-x265-params")  # type: ignore[arg-type]
    assert "pass=1" in x265 and "stats=/x/log" in x265
    first = encode_command("ffmpeg", "in", "out.mp4", "null", "h264", Rate(bitrate=1, pass_number=1), [])
    assert first[-3:-1] == ["-f", "null"]  # a first pass writes nothing


def test_keyframes_are_asked_for_a_little_before_each_time() -> None:
    """The first frame at or after a time becomes a keyframe: asked 2 ms early, a frame whose
    timestamp rounds just below the time is the one."""
    assert keyframes_at([10.334, 0.0]) == ["-force_key_frames", "0.000,10.332"]
    assert keyframes_at([]) == []
    cmd = preset_command("ffmpeg", "in", "out.mp4", Options(), INFO, keyframes=[5.0])
    assert _value(cmd, "-force_key_frames") == "4.998"
