"""The Training, Findings and Surveys pages with AppTest: on the demo database, with filters from the query
string, on an empty database, and with a survey group too small to show."""

from __future__ import annotations

import base64
import html
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from isokpi import findings_view as fv
from isokpi import format as fmt
from isokpi import survey_view as sv
from isokpi import training_view as tv
from isokpi.db import resolve_target
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, kpi_series
from isokpi.opening import open_database, open_target
from isokpi.periods import add_months

from .apptest import as_read
from .conftest import ROOT
from .test_views import ENG_1, SURVEY_HEADER

# Charts receive aggregates: a few hundred points each, never raw rows.
MAX_POINTS = 1000
NOTHING = {"from": "2017-01-01", "to": "2017-12-31"}  # before the demo data starts


@pytest.fixture(scope="module")
def demo_file(demo_database):
    return demo_database()


@pytest.fixture(scope="module")
def empty_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages-detail-empty") / "empty.duckdb"
    open_target(resolve_target(path)).close()
    return path


@pytest.fixture(scope="module")
def tiny_survey_file(tmp_path_factory):
    """ENG-1 only: 6 respondents at Leeds, 3 at Porto."""
    directory = tmp_path_factory.mktemp("pages-detail-survey")
    (directory / "survey.csv").write_text(SURVEY_HEADER + ENG_1, encoding="utf-8")
    database = open_target(resolve_target(directory / "survey.duckdb"))
    assert ingest_file(database, "survey", directory / "survey.csv").ok
    database.close()
    return directory / "survey.duckdb"


@pytest.fixture
def open_page(use_database):
    """open_page(db_file, page, **query) -> the AppTest after one run of that page."""

    def run(path, page: str, **query: str) -> AppTest:
        use_database(path)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for name, value in query.items():
            at.query_params[name] = value
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
        return at

    return run


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    """Chart titles as a reader sees them: plotly shows the escaped entities as their characters, a line break
    as the space it stands for."""
    return [html.unescape(chart["layout"]["title"]["text"].replace("<br>", " ")) for chart in charts(at)]


def point_count(chart: dict) -> int:
    """Points drawn in a plotly spec; numeric arrays may arrive base64-encoded ({"dtype", "bdata"})."""

    def length(values) -> int:
        if isinstance(values, dict) and "bdata" in values:
            return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
        return len(values or [])

    return sum(max(length(trace.get("x")), length(trace.get("y"))) for trace in chart["data"])


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def texts(at: AppTest) -> str:
    """Info, captions and markdown as a reader sees them."""
    return as_read("\n".join(str(element.value) for element in [*at.info, *at.caption, *at.markdown]))


def assert_outline(at: AppTest, title: str, subheaders: list[str], chart_count: int) -> None:
    """The page's title, its sections in order, and its charts: aggregates, each with its data's download."""
    assert [element.value for element in at.title] == [title]
    assert [h.value for h in at.subheader if h.value != "Filters"] == subheaders
    specs = charts(at)
    assert len(specs) == chart_count
    assert all(0 < point_count(spec) <= MAX_POINTS for spec in specs), [point_count(spec) for spec in specs]
    downloads = [button for button in at.get("download_button") if button.proto.label == "Download data (CSV)"]
    assert len(downloads) == chart_count


# --- training --------------------------------------------------------------------------------------------------


def test_training_page_on_the_demo_database(demo_file, open_page):
    at = open_page(demo_file, "training")
    sections = [
        "Hours per employee",
        "Mandatory training completed on time",
        "Training matrix",
        "Training effectiveness",
        "Training against outcomes",
    ]
    assert_outline(at, "Training", sections, 6)
    chart_titles = titles(at)
    assert chart_titles[0].startswith("Over the last 12 months, ") and "trained most" in chart_titles[0]
    assert chart_titles[2].startswith("Mandatory training completed on time ")
    assert "training assignments are expired or overdue" in chart_titles[3]

    database = open_database()
    shown = metrics(at)
    assert shown["Staff on record"] == f"{tv.staff_on_record(database, Filters()):,}"
    # Each tile is the point the KPI's verdicts speak for (never a provisional one), named as every page names it.
    for label, kpi_id in (
        ("Mandatory training on time", "mandatory_training_completion_pct"),
        ("Training judged effective", "training_effectiveness_pct"),
    ):
        latest = kpi_series(database, kpi_id, Filters()).latest
        assert shown[f"{label}, {latest.period:%b %Y}"] == fmt.short(latest.value, "%")
        # Its change is from the month before, and says so (the chart beside it speaks of 12 months).
        (tile,) = [m for m in at.metric if m.label == f"{label}, {latest.period:%b %Y}"]
        before = add_months(latest.period, -1)
        assert tile.proto.delta_description == f"since {before:%b %Y}"


def test_training_page_follows_a_site_filter_in_the_query_string(demo_file, open_page):
    everyone = metrics(open_page(demo_file, "training"))["Staff on record"]
    at = open_page(demo_file, "training", site="Porto")
    assert at.multiselect(key="site").value == ["Porto"]
    porto = metrics(at)["Staff on record"]
    assert porto == f"{tv.staff_on_record(open_database(), Filters(sites=('Porto',))):,}"
    assert porto != everyone


# --- findings ----------------------------------------------------------------------------------------------------


