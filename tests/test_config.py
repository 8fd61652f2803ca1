from pathlib import Path

import pytest

from app.config import EMBEDDED_REDIS_FILE, ConfigError, database_url, from_environment


def test_defaults_are_one_machine(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'squeeze.sqlite3'}"
    assert settings["STORAGE_URL"] == (tmp_path / "storage").resolve().as_uri()
    assert settings["SCRATCH_DIR"] == str(tmp_path / "scratch")
    assert settings["REDIS_OPTIONS"] == {} and settings["METRICS_TOKEN"] == ""


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db.example:5432/sqz", "postgresql+psycopg://u:p@db.example:5432/sqz"),
        ("postgresql://u:p@db.example/sqz", "postgresql+psycopg://u:p@db.example/sqz"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/sqz.db", "sqlite:////var/sqz.db"),
    ],
)
def test_database_urls_use_psycopg_3(given: str, used: str, tmp_path: Path) -> None:
    assert database_url(given, tmp_path) == used


def test_storage_url_or_storage_dir(tmp_path: Path) -> None:
    assert from_environment(str(tmp_path), {"STORAGE_DIR": "/srv/v"})["STORAGE_URL"] == "file:///srv/v"
    chosen = {"STORAGE_URL": "s3://bucket/squeeze", "STORAGE_DIR": "/ignored"}
    assert from_environment(str(tmp_path), chosen)["STORAGE_URL"] == "s3://bucket/squeeze"
    with pytest.raises(ConfigError, match="STORAGE_URL must be"):
        from_environment(str(tmp_path), {"STORAGE_URL": "ftp://x"})


def test_s3_public_endpoint_defaults_to_the_endpoint(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {"S3_ENDPOINT_URL": "http://s3.internal:8333"})
    assert settings["S3_PUBLIC_ENDPOINT_URL"] == "http://s3.internal:8333"
    both = {"S3_ENDPOINT_URL": "http://s3.internal", "S3_PUBLIC_ENDPOINT_URL": "https://files.example"}
    assert from_environment(str(tmp_path), both)["S3_PUBLIC_ENDPOINT_URL"] == "https://files.example"


def test_redis_over_tls_with_a_self_signed_certificate(tmp_path: Path) -> None:
    env = {"REDIS_URL": "rediss://:pw@redis.example:6380", "REDIS_SSL_CERT_REQS": "none"}
    settings = from_environment(str(tmp_path), env)
    assert settings["REDIS_OPTIONS"] == {"ssl_cert_reqs": "none"}
    assert settings["RATELIMIT_STORAGE_URI"] == env["REDIS_URL"], "rate limits use it too"
    verified = from_environment(str(tmp_path), {"REDIS_URL": "rediss://redis.example:6380"})
    assert verified["REDIS_OPTIONS"] == {"ssl_cert_reqs": "required"}
    plain = from_environment(str(tmp_path), {"REDIS_URL": "redis://r:6379", "REDIS_SSL_CERT_REQS": "none"})
    assert plain["REDIS_OPTIONS"] == {}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JOB_MAX_ATTEMPTS", "abc", "JOB_MAX_ATTEMPTS must be an integer, got 'abc'"),
        ("MAX_PIXELS", "8k", "MAX_PIXELS must be an integer, got '8k'"),
        ("OUTPUT_TTL_HOURS", "soon", "OUTPUT_TTL_HOURS must be a number, got 'soon'"),
        ("WEBHOOK_RETRY_DELAYS", "5,x", "WEBHOOK_RETRY_DELAYS must be comma-separated whole seconds"),
        ("WEBHOOK_RETRY_DELAYS", "5,²", "WEBHOOK_RETRY_DELAYS must be comma-separated whole seconds"),
        ("REDIS_SSL_CERT_REQS", "maybe", "REDIS_SSL_CERT_REQS must be none, optional or required"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    env = {name: value, "REDIS_URL": "rediss://r:6380"}
    with pytest.raises(ConfigError, match=message):
        from_environment(str(tmp_path), env)


def test_media_limits_default_and_follow_the_upload_limit(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {"MAX_UPLOAD_MB": "300"})
    assert (settings["MAX_PIXELS"], settings["MAX_DURATION_MINUTES"]) == (7680 * 4320, 240)
    assert settings["MAX_OUTPUT_MB"] == 300 and settings["FFMPEG_MEMORY_MB"] == 8192
    chosen = from_environment(str(tmp_path), {"MAX_OUTPUT_MB": "50", "MAX_DURATION_MINUTES": "10"})
    assert (chosen["MAX_OUTPUT_MB"], chosen["MAX_DURATION_MINUTES"]) == (50, 10)


def test_the_redis_make_run_started_is_found_by_the_flask_commands_of_another_shell(tmp_path: Path) -> None:
    """``flask keys revoke`` under ``make run`` told the default port, not the embedded Redis's,
    and the revoked key's open streams went on."""
    assert from_environment(str(tmp_path), {})["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    (tmp_path / EMBEDDED_REDIS_FILE).write_text("redis://127.0.0.1:41234/0\n")
    assert from_environment(str(tmp_path), {})["REDIS_URL"] == "redis://127.0.0.1:41234/0"
    given = {"REDIS_URL": "redis://cache.internal:6379/1"}
    assert from_environment(str(tmp_path), given)["REDIS_URL"] == "redis://cache.internal:6379/1"
