"""The filters of a link survive a page change made before the run that received them drew them (a menu link
clicked while the first run was still opening the database): the frame keeps the link's filters from the URL at
the very start of its run and gives them to the filters when they are first drawn."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT
from .holder import held
from .test_sites import FINDINGS


@pytest.fixture
def path(app_database):
    return app_database({"findings": FINDINGS}, "race.duckdb")


def cut_short(path, **link: str) -> AppTest:
    """The app's first run on a link, stopped before it drew any filter: the database is still in another
    process's hands (as a first run is still opening it when the user clicks), so the run ends there."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in link.items():
        at.query_params[key] = value
    with held(path):
        at.run()
    assert "is in use by process" in at.error[0].value and not at.get("multiselect")
    return at


def opened_from_the_menu(at: AppTest, page: str) -> AppTest:
    """The menu's link to `page` clicked: its address carries no query string of its own."""
    at.query_params.clear()
    at.switch_page(f"pages/{page}.py")
    return at.run()


def test_a_links_filters_reach_the_page_opened_before_they_were_drawn(path):
    at = opened_from_the_menu(cut_short(path, site="Brno", period="Quarter", **{"from": "2025-02-01"}), "findings")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Findings and corrective actions"]
    assert at.multiselect(key="site").value == ["Brno"]
    assert at.segmented_control(key="period").value == "quarter"
    assert at.date_input(key="from").value == dt.date(2025, 2, 1)
    # Once drawn, the filters are the user's: a filter cleared is not brought back by the link that first set it.
    at = at.multiselect(key="site").set_value([]).run()
    at = opened_from_the_menu(at, "pillar")
    assert not at.exception, at.exception
    assert at.multiselect(key="site").value == [] and at.segmented_control(key="period").value == "quarter"


def test_what_the_filters_would_refuse_is_left_out(path):
    at = opened_from_the_menu(cut_short(path, site="Nowhere", period="Fortnight", to="yesterday"), "findings")
    assert not at.exception, at.exception
    assert at.multiselect(key="site").value == [] and at.segmented_control(key="period").value == "month"
    assert at.date_input(key="to").value is None


def test_without_a_link_nothing_is_added(path):
    plain = opened_from_the_menu(cut_short(path), "findings")
    assert plain.multiselect(key="site").value == [] and plain.segmented_control(key="period").value == "month"
