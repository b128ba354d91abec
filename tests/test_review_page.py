"""The Management review and Actions pages in AppTest: a quality lead creates a review and takes it through its
steps (summary, inputs one at a time, decisions, comparison, closing) and the selector says "closed" at once;
viewers only read; a closed review shows exactly as it was after new data is loaded; the previous review is compared
side by side; the register is filtered, edited, linked to reviews, refuses a due date before the raise date, and
names people; without Chromium the page says what the PDF pack needs."""

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
    """make(page, viewer=False, step=None) -> a run AppTest on a copy of the demo database, the local user named
    "Ann Chair"; `db` is the app's own Database."""
    use_database(demo_database(AS_OF))

    class App:
        db = open_database()  # the same process-wide Database the pages use

        @staticmethod
        def make(page: str, *, viewer: bool = False, step: str | None = None) -> AppTest:
            at = app_page(page, viewer=viewer)
            if not viewer:
                at.secrets["isokpi"] = {"local_user_name": "Ann Chair"}
            if step:
                at.query_params["step"] = step
            return at.run()

    return App


STEPS = ["Summary", "Inputs (9.3.2)", "Decisions and actions (9.3.3)", "Compared with the previous review"]


def step(at: AppTest, name: str) -> AppTest:
    """The Review page's step `name` (its tabs run only the one shown)."""
    at.session_state["step"] = name
    return at.run()


def show_input(at: AppTest, key: str) -> AppTest:
    """Input `key` of the Inputs step (a, b, c1, ...)."""
    return at.segmented_control(key="input").set_value(key).run()


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
        "tables": [d.value.to_dict("records") for d in at.dataframe] + [t.value.to_dict("records") for t in at.table],
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
    assert [t.label for t in at.tabs] == [*STEPS, "Close the review"]
    assert metrics(at)["Inputs with evidence"] == "9 of 12"
    assert review.get_review(app.db, 1)["period_from"] == dt.date(2025, 11, 1)

    step(at, "Inputs (9.3.2)")
    for key, text in (("b", "New customer contract in Leeds."), ("e", "Risk register reviewed in June.")):
        show_input(at, key)
        at.text_area(key=f"text-{key}").input(text)
        button(at, "Save text").click().run()
        assert not at.exception, at.exception
    assert review.get_review(app.db, 1)["inputs"] == {
        "b": "New customer contract in Leeds.",
        "e": "Risk register reviewed in June.",
    }
    assert metrics(step(at, "Summary"))["Inputs with evidence"] == "11 of 12"

    step(at, "Decisions and actions (9.3.3)")
    at.text_input(key="action-title").input("Hire a second internal auditor")
    button(at, "Add action").click().run()  # no owner given: the person raising it
    decisions = next(d.value for d in at.dataframe if "Action" in d.value.columns)
    assert decisions[["Action", "Owner", "Status"]].values.tolist() == [
        ["Hire a second internal auditor", "Ann Chair", "Open"]
    ]

    step(at, "Close the review")
    assert "closed by **Ann Chair**" in " ".join(m.value for m in at.markdown)
    assert at.selectbox(key="review").options == ["#1 · 25 Nov 2026 · Autumn review (open)"]
    button(at, "Close and freeze").click().run()
    assert "Tick the confirmation first" in at.warning[0].value
    assert review.get_review(app.db, 1)["status"] == "open"
    at.checkbox(key="close-confirm").check()
    button(at, "Close and freeze").click().run()
    assert not at.exception, at.exception
    closed = review.get_review(app.db, 1)
    assert (closed["status"], closed["closed_by"], closed["closed_by_name"]) == ("closed", "local", "Ann Chair")
    assert "Closed and frozen on" in at.success[0].value and "by Ann Chair" in at.success[0].value
    assert "local" not in at.success[0].value
    assert at.selectbox(key="review").options == ["#1 · 25 Nov 2026 · Autumn review (closed)"]  # at once
    assert [t.label for t in at.tabs] == STEPS  # the summary again, nothing left to edit
    assert not at.text_area and "Close and freeze" not in [b.label for b in at.button]
    assert [d.proto.label for d in at.get("download_button")][:4] == [
        "PowerPoint pack",
        "HTML pack",
        "PDF pack",
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
    assert [t.label for t in at.tabs] == STEPS  # no step to close it
    for name in STEPS:
        step(at, name)
        assert not at.exception, (name, at.exception)
        assert not {"Create review", "Save text", "Add action", "Close and freeze"} & {b.label for b in at.button}
        assert not at.text_area and not at.checkbox
    at.selectbox(key="review").select(1).run()
    assert "Closed and frozen on" in at.success[0].value
    show_input(step(at, "Inputs (9.3.2)"), "b")
    assert "Context changed." in [t.value for t in at.text]
    assert len(at.get("download_button")) >= 4


def test_a_closed_review_shows_exactly_as_it_was_after_new_data_is_loaded(app, tmp_path):
    review_id = closed_review(
        app.db, period_from=dt.date(2025, 11, 1), period_to=AS_OF, review_date=AS_OF, texts={"b": "As presented."}
    )
    at = app.make("review")
    assert not at.exception, at.exception
    views = [("Summary", None), ("Inputs (9.3.2)", "c4"), ("Inputs (9.3.2)", "c3"), ("Inputs (9.3.2)", "b")]

    def seen() -> list[dict]:
        shown = []
        for name, key in views:
            step(at, name)
            if key:
                show_input(at, key)
            assert not at.exception, at.exception
            shown.append(snapshot(at))
        return shown

    before = seen()
    show_input(step(at, "Inputs (9.3.2)"), "c4")
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

    assert seen() == before  # the closed review did not
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
    at = app.make("review", step="Compared with the previous review")
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


def test_a_link_names_a_review_by_its_number_and_keeps_opening_it_once_closed(app):
    first = review.create_review(app.db, LEAD, review_date=dt.date(2026, 5, 29), title="Spring review")
    review.create_review(app.db, LEAD, review_date=AS_OF, title="Autumn review")
    for linked, shown in (("1", first), ("2", 2), ("99", 2), ("abc", 2), ("", 2)):
        at = app_page("review")
        at.query_params["review"] = linked
        at.run()
        assert not at.exception, at.exception
        assert at.selectbox(key="review").value == shown, linked  # an unknown one: the newest
        assert at.query_params["review"] == str(shown)  # what the link says from then on
    review.close_review(app.db, LEAD, first)
    at = app_page("review")
    at.query_params["review"] = "1"
    at.run()
    assert at.selectbox(key="review").value == first
    assert at.selectbox(key="review").format_func(first) == "#1 · 29 May 2026 · Spring review (closed)"


def test_user_text_is_shown_as_plain_text(app):
    hostile = "<script>alert(1)</script> **bold** ![x](http://example.com/x.png)"
    review_id = review.create_review(app.db, LEAD, review_date=AS_OF)
    review.save_texts(app.db, LEAD, review_id, {"b": hostile})
    review.close_review(app.db, LEAD, review_id)
    at = show_input(app.make("review", step="Inputs (9.3.2)"), "b")
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
        ["Ann Chair", "owner", "Ann", "Carla"],  # people's names, never the identifier "local"
        ["Ann Chair", "status", "open", "in_progress"],
    ]
    at.multiselect(key="status").unselect("open").run()
    assert at.dataframe[0].value["Last changed"].str.endswith(" by Ann Chair").tolist() == [True, False, False]


