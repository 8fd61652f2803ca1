"""A private deployment behind HTTPS, in real Chromium: sign in with a key, then everything works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_page import TIMEOUT_MS, _upload
from tests.conftest import make_clip
from tests.live.stack import LiveStack

KEY = "sqz_browser_test_key"


@pytest.fixture(scope="module")
def private_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """Squeeze serving HTTPS itself (as behind a TLS proxy), with API keys."""
    live = LiveStack(tmp_path_factory.mktemp("private-stack"), tls=True, API_KEYS=KEY)
    yield live
    live.stop()


def test_sign_in_then_upload_compare_cancel_delete_over_https(
    browser: Browser, private_web: LiveStack, tmp_path: Path, artifacts: Path
) -> None:
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    first = page.goto(private_web.url + "/")
    assert first is not None and page.url.endswith("/signin")
    assert "max-age=" in first.headers.get("strict-transport-security", "")
    page.get_by_label("API key").fill("sqz_not_the_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That key is not valid.")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)  # wss:// with the session
    cookie = next(c for c in context.cookies() if c["name"] == "__Host-session")
    assert cookie["secure"] and cookie["httpOnly"]

    done = _upload(page, make_clip(tmp_path / "short.mp4", seconds=2))
    row = page.locator(f"#{done}")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    row.get_by_role("link", name="Compare").click()
    expect(page.locator("img").first).to_be_visible(timeout=10_000)
    page.go_back()
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)

    running = _upload(page, make_clip(tmp_path / "long.mp4", seconds=30, size="640x360"))
    row = page.locator(f"#{running}")
    expect(row).to_have_attribute("data-status", "running", timeout=TIMEOUT_MS)
    row.get_by_role("button", name="Cancel").click()  # htmx POST: CSRF token and a same-origin Referer
    expect(row).to_have_attribute("data-status", "canceled", timeout=10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(f"#{running}")).to_have_count(0, timeout=10_000)
    page.screenshot(path=str(artifacts / "page-private-https.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(private_web.url + "/signin")
    assert page.request.get(private_web.url + "/page/rows").status == 401
    assert not [e for e in errors if "Content Security Policy" in e or "csrf" in e.lower()], errors
    context.close()
