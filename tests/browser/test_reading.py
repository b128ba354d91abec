"""Pages that read well, for everyone: filters that follow you from page to page, titles and labels that fit the
chart at common screen widths, no serious or critical axe-core violation, and a menu the keyboard can use."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import wait_for_app
from .test_flows import PAGES

CHART_PAGES = ["", "pillar", "sites", "training", "findings", "surveys"]


def open_path(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    wait_for_app(page, timeout=60_000)


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def wait_for_address(page, path: str, *parts: str) -> None:
    """Until the address is `path` with every part in its query (Streamlit changes it in place, no page load)."""
    checks = " && ".join(
        [f"location.pathname.endsWith({path!r})", *(f"location.search.includes({p!r})" for p in parts)]
    )
    page.wait_for_function(f"() => {checks}", timeout=60_000)  # a first run on a busy machine takes a while
    wait_for_app(page, timeout=60_000)


def click_menu(page, label: str) -> None:
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()


def test_the_filters_follow_the_user_from_page_to_page(shared_server, page):
    # A link with filters, as a colleague would send it; then the menu, a page without filters, and Open pillar.
    open_path(page, shared_server, "?site=Porto&period=Quarter")
    site = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    expect(site).to_contain_text("Porto", timeout=60_000)  # the link's filters are read, the page is drawn
    page.get_by_text("Open pillar").first.wait_for(timeout=60_000)
    # The menu is used once the page is drawn. In the two full CI runs with the roll-ups (whose first tile comes
    # sooner), a click while the overview's tiles were still coming opened /findings?site=Porto without
    # period=Quarter; it was not seen in 4 runs of this test alone (2 with the machine loaded) nor after every other
    # browser test.
    wait_for_app(page)
    click_menu(page, "Findings")
    wait_for_address(page, "/findings", "site=Porto", "period=Quarter")
    # The address changes before the page is drawn again: wait for the sidebar's site filter, as above.
    expect(page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first).to_have_text(
        re.compile(r"Porto$"), timeout=60_000
    )
    click_menu(page, "Data")
    wait_for_address(page, "/data")
    click_menu(page, "Overview")
    wait_for_address(page, "/", "site=Porto", "period=Quarter")
    page.locator(".st-key-tile-training").get_by_text("Open pillar").first.click()
    wait_for_address(page, "/pillar", "pillar=training", "site=Porto", "period=Quarter")
    assert {key: query_of(page)[key] for key in ("site", "period", "pillar")} == {
        "site": ["Porto"],
        "period": ["Quarter"],
        "pillar": ["training"],
    }


DRAWN = (
    "() => document.querySelectorAll('.js-plotly-plot .main-svg, [data-testid=stVegaLiteChart] canvas, "
    "[data-testid=stVegaLiteChart] svg').length"
)


def charts_drawn(page, settle_ms: int = 600, at_most_ms: int = 3_000) -> None:
    """Until the page's drawn charts stop changing in number for `settle_ms` (at most `at_most_ms`, the fixed wait
    this replaces): a page without charts goes on at once, one with charts once they are drawn."""
    waited, quiet, drawn = 0, 0, page.evaluate(DRAWN)
    while quiet < settle_ms and waited < at_most_ms:
        page.wait_for_timeout(100)
        waited += 100
        now = page.evaluate(DRAWN)
        quiet, drawn = (quiet + 100, drawn) if now == drawn else (0, now)


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "overview")
def test_no_serious_or_critical_accessibility_violation(shared_server, page, path):
    open_path(page, shared_server, path)
    charts_drawn(page)  # sparklines and Vega marks are drawn after the page
    violations = Axe().run(page).response["violations"]
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"][:3]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize("path", CHART_PAGES, ids=lambda path: path or "overview")
def test_chart_titles_and_labels_fit_their_chart(shared_server, playwright_browser, path):
    # At 1280 px wide as opened, then at 1920 once the window is made wider (one visit of the page for both).
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        open_path(page, shared_server, path)
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000) if path else None
        for width in (1280, 1920):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(1_000)  # the charts are laid out again for the width
            clipped = page.evaluate(
                """() => {
                    const out = [];
                    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                        const box = plot.getBoundingClientRect();
                        const texts = plot.querySelectorAll('.gtitle, .xtick text, .ytick text, .g-xtitle text, .g-ytitle text');
                        for (const text of texts) {
                            const r = text.getBoundingClientRect();
                            if (r.width === 0) continue;
                            if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1) {
                                out.push(text.textContent.slice(0, 60));
                            }
                        }
                    }
                    return out;
                }"""
            )
            assert (width, clipped) == (width, [])
    finally:
        context.close()


def test_the_menu_is_usable_from_the_keyboard(shared_server, page):
    open_path(page, shared_server, "")
    page.get_by_role("link", name="Surveys").wait_for(timeout=60_000)  # the menu is drawn
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.textContent")
        if focused and focused.strip().endswith("Surveys"):
            break
    else:
        pytest.fail("the Surveys link of the menu cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.pathname.endsWith('/surveys')", timeout=60_000)
