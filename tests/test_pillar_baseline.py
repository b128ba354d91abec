"""The Pillar page's baseline comes from the link (?baseline=N): a number of periods from 12 to 120 sets the
limits, anything else is taken out of the link with a word, and the page is drawn as without it."""

from __future__ import annotations

import pytest

from .apptest import app_page

JUNK = ["inf", "-inf", "nan", "-3", "1e9", "abc", "12.5", "11", "121", "", "9" * 5000]


@pytest.fixture(scope="module")
def demo_file(demo_database):
    return demo_database()


def pillar_page(use_database, path, baseline: str):
    use_database(path)
    at = app_page("pillar")
    at.query_params["pillar"] = "training"
    at.query_params["baseline"] = baseline
    at.run()
    assert not at.exception, (baseline[:10], at.exception)
    return at


@pytest.mark.parametrize("baseline", JUNK, ids=lambda text: text[:10] or "empty")
def test_a_link_with_a_baseline_that_is_no_number_of_periods_draws_the_page_with_all_periods(
    use_database, demo_file, baseline
):
    at = pillar_page(use_database, demo_file, baseline)
    assert at.number_input(key="baseline").value is None
    assert "baseline" not in at.query_params
    assert len(at.get("plotly_chart")) == 4  # the 4 training KPIs, limits from all periods
    warnings = [w.value for w in at.sidebar.warning]
    if baseline:
        assert warnings == [
            "The link's baseline is not a number of periods from 12 to 120: the limits use all periods."
        ]
    else:
        assert warnings == []


def test_a_baseline_of_12_to_120_periods_from_the_link_or_the_input_sets_the_limits_and_stays_in_the_link(
    use_database, demo_file
):
    at = pillar_page(use_database, demo_file, "13")
    assert at.number_input(key="baseline").value == 13
    assert at.query_params["baseline"] == "13" and not at.sidebar.warning
    assert len(at.get("plotly_chart")) == 4
    at.number_input(key="baseline").set_value(18).run()
    assert not at.exception and at.query_params["baseline"] == "18"
    at.number_input(key="baseline").set_value(None).run()
    assert not at.exception and "baseline" not in at.query_params
