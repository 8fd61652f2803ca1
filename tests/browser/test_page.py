"""The upload page in real Chromium: live rows over the WebSocket, polling when it drops."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from app.units import MB
from tests.conftest import make_clip
from tests.live.stack import LiveStack

TIMEOUT_MS = 120_000


def _upload(page: Page, clip: Path, name: str | None = None) -> str:
    """Choose a file (shown as ``name``) and press the button; the new job's row id."""
    before = set(page.locator("#job-rows tr").evaluate_all("rows => rows.map(r => r.id)"))
    chosen = {"name": name or clip.name, "mimeType": "video/mp4", "buffer": clip.read_bytes()}
    page.locator("#upload-form input[type=file][name=file]").set_input_files(chosen)  # type: ignore[arg-type]
    page.locator("#upload-form button[type=submit]").click()
    rows = page.locator("#job-rows tr")
    expect(rows).to_have_count(len(before) + 1, timeout=TIMEOUT_MS)
    new = set(rows.evaluate_all("rows => rows.map(r => r.id)")) - before
    return new.pop()


def test_live_rows_then_polling_when_the_socket_drops(
    browser: Browser, web: LiveStack, tmp_path: Path, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sockets: list[WebSocketRoute] = []
    state = {"allow": True}

    def route(ws: WebSocketRoute) -> None:
        if state["allow"]:
            ws.connect_to_server()
            sockets.append(ws)
        else:
            ws.close(code=4000, reason="closed by the test")

    page.route_web_socket(re.compile(r".*/page/ws$"), route)
    page.goto(web.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)

    # 1. Live: the row appears, its progress moves, it succeeds; the download works.
    row_id = _upload(page, make_clip(tmp_path / "first.mp4", seconds=6, size="640x360"))
    row = page.locator(f"#{row_id}")
    expect(row).to_have_attribute("data-status", "running", timeout=TIMEOUT_MS)
    progress = row.locator("progress")
    expect(progress).not_to_have_attribute("value", re.compile(r"^0(\.0)?$"), timeout=TIMEOUT_MS)
    expect(row).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    expect(progress).to_have_attribute("value", "100.0")
    expect(page.locator("#announcer")).to_contain_text("first.mp4: succeeded")
    href = row.locator("a", has_text="Download").get_attribute("href")
    assert href is not None
    download = page.request.get(web.url + href)  # with the page's session cookie
    assert download.status == 200 and download.headers["content-type"] == "video/mp4"
    assert download.body()[4:8] == b"ftyp"
    assert requests.get(web.url + href, timeout=30).status_code == 404, "another owner cannot download it"
    page.screenshot(path=str(artifacts / "page-live.png"), full_page=True)

    # 2. The socket drops and cannot come back: the page polls by itself.
    state["allow"] = False
    for ws in sockets:
        ws.close(code=4001, reason="forced closed by the test")
    expect(page.locator("#connection")).to_have_text("polling", timeout=10_000)
    second = _upload(page, make_clip(tmp_path / "second.mp4", seconds=3))
    expect(page.locator(f"#{second}")).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    expect(page.locator("#connection")).to_have_text("polling")
    page.screenshot(path=str(artifacts / "page-polling.png"), full_page=True)

    # 3. The socket is allowed back: the page returns to live on its own.
    state["allow"] = True
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_narrow_screen_and_escaped_names(
    browser: Browser, web: LiveStack, tmp_path: Path, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(web.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    name = "<img src=x onerror=alert(1)>&amp;<script>alert(2).mp4"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    row_id = _upload(page, make_clip(tmp_path / "x.mp4", seconds=1), name=name)
    row = page.locator(f"#{row_id}")
    expect(row.locator(".filename")).to_have_text(name)
    assert row.locator("img[src='x']").count() == 0 and not dialogs, "the name is shown as text, never run"
    expect(row).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "page-360.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    context.close()


def test_cancel_and_delete_from_the_page(browser: Browser, web: LiveStack, tmp_path: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    row_id = _upload(page, make_clip(tmp_path / "long.mp4", seconds=30, size="640x360"))
    row = page.locator(f"#{row_id}")
    expect(row).to_have_attribute("data-status", "running", timeout=TIMEOUT_MS)
    # By keyboard: the row is replaced at every progress report, and the focus went with it.
    row.get_by_role("button", name="Cancel").focus()
    version = row.get_attribute("data-version")
    expect(row).not_to_have_attribute("data-version", version or "", timeout=10_000)  # replaced since
    expect(row.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")  # an htmx POST carrying the CSRF token
    expect(row).to_have_attribute("data-status", "canceled", timeout=10_000)
    expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(row.get_by_role("button", name="Delete")).to_be_focused()  # the row's next control
    other_tab = context.new_page()  # the same person, another tab: it hears of the delete live
    other_tab.goto(web.url + "/")
    expect(other_tab.locator("#connection")).to_have_text("live", timeout=30_000)
    expect(other_tab.locator(f"#{row_id}")).to_have_attribute("data-status", "canceled")
    page.on("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page.locator(f"#{row_id}")).to_have_count(0, timeout=10_000)
    assert page.evaluate("document.activeElement !== document.body"), "the focus was lost with the row"
    expect(other_tab.locator(f"#{row_id}")).to_have_count(0, timeout=10_000)
    expect(other_tab.locator("#connection")).to_have_text("live")  # removed by the socket, not a poll
    job_id = row_id.removeprefix("job-")
    assert page.request.get(f"{web.url}/api/jobs/{job_id}").status == 404
    context.close()


def test_fit_under_a_custom_size_a_trim_and_the_checkboxes_reach_the_job(
    browser: Browser, web: LiveStack, tmp_path: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url + "/")
    fit = page.locator("#fit-under")
    labels = fit.locator("option").all_inner_texts()
    assert "10 MB" in labels and "25 MB" in labels and labels[-1] == "Custom…"
    custom = page.locator("#fit-custom")
    expect(custom).to_be_hidden()
    fit.select_option("custom")
    expect(custom).to_be_visible()
    page.locator("#fit-custom-mb").fill("0.3")
    page.locator("input[name=start_seconds]").fill("1")
    page.locator("input[name=end_seconds]").fill("5.5")
    for name in ("normalize_audio", "keep_location", "sdr"):
        page.locator(f"input[name={name}]").check()
    clip = make_clip(tmp_path / "fit.mp4", seconds=6, size="640x360")
    row_id = _upload(page, clip)
    row = page.locator(f"#{row_id}")
    expect(row).to_have_attribute("data-status", re.compile("succeeded|failed"), timeout=TIMEOUT_MS)
    job = page.request.get(f"{web.url}/api/jobs/{row_id.removeprefix('job-')}").json()  # the page's owner
    assert job["options"]["target_size_mb"] == 0.3
    assert (job["options"]["start_seconds"], job["options"]["end_seconds"]) == (1, 5.5)
    assert job["options"]["normalize_audio"] and job["options"]["keep_location"] and job["options"]["sdr"]
    assert job["status"] == "succeeded", job["error"]
    assert job["output"]["size_bytes"] <= 0.3 * MB
    assert abs(job["output"]["duration_seconds"] - 4.5) < 0.1
    context.close()


def test_a_custom_size_given_up_does_not_hold_back_the_next_upload(
    browser: Browser, web: LiveStack, tmp_path: Path
) -> None:
    """A custom size the browser refused (under 0.1), hidden again by choosing no limit, kept
    every later press of Compress from doing anything until the page was loaded again."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url + "/")
    page.locator("#fit-under").select_option("custom")
    page.locator("#fit-custom-mb").fill("0.01")
    clip = make_clip(tmp_path / "given-up.mp4", seconds=1)
    chosen = {"name": clip.name, "mimeType": "video/mp4", "buffer": clip.read_bytes()}
    page.locator("#upload-form input[type=file][name=file]").set_input_files(chosen)  # type: ignore[arg-type]
    page.locator("#upload-form button[type=submit]").click()
    assert page.locator("#fit-custom-mb").evaluate(
        "input => !input.validity.valid"
    )  # refused, as it should be
    expect(page.locator("#uploads li")).to_have_count(0)
    page.locator("#fit-under").select_option("")
    row_id = _upload(page, clip)
    job = page.request.get(f"{web.url}/api/jobs/{row_id.removeprefix('job-')}").json()
    assert job["options"]["target_size_mb"] is None
    context.close()


def test_the_form_without_a_script_makes_a_job(browser: Browser, web: LiveStack, tmp_path: Path) -> None:
    """It sent the custom size's empty field, which the API refused: 422 "unknown field"."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(web.url + "/")
    assert page.locator("#fit-under option").all_inner_texts()[-1] != "Custom…"  # nothing to type it in
    clip = make_clip(tmp_path / "plain.mp4", seconds=1)
    chosen = {"name": clip.name, "mimeType": "video/mp4", "buffer": clip.read_bytes()}
    page.locator("#upload-form input[type=file][name=file]").set_input_files(chosen)  # type: ignore[arg-type]
    with page.expect_navigation() as answered:
        page.locator("#upload-form button[type=submit]").click()
    response = answered.value
    assert response is not None and response.status == 202, response and response.text()
    assert response.json()["status"] in ("queued", "running", "succeeded")
    context.close()


def test_a_refused_file_says_why_and_can_be_dismissed(
    browser: Browser, web: LiveStack, tmp_path: Path
) -> None:
    """A failed upload's entry stayed in the list until the page was loaded again."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url + "/")
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video\n" * 100)
    page.locator("#upload-form input[type=file][name=file]").set_input_files(str(notes))
    page.locator("#upload-form button[type=submit]").click()
    failed = page.locator("#uploads li.failed")
    expect(failed.get_by_role("alert")).to_contain_text("not a video", timeout=30_000)
    failed.get_by_role("button", name="Dismiss the failed upload of notes.mp4").click()
    expect(page.locator("#uploads li")).to_have_count(0)
    expect(page.locator("#upload-form input[type=file][name=file]")).to_be_focused()
    context.close()


# Chromium's notifications, recorded instead of shown, and a tab the person has left.
NOTIFICATIONS_RECORDED = """
window.__asked = 0;
window.__shown = [];
let permission = "default";
window.Notification = class {
  constructor(title, options) { window.__shown.push(options.body); }
  static get permission() { return permission; }
  static requestPermission() {
    window.__asked += 1;
    permission = "granted";
    return Promise.resolve(permission);
  }
};
Object.defineProperty(document, "hidden", { get: () => window.__hidden === true });
"""


def test_a_fresh_upload_keeps_the_console_clean_and_notifies_a_hidden_tab(
    browser: Browser, web: LiveStack, tmp_path: Path
) -> None:
    context = browser.new_context()
    context.add_init_script(NOTIFICATIONS_RECORDED)
    page = context.new_page()
    logged: list[str] = []
    page.on(
        "console", lambda m: logged.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    refused: list[str] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(web.url + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    row_id = _upload(page, make_clip(tmp_path / "first.mp4", seconds=4, size="320x240"))
    assert page.evaluate("window.__asked") == 1, "asked once, at the submit"
    page.evaluate("window.__hidden = true")  # the person went to another tab
    row = page.locator(f"#{row_id}")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS)
    expect(row.locator(".thumb img")).to_be_visible(timeout=TIMEOUT_MS)
    assert page.evaluate("window.__shown") == ["first.mp4: succeeded"]
    _upload(page, make_clip(tmp_path / "second.mp4", seconds=1, size="320x240"))
    assert page.evaluate("window.__asked") == 1, "never asked twice"
    assert refused == [], refused  # no 404 or 409 for pictures not made, nor for an icon
    assert logged == [], logged  # and no htmx:oobErrorNoTarget
    context.close()
