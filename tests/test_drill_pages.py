"""Drill-through beyond the Pillar page: the Findings page's repeats chart, the Surveys page's NPS chart and the
Review page's charts (a closed review says what it presented) open their records on a click; and, without a mouse,
the period picked under a chart and "Show records" opens the same records."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import records, review, ui
from isokpi.auth import QUALITY_LEAD, User
from isokpi.ingest import ingest_file
from isokpi.opening import open_database

from .apptest import app_page, as_read
from .test_records_page import selected

FINDINGS = """finding_id,audit_id,audit_type,standard,clause,site,department,severity,description,raised_on,due_on,closed_on,status
F-0,A0,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,First on record,2024-01-05,2024-02-01,2024-01-20,closed
F-1,A1,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,Calibration late,2025-02-10,2025-03-01,2025-02-20,closed
F-2,A2,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,Calibration late again,2025-03-03,2025-03-30,2025-03-20,closed
F-3,A2,internal,ISO 9001,7.2,Brno,Production,major_nc,Training records missing,2025-03-15,2025-04-15,,open
"""
SURVEY_HEADER = (
    "response_id,survey_id,survey_type,stakeholder,responded_on,site,department,question_id,pillar,scale,score\n"
)
MARCH_SCORES = (10, 10, 9, 8, 5, 3)  # 3 promoters, 2 detractors of 6: NPS 16.7
APRIL_SCORES = (10, 9, 9, 9, 8, 7)  # 4 promoters, no detractor of 6: NPS 66.7


def answers(month: int, scores: tuple[int, ...]) -> str:
    return "".join(
        f"R{month}-{i},C-{month},nps,customer,2025-0{month}-0{i + 1},Leeds,Sales,NPS,,nps10,{score}\n"
        for i, score in enumerate(scores)
    )


def panel(at: AppTest, key: str):
    (found,) = [block for block in at.container if block.key == f"records-{key}"]
    return found


@pytest.fixture
def page(app_database):
    app_database({"findings": FINDINGS, "survey": SURVEY_HEADER + answers(3, MARCH_SCORES) + answers(4, APRIL_SCORES)})

    def open_page(name: str, **query: str) -> AppTest:
        at = app_page(name)
        for key, value in query.items():
            at.query_params[key] = value
        return at.run()

    return open_page


def test_a_point_of_the_findings_repeats_chart_opens_the_repeat_rate_records(page):
    at = page("findings", **{"from": "2025-01-01", "to": "2025-06-30"})
    assert not at.exception, at.exception
    assert ui.DRILL_HINT in [c.value for c in at.caption]
    at = selected(at, "repeats", "2025-03-01")
    assert not at.exception, at.exception
    shown = panel(at, "repeats")
    assert as_read(shown.markdown[0].value) == "**Records behind Repeat findings, Mar 2025: 50.0%**"
    table = shown.dataframe[0].value
    assert list(table["finding_id"]) == ["F-2", "F-3"]
    assert list(table[records.COUNTED_COLUMN]) == ["numerator", "denominator only"]


def test_a_point_of_the_surveys_nps_chart_opens_its_answers_without_respondents(page):
    at = selected(page("surveys"), "nps", "2025-03-01")
    assert not at.exception, at.exception
    shown = panel(at, "nps")
    assert (
        as_read(shown.markdown[0].value) == "**Records behind Customer Net Promoter Score, Mar 2025: +17 NPS points**"
    )
    table = shown.dataframe[0].value
    assert sorted(table["score"]) == sorted(MARCH_SCORES) and "response_id" not in table.columns
    assert sum(table[records.COUNTED_COLUMN] == "promoter (numerator)") == 3


def test_without_a_mouse_the_period_picked_under_a_chart_opens_the_same_records(page):
    clicked = selected(page("surveys"), "nps", "2025-04-01")
    at = page("surveys")
    picker = at.selectbox(key="nps-period")
    assert picker.label == "Records of the period" and picker.value == dt.date(2025, 4, 1)  # the latest first
    assert picker.options == ["Apr 2025", "Mar 2025"]
    (show,) = [b for b in at.button if b.label == "Show records"]
    at = show.click().run()
    assert not at.exception, at.exception
    by_keys, by_click = panel(at, "nps"), panel(clicked, "nps")
    assert by_keys.markdown[0].value == by_click.markdown[0].value
    assert "+67 NPS points" in as_read(by_keys.markdown[0].value)
    assert by_keys.dataframe[0].value.equals(by_click.dataframe[0].value)
    at.selectbox(key="nps-period").set_value(dt.date(2025, 3, 1))
    at = [b for b in at.button if b.label == "Show records"][0].click().run()
    assert "+17 NPS points" in as_read(panel(at, "nps").markdown[0].value)


REVIEW_DAY = dt.date(2026, 11, 25)
LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)


def test_a_closed_reviews_chart_opens_the_records_of_its_period_and_says_what_it_presented(
    demo_database, use_database, tmp_path
):
    use_database(demo_database(REVIEW_DAY))
    db = open_database()
    review_id = review.create_review(
        db, LEAD, review_date=REVIEW_DAY, period_from=dt.date(2025, 12, 1), period_to=REVIEW_DAY, title="Autumn"
    )
    review.close_review(db, LEAD, review_id)
    frozen = review.review_record(db, review_id)["series"]["overdue_open_findings"]
    october = next(p for p in frozen["points"] if p["start"] == "2026-10-01")

    def opened() -> AppTest:
        at = app_page("review")
        at.query_params.update({"review": str(review_id), "step": "Inputs (9.3.2)"})
        at = at.run().segmented_control(key="input").set_value("c4").run()
        assert not at.exception, at.exception
        at = selected(at, f"chart-{review_id}-c4-overdue_open_findings", "2026-10-01")
        assert not at.exception, at.exception
        return at

    shown = panel(opened(), f"chart-{review_id}-c4-overdue_open_findings")
    count = int(october["value"])
    assert as_read(shown.markdown[0].value) == f"**Records behind Overdue open findings, Oct 2026: {count} findings**"
    assert as_read(shown.caption[0].value) == (
        f"The closed review presented {count} findings; today's data gives the same, and these are its records."
    )
    assert len(shown.dataframe[0].value) == count

    late = tmp_path / "late.csv"
    late.write_text(
        "finding_id,audit_id,audit_type,standard,site,severity,raised_on,due_on,status\n"
        "LATE-1,AUD-LATE,internal,ISO 9001,Leeds,major_nc,2026-09-10,2026-09-30,open\n",
        encoding="utf-8",
    )
    assert ingest_file(db, "findings", late).inserted == 1
    shown = panel(opened(), f"chart-{review_id}-c4-overdue_open_findings")
    assert as_read(shown.caption[0].value) == (
        f"The closed review presented {count} findings; data loaded or changed since gives {count + 1} findings, and these records "
        "are today's."
    )
    assert "LATE-1" in list(shown.dataframe[0].value["finding_id"])


def test_a_point_opened_at_a_quarters_first_month_closes_when_the_period_or_the_range_moves(page):
    # April 2025 starts a month and a quarter: the Period filter going to quarters must not open Q2's records, nor
    # may a To date before April show April's records as a refusal.
    at = page("surveys")
    at.selectbox(key="nps-period").set_value(dt.date(2025, 4, 1))
    at = [b for b in at.button if b.label == "Show records"][0].click().run()
    assert "+67 NPS points" in as_read(panel(at, "nps").markdown[0].value)
    quarters = at.segmented_control(key="period").set_value("quarter").run()
    assert not quarters.exception, quarters.exception
    assert not [b for b in quarters.container if b.key == "records-nps"] and not quarters.warning
    assert ui.DRILL_HINT in [c.value for c in quarters.caption]

    at = page("surveys")
    at.selectbox(key="nps-period").set_value(dt.date(2025, 4, 1))
    at = [b for b in at.button if b.label == "Show records"][0].click().run()
    narrowed = at.date_input(key="to").set_value(dt.date(2025, 3, 31)).run()
    assert not narrowed.exception, narrowed.exception
    assert not [b for b in narrowed.container if b.key == "records-nps"] and not narrowed.warning
