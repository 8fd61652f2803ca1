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
