"""The one-click deploy files agree with the Procfile and with the settings the app reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Read by libraries or the platform, not by app/config.py: boto3 finds the bucket's keys itself,
# the Procfile's web line reads PORT and WEB_CONCURRENCY.
READ_ELSEWHERE = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PORT", "WEB_CONCURRENCY"}
# What no multi-host deploy runs without (the platform may provide some: DATABASE_URL, REDIS_URL).
REQUIRED = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "STORAGE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def settings_read() -> set[str]:
    """Every environment variable app/config.py reads."""
    source = (ROOT / "app" / "config.py").read_text()
    return set(re.findall(r'(?:env\.get\(|_(?:int|float|list|ints|flag)\(env, )"([A-Z0-9_]+)"', source))


def app_json() -> dict[str, Any]:
    return dict(json.loads((ROOT / "app.json").read_text()))


def render() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "render.yaml").read_text()))


def render_env(service: dict[str, Any], blueprint: dict[str, Any]) -> set[str]:
    names = set()
    for item in service.get("envVars", []):
        if "fromGroup" in item:
            group = next(g for g in blueprint["envVarGroups"] if g["name"] == item["fromGroup"])
            names |= {var["key"] for var in group["envVars"]}
        else:
            names.add(item["key"])
    return names


def test_config_reading_is_found() -> None:
    assert {"SECRET_KEY", "REDIS_URL", "SEGMENT_SECONDS", "API_KEYS"} <= settings_read()


def test_app_json_names_only_real_processes_settings_and_addons() -> None:
    manifest, known = app_json(), settings_read() | READ_ELSEWHERE
    assert set(manifest["formation"]) <= set(procfile()) - {"release"}
    assert set(manifest["env"]) <= known, set(manifest["env"]) - known
    provided = {addon["as"] + "_URL" for addon in manifest["addons"]}
    assert provided == {"DATABASE_URL", "REDIS_URL"}
    assert set(manifest["env"]) | provided >= REQUIRED
    assert manifest["env"]["SECRET_KEY"]["generator"] == "secret"
    assert manifest["env"]["REDIS_SSL_CERT_REQS"]["value"] == "none"  # Heroku Redis's certificate
    assert manifest["scripts"]["dokku"]["predeploy"] == procfile()["release"]


@pytest.mark.parametrize("kind", ["web", "worker"])
def test_render_runs_the_procfiles_commands_with_every_required_setting(kind: str) -> None:
    blueprint = render()
    service = next(s for s in blueprint["services"] if s["type"] == kind)
    assert service["startCommand"] == procfile()[kind]
    assert "requirements.txt" in service["buildCommand"]
    names = render_env(service, blueprint)
    assert names >= REQUIRED, REQUIRED - names
    assert names <= settings_read() | READ_ELSEWHERE, names - settings_read() - READ_ELSEWHERE
    if kind == "web":
        assert service["preDeployCommand"] == procfile()["release"]


def test_render_redis_never_evicts_and_every_reference_exists() -> None:
    blueprint = render()
    redis = next(s for s in blueprint["services"] if s["type"] == "keyvalue")
    assert redis["maxmemoryPolicy"] == "noeviction"
    databases = {db["name"] for db in blueprint["databases"]}
    services = {s["name"] for s in blueprint["services"]}
    for service in blueprint["services"]:
        for item in service.get("envVars", []):
            if "fromDatabase" in item:
                assert item["fromDatabase"]["name"] in databases
            if "fromService" in item:
                assert item["fromService"]["name"] in services
