"""isokpi.navigation: one table of pages, read by the menu and by every page's own guard."""

from pathlib import Path

import pytest

from isokpi.auth import ADMIN, QUALITY_LEAD, VIEWER
from isokpi.navigation import PAGES, page_of

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_script_is_in_the_table_once():
    assert sorted(spec.script for spec in PAGES) == sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    assert len({spec.url_path for spec in PAGES}) == len(PAGES)
    assert [spec.url_path for spec in PAGES if not spec.url_path] == [""]  # one default page


def test_roles_are_written_once_and_read_by_script():
    assert {spec.url_path: spec.role for spec in PAGES if spec.role != VIEWER} == {
        "upload": QUALITY_LEAD,
        "admin": ADMIN,
    }
    assert page_of(str(ROOT / "pages" / "upload.py")).role == QUALITY_LEAD
    assert page_of("pages/findings.py").heading == "Findings and corrective actions"
    with pytest.raises(KeyError, match="not a page of the app"):
        page_of("pages/nowhere.py")


def test_every_page_passes_its_own_file_to_the_guard():
    for spec in PAGES:
        text = (ROOT / spec.script).read_text(encoding="utf-8").replace("\n    ", "")
        # ui.dataset_page is start_page for a page over one dataset: it passes the same file on.
        assert "ui.start_page(__file__" in text or "ui.dataset_page(__file__" in text, spec.script
