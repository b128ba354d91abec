"""The demo on the pages, with AppTest: the banner says how much is demo while any demo batch remains, the Upload
page offers to remove it after the first real upload, the Data page removes it for quality leads."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from isokpi.ingest import ingest_file, list_batches
from isokpi.opening import open_database

from .apptest import app_page

DEMO = (
    "finding_id,audit_type,standard,severity,raised_on,status\n"
    "DEMO-F-1,internal,ISO 9001,ofi,2025-01-02,open\nDEMO-F-2,internal,ISO 9001,ofi,2025-01-03,open\n"
    "DEMO-F-3,internal,ISO 9001,ofi,2025-01-04,open\n"
)
REAL = "finding_id,audit_type,standard,severity,raised_on,status\nF-1,internal,ISO 9001,ofi,2025-02-02,open\n"


@pytest.fixture
def app(tmp_path, use_database):
    path = tmp_path / "app.duckdb"
    use_database(path)

    def prepare(*files: tuple[str, str, str]) -> None:
        database = open_database(str(path))  # the app's own connection (one per process)
        for name, text, source in files:
            (tmp_path / name).write_text(text)
            assert ingest_file(database, "findings", tmp_path / name, source=source).loaded

    def open_page(page: str, *, viewer: bool = False) -> AppTest:
        at = app_page(page, viewer=viewer).run()
        assert not at.exception, at.exception
        return at

    return prepare, open_page, lambda: open_database(str(path))


def text(elements) -> str:
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


def test_the_banner_says_how_much_is_demo_while_a_demo_batch_remains(app):
    prepare, open_page, _ = app
    prepare(("demo.csv", DEMO, "demo"))
    assert "You are looking at demo data" in text(open_page("overview").info)
    prepare(("real.csv", REAL, "cli"))
    assert "Demo data is mixed in with yours: 75.0% of the rows shown (3 of 4: findings 3 of 4)" in text(
        open_page("findings").info
    )


def test_the_upload_page_offers_removal_once_real_data_is_loaded_beside_the_demo(app):
    prepare, open_page, _ = app
    prepare(("demo.csv", DEMO, "demo"))
    at = open_page("upload")
    assert [c for c in at.checkbox if c.key == "demo-remove-confirm"] == []  # the demo alone: nothing to offer
    assert "Remove the demo data (Data page)" in text(at.info)  # so the banner names where it is
    prepare(("real.csv", REAL, "upload"))
    at = open_page("upload")
    assert "A quality lead removes it with Remove the demo data (below)" in text(at.info)  # the offer under it
    assert at.button(key="demo-remove").disabled  # not before the confirmation
    at = at.checkbox(key="demo-remove-confirm").check().run()
    at = at.button(key="demo-remove").click().run()
    assert not at.exception, at.exception
    assert "Removed the demo data (batches 1): 3 demo row versions deleted." in text(at.success)
    assert "demo data" not in text(at.info).lower()
    assert [c for c in at.checkbox if c.key == "demo-remove-confirm"] == []


def test_the_data_page_removes_the_demo_for_quality_leads_only(app):
    prepare, open_page, database = app
    prepare(("demo.csv", DEMO, "demo"))
    viewer = open_page("data", viewer=True)
    assert "You are looking at demo data" in text(viewer.info)
    assert "(Data page)" in text(viewer.info)
    assert [b for b in viewer.button if b.key == "demo-remove"] == []
    at = open_page("data")  # local mode: the local admin
    assert "(below)" in text(at.info)
    at = at.checkbox(key="demo-remove-confirm").check().run()
    at = at.button(key="demo-remove").click().run()
    assert "Removed the demo data (batches 1)" in text(at.success)
    assert database().query("SELECT count(*) FROM findings") == [(0,)]
    assert [(b["batch_id"], b["status"]) for b in list_batches(database())] == [(1, "removed")]
    assert "Nothing is loaded yet" in text(at.info)
