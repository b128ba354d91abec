"""The Overview and Pillar pages with AppTest, on a demo database and on an empty one."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from isokpi import charts, kpis, narrative, notes
from isokpi.auth import QUALITY_LEAD, User
from isokpi.catalog import kpis_of_pillar
from isokpi.db import Database, resolve_target
from isokpi.kpis import Filters, scorecard
from isokpi.opening import close_all, open_target
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES

from .apptest import SIGN_IN
from .conftest import ROOT

KPI = "findings_closed_on_time_pct"


def headline_values(database: Database, filters: Filters) -> dict[str, str]:
    """What each tile should show: the library's headline value, formatted, per pillar."""
    values = {}
    for card in scorecard(database, filters):
        headline = narrative.headline(card)
        values[card.id] = narrative.kpi_texts(headline)["value"]
    return values


@pytest.fixture(scope="module")
def demo(demo_database):
    """One demo database for the module (the pages read "today", so the demo ends today), and the library's
    values for the filters the tests use, computed before the pages open the file."""
    path = demo_database()
    database = open_target(resolve_target(path))
    expected = {
        "all": headline_values(database, Filters()),
        "Porto": headline_values(database, Filters(sites=("Porto",))),
        "series": {card.id: card.series for card in scorecard(database, Filters())},
    }
    database.close()
    return path, expected


@pytest.fixture
def open_app(tmp_path, use_database):
    """open_app(db_path, page, **query) -> a run AppTest of that page on its own copy of the database."""
    copy = tmp_path / "app.duckdb"  # a test may prepare it before the first run
    use_database(copy)

    def run(path, page: str, *, user: str | None = None, **query: str) -> AppTest:
        if not copy.exists():
            shutil.copy(path, copy)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        if user is not None:
            at.secrets["auth"] = SIGN_IN
            at.user = {"is_logged_in": True, "email": user, "name": user}
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(f"pages/{page}.py")
        return at.run()

    return run


def tiles(at: AppTest) -> dict[str, object]:
    return {block.key.removeprefix("tile-"): block for block in at.container if (block.key or "").startswith("tile-")}


# --- Overview ----------------------------------------------------------------------------------------------


def test_overview_has_eight_tiles_showing_the_library_values(demo, open_app):
    path, expected = demo
    at = open_app(path, "overview")
    assert not at.exception
    assert at.title[0].value == "Overview"
    shown = tiles(at)
    assert list(shown) == list(PILLAR_IDS)
    assert {pillar: tile.metric[0].value for pillar, tile in shown.items()} == expected["all"]
    # Each tile says its status, one plain sentence and how many KPIs are on target, and links to its pillar.
    training = shown["training"]
    assert training.markdown[0].value.startswith("**Training & Development**")
    assert any(m.value.startswith("Training & Development is ") for m in training.markdown)
    assert any("KPIs on target" in c.value for c in training.caption)
    links = at.get("page_link")
    assert [link.proto.query_string for link in links] == [f"pillar={pillar}" for pillar in PILLAR_IDS]
    assert links[0].proto.label == "Open pillar" and "Vision & Strategy" in links[0].proto.help
    footer = at.caption[-1].value
    assert kpis.STATUS_RULE in footer
    assert any(c.value.startswith(":material/calendar_month: Latest values: ") for c in at.caption)


def test_a_site_in_the_url_filters_the_tiles_and_round_trips(demo, open_app):
    path, expected = demo
    changed = [pillar for pillar in PILLAR_IDS if expected["Porto"][pillar] != expected["all"][pillar]]
    assert changed, "the demo's Porto values should differ from all sites"
    at = open_app(path, "overview", site="Porto")
    assert not at.exception
    assert at.multiselect(key="site").value == ["Porto"]
    assert at.query_params["site"] == "Porto"
    assert {pillar: tile.metric[0].value for pillar, tile in tiles(at).items()} == expected["Porto"]
    # The links name the pillar; the filters follow through the session, the frame draws them on every page
    # (tests/browser/test_reading.py follows them from page to page in a browser).
    assert at.get("page_link")[5].proto.query_string == "pillar=monitoring_review"


def test_filters_matching_nothing_say_what_to_change(demo, open_app):
    path, _ = demo
    at = open_app(path, "overview", to="2020-01-31")
    assert not at.exception
    assert at.date_input(key="to").value == dt.date(2020, 1, 31)
    assert [i.value for i in at.info if "No data matches these filters" in i.value]
    assert not tiles(at) and not at.metric


def test_an_empty_database_says_what_to_upload(tmp_path, open_app):
    path = tmp_path / "empty.duckdb"
    open_target(resolve_target(path)).close()
    at = open_app(path, "overview")
    assert not at.exception
    assert at.title[0].value == "Overview"
    message = [i.value for i in at.info if "Nothing is loaded yet" in i.value]
    assert message and "Upload page" in message[0]
    assert not tiles(at) and not at.metric
    pillar = open_app(path, "pillar", pillar="training")
    assert not pillar.exception
    assert [i.value for i in pillar.info if i.value.startswith("No KPI of this pillar has data")]
    assert not pillar.get("plotly_chart")


