"""The Management review and Actions pages in AppTest: a quality lead creates, fills, decides and closes a review;
viewers only read; a closed review shows exactly as it was after new data is loaded; the previous review is
compared side by side; the register is filtered, edited and its history shown."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import actions, review, review_inputs
from isokpi.auth import QUALITY_LEAD, User
from isokpi.ingest import ingest_file
from isokpi.opening import open_database

from .apptest import app_page

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
AS_OF = dt.date(2026, 11, 25)


@pytest.fixture
def app(demo_database, use_database):
    """make(page, viewer=False) -> a run AppTest on a copy of the demo database; `db` is the app's own Database."""
    use_database(demo_database(AS_OF))

    class App:
        db = open_database()  # the same process-wide Database the pages use

        @staticmethod
        def make(page: str, *, viewer: bool = False) -> AppTest:
            return app_page(page, viewer=viewer).run()

    return App


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in at.button]}"
    return matches[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def snapshot(at: AppTest) -> dict:
    """What a reader sees: metrics, texts, tables and the data of every chart."""
    return {
        "metrics": [(m.label, m.value) for m in at.metric],
        "markdown": [m.value for m in at.markdown],
        "text": [t.value for t in at.text],
        "captions": [c.value for c in at.caption],
        "tables": [d.value.to_dict("records") for d in at.dataframe],
        "charts": [chart.proto.spec for chart in at.get("plotly_chart")],
    }


def closed_review(db, *, period_from: dt.date, period_to: dt.date, review_date: dt.date, texts: dict) -> int:
    review_id = review.create_review(
        db, LEAD, review_date=review_date, period_from=period_from, period_to=period_to, title=f"Review {review_date}"
    )
    review.save_texts(db, LEAD, review_id, texts)
    review.close_review(db, LEAD, review_id)
    return review_id


def test_a_quality_lead_creates_fills_decides_and_closes_a_review(app):
    at = app.make("review")
    assert not at.exception, at.exception
    assert "No management review yet" in at.info[0].value
    at.text_input(key="new-title").input("Autumn review")
    at.date_input(key="new-date").set_value(AS_OF)
    at.date_input(key="new-from").set_value(dt.date(2025, 11, 1))
    at.date_input(key="new-to").set_value(AS_OF)
    button(at, "Create review").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="review").value == 1
    assert metrics(at)["Inputs with evidence"] == "9 of 12"
    assert review.get_review(app.db, 1)["period_from"] == dt.date(2025, 11, 1)

    at.text_area(key="text-b").input("New customer contract in Leeds.")
    at.text_area(key="text-e").input("Risk register reviewed in June.")
    button(at, "Save texts").click().run()
    assert metrics(at)["Inputs with evidence"] == "11 of 12"
    assert "New customer contract in Leeds." in [t.value for t in at.text]

    at.text_input(key="action-title").input("Hire a second internal auditor")
    at.text_input(key="action-owner").input("Quality manager")
    button(at, "Add action").click().run()
    decisions = next(d.value for d in at.dataframe if "Action" in d.value.columns)
    assert decisions[["Action", "Owner", "Status"]].values.tolist() == [
        ["Hire a second internal auditor", "Quality manager", "Open"]
    ]

    button(at, "Close and freeze").click().run()
    assert "Tick the confirmation first" in at.warning[0].value
    assert review.get_review(app.db, 1)["status"] == "open"
    at.checkbox(key="close-confirm").check()
    button(at, "Close and freeze").click().run()
    assert not at.exception, at.exception
    assert review.get_review(app.db, 1)["status"] == "closed"
    assert "Closed on" in at.success[0].value and "by local" in at.success[0].value
    assert not at.text_area and "Close and freeze" not in [b.label for b in at.button]
    assert [d.proto.label for d in at.get("download_button")][:3] == [
        "PowerPoint pack",
        "HTML pack (prints to PDF)",
        "Actions register (Excel)",
    ]


def test_viewers_read_reviews_without_any_editing_control(app):
    closed_review(
        app.db, period_from=dt.date(2025, 11, 1), period_to=AS_OF, review_date=AS_OF, texts={"b": "Context changed."}
    )
    review.create_review(app.db, LEAD, review_date=AS_OF)  # an open one: still read-only for a viewer
    at = app.make("review", viewer=True)
    assert not at.exception, at.exception
    assert not any("This page needs" in w.value for w in at.warning)
    labels = [b.label for b in at.button]
    assert not {"Create review", "Save texts", "Add action", "Close and freeze"} & set(labels)
    assert not at.text_area and not at.checkbox
    at.selectbox(key="review").select(1).run()
    assert "Closed on" in at.success[0].value
    assert "Context changed." in [t.value for t in at.text]
    assert len(at.get("download_button")) >= 3


