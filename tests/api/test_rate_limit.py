import io

from flask import Flask
from flask.testing import FlaskClient


def test_submissions_past_the_limit_get_429_with_retry_after(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    data = clips["small"].read_bytes()
    codes = []
    for _ in range(3):
        response = client.post(
            "/api/jobs", data={"file": (io.BytesIO(data), "a.mp4")}, content_type="multipart/form-data"
        )
        codes.append(response.status_code)
    assert codes == [202, 202, 429]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_repeated_request_that_makes_no_work_is_not_counted(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    """The same submit with the same Idempotency-Key answers the same job: it was counted, and
    a client's safe retries met 429."""
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    data = clips["small"].read_bytes()

    def submit(key: str | None) -> tuple[int, str | None]:
        headers = {"Idempotency-Key": key} if key else {}
        form = {"file": (io.BytesIO(data), "a.mp4")}
        response = client.post("/api/jobs", data=form, headers=headers, content_type="multipart/form-data")
        return response.status_code, (response.get_json() or {}).get("id")

    first = submit("same")
    assert first[0] == 202
    assert [submit("same") for _ in range(4)] == [first] * 4
    assert submit(None)[0] == 202  # the second piece of work
    assert submit(None)[0] == 429


def test_repeated_uploads_and_completions_are_not_counted(
    app: Flask, client: FlaskClient, clips: dict
) -> None:
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    data = clips["small"].read_bytes()
    body, headers = {"filename": "a.mp4", "size_bytes": len(data)}, {"Idempotency-Key": "u1"}
    codes = [client.post("/api/uploads", json=body, headers=headers).status_code for _ in range(4)]
    assert codes == [201, 200, 200, 200]
    upload = client.post("/api/uploads", json=body, headers=headers).get_json()
    parts = client.post(f"/api/uploads/{upload['id']}/parts", json={"numbers": [1]}).get_json()["parts"]
    assert client.put(parts[0]["url"].removeprefix("http://localhost"), data=data).status_code == 200
    completions = [client.post(f"/api/uploads/{upload['id']}/complete") for _ in range(3)]
    assert [c.status_code for c in completions] == [202, 202, 202]  # one job, made once
    assert len({c.get_json()["id"] for c in completions}) == 1
    assert client.post("/api/uploads", json=body).status_code == 429  # the third piece of work
