"""The OpenAPI document: valid, and describing every route the app has."""

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_is_described(app: Flask, client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) & METHODS:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, f"routes the OpenAPI document does not describe: {missing}"


def test_the_docs_page_renders_every_operation(client: FlaskClient) -> None:
    html = client.get("/api/docs").get_data(as_text=True)
    spec = client.get("/api/openapi.json").get_json()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert f'id="{operation["operationId"]}"' in html
    assert "cdn" not in html.lower()


def test_plain_http_to_a_websocket_route_is_a_400_problem(client: FlaskClient) -> None:
    client.get("/")  # a session
    response = client.get("/page/ws")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