def test_findings_page_on_the_demo_database(demo_file, open_page):
    at = open_page(demo_file, "findings")
    sections = [
        "How long findings stay open",
        "Where findings concentrate",
        "Severity over time",
        "Repeat findings",
    ]
    assert_outline(at, "Findings and corrective actions", sections, 6)
    chart_titles = titles(at)
    assert "open findings" in chart_titles[0]
    assert chart_titles[1].startswith("Half of the ") or chart_titles[1].startswith("Fewer than half")
    assert "clauses" in chart_titles[2] and "root causes" in chart_titles[3]
    assert chart_titles[4].startswith("Major nonconformities ")
    assert "repeated an earlier one" in chart_titles[5]
    assert list(at.dataframe[0].value.columns) == ["standard", "clause", "site", "repeats", "ncs", "last_raised"]

    totals = fv.open_totals(fv.open_by_age(open_database(), Filters()))
    assert metrics(at) == {
        "Open findings": f"{totals.open:,}",
        "Overdue": f"{totals.overdue:,}",
        "Due this month": f"{totals.due_this_month:,}",
    }


def test_findings_page_follows_a_site_filter_in_the_query_string(demo_file, open_page):
    everywhere = metrics(open_page(demo_file, "findings"))["Open findings"]
    porto = metrics(open_page(demo_file, "findings", site="Porto"))["Open findings"]
    assert porto == f"{fv.open_totals(fv.open_by_age(open_database(), Filters(sites=('Porto',)))).open:,}"
    assert porto != everywhere


# --- surveys -----------------------------------------------------------------------------------------------------


def test_surveys_page_on_the_demo_database(demo_file, open_page):
    at = open_page(demo_file, "surveys")
    sections = [
        "Favourable answers per pillar",
        "How people answered",
        "Customer Net Promoter Score",
        "Responses per wave",
    ]
    assert_outline(at, "Surveys", sections, 4)
    chart_titles = titles(at)
    assert "had the most favourable answers" in chart_titles[0]
    assert "drew the most disagreement" in chart_titles[1]
    assert chart_titles[2].startswith("Customer Net Promoter Score ")
    assert "survey waves drew" in chart_titles[3]
    assert not at.get("multiselect") or "standard" not in [m.key for m in at.multiselect]  # no standard filter

    database = open_database()
    waves = sv.responses(database, Filters())
    nps = kpi_series(database, "customer_nps", Filters()).latest
    assert metrics(at) == {
        "Survey waves": f"{len(waves):,}",
        "Responses": f"{int(waves['respondents'].sum()):,}",
        f"Customer NPS, {nps.period:%b %Y}": fmt.short(nps.value, "NPS points"),
    }
    # The latest employee wave is preselected for the distribution of answers.
    assert at.selectbox(key="wave").value == sv.likert_waves(waves, "employee")[-1]


def test_surveys_page_follows_filters_in_the_query_string(demo_file, open_page):
    everywhere = metrics(open_page(demo_file, "surveys"))["Responses"]
    porto = open_page(demo_file, "surveys", site="Porto")
    porto_waves = sv.responses(open_database(), Filters(sites=("Porto",)))
    assert metrics(porto)["Responses"] == f"{int(porto_waves['respondents'].sum()):,}" != everywhere
    suppliers = open_page(demo_file, "surveys", stakeholder="Supplier")
    assert titles(suppliers)[0].startswith("Stakeholder Engagement: ")  # suppliers answer one pillar
    assert suppliers.selectbox(key="wave").value.startswith("DEMO-SUP-")


def test_surveys_page_never_shows_a_group_under_5_respondents(tiny_survey_file, open_page):
    shown = open_page(tiny_survey_file, "surveys")
    assert titles(shown)[0] == (
        "In ENG-1, Training & Development had the most favourable answers (100.0%) and Culture of Excellence the fewest (55.6%)"
    )
    at = open_page(tiny_survey_file, "surveys", site="Porto")
    favourable, distribution = charts(at)[:2]
    assert (
        favourable["layout"]["title"]["text"].replace("<br>", " ")
        == "Results of ENG-1 are hidden: every group had fewer than 5 respondents"
    )
    drawn = [trace for trace in favourable["data"] + distribution["data"] if trace.get("mode") != "text"]
    assert all(point_count({"data": [trace]}) == 0 for trace in drawn)
    said = [trace["text"] for trace in favourable["data"] + distribution["data"] if trace.get("mode") == "text"]
    assert said == [["fewer than 5 respondents"]] * 2 + [["fewer than 5 respondents"] * 2]
    note = "Not shown, fewer than 5 respondents: ENG-1 Culture of Excellence, ENG-1 Training & Development."
    assert note in texts(at)


# --- empty states ------------------------------------------------------------------------------------------------

EMPTY_DATABASE = {
    "training": "No training records are loaded yet.",
    "findings": "No audit findings are loaded yet.",
    "surveys": "No survey results are loaded yet.",
}
NOTHING_MATCHES = {
    "training": "No training records match these filters",
    "findings": "No findings match these filters",
    "surveys": "No survey answers match these filters",
}


@pytest.mark.parametrize("page", list(EMPTY_DATABASE))
def test_pages_on_an_empty_database_say_what_to_upload(empty_file, open_page, page):
    at = open_page(empty_file, page)
    assert [info.value for info in at.info if "Upload page" in info.value][0].startswith(EMPTY_DATABASE[page])
    assert not at.get("plotly_chart") and not at.metric


@pytest.mark.parametrize("page", list(NOTHING_MATCHES))
def test_pages_with_filters_matching_nothing_say_what_to_change(demo_file, open_page, page):
    at = open_page(demo_file, page, **NOTHING)
    assert any(info.value.startswith(NOTHING_MATCHES[page]) for info in at.info), [i.value for i in at.info]
    assert not at.get("plotly_chart") and not at.metric