# --- Pillar ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pillar", PILLAR_IDS)
def test_the_pillar_page_charts_every_kpi_of_the_pillar(demo, open_app, pillar):
    path, expected = demo
    at = open_app(path, "pillar", pillar=pillar)
    assert not at.exception
    assert at.selectbox(key="pillar").value == pillar
    assert at.query_params["pillar"] == pillar
    kpis = kpis_of_pillar(pillar)
    charts = at.get("plotly_chart")
    assert [chart.key for chart in charts] == [f"chart-{kpi.id}" for kpi in kpis]
    assert len(at.download_button) == len(kpis)
    for chart, series in zip(charts, expected["series"][pillar], strict=True):
        spec = json.loads(chart.proto.spec)
        (values,) = [trace["y"] for trace in spec["data"] if trace.get("name") == "Value"]
        # Every period, so that a period without a value (a gap) breaks the line.
        assert values == [
            None if point.suppressed or point.value is None else pytest.approx(point.value) for point in series.points
        ]
        assert spec["layout"]["title"]["text"].replace("<br>", " ") == narrative.kpi_sentence(series).replace(
            "&", "&amp;"
        )
    sentence = at.markdown[0].value
    assert PILLAR_NAMES[pillar] in sentence and "on target" in sentence


def test_a_quality_lead_adds_a_note_that_shows_on_the_chart_and_is_stored(demo, open_app, tmp_path):
    path, expected = demo
    at = open_app(path, "pillar", pillar="monitoring_review")
    newest = expected["series"]["monitoring_review"][0].points[-1].period
    assert at.selectbox(key=f"note-period-{KPI}").value == newest
    at.text_input(key=f"note-text-{KPI}").input("Auditor <b>training</b> started")
    at.button(key=f"add-note-{KPI}").click().run()
    assert not at.exception
    spec = json.loads(at.get_by_key(f"chart-{KPI}").proto.spec)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Auditor &lt;b&gt;training&lt;/b&gt; started"]
    assert "Auditor <b>training</b> started" in [t.value.split(": ", 1)[-1] for t in at.text]
    close_all()
    database = open_target(resolve_target(tmp_path / "app.duckdb"))
    try:
        assert database.query("SELECT kpi_id, period, text, created_by, deleted_at FROM notes") == [
            (KPI, newest, "Auditor <b>training</b> started", "local", None)
        ]
        note_id = database.query("SELECT note_id FROM notes")[0][0]
    finally:
        database.close()
    st.cache_resource.clear()
    at = open_app(path, "pillar", pillar="monitoring_review")
    at.button(key=f"delete-note-{note_id}").click().run()
    assert not at.exception
    assert "annotations" not in json.loads(at.get_by_key(f"chart-{KPI}").proto.spec)["layout"]
    close_all()
    database = open_target(resolve_target(tmp_path / "app.duckdb"))
    try:
        assert database.query("SELECT deleted_by FROM notes") == [("local",)]
    finally:
        database.close()


def test_an_empty_note_is_refused_with_a_message(demo, open_app):
    path, _ = demo
    at = open_app(path, "pillar", pillar="monitoring_review")
    at.button(key=f"add-note-{KPI}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The note was not added: the note is empty: write what happened, e.g. 'new calibration process from March'."
    ]


def test_viewers_read_notes_but_cannot_add_or_delete(demo, open_app, tmp_path):
    path, expected = demo
    period = expected["series"]["monitoring_review"][0].points[-6].period
    copy = tmp_path / "app.duckdb"
    shutil.copy(path, copy)
    database = open_target(resolve_target(copy))
    notes.add_note(database, User("lead@example.com", "Lead", QUALITY_LEAD), KPI, period, "New calibration process")
    database.close()
    at = open_app(path, "pillar", user="viewer@example.com", pillar="monitoring_review")
    assert not at.exception
    assert f"{period:%b %Y}: New calibration process" in [t.value for t in at.text]
    annotations = json.loads(at.get_by_key(f"chart-{KPI}").proto.spec)["layout"].get("annotations", [])
    assert [a["text"] for a in annotations] == ["New calibration process"]
    assert not at.text_input and not [b for b in at.button if (b.key or "").startswith(("delete-note", "add-note"))]


def test_the_chart_download_holds_the_series_with_limits_and_signals(demo):
    _, expected = demo
    series = expected["series"]["monitoring_review"][0]
    frame = charts.xmr_frame(series)
    assert list(frame.columns) == [
        "period", "value", "n", "target", "mean", "lcl", "ucl", "ci_low", "ci_high", "special_cause", "provisional", "signal"
    ]  # fmt: skip
    assert list(frame["special_cause"]) == [point.special_cause for point in series.points]
    assert len(frame) == len(series.points)
    assert list(frame["period"]) == [point.period for point in series.points]
    assert frame["ucl"].iloc[-1] == pytest.approx(min(series.limits.ucl, 100.0))
    flagged = {series.points[signal.index].period for signal in series.signals}
    assert {row.period for row in frame.itertuples() if row.signal} == flagged
