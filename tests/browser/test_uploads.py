"""Resumable uploads in Chromium: parts that fail for a while, a reload mid-upload, pause."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, Request, Route, expect

from app.units import MB
from tests.conftest import make_noise_clip
from tests.live.stack import LiveStack, wait_until

PART_URL = re.compile(r"/api/uploads/[^/]+/parts/\d+\?")
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """A Squeeze of its own, with 5 MB parts: a 30 MB video is six of them."""
    live = LiveStack(tmp_path_factory.mktemp("upload-stack"), UPLOAD_PART_MB="5")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = make_noise_clip(tmp_path_factory.mktemp("big") / "thirty.mp4", seconds=5)
    assert 25e6 < path.stat().st_size < 35e6 and path.stat().st_size > 5 * 5 * MB
    return path


def _open(browser: Browser, site: LiveStack) -> Page:
    page = browser.new_context().new_page()
    page.goto(site.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    return page


def _choose(page: Page, video: Path) -> None:
    page.locator("form input[type=file][name=file]").set_input_files(str(video))
    page.locator("form button[type=submit]").click()


def _row_of(page: Page, video: Path) -> None:
    expect(page.locator("#uploads li")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator("#job-rows tr", has_text=video.name).first).to_be_visible(timeout=TIMEOUT_MS)


def test_parts_that_fail_for_a_while_are_retried_until_the_upload_completes(
    browser: Browser, site: LiveStack, big_video: Path, artifacts: Path
) -> None:
    page = _open(browser, site)
    failures = {"left": 6, "seen": 0}

    def flaky(route: Route) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            failures["seen"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(PART_URL, flaky)
    _choose(page, big_video)
    expect(page.locator("#uploads li .note")).to_contain_text("retrying", timeout=30_000)
    page.screenshot(path=str(artifacts / "upload-retrying.png"))
    _row_of(page, big_video)
    assert failures["seen"] == 6
    page.context.close()


def test_after_a_reload_the_same_file_sends_only_its_missing_parts(
    browser: Browser, site: LiveStack, big_video: Path, artifacts: Path
) -> None:
    page = _open(browser, site)
    allowed = {"left": 2}

    def two_then_none(route: Route) -> None:
        if allowed["left"] > 0:
            allowed["left"] -= 1
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route(PART_URL, two_then_none)
    _choose(page, big_video)
    expect(page.locator("#uploads li .note")).to_contain_text("retrying", timeout=60_000)
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    (upload_id,) = [v for k, v in json.loads(stored).items() if k.startswith("squeeze-upload:")]
    status = f"{site.url}/api/uploads/{upload_id}"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    wait_until(lambda: len(requests.get(status, cookies=cookies, timeout=10).json()["parts_done"]) == 2,
               30, "two parts to have arrived")  # fmt: skip
    before = requests.get(status, cookies=cookies, timeout=10).json()
    page.screenshot(path=str(artifacts / "upload-before-reload.png"))

    page.reload()  # parts stay cut off until the old page is gone: its retries must not finish the upload
    page.unroute(PART_URL)
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    busy = {"left": 1}  # the first look at the remembered upload meets a busy server: asked again

    def busy_once(route: Route) -> None:
        if route.request.method == "GET" and busy["left"]:
            busy["left"] -= 1
            route.fulfill(status=503, content_type="application/problem+json", body="{}")
        else:
            route.continue_()

    page.route(status, busy_once)
    sent: list[str] = []
    page.on("request", lambda request: _count(request, sent))
    _choose(page, big_video)
    _row_of(page, big_video)
    assert busy["left"] == 0
    assert len(sent) == before["parts_total"] - 2, sent
    numbers = {int(found.group(1)) for url in sent if (found := re.search(r"/parts/(\d+)", url))}
    assert numbers == set(range(1, before["parts_total"] + 1)) - set(before["parts_done"])
    assert requests.get(status, cookies=cookies, timeout=10).json()["job"] == upload_id
    page.context.close()


def _count(request: Request, sent: list[str]) -> None:
    if request.method == "PUT" and PART_URL.search(request.url):
        sent.append(request.url)


def test_pause_stops_sending_and_resume_finishes(browser: Browser, site: LiveStack, big_video: Path) -> None:
    page = _open(browser, site)
    sent: list[str] = []
    page.on("request", lambda request: _count(request, sent))
    page.route(PART_URL, lambda route: route.abort("internetdisconnected"))  # nothing gets through yet
    _choose(page, big_video)
    item = page.locator("#uploads li")
    expect(item.locator(".note")).to_contain_text("retrying", timeout=30_000)
    item.get_by_role("button", name="Pause").click()
    expect(item.locator(".note")).to_contain_text("paused")
    paused_at = len(sent)
    page.wait_for_timeout(3000)  # a backoff would have retried within this; paused, nothing is sent
    assert len(sent) == paused_at
    page.unroute(PART_URL)
    item.get_by_role("button", name="Resume").click()
    _row_of(page, big_video)
    page.context.close()


def test_the_same_file_chosen_twice_with_other_options_makes_two_jobs(
    browser: Browser, site: LiveStack, big_video: Path
) -> None:
    """Both were remembered as one upload (the file's name, size and date): the second choice
    joined the first's, which made one job with the first's options, and waited for good."""
    page = _open(browser, site)
    held: list[Route] = []
    page.route(PART_URL, lambda route: held.append(route) if len(held) < 2 else route.continue_())
    page.locator("select[name=preset]").select_option("small")
    _choose(page, big_video)
    _until(page, lambda: bool(held), "the first upload's first part")
    page.locator("select[name=preset]").select_option("high")
    _choose(page, big_video)
    _until(page, lambda: len(held) == 2, "the second upload's first part")
    for route in held:  # both under way at once: now let them go
        route.continue_()
    expect(page.locator("#uploads li")).to_have_count(0, timeout=TIMEOUT_MS)
    rows = page.locator("#job-rows tr", has_text=big_video.name)
    expect(rows).to_have_count(2, timeout=TIMEOUT_MS)
    jobs = page.request.get(site.url + "/api/jobs").json()["jobs"]
    presets = {job["options"]["preset"] for job in jobs if job["input"]["filename"] == big_video.name}
    assert {"small", "high"} <= presets, presets


def _until(page: Page, reached: Callable[[], bool], what: str) -> None:
    """Wait for ``reached()``, letting the page's events (its routes) run meanwhile."""
    for _ in range(300):
        if reached():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")
