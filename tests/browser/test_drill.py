"""Drill-through in a real browser: a click on a point of a KPI chart opens the records behind it below the chart."""

from __future__ import annotations

import re

from .conftest import wait_for_app

CHART = "chart-overdue_open_findings"


def test_clicking_a_point_opens_its_records(shared_server, page):
    page.goto(f"{shared_server}/pillar?pillar=monitoring_review")
    wait_for_app(page, timeout=60_000)
    chart = page.locator(f".st-key-{CHART}")
    chart.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    # The latest point of the chart: the marker furthest right.
    boxes = [box for box in (point.bounding_box() for point in chart.locator("path.point").all()) if box]
    latest = max(boxes, key=lambda box: box["x"])
    page.mouse.click(latest["x"] + latest["width"] / 2, latest["y"] + latest["height"] / 2)
    panel = page.locator(f".st-key-records-{CHART}")
    panel.wait_for(timeout=60_000)
    wait_for_app(page, timeout=60_000)
    panel.get_by_text(re.compile(r"counted in the numerator")).wait_for(timeout=60_000)
    heading = panel.get_by_text(re.compile(r"^Records behind Overdue open findings, ")).inner_text()
    count = int(re.search(r": (\d+) findings?$", heading).group(1))
    caption = panel.get_by_text(re.compile(r"records \(findings\)")).inner_text()
    assert caption.startswith(f"{count} records (findings), {count} counted in the numerator")
    panel.locator("[data-testid='stDataFrame']").wait_for(timeout=60_000)  # drawn once its data has arrived
    panel.get_by_role("button", name="Download records (CSV)").wait_for(timeout=60_000)
    assert not [error for error in page.console_errors if "Error" in error]


def test_the_keyboard_opens_a_points_records(shared_server, page):
    # Without a mouse: Tab to "Show records" under the chart (its period select holds the latest point) and press
    # Enter; the records open as a click opens them.
    page.goto(f"{shared_server}/pillar?pillar=monitoring_review")
    wait_for_app(page, timeout=60_000)
    kpi = page.locator(".st-key-kpi-overdue_open_findings")
    show = kpi.get_by_role("button", name="Show records")
    show.wait_for(timeout=60_000)
    picker = kpi.locator("[data-testid='stSelectbox']", has_text="Records of the period")
    period = picker.get_by_role("combobox").input_value() or picker.get_by_role("combobox").inner_text()
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{4}", period.strip()), period  # the latest month, as the chart names it
    show.focus()
    page.keyboard.press("Enter")
    panel = page.locator(f".st-key-records-{CHART}")
    panel.wait_for(timeout=60_000)
    wait_for_app(page, timeout=60_000)
    heading = panel.get_by_text(re.compile(r"^Records behind Overdue open findings, ")).inner_text()
    assert heading.startswith(f"Records behind Overdue open findings, {period}: "), (heading, period)
    panel.locator("[data-testid='stDataFrame']").wait_for(timeout=60_000)
    assert not [error for error in page.console_errors if "Error" in error]
