"""The OpenAPI document: valid, and describing every route the app has."""

import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
ADMIN_KEY = "sqz_operator_key"
AS_OPERATOR = {"Authorization": f"Bearer {ADMIN_KEY}"}


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_is_described(app: Flask, client: FlaskClient) -> None:
    """As an operation, or (a WebSocket: no operation a client can call) under x-websockets."""
    app.config["METRICS_TOKEN"] = "t0ken"  # /metrics exists
    app.config["ADMIN_KEYS"] = [ADMIN_KEY]  # the console exists, and an operator reads the document
    spec = client.get("/api/openapi.json", headers=AS_OPERATOR).get_json()
    paths = {**spec["paths"], **{path: {"get": {}} for path in spec["x-websockets"]}}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) & METHODS:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, f"routes the OpenAPI document does not describe: {missing}"


def test_the_docs_page_boots_the_vendored_viewer_on_the_served_document(
    app: Flask, client: FlaskClient
) -> None:
    """Every script is ours, under static/ (the viewer pinned by version, its licence beside it);
    the viewer reads /api/openapi.json itself, so nothing is typed a second time."""
    response = client.get("/api/docs")
    html = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]  # the viewer's <style> elements; no inline script
    assert "style-src 'self' 'unsafe-inline';" in policy and "script-src 'self';" in policy
    scripts = re.findall(r"<script\b[^>]*>", html)
    sources = [re.search(r'src="([^"]+)"', tag) for tag in scripts]
    assert scripts and all(source and source.group(1).startswith("/static/") for source in sources)
    (viewer,) = [
        s.group(1)
        for s in sources
        if s and re.search(r"/vendor/scalar-api-reference-[\d.]+\.js$", s.group(1))
    ]
    assert client.get(viewer).status_code == 200
    assert (Path(app.static_folder or "") / viewer.removeprefix("/static/")).with_suffix(".LICENSE").is_file()
    assert 'data-openapi="/api/openapi.json"' in html and 'data-keys="none"' in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_with_keys_the_docs_page_opens_the_console_on_the_key(app: Flask, client: FlaskClient) -> None:
    app.config["API_KEYS"] = ["sqz_docs"]
    assert 'data-keys="required"' in client.get("/api/docs").get_data(as_text=True)  # no key needed to read


def _request_examples(spec: dict) -> list[tuple[dict, dict]]:
    """Each request body example with the schema it illustrates."""
    schemas = spec["components"]["schemas"]
    return [
        (schemas[media["schema"]["$ref"].rsplit("/", 1)[1]], media["example"])
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if "example" in media
    ]


