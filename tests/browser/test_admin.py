"""The operators' console in real Chromium: sign in with an admin key, watch queues and workers,
retry a failed job after confirming, make a key (its secret shown once) and revoke it; a client
signed in with an ordinary key gets 404 there."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_page import TIMEOUT_MS
from tests.conftest import make_clip
from tests.live.stack import LiveStack

CLIENT_KEY = "sqz_browser_client_key"
ADMIN_KEY = "sqz_browser_admin_key"
CLIENT = {"Authorization": f"Bearer {CLIENT_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
LIVE_MS = 10_000  # the console polls every 2 s


@pytest.fixture(scope="module")
def console_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    live = LiveStack(tmp_path_factory.mktemp("console-stack"), API_KEYS=CLIENT_KEY, ADMIN_KEYS=ADMIN_KEY)
    yield live
    live.stop()


@pytest.fixture()
def files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback file server over ``tmp_path``: its address, and the folder."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


def _sign_in(page: Page, web: LiveStack, key: str) -> None:
    page.goto(web.url + "/signin")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_a_client_signed_in_with_an_ordinary_key_gets_404(browser: Browser, console_web: LiveStack) -> None:
    page = browser.new_context().new_page()
    _sign_in(page, console_web, CLIENT_KEY)
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    answer = page.goto(console_web.url + "/admin")
    unknown = requests.get(console_web.url + "/no-such-address", timeout=10)
    assert answer is not None and answer.status == 404 and answer.body() == unknown.content
    assert (
        requests.get(console_web.url + "/api/admin/queues", headers=CLIENT, timeout=10).content
        == unknown.content
    )


def test_an_operator_watches_retries_and_manages_keys(
    browser: Browser, console_web: LiveStack, files: tuple[str, Path]
) -> None:
    server, folder = files
    submitted = requests.post(
        console_web.url + "/api/jobs", json={"source_url": f"{server}/late.mp4"}, headers=CLIENT, timeout=10
    )
    job_id = submitted.json()["id"]
    assert (
        console_web.wait_for_status(job_id, {"failed"}, headers=CLIENT)["error"]["code"]
        == "source_http_error"
    )

    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _sign_in(page, console_web, ADMIN_KEY)
    expect(page).to_have_url(console_web.url + "/admin")

    for name in ("compress", "segments", "webhooks"):
        expect(page.locator(f'#queue-table tr[data-queue="{name}"] .intake')).to_have_text("open")
    workers = page.locator("#worker-table tbody tr[data-worker]")
    expect(workers.first).to_contain_text(socket.gethostname())
    expect(workers.first.locator(".state")).to_have_text("idle")

    # Live: a pause made elsewhere shows within the polling interval; the button resumes.
    assert requests.post(console_web.url + "/api/admin/queues/compress/pause", headers=ADMIN, timeout=10).ok
    compress = page.locator('#queue-table tr[data-queue="compress"]')
    expect(compress.locator(".intake")).to_have_text("paused", timeout=LIVE_MS)
    compress.get_by_role("button", name="Resume").click()
    expect(compress.locator(".intake")).to_have_text("open", timeout=LIVE_MS)

    # Retry every failed job: refused at the confirmation, nothing happens; confirmed, it runs again.
    row = page.locator(f'#failed-table tr[data-job="{job_id}"]')
    expect(row).to_contain_text("HTTP 404")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Retry every failed job").click()
    expect(row).to_be_visible()
    assert console_web.job(job_id, CLIENT)["status"] == "failed"
    make_clip(folder / "late.mp4", seconds=2)  # the source is there now
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retry every failed job").click()
    expect(page.locator("#failed .outcome")).to_have_text("1 queued again.")
    expect(row).to_have_count(0)
    done = console_web.wait_for_status(
        job_id, {"succeeded", "failed"}, timeout=TIMEOUT_MS / 1000, headers=CLIENT
    )
    assert done["status"] == "succeeded" and done["attempts"] == 1

    # A key: made with a quota, its secret shown once, then revoked after a confirmation.
    form = page.locator("#new-key")
    form.get_by_label("Name").fill("laptop")
    form.get_by_label("Minutes / 30 days").fill("90")
    form.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key-secret").inner_text()
    assert secret.startswith("sqz_")
    assert requests.get(
        console_web.url + "/api/jobs", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    ).ok
    key_row = page.locator("#key-table tr", has_text="laptop")
    expect(key_row).to_contain_text("90")
    person = browser.new_context().new_page()  # the key's owner, on the page
    _sign_in(person, console_web, secret)
    expect(person.locator("#connection")).to_have_text("live", timeout=LIVE_MS)
    page.reload()
    expect(page.locator("#key-table")).to_contain_text("laptop")
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    key_row.get_by_role("button", name="Revoke").click()
    expect(key_row.locator(".state")).to_have_text("revoked")
    revoked = requests.get(
        console_web.url + "/api/jobs", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert revoked.status_code == 401
    # The page signed in with it goes to the sign-in form (it polled on, showing nothing, for good).
    expect(person).to_have_url(console_web.url + "/signin", timeout=LIVE_MS)
    assert errors == [], errors
