"""Hostile uploads through the real file input of a real server: refused with a message, and the server, the
session and a second session go on being served."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from ..test_hostile_files import GOOD, sparse_workbook, wide_csv
from .conftest import streamlit_server
from .test_flows import app_errors, open_page

pytestmark = pytest.mark.browser


def healthy(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5) as response:
        return response.status == 200 and response.read() == b"ok"


def test_a_sparse_workbook_and_a_wide_csv_are_refused_and_the_server_stays_up(tmp_path, page, playwright_browser):
    sparse = sparse_workbook(tmp_path / "sparse.xlsx", declared=False)
    wide = wide_csv(tmp_path / "wide.csv", 200_000)
    good = tmp_path / "findings.csv"
    good.write_text(GOOD)
    with streamlit_server(tmp_path / "app.duckdb") as base:
        open_page(page, base, "upload")
        page.locator("input[type='file']").first.set_input_files(str(sparse))
        page.get_by_text(re.compile(r"sparse\.xlsx:\W+sheet 'Findings' has cells from A1 to XFD1048576")).wait_for(
            timeout=60_000
        )
        assert healthy(base)

        page.locator("input[type='file']").first.set_input_files(str(wide))
        page.get_by_text(re.compile(r"wide\.csv:\W+the header row has more than 3")).wait_for(timeout=60_000)
        assert healthy(base)

        # Another person's session is served, and so is this one: the next file is read and counted.
        other = playwright_browser.new_context().new_page()
        open_page(other, base, "upload")
        expect(other.locator("input[type='file']").first).to_be_attached(timeout=60_000)
        other.context.close()
        page.locator("input[type='file']").first.set_input_files(str(good))
        page.get_by_text("To insert").wait_for(timeout=60_000)
        expect(page.locator(".st-key-load button")).to_be_enabled(timeout=60_000)
        assert healthy(base)
        assert not app_errors(page)
