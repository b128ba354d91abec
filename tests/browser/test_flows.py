"""The app as people use it: a real server, a real Chromium, real clicks, real files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import time

import pytest
from playwright.sync_api import expect
from pptx import Presentation

from isokpi import auth, narrative
from isokpi.db import resolve_target
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, scorecard
from isokpi.opening import open_target

from .conftest import streamlit_server, wait_for_app

PAGES = ["", "pillar", "sites", "training", "findings", "surveys", "review", "actions", "data", "upload", "admin"]
# Streamlit's frontend probes /<page>/_stcore/health and host-config while it works out the base URL of a
# page opened directly; those two 404s are Streamlit's own and harmless.
BASE_URL_PROBE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def open_page(page, base: str, path: str = "") -> float:
    started = time.monotonic()
    page.goto(f"{base}/{path}")
    wait_for_app(page)
    return time.monotonic() - started


def app_errors(page) -> list[str]:
    texts = page.locator('[data-testid="stException"]').all_inner_texts()
    return texts + [e for e in page.console_errors if not BASE_URL_PROBE.search(e)]


def tile_value(page, pillar: str) -> str:
    return page.locator(f".st-key-tile-{pillar} [data-testid='stMetricValue']").first.inner_text().strip()


def test_overview_shows_8_tiles_and_a_pillar_opens_with_its_charts(shared_server, page):
    open_page(page, shared_server)
    expect(page.locator("[class*='st-key-tile-']")).to_have_count(8, timeout=60_000)
    page.locator(".st-key-tile-training").get_by_text("Open pillar").first.click()
    page.wait_for_function(
        "() => location.pathname.endsWith('/pillar') && location.search.includes('pillar=training')", timeout=60_000
    )
    wait_for_app(page)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(4, timeout=60_000)  # the 4 training KPIs
    assert not app_errors(page)


def test_a_filter_goes_into_the_url_and_a_reload_keeps_it(shared_server, page):
    open_page(page, shared_server)
    page.locator("[class*='st-key-tile-']").first.wait_for(timeout=60_000)
    before = tile_value(page, "monitoring_review")
    page.locator('[data-testid="stSidebar"]').get_by_text("Quarter", exact=True).click()
    page.wait_for_function("() => location.search.toLowerCase().includes('period=quarter')", timeout=60_000)
    wait_for_app(page)
    monitoring = page.locator(".st-key-tile-monitoring_review [data-testid='stMetricValue']").first
    page.get_by_text("the last complete quarter").wait_for(timeout=60_000)
    # The caption above the tiles is drawn first: the tiles below it still show the monthly values until the run ends.
    wait_for_app(page)
    quarterly = monitoring.inner_text().strip()
    page.reload()
    wait_for_app(page)
    page.get_by_text("the last complete quarter").wait_for(timeout=60_000)
    assert "period=quarter" in page.url.lower()
    expect(monitoring).to_have_text(quarterly, timeout=60_000)
    assert before  # the monthly view showed a value too


def last_month_late_findings(rows: int = 60) -> str:
    first = dt.date.today().replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    lines = ["finding_id,audit_id,audit_type,standard,clause,site,severity,raised_on,due_on,closed_on,status"]
    for i in range(rows):
        due = last_month + dt.timedelta(days=9)
        raised = due - dt.timedelta(days=20)
        lines.append(
            f"BR-{i:03d},BR-AUDIT,internal,ISO 9001,8.5.1,Leeds,minor_nc,{raised},{due},{due + dt.timedelta(days=12)},closed"
        )
    return "\n".join(lines) + "\n"


def test_upload_a_bad_then_a_good_file_and_the_overview_changes(fresh_db, tmp_path, page):
    good = tmp_path / "late-findings.csv"
    good.write_text(last_month_late_findings())
    bad = tmp_path / "bad-findings.csv"
    bad.write_text(last_month_late_findings(5).replace("minor_nc", "catastrophic"))
    # What the overview should show after the load, computed by the library on a copy.
    expected_copy = tmp_path / "expected.duckdb"
    shutil.copy(fresh_db, expected_copy)
    copy = open_target(resolve_target(expected_copy))
    assert ingest_file(copy, "findings", good).ok
    card = next(c for c in scorecard(copy, Filters()) if c.id == "monitoring_review")
    headline = narrative.headline(card)
    expected = narrative.kpi_texts(headline)["value"]
    copy.close()

    with streamlit_server(fresh_db) as base:
        open_page(page, base)
        page.locator("[class*='st-key-tile-']").first.wait_for(timeout=60_000)
        before = tile_value(page, "monitoring_review")

        open_page(page, base, "upload")
        page.locator("input[type='file']").first.set_input_files(str(bad))
        # The problems table is drawn on a canvas; the banner above it counts them.
        page.get_by_text("5 problems in bad-findings.csv").wait_for(timeout=60_000)
        assert page.locator(".st-key-load button").is_disabled()

        page.locator("input[type='file']").first.set_input_files(str(good))
        page.get_by_text("To insert").wait_for(timeout=60_000)
        expect(page.locator(".st-key-load button")).to_be_enabled(timeout=60_000)
        page.locator(".st-key-load button").click()
        page.get_by_text("60 rows inserted").wait_for(timeout=60_000)

        open_page(page, base)
        page.locator("[class*='st-key-tile-']").first.wait_for(timeout=60_000)
        after = tile_value(page, "monitoring_review")
    assert (before, after) != (after, after), f"before {before}, after {after}, expected {expected}"
    assert after == expected, f"before {before}, after {after}, expected {expected}"


def test_a_template_and_a_review_pack_download_and_open(fresh_db, tmp_path, page):
    from isokpi.review import create_review

    database = open_target(resolve_target(fresh_db))
    today = dt.date.today()
    create_review(database, auth.User("lead@example.com", "Lead", auth.QUALITY_LEAD), review_date=today,
                  period_from=today - dt.timedelta(days=365), period_to=today, title="Browser test review")  # fmt: skip
    database.close()
    with streamlit_server(fresh_db) as base:
        open_page(page, base, "upload")
        page.get_by_role("tab", name="Templates").click()
        with page.expect_download(timeout=60_000) as download_info:
            page.locator(".st-key-template-csv-findings button").click()
        template = tmp_path / "findings.csv"
        download_info.value.save_as(template)
        rows = list(csv.reader(io.StringIO(template.read_text(encoding="utf-8-sig"))))
        assert rows[0][:3] == ["finding_id", "audit_id", "audit_type"] and len(rows) == 2

        open_page(page, base, "review")
        page.get_by_text("PowerPoint pack").wait_for(timeout=60_000)
        with page.expect_download(timeout=120_000) as download_info:
            page.locator(".st-key-download-pptx button").click()
        pack = tmp_path / "pack.pptx"
        download_info.value.save_as(pack)
    presentation = Presentation(str(pack))
    assert len(presentation.slides) >= 10
    assert any(shape.has_chart for slide in presentation.slides for shape in slide.shapes)


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "overview")
def test_every_page_is_usable_without_console_errors(shared_server, page, path):
    # How fast is bench/pages.py's to measure (a timed assertion here would fail whenever the machine is busy).
    open_page(page, shared_server, path)
    page.locator("h1").first.wait_for(timeout=60_000)
    assert not app_errors(page), app_errors(page)