def test_a_closed_review_shows_exactly_as_it_was_after_new_data_is_loaded(app, tmp_path):
    review_id = closed_review(
        app.db, period_from=dt.date(2025, 11, 1), period_to=AS_OF, review_date=AS_OF, texts={"b": "As presented."}
    )
    at = app.make("review")
    assert not at.exception, at.exception
    before = snapshot(at)
    majors = next(m.value for m in at.metric if m.label == "Major nonconformities raised")

    path = tmp_path / "late.csv"
    path.write_text(
        "finding_id,audit_id,audit_type,standard,site,severity,raised_on,due_on,status\n"
        + "".join(
            f"LATE-{i},AUD-LATE,internal,ISO 9001,Leeds,major_nc,2026-09-1{i},2026-10-01,open\n" for i in range(8)
        ),
        encoding="utf-8",
    )
    assert ingest_file(app.db, "findings", path).inserted == 8
    live = review_inputs.evidence(app.db, dt.date(2025, 11, 1), AS_OF)
    assert live["facts"]["findings"]["major_nc"] == int(majors) + 8  # the data changed

    at.run()
    assert not at.exception, at.exception
    assert snapshot(at) == before  # the closed review did not
    assert review.review_record(app.db, review_id)["sections"][5]["facts"][0]["value"] == int(majors)


def test_a_review_is_compared_side_by_side_with_the_previous_one(app):
    first = closed_review(
        app.db,
        period_from=dt.date(2024, 11, 1),
        period_to=dt.date(2025, 10, 31),
        review_date=dt.date(2025, 11, 20),
        texts={"b": "Year one."},
    )
    second = closed_review(
        app.db, period_from=dt.date(2025, 11, 1), period_to=AS_OF, review_date=AS_OF, texts={"b": "Year two."}
    )
    comparison = review.compare(review.review_record(app.db, first), review.review_record(app.db, second))
    assert comparison["improved"] and comparison["worse"]
    at = app.make("review")
    assert not at.exception, at.exception
    assert at.selectbox(key="review").value == second
    shown = metrics(at)
    assert shown["KPIs improved"] == str(len(comparison["improved"]))
    assert shown["KPIs got worse"] == str(len(comparison["worse"]))
    texts = [t.value for t in at.text]
    assert (
        f"Review {dt.date(2025, 11, 20)} (2025-11-20, closed)" in texts
        and f"Review {AS_OF} (2026-11-25, closed)" in texts
    )
    improved = next(
        d.value for d in at.dataframe if "Change" in d.value.columns and set(d.value["Change"]) == {"improved"}
    )
    assert sorted(improved["KPI"]) == sorted(comparison["improved"])


def test_user_text_is_shown_as_plain_text(app):
    hostile = "<script>alert(1)</script> **bold** ![x](http://example.com/x.png)"
    review_id = review.create_review(app.db, LEAD, review_date=AS_OF)
    review.save_texts(app.db, LEAD, review_id, {"b": hostile})
    at = app.make("review")
    assert not at.exception, at.exception
    assert hostile in [t.value for t in at.text]
    assert not [m.value for m in at.markdown if "example.com" in m.value or "<script>" in m.value]


def test_the_actions_page_filters_edits_and_shows_who_changed_what(app):
    first = actions.create_action(app.db, LEAD, title="Shorten days to close", kind="improvement", owner="Ann")
    actions.create_action(app.db, LEAD, title="Add supplier audits", kind="system_change", owner="Bob")
    third = actions.create_action(app.db, LEAD, title="Buy a gauge", kind="resource_need", owner="Bob")
    actions.update_action(app.db, LEAD, third, status="verified")
    at = app.make("actions")
    assert not at.exception, at.exception
    assert metrics(at) == {"Open": "2", "In progress": "0", "Overdue": "0", "Done": "0", "Verified": "1"}
    assert at.dataframe[0].value["Action"].tolist() == ["Shorten days to close", "Add supplier audits", "Buy a gauge"]
    at.multiselect(key="status").select("open").run()
    assert at.dataframe[0].value["Action"].tolist() == ["Shorten days to close", "Add supplier audits"]

    at.selectbox(key="action").select(first).run()
    at.selectbox(key=f"edit-status-{first}").select("in_progress")
    at.text_input(key=f"edit-owner-{first}").input("Carla")
    button(at, "Save changes").click().run()
    assert not at.exception, at.exception
    assert (actions.get_action(app.db, first)["status"], actions.get_action(app.db, first)["owner"]) == (
        "in_progress",
        "Carla",
    )
    history = at.dataframe[-1].value
    assert history[["Who", "Field", "Old value", "New value"]].values.tolist()[-2:] == [
        ["local", "owner", "Ann", "Carla"],
        ["local", "status", "open", "in_progress"],
    ]


def test_the_actions_page_is_read_only_for_viewers(app):
    actions.create_action(app.db, LEAD, title="Shorten days to close", kind="improvement")
    at = app.make("actions", viewer=True)
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Action"].tolist() == ["Shorten days to close"]
    assert not {"Add action", "Save changes"} & {b.label for b in at.button}
    assert not at.text_input
