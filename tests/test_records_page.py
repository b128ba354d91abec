"""Drill-through on the Pillar page: a selected point opens the records behind it, marked, sortable, exportable."""

from __future__ import annotations

import csv
import io
import json

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import records, ui
from isokpi.ui import csv_bytes

from .apptest import as_read
from .conftest import ROOT

FINDINGS = """finding_id,audit_id,audit_type,standard,clause,site,department,severity,description,raised_on,due_on,closed_on,status
F-1,A1,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,Calibration late,2025-03-01,2025-03-20,2025-03-15,closed
F-2,A1,internal,ISO 9001,8.7,Leeds,Quality,major_nc,"=HYPERLINK(""http://x.example"",""open"")",2025-03-02,2025-03-25,2025-04-10,closed
F-3,A2,external,ISO 14001,6.1,Brno,Production,minor_nc,Spill kit missing,2025-03-10,2025-03-31,,open
F-4,A2,external,ISO 14001,6.2,Brno,Production,observation,@SUM(1),2025-03-11,2025-04-15,,open
"""
CHART = "chart-findings_closed_on_time_pct"


def selected(at: AppTest, key: str, x: str) -> AppTest:
    """Run the page as the browser does when a point of chart `key` at `x` is clicked: the chart's selection state
    (what st.plotly_chart(on_select="rerun") receives) beside every other widget's."""
    (chart,) = [element for element in at.get("plotly_chart") if element.key == key]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    point = {"curve_number": 0, "point_number": 0, "point_index": 0, "x": x, "y": 0}
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}})
    return at._run(states)


@pytest.fixture
def page(app_database):
    path = app_database({"findings": FINDINGS})

    def open_page(**query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["pillar"] = "monitoring_review"
        for name, value in query.items():
            at.query_params[name] = value
        at.switch_page("pages/pillar.py")
        return at.run()

    return open_page, path


def test_a_selected_point_opens_its_records_marked_and_exported_safely(page):
    open_page, path = page
    at = open_page()
    assert not at.exception
    assert ui.DRILL_HINT in [c.value for c in at.caption]
    at = selected(at, CHART, "2025-03-01")
    assert not at.exception
    (panel,) = [block for block in at.container if block.key == f"records-{CHART}"]
    assert as_read(panel.markdown[0].value) == "**Records behind Findings closed on time, Mar 2025: 33.3%**"
    caption = as_read(panel.caption[0].value)
    assert caption.startswith("3 records (findings), 1 counted in the numerator")
    table = panel.dataframe[0].value
    assert list(table["finding_id"]) == ["F-1", "F-2", "F-3"]
    assert list(table[records.COUNTED_COLUMN]) == ["numerator", "denominator only", "denominator only"]
    # The CSV the download holds (ui.csv_bytes of the table): the same rows, and a description that a spreadsheet would run as a formula is neutralised.
    download = [b for b in panel.get("download_button") if b.key == f"records-{CHART}-download"]
    assert download, "the records download"
    rows = list(csv.DictReader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))
    assert [row["description"] for row in rows] == [
        "Calibration late",
        '\'=HYPERLINK("http://x.example","open")',
        "Spill kit missing",
    ]


def test_the_records_follow_the_sidebar_filters(page, tmp_path):
    open_page, path = page
    at = selected(open_page(site="Brno"), CHART, "2025-03-01")
    assert not at.exception
    (panel,) = [block for block in at.container if block.key == f"records-{CHART}"]
    assert as_read(panel.markdown[0].value) == "**Records behind Findings closed on time, Mar 2025: 0.0%**"
    assert list(panel.dataframe[0].value["finding_id"]) == ["F-3"]
    assert "Filters: site Brno." in as_read(panel.caption[0].value)


def test_a_count_kpi_lists_the_records_counted(page):
    open_page, _ = page
    at = selected(open_page(), "chart-overdue_open_findings", "2025-04-01")
    assert not at.exception
    (panel,) = [block for block in at.container if block.key == "records-chart-overdue_open_findings"]
    table = panel.dataframe[0].value
    assert list(table["finding_id"]) == ["F-3", "F-4"] and set(table[records.COUNTED_COLUMN]) == {"counted"}


def test_a_point_opened_at_another_grain_is_not_shown_as_a_refusal(page):
    # Opened on the monthly chart, then the Period filter goes to quarters: that month is no point of the new chart.
    open_page, _ = page
    at = selected(open_page(), CHART, "2025-03-01")
    at = at.segmented_control(key="period").set_value("quarter").run()
    assert not at.exception, at.exception
    assert not [b for b in at.container if (b.key or "").startswith("records-")] and not at.warning
    assert ui.DRILL_HINT in [c.value for c in at.caption]
