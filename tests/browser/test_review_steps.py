"""The Review page in a real Chromium: in steps, none much taller than a screen; the PDF pack downloads from it and
opens as A4 landscape; after "Close and freeze" the selector and the record name the closer at once, and a link to the
review (?review=2) still opens it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from isokpi import auth, review
from isokpi.db import resolve_target
from isokpi.opening import open_target

from .conftest import after_click, streamlit_server, wait_for_app, watch_runs

pytestmark = pytest.mark.browser
LEAD = auth.User("lead@example.com", "Lead", auth.QUALITY_LEAD)
TODAY = dt.date.today()
STEPS = ["Summary", "Inputs (9.3.2)", "Decisions and actions (9.3.3)", "Compared with the previous review"]
VIEWPORT_HEIGHT = 1000  # the page fixture's screen


@pytest.fixture(scope="module")
def server(demo_database, chromium) -> Iterator[str]:
    """A server over the demo with review #1 (the last 12 months, closed) and #2 (open, since #1 ended); the local
    user named Ann Chair."""
    path = demo_database()
    database = open_target(resolve_target(path))
    first = review.create_review(
        database, LEAD, review_date=TODAY - dt.timedelta(days=40), period_from=TODAY - dt.timedelta(days=400),
        period_to=TODAY - dt.timedelta(days=41), title="Spring review",
    )  # fmt: skip
    review.close_review(database, LEAD, first)
    review.create_review(database, LEAD, review_date=TODAY, title="Board review")
    database.close()
    with streamlit_server(path, env={auth.LOCAL_NAME_VARIABLE: "Ann Chair"}) as base:
        yield base


def open_review(page, base: str, number: int = 2) -> None:
    """The Review page on review #`number`, by its link (its script runs watched: page.runs)."""
    page.runs = watch_runs(page)
    page.goto(f"{base}/review?review={number}")
    wait_for_app(page, timeout=60_000)
    page.get_by_role("tab", name="Summary").wait_for(timeout=60_000)
    assert selected(page).startswith(f"#{number} · ")


def selected(page) -> str:
    return page.locator(".st-key-review input").input_value()


def step_height(page) -> float:
    """How tall the step shown is, in CSS pixels: from the tabs to the end of what the page shows."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMainBlockContainer"]');
            const end = main.getBoundingClientRect().bottom - parseFloat(getComputedStyle(main).paddingBottom);
            return end - document.querySelector('[role=tablist]').getBoundingClientRect().bottom;
        }"""
    )


def show_step(page, name: str) -> None:
    after_click(page, page.get_by_role("tab", name=name), page.runs)


def test_each_step_of_the_review_page_is_about_a_screen_tall(server, page):
    """The page was 12,000 px tall in one piece; now a step of words and tables fits a screen, one with charts two."""
    open_review(page, server)
    heights = {}
    for name in STEPS:
        show_step(page, name)
        heights[name] = step_height(page)
    show_step(page, "Inputs (9.3.2)")
    for option in page.locator(".st-key-input button").all():
        label = option.inner_text().strip()
        if not label:  # the help icon
            continue
        after_click(page, option, page.runs)
        heights[label] = step_height(page)
    assert len(heights) == len(STEPS) + 12, heights  # the 12 inputs of 9.3.2, one at a time
    words_only = [name for name in heights if name in ("Summary", STEPS[2]) or name.endswith((" a)", " b)", " e)"))]
    assert len(words_only) == 5, heights
    assert {name: heights[name] for name in words_only if heights[name] > VIEWPORT_HEIGHT} == {}, heights
    assert {name: height for name, height in heights.items() if height > 2 * VIEWPORT_HEIGHT} == {}, heights


def test_the_pdf_pack_downloads_from_the_review_page_as_a4_landscape(server, page, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils); .ci/run installs it")
    open_review(page, server, 1)
    with page.expect_download(timeout=240_000) as download_info:
        page.locator(".st-key-download-pdf button").click()  # Chromium prints it on the server: ~30 s
    path = tmp_path / "pack.pdf"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename == f"management-review-1-{TODAY - dt.timedelta(days=40)}.pdf"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Page size:       841.92 x 594.96 pts (A4)" in info
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    first = " ".join(pages.split("\f")[0].split())
    assert first.startswith("Spring review · period ") and "Executive summary" in first
    assert "by Lead" in first and first.endswith(f"Page 1 of {len(pages.split(chr(12))) - 1}")


def test_closing_a_review_names_the_closer_and_the_selector_says_closed_at_once(server, page):
    open_review(page, server, 2)
    assert selected(page).endswith("Board review (open)")
    show_step(page, "Close the review")
    page.get_by_text("The record will say it was closed by").wait_for()
    assert "closed by Ann Chair" in page.locator("[data-testid='stMarkdown']").all_inner_texts()[-1]
    page.get_by_text("I confirm this is the record of the meeting").click()
    page.get_by_role("button", name="Close and freeze").click()
    page.get_by_text("this is the record as it was presented").wait_for(timeout=120_000)
    wait_for_app(page, timeout=60_000)
    assert selected(page).endswith("Board review (closed)")  # at once, without a reload
    state = page.locator("[data-testid='stAlertContentSuccess']").inner_text()
    assert "Closed and frozen on" in state and "by Ann Chair" in state and "local" not in state
    assert page.get_by_role("tab").all_inner_texts() == STEPS
    assert page.url.endswith("/review?review=2")
    open_review(page, server, 2)  # the link sent before the meeting opens the closed review
    assert selected(page).endswith("Board review (closed)")
