import pytest

from app.jobs.options import parse_submission
from app.media import Options
from app.problems import Problem


def _errors(fields: dict, **kwargs: object) -> dict[str, str]:
    with pytest.raises(Problem) as caught:
        parse_submission(fields, max_upload_mb=100, allow_private=False, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 422 and caught.value.code == "invalid_option"
    return {e["field"]: e["message"] for e in caught.value.errors or []}


def test_defaults_when_nothing_is_given() -> None:
    submission = parse_submission({}, max_upload_mb=100, allow_private=False)
    assert submission.options_dict() == {"preset": "balanced", "codec": "h264", "max_height": None,
                                         "target_size_mb": None, "keep_location": False,
                                         "normalize_audio": False, "sdr": False, "start_seconds": None,
                                         "end_seconds": None, "container": None,
                                         "codec_named": False}  # fmt: skip


def test_valid_options_are_typed() -> None:
    fields = {"preset": "small", "codec": "av1", "max_height": "720", "target_size_mb": "12.5"}
    options = parse_submission(fields, max_upload_mb=100, allow_private=False).options
    assert (options.preset, options.codec, options.max_height, options.target_size_mb) == (
        "small",
        "av1",
        720,
        12.5,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("preset", "tiny"),
        ("codec", "vp9"),
        ("max_height", "abc"),
        ("max_height", "720.5"),
        ("max_height", "8"),
        ("max_height", "99999"),
        ("max_height", True),
        ("target_size_mb", "0"),
        ("target_size_mb", "-3"),
        ("target_size_mb", "nan"),
        ("target_size_mb", "1000"),
        ("callback_url", "ftp://example.com/hook"),
        ("callback_url", "not a url"),
        ("callback_url", "http://127.0.0.1/hook"),
        ("callback_url", 42),
        ("start_seconds", "-1"),
        ("start_seconds", "soon"),
        ("end_seconds", "0"),
        ("end_seconds", "inf"),
        ("container", "avi"),
    ],
)
def test_each_bad_value_is_named(field: str, value: object) -> None:
    assert field in _errors({field: value})


def test_every_bad_field_is_reported_at_once() -> None:
    errors = _errors({"preset": "x", "codec": "y", "colour": "blue"})
    assert set(errors) == {"preset", "codec", "colour"}
    assert errors["colour"] == "unknown field"


def test_source_url_only_where_allowed_and_then_required() -> None:
    assert "source_url" in _errors({"source_url": "https://example.com/a.mp4"})
    assert _errors({}, allow_source_url=True)["source_url"].startswith("is required")


def test_a_callback_url_needs_a_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    public = ("93.184.216.34", 443)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *_a, **_k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", public)]
    )
    fields = {"callback_url": "https://example.com/hook"}
    assert "WEBHOOK_SECRET" in _errors(fields, webhooks_enabled=False)["callback_url"]
    accepted = parse_submission(fields, max_upload_mb=100, allow_private=False, webhooks_enabled=True)
    assert accepted.callback_url == "https://example.com/hook"


@pytest.mark.parametrize(
    ("given", "kept"), [(True, True), (False, False), ("true", True), ("on", True), ("0", False), ("", False)]
)
def test_keep_location_takes_json_and_form_spellings(given: object, kept: bool) -> None:
    fields = {"keep_location": given}
    assert parse_submission(fields, max_upload_mb=100, allow_private=False).options.keep_location is kept


def test_keep_location_refuses_anything_else() -> None:
    with pytest.raises(Problem) as refused:
        parse_submission({"keep_location": "maybe"}, max_upload_mb=100, allow_private=False)
    assert refused.value.errors == [{"field": "keep_location", "message": "must be true or false"}]


@pytest.mark.parametrize(("given", "sdr"), [(True, True), (False, False), ("on", True), ("false", False)])
def test_sdr_takes_json_and_form_spellings(given: object, sdr: bool) -> None:
    submission = parse_submission({"sdr": given, "codec": "h265"}, max_upload_mb=100, allow_private=False)
    assert submission.options.sdr is sdr and submission.options_dict()["sdr"] is sdr


def test_sdr_refuses_anything_else() -> None:
    assert _errors({"sdr": "hdr"}) == {"sdr": "must be true or false"}


def test_a_stored_job_without_sdr_still_loads() -> None:
    stored = {"preset": "balanced", "codec": "h265", "max_height": None, "target_size_mb": None,
              "keep_location": False, "normalize_audio": False, "start_seconds": None,
              "end_seconds": None, "codec_named": True}  # fmt: skip
    assert Options(**stored).sdr is False


def test_a_trim_is_typed_and_an_empty_one_refused() -> None:
    fields = {"start_seconds": "1.5", "end_seconds": 4}
    options = parse_submission(fields, max_upload_mb=100, allow_private=False).options
    assert (options.start_seconds, options.end_seconds) == (1.5, 4.0)
    assert "empty" in _errors({"start_seconds": 3, "end_seconds": "3"})["end_seconds"]


def test_json_options_have_their_json_types_and_null_is_not_given() -> None:
    """A form's values are text ("720", "" for not given); JSON's are typed, as the document says."""
    typed = parse_submission({"max_height": 720, "sdr": True, "preset": None, "container": None},
                             max_upload_mb=100, allow_private=False, typed=True).options  # fmt: skip
    assert (typed.max_height, typed.sdr, typed.preset, typed.container) == (720, True, "balanced", None)
    wrong = {"max_height": "720", "sdr": "true", "preset": "", "target_size_mb": "1", "container": ""}
    assert set(_errors(wrong, typed=True)) == set(wrong)