def test_the_actions_page_is_read_only_for_viewers(app):
    actions.create_action(app.db, LEAD, title="Shorten days to close", kind="improvement")
    at = app.make("actions", viewer=True)
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Action"].tolist() == ["Shorten days to close"]
    assert not {"Add action", "Save changes"} & {b.label for b in at.button}
    assert not at.text_input


def test_an_action_of_the_register_is_linked_to_an_open_review_on_the_actions_page(app):
    review_id = review.create_review(app.db, LEAD, review_date=AS_OF, title="Autumn review")
    own = actions.create_action(app.db, LEAD, title="Raised after an audit", kind="improvement")
    at = app.make("actions")
    at.selectbox(key="action").select(own).run()
    at.selectbox(key=f"edit-review-{own}").select(review_id)
    button(at, "Save changes").click().run()
    assert not at.exception, at.exception
    assert actions.get_action(app.db, own)["review_id"] == review_id
    assert at.dataframe[0].value["Review"].tolist() == [f"#{review_id}"]
    decisions = step(app.make("review"), "Decisions and actions (9.3.3)")
    assert next(d.value for d in decisions.dataframe if "Action" in d.value.columns)["Action"].tolist() == [
        "Raised after an audit"
    ]

    review.close_review(app.db, LEAD, review_id)
    at = app.make("actions")
    at.selectbox(key="action").select(own).run()
    assert not [s for s in at.selectbox if s.key == f"edit-review-{own}"]  # a closed review keeps its decisions
    assert any("it stays with that review's record" in c.value for c in at.caption)


def test_the_actions_page_refuses_a_due_date_before_today_and_shows_overdue_ones(app):
    at = app.make("actions")
    at.text_input(key="new-action-title").input("Backdated")
    form_dates = [d for d in at.date_input if d.label == "Due"]
    form_dates[0].set_value(dt.date.today() - dt.timedelta(days=3))
    button(at, "Add action").click().run()
    assert "is before the action was raised" in at.error[0].value
    assert app.db.query("SELECT count(*) FROM actions") == [(0,)]

    late = actions.create_action(app.db, LEAD, title="Due today", kind="improvement", due_on=dt.date.today())
    app.db.write(
        lambda cursor: cursor.execute("UPDATE actions SET due_on = due_on - 1, raised_on = raised_on - 1")
    )  # as if raised yesterday, due yesterday
    at = app.make("actions")
    assert metrics(at)["Overdue"] == "1"
    assert at.dataframe[0].value.set_index("ID").loc[late, "Status"] == "Open, overdue"


def test_without_chromium_the_review_page_says_what_the_pdf_pack_needs(app, monkeypatch):
    monkeypatch.setenv("ISOKPI_CHROMIUM", "/nowhere/chromium")
    review.create_review(app.db, LEAD, review_date=AS_OF)
    at = app.make("review")
    assert not at.exception, at.exception
    assert "PDF pack" not in [d.proto.label for d in at.get("download_button")]
    assert any(
        "No PDF pack" in c.value and "ISOKPI\\_CHROMIUM=/nowhere/chromium is not an executable file" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]
