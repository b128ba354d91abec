"""The first real upload over the demo, in a real browser: the offer to remove the demo, and what remains after."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from isokpi.db import resolve_target
from isokpi.demo_batches import demo_share
from isokpi.ingest import list_batches
from isokpi.opening import open_target

from .conftest import streamlit_server, wait_for_app


def real_findings(rows: int = 12) -> str:
    """A findings export as a real audit system writes it: F-YYYY-NNNN ids, the demo's old shape."""
    year = dt.date.today().year
    lines = ["Finding ID,Audit Type,Standard,Severity,Raised On,Status"]
    lines += [f"F-{year}-{n:04d},Internal,ISO 9001,Minor NC,{year}-01-{n:02d},Open" for n in range(1, rows + 1)]
    return "\n".join(lines) + "\n"


def test_the_first_real_upload_offers_to_remove_the_demo_and_removing_keeps_the_upload(fresh_db, tmp_path, page):
    export = tmp_path / "findings-export.csv"
    export.write_text(real_findings())
    with streamlit_server(fresh_db) as base:
        page.goto(f"{base}/upload")
        wait_for_app(page)
        page.get_by_text("You are looking at demo data").wait_for(timeout=60_000)
        expect(page.locator(".st-key-demo-removal")).to_have_count(0)  # the demo alone: nothing to offer yet

        page.locator("input[type='file']").first.set_input_files(str(export))
        page.get_by_text("To insert").wait_for(timeout=60_000)
        expect(page.locator(".st-key-load button")).to_be_enabled(timeout=60_000)
        page.locator(".st-key-load button").click()
        page.get_by_text("12 rows inserted, 0 updated").wait_for(timeout=60_000)  # beside the demo, not over it

        offer = page.locator(".st-key-demo-removal")
        offer.get_by_text("Remove the demo data").first.wait_for(timeout=60_000)
        page.get_by_text("Demo data is mixed in with yours").wait_for(timeout=60_000)
        expect(offer.locator("button")).to_be_disabled()
        offer.get_by_text("Yes, remove every demo batch").click()
        expect(offer.locator("button")).to_be_enabled(timeout=60_000)
        offer.locator("button").click()
        page.get_by_text("Removed the demo data").wait_for(timeout=60_000)
        expect(page.get_by_text("demo generator")).to_have_count(0)

        page.goto(f"{base}/data")
        wait_for_app(page)
        page.get_by_text("12 rows").first.wait_for(timeout=60_000)
        expect(page.get_by_text("You are looking at demo data")).to_have_count(0)
    database = open_target(resolve_target(fresh_db))
    try:
        assert database.query(
            "SELECT count(*), count(*) FILTER (WHERE starts_with(finding_id, 'F-')) FROM findings"
        ) == [(12, 12)]
        assert [database.query(f"SELECT count(*) FROM {name}")[0][0] for name in ("training", "survey", "targets")] == [
            0,
            0,
            0,
        ]
        assert not demo_share(database).remains
        statuses = {(b["demo"], b["status"]) for b in list_batches(database)}
        assert statuses == {(True, "removed"), (False, "loaded")}
    finally:
        database.close()