def test_request_examples_name_only_documented_fields_and_are_accepted(client: FlaskClient) -> None:
    """The docs page's samples and console start from these: each must pass the server's checks."""
    spec = _spec(client)
    examples = _request_examples(spec)
    assert len(examples) >= 4
    options = set(spec["components"]["schemas"]["Upload"]["properties"]) - {"file"}
    for schema, example in examples:
        assert set(schema.get("required", [])) <= set(example) <= set(schema["properties"]), example
        assert _accepted({name: value for name, value in example.items() if name in options}), example
    upload = spec["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["example"]
    assert upload["file"].startswith("@")  # the viewer's mark for a file to send


def test_every_operation_has_a_documented_tag(client: FlaskClient) -> None:
    spec = _spec(client)
    names = [tag["name"] for tag in spec["tags"]]
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert operation["tags"] and set(operation["tags"]) <= set(names), operation["operationId"]
    assert spec["paths"]["/api/jobs"]["post"]["tags"] == ["jobs"]
    assert spec["paths"]["/api/uploads"]["post"]["tags"] == ["uploads"]


def test_the_deployment_decides_metrics_and_whether_a_credential_is_required(
    app: Flask, client: FlaskClient
) -> None:
    """What the document declares is what this server does: no /metrics without a token (any
    request there is a 404), and no anonymous access once a key is configured."""
    spec = client.get("/api/openapi.json").get_json()
    assert "/metrics" not in spec["paths"] and client.get("/metrics").status_code == 404
    assert {} in spec["security"]  # no key configured: the API is open
    app.config["METRICS_TOKEN"] = "t0ken"
    spec = client.get("/api/openapi.json").get_json()
    assert spec["paths"]["/metrics"]["get"]["security"] == [{"metricsToken": []}]
    assert client.get("/metrics").status_code == 401
    app.config["API_KEYS"] = ["alpha"]
    spec = client.get("/api/openapi.json").get_json()
    assert {} not in spec["security"] and client.get("/api/jobs").status_code == 401


def test_websockets_are_described_apart_from_the_operations(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert set(spec["x-websockets"]) == {"/api/jobs/{job_id}/ws", "/page/ws"}
    assert not set(spec["x-websockets"]) & set(spec["paths"])
    # The docs page renders the description: a reader finds them there.
    assert all(f"`{path}`" in spec["info"]["description"] for path in spec["x-websockets"])


def test_plain_http_to_a_websocket_route_is_a_400_problem(client: FlaskClient) -> None:
    client.get("/")  # a session
    response = client.get("/page/ws")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def _spec(client: FlaskClient) -> dict:
    return client.get("/api/openapi.json").get_json()


def _accepted(fields: dict) -> bool:
    from app.jobs.options import parse_submission
    from app.problems import Problem

    try:
        parse_submission(fields, max_upload_mb=100, allow_private=False)
    except Problem:
        return False
    return True


def test_documented_options_are_the_enforced_ones(client: FlaskClient) -> None:
    """The document's enums and bounds match what validation accepts (fails if either drifts)."""
    options = _spec(client)["components"]["schemas"]["Upload"]["properties"]
    for name in ("preset", "codec"):
        assert all(_accepted({name: value}) for value in options[name]["enum"])
        assert not _accepted({name: options[name]["enum"][0] + "x"})
        assert _accepted({}) and options[name]["default"] in options[name]["enum"]
    height = options["max_height"]
    assert _accepted({"max_height": height["minimum"]}) and _accepted({"max_height": height["maximum"]})
    assert not _accepted({"max_height": height["minimum"] - 1})
    assert not _accepted({"max_height": height["maximum"] + 1})
    assert not _accepted({"target_size_mb": options["target_size_mb"]["exclusiveMinimum"]})


def test_documented_statuses_and_list_limits_are_the_enforced_ones(client: FlaskClient) -> None:
    from app.jobs.lifecycle import TRANSITIONS

    spec = _spec(client)
    assert set(spec["components"]["schemas"]["Job"]["properties"]["status"]["enum"]) == set(TRANSITIONS)
    (limit,) = [p["schema"] for p in spec["paths"]["/api/jobs"]["get"]["parameters"] if p["name"] == "limit"]
    assert client.get(f"/api/jobs?limit={limit['maximum']}").status_code == 200
    assert client.get(f"/api/jobs?limit={limit['maximum'] + 1}").status_code == 422
    assert client.get(f"/api/jobs?limit={limit['minimum'] - 1}").status_code == 422


def test_documented_retry_after_and_wait_bounds_are_the_enforced_ones(
    client: FlaskClient, clips: dict
) -> None:
    from app.api.responses import retry_after
    from app.jobs.models import QUEUED, RUNNING, Job

    spec = _spec(client)
    bounds = spec["paths"]["/api/jobs"]["post"]["responses"]["202"]["headers"]["Retry-After"]["schema"]
    slow, soon = Job(status=RUNNING, eta_seconds=10**6), Job(status=RUNNING, eta_seconds=0)
    assert retry_after(slow) == bounds["maximum"] and retry_after(soon) == bounds["minimum"]
    assert bounds["minimum"] <= retry_after(Job(status=QUEUED, eta_seconds=None), 10**4) <= bounds["maximum"]

    prefer = next(
        p for p in spec["paths"]["/api/jobs/{job_id}"]["get"]["parameters"] if p["name"] == "Prefer"
    )
    documented = re.search(r"N <= (\d+)", prefer["description"])
    assert documented is not None
    data = {"file": (io.BytesIO(clips["small"].read_bytes()), "a.mp4")}
    job_id = client.post("/api/jobs", data=data, content_type="multipart/form-data").get_json()["id"]
    client.post(f"/api/jobs/{job_id}/cancel")  # a finished job answers a long poll at once
    answer = client.get(f"/api/jobs/{job_id}", headers={"Prefer": "wait=100000"})
    assert answer.headers["Preference-Applied"] == f"wait={documented.group(1)}"


def test_the_ids_an_answer_gives_link_to_every_operation_that_takes_them(client: FlaskClient) -> None:
    """So a client generator or a stateful tester reaches each operation from the one that
    made its resource."""
    spec = client.get("/api/openapi.json").get_json()
    operations = {
        operation["operationId"]: (path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    made_by = {"job_id": ("submitJob", "202"), "upload_id": ("createUpload", "201")}
    for parameter, (maker, status) in made_by.items():
        links = operations[maker][1]["responses"][status]["links"]
        takers = {
            op
            for op, (path, _) in operations.items()
            if path.startswith("/api/")
            and not path.startswith("/api/admin/")
            and "{" + parameter + "}" in path
        }
        takers -= {"putPart"}  # a URL the signParts answer gives
        assert takers <= set(links), takers - set(links)
        for link in links.values():
            assert link["parameters"] == {parameter: "$response.body#/id"}


def test_files_are_binary_and_bodies_closed_so_generated_clients_upload(client: FlaskClient) -> None:
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Upload"]["properties"]["file"]["format"] == "binary"
    for name in ("Upload", "SourceUrl", "UploadPromise", "PartNumbers"):
        assert schemas[name]["additionalProperties"] is False, name


def test_every_admin_operation_documents_the_404_everyone_else_gets(app: Flask, client: FlaskClient) -> None:
    """Documented for operators; anyone else neither reaches nor reads of them."""
    app.config["ADMIN_KEYS"] = [ADMIN_KEY]
    stranger = _spec(client)
    assert not [path for path in stranger["paths"] if path.startswith(("/admin", "/api/admin/"))]
    assert "adminKey" not in stranger["components"]["securitySchemes"]
    assert client.get("/api/admin/queues").status_code == 404
    spec = client.get("/api/openapi.json", headers=AS_OPERATOR).get_json()
    assert spec["components"]["securitySchemes"]["adminKey"]["scheme"] == "bearer"
    admin = [
        operation
        for path, item in spec["paths"].items()
        if path == "/admin" or path.startswith(("/admin/", "/api/admin/"))
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(admin) >= 18
    for operation in admin:
        assert "404" in operation["responses"] and {"adminKey": []} in operation["security"], operation
    for maker in ("/api/jobs", "/api/uploads/{upload_id}/complete"):
        assert "quota_exceeded" in spec["paths"][maker]["post"]["responses"]["429"]["description"]
