"""/api/docs in real Chromium: every field of a submit shown, and a video sent from its console."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from app.jobs.options import MAX_HEIGHT
from tests.conftest import make_clip
from tests.live.stack import LiveStack

KEY = "sqz_docs_browser_key"
BEARER = {"Authorization": f"Bearer {KEY}"}
SUBMIT_FIELDS = ("preset", "codec", "max_height", "target_size_mb", "callback_url", "file")
LOOPBACK = "127.0.0.1"
TIMEOUT_MS = 30_000
SAMPLES = {  # each language's example sends the file as a file, with the documented example's options
    "Python": 'files=[\n      ("file", open("clip.mp4", "rb"))',
    "JavaScript": 'formData.append("file", new File([files[0]], "clip.mp4"',
    "Shell": "--form 'file=@clip.mp4'",
}


@pytest.fixture(scope="module")
def keyed_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """A private deployment (API keys); no worker: the console's answer is the 202 of a submit."""
    live = LiveStack(tmp_path_factory.mktemp("docs-stack"), start_worker=False, API_KEYS=KEY)
    yield live
    live.stop()


class Watched:
    """What a page logged, and every request it made, to check after the test."""

    def __init__(self, page: Page) -> None:
        self.logged: list[str] = []
        self.requested: list[str] = []
        page.on(
            "console",
            lambda m: self.logged.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda error: self.logged.append(f"uncaught: {error}"))
        page.on("request", lambda request: self.requested.append(request.url))

    def assert_clean_and_local(self) -> None:
        assert self.logged == [], self.logged
        away = [url for url in self.requested if urlsplit(url).hostname != LOOPBACK]
        assert self.requested and away == [], away  # no fonts, telemetry or proxy elsewhere


def _submit_operation(page: Page) -> Locator:
    """POST /api/jobs, reached from the sidebar (the viewer renders sections as they are reached)."""
    page.locator('[data-sidebar-id$="/POST/api/jobs"]').click()
    operation = page.locator("section[label^='Submit a video']")
    expect(operation).to_be_visible(timeout=TIMEOUT_MS)
    return operation


def _send_from_console(page: Page, operation: Locator, clip: Path, key: str | None) -> Response:
    """Open the try-it console, type ``key`` (if any), choose ``clip`` and send; the answer."""
    operation.get_by_role("button", name="Test Request").click()
    console = page.get_by_role("dialog")
    if key is not None:
        console.get_by_label("Bearer Token").fill(key)
    with page.expect_file_chooser() as chooser:
        console.get_by_role("button", name="Select File").first.click()  # the file row comes first
    chooser.value.set_files(str(clip))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/jobs")) as answer:
        console.get_by_role("button", name="Send").first.click()
    expect(console.get_by_text("202 Accepted")).to_be_visible(timeout=TIMEOUT_MS)  # shown to the person
    return answer.value


def _new_page(browser: Browser) -> tuple[BrowserContext, Page, Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    return context, page, Watched(page)


def test_the_submit_fields_are_shown_and_a_key_sends_a_video_from_the_console(
    browser: Browser, keyed_web: LiveStack, tmp_path: Path, artifacts: Path
) -> None:
    context, page, watched = _new_page(browser)
    page.goto(keyed_web.url + "/api/docs")
    operation = _submit_operation(page)
    names = operation.locator(".property-name")
    for field in SUBMIT_FIELDS:
        expect(names.filter(has_text=field).first).to_be_visible()
    expect(operation).to_contain_text(str(MAX_HEIGHT))  # max_height's bound, from the served document
    for language, sample in SAMPLES.items():  # the language is chosen once, on the introduction
        page.get_by_role("link", name="Introduction").click()
        page.get_by_role("tab", name=language).first.click()
        operation = _submit_operation(page)
        expect(operation.get_by_role("group", name=re.compile("^Code sample")).first).to_contain_text(sample)

    answer = _send_from_console(page, operation, make_clip(tmp_path / "clip.mp4", seconds=1), KEY)
    assert answer.status == 202 and answer.request.headers["authorization"] == f"Bearer {KEY}"
    job = keyed_web.job(answer.json()["id"], headers=BEARER)  # the key's owner's job
    assert job["input"]["filename"] == "clip.mp4"
    page.screenshot(path=str(artifacts / "api-docs-console.png"))

    page.keyboard.press("Escape")  # the console closes; the JSON body's fields are a choice away
    operation.get_by_role("button", name="multipart/form-data").click()
    page.get_by_role("option", name="application/json").click()
    expect(names.filter(has_text="source_url").first).to_be_visible()
    watched.assert_clean_and_local()
    context.close()


def test_a_signed_in_session_sends_from_the_console_without_typing_a_key(
    browser: Browser, keyed_web: LiveStack, tmp_path: Path
) -> None:
    """The console's request rides the page's session cookie, with its CSRF token, as the page's do."""
    context, page, watched = _new_page(browser)
    page.goto(keyed_web.url + "/signin")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(keyed_web.url + "/")
    page.goto(keyed_web.url + "/api/docs")
    operation = _submit_operation(page)
    answer = _send_from_console(page, operation, make_clip(tmp_path / "clip.mp4", seconds=1), None)
    assert answer.status == 202 and "authorization" not in answer.request.headers
    assert answer.request.headers["x-csrftoken"]  # the session's token, as htmx sends it on the page
    assert keyed_web.job(answer.json()["id"], headers=BEARER)["status"] == "queued"  # the key owner's job
    watched.assert_clean_and_local()
    context.close()
