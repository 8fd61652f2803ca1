"""Seeing the result in real Chromium: the poster in the job's row, then the compare view with
its slider (mouse and keyboard). Screenshots go to the test's folder and /tmp/squeeze-shots/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_page import TIMEOUT_MS, _upload
from tests.conftest import make_clip
from tests.live.stack import LiveStack

SHOTS_COPY = Path("/tmp/squeeze-shots")
LOADED = "img => img.complete && img.naturalWidth > 0"


def _wait_loaded(page: Page, selector: str) -> None:
    page.wait_for_function(
        f"() => {{ const img = document.querySelector({selector!r}); return !!img && ({LOADED})(img); }}",
        timeout=TIMEOUT_MS,
    )


def _split(page: Page) -> float:
    """Where the line is, as a share of the picture's width (from what is drawn, not the value)."""
    share: float = page.evaluate(
        """() => {
            const stage = document.getElementById('compare-stage').getBoundingClientRect();
            const line = document.querySelector('.compare-divider').getBoundingClientRect();
            return (line.left + line.width / 2 - stage.left) / stage.width;
        }"""
    )
    return share


def test_the_poster_shows_in_the_row_and_the_compare_view_slides(
    browser: Browser, web: LiveStack, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(web.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)

    # 1. The row: a placeholder box at once, the poster once a worker has started the job.
    row_id = _upload(page, make_clip(tmp_path / "holiday.mp4", seconds=6, size="640x360"))
    row = page.locator(f"#{row_id}")
    expect(row.locator(".thumb")).to_be_visible()
    _wait_loaded(page, f"#{row_id} .thumb img")
    status = row.get_attribute("data-status")
    page.screenshot(path=str(shots / f"1-row-poster-{status}.png"))
    expect(row).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    _wait_loaded(page, f"#{row_id} .thumb img")
    box = row.locator(".thumb").bounding_box()
    assert box is not None and (round(box["width"]), round(box["height"])) == (64, 36)
    page.screenshot(path=str(shots / "2-row-succeeded.png"))

    # 2. The compare view: both frames loaded, the same size, the line in the middle.
    row.get_by_role("link", name=re.compile("^Compare")).click()
    expect(page).to_have_url(re.compile(rf"/jobs/{row_id.removeprefix('job-')}/compare$"))
    for side in ("original", "result"):
        _wait_loaded(page, f".compare-{side}")
    sizes = page.locator(".compare-stage img").evaluate_all(
        "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert sizes == [[640, 360], [640, 360]]
    expect(page.locator(".facts")).to_contain_text("smaller")
    assert abs(_split(page) - 0.5) < 0.02
    page.screenshot(path=str(shots / "3-compare-middle.png"), full_page=True)

    # 3. The mouse: a click at 80% of the picture moves the line there.
    stage = page.locator("#compare-stage").bounding_box()
    assert stage is not None
    page.mouse.click(stage["x"] + stage["width"] * 0.8, stage["y"] + stage["height"] / 2)
    assert abs(_split(page) - 0.8) < 0.03
    page.screenshot(path=str(shots / "4-compare-mouse-80.png"), full_page=True)

    # 4. The keyboard: the slider takes the arrows and says where it is.
    slider = page.locator("#compare-slider")
    slider.focus()
    slider.press("Home")
    for _ in range(20):
        slider.press("ArrowRight")
    expect(slider).to_have_value("20")
    expect(slider).to_have_attribute("aria-valuetext", "20% original, 80% result")
    assert abs(_split(page) - 0.2) < 0.02
    page.screenshot(path=str(shots / "5-compare-keyboard-20.png"), full_page=True)

    # 5. A phone's width: the picture fits, the facts wrap.
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "6-compare-phone.png"), full_page=True)
    page.go_back()
    _wait_loaded(page, f"#{row_id} .thumb img")
    page.screenshot(path=str(shots / "7-row-phone.png"), full_page=True)

    assert not [e for e in errors if "Content Security Policy" in e], errors
    SHOTS_COPY.mkdir(exist_ok=True)
    for shot in shots.iterdir():
        shutil.copy(shot, SHOTS_COPY / shot.name)
    context.close()
