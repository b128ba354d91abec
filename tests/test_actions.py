"""The actions register: create and edit with every change kept (who by name, when, field, old, new), validation
(due dates on or after the day an action is raised), actions that belong to reviews (raised there or linked later),
carrying the open actions of earlier reviews into the next one with exact counts, overdue shown as overdue, and the
Excel export."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from isokpi import actions, pack, pack_xlsx, review
from isokpi.auth import QUALITY_LEAD, VIEWER, AccessError, User
from isokpi.db import now_utc
from isokpi.safety import FORMULA_STARTS

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
OTHER = User("other@example.com", "Other lead", QUALITY_LEAD)
VIEWER_USER = User("viewer@example.com", "Viewer", VIEWER)
TODAY = dt.date.today()


def changes(db, action_id: int) -> list[tuple]:
    return [
        (row["changed_by"], row["field"], row["old_value"], row["new_value"])
        for row in actions.action_history(db, action_id)
    ]


def events(db, action: str) -> list[tuple]:
    rows = db.query(
        "SELECT actor, subject, details FROM audit_log WHERE action = $action ORDER BY event_id", {"action": action}
    )
    return [(actor, subject, json.loads(details)) for actor, subject, details in rows]


def test_creating_an_action_records_each_field_with_who_and_when(db):
    before = now_utc()
    action_id = actions.create_action(
        db,
        LEAD,
        title="Calibrate the torque tools",
        kind="improvement",
        pillar="training",
        owner="Ann",
        due_on=(TODAY + dt.timedelta(days=120)).isoformat(),
    )
    due = TODAY + dt.timedelta(days=120)
    assert actions.get_action(db, action_id) | {"created_at": None, "updated_at": None} == {
        "action_id": action_id,
        "review_id": None,
        "kind": "improvement",
        "title": "Calibrate the torque tools",
        "pillar": "training",
        "owner": "Ann",
        "due_on": due,
        "status": "open",
        "notes": None,
        "raised_on": TODAY,
        "created_by": "lead@example.com",
        "created_by_name": "Lead",
        "created_at": None,
        "updated_by": "lead@example.com",
        "updated_by_name": "Lead",
        "updated_at": None,
    }
    assert changes(db, action_id) == [  # the history names people; the audit trail keeps their identifier
        ("Lead", "title", None, "Calibrate the torque tools"),
        ("Lead", "kind", None, "improvement"),
        ("Lead", "pillar", None, "training"),
        ("Lead", "owner", None, "Ann"),
        ("Lead", "due_on", None, due.isoformat()),
        ("Lead", "status", None, "open"),
    ]
    assert all(before <= row["changed_at"] <= now_utc() for row in actions.action_history(db, action_id))
    assert events(db, "action_create") == [
        (
            "lead@example.com",
            f"action {action_id}",
            {
                "review_id": None,
                "title": "Calibrate the torque tools",
                "kind": "improvement",
                "pillar": "training",
                "owner": "Ann",
                "due_on": due.isoformat(),
                "status": "open",
                "notes": None,
                "raised_on": TODAY.isoformat(),
            },
        )
    ]


def test_every_real_change_is_recorded_with_who_made_it(db):
    action_id = actions.create_action(db, LEAD, title="Hire a second auditor", kind="resource_need", owner="Ann")
    assert actions.update_action(db, OTHER, action_id, status="in_progress", owner="Ann") == ["status"]
    due = TODAY + dt.timedelta(days=30)
    assert actions.update_action(db, LEAD, action_id, status="done", due_on=due) == ["due_on", "status"]
    assert actions.update_action(db, LEAD, action_id, status="done") == []  # nothing changed: nothing recorded
    assert changes(db, action_id)[-3:] == [
        ("Other lead", "status", "open", "in_progress"),
        ("Lead", "due_on", None, due.isoformat()),
        ("Lead", "status", "in_progress", "done"),
    ]
    current = actions.get_action(db, action_id)
    assert (current["status"], current["due_on"], current["updated_by"], current["updated_by_name"]) == (
        "done",
        due,
        "lead@example.com",
        "Lead",
    )
    assert [(actor, details) for actor, _, details in events(db, "action_update")] == [
        ("other@example.com", {"status": ["open", "in_progress"]}),
        ("lead@example.com", {"due_on": [None, due.isoformat()], "status": ["in_progress", "done"]}),
    ]


INVALID = [
    ("kind", "wish", "kind 'wish' is unknown: use one of improvement, system_change, resource_need"),
    ("status", "closed", "status 'closed' is unknown: use one of open, in_progress, done, verified"),
    ("pillar", "finance", "pillar 'finance' is unknown: use one of vision_strategy, resources,"),
    ("due_on", "31/12/2026", "due date '31/12/2026' is not a date: use YYYY-MM-DD"),
    ("title", "  ", "title: an action needs a title"),
]


def test_invalid_values_are_refused_and_nothing_is_written(db):
    for field, value, message in INVALID:
        fields = {"title": "Review the supplier list", "kind": "improvement"} | {field: value}
        with pytest.raises(actions.ActionError, match=re.escape(message)):
            actions.create_action(db, LEAD, **fields)
    assert db.query("SELECT count(*) FROM actions") == [(0,)]
    assert db.query("SELECT count(*) FROM action_changes") == [(0,)]


def test_editing_an_unknown_field_is_refused(db):
    action_id = actions.create_action(db, LEAD, title="x", kind="improvement")
    with pytest.raises(actions.ActionError, match="'created_by' cannot be edited"):
        actions.update_action(db, LEAD, action_id, created_by="someone else")


def test_viewers_cannot_change_the_register(db):
    with pytest.raises(AccessError, match="Quality lead"):
        actions.create_action(db, VIEWER_USER, title="x", kind="improvement")
    action_id = actions.create_action(db, LEAD, title="x", kind="improvement")
    with pytest.raises(AccessError):
        actions.update_action(db, VIEWER_USER, action_id, status="done")
    assert actions.get_action(db, action_id)["status"] == "open"


def test_register_filters_by_status_pillar_and_owner(db):
    first = actions.create_action(db, LEAD, title="A", kind="improvement", pillar="training", owner="Ann")
    second = actions.create_action(db, LEAD, title="B", kind="system_change", pillar="culture", owner="Bob")
    third = actions.create_action(db, LEAD, title="C", kind="resource_need", pillar="training", owner="Bob")
    actions.update_action(db, LEAD, third, status="verified")
    ids = lambda **f: [a["action_id"] for a in actions.list_actions(db, **f)]  # noqa: E731
    assert ids() == [first, second, third]
    assert ids(statuses=["open"]) == [first, second]
    assert ids(pillars=["training"]) == [first, third]
    assert ids(owners=["Bob"], statuses=["verified"]) == [third]
    assert actions.owners(db) == ["Ann", "Bob"]


def test_open_actions_of_an_earlier_review_are_input_a_of_the_next(db):
    first = review.create_review(db, LEAD, review_date=dt.date(2026, 5, 29), period_from=dt.date(2025, 6, 1))
    still_open = actions.create_action(db, LEAD, title="Shorten days to close", kind="improvement", review_id=first)
    finished = actions.create_action(db, LEAD, title="Add a calibration step", kind="system_change", review_id=first)
    actions.update_action(db, LEAD, finished, status="verified")
    review.close_review(db, LEAD, first)
    second = review.create_review(db, LEAD, review_date=dt.date(2026, 11, 25))
    own = actions.create_action(db, LEAD, title="Decided at the second review", kind="resource_need", review_id=second)

    record = review.review_record(db, second)
    carried = next(s for s in record["sections"] if s["key"] == "a")
    assert [(a["id"], a["status"]) for a in carried["actions"]] == [(still_open, "open"), (finished, "verified")]
    assert own not in [a["id"] for a in carried["actions"]]
    assert carried["evidence"] is True
    assert {f["label"]: f["value"] for f in carried["facts"]} == {
        "Actions from earlier reviews": 2,
        "Still open": 1,
        "Overdue": 0,
        "Done or verified": 1,
    }
    assert [a["id"] for a in record["actions"]] == [own]  # this review's decisions are its outputs, not input a)
    assert [a["id"] for a in pack.register_rows(record)] == [still_open, finished, own]


def test_actions_cannot_be_added_to_a_closed_review(db):
    review_id = review.create_review(db, LEAD, review_date=dt.date(2026, 5, 29))
    review.close_review(db, LEAD, review_id)
    with pytest.raises(actions.ActionError, match=f"review {review_id} is closed"):
        actions.create_action(db, LEAD, title="Late idea", kind="improvement", review_id=review_id)
    assert db.query("SELECT count(*) FROM actions") == [(0,)]


def test_register_workbook_neutralises_formulas_and_keeps_dates(db):
    action_id = actions.create_action(
        db,
        LEAD,
        title='=HYPERLINK("http://evil.example","click")',
        kind="improvement",
        owner="@owner",
        due_on=(TODAY + dt.timedelta(days=90)).isoformat(),
        notes="-1+2",
    )
    actions.update_action(db, LEAD, action_id, notes="+cmd|' /C calc'!A0")
    actions.create_action(db, LEAD, title="Pasted\x0b with a vertical tab\x1b", kind="improvement")
    described = [actions.describe(a, TODAY) for a in actions.list_actions(db)]
    workbook = load_workbook(io.BytesIO(pack_xlsx.actions_xlsx(described, actions.action_history(db))))
    sheet = workbook["Actions register"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Action"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Owner"] == "'@owner"
    assert row["Notes"] == "'+cmd|' /C calc'!A0"
    assert row["Due"] == dt.datetime.combine(TODAY + dt.timedelta(days=90), dt.time())  # a real date cell, not text
    assert sheet["D3"].value == "Pasted with a vertical tab"  # characters a workbook cannot hold are dropped
    history = [[cell.value for cell in r] for r in workbook["History"].iter_rows(min_row=2)]
    assert ["notes", "'-1+2", "'+cmd|' /C calc'!A0"] in [r[3:] for r in history]
    texts = [
        c.value for ws in workbook.worksheets for r in ws.iter_rows(min_row=2) for c in r if isinstance(c.value, str)
    ]
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]


# --- due dates, owners and overdue ------------------------------------------------------------------------------


def test_a_due_date_before_the_day_an_action_is_raised_is_refused(db):
    yesterday = TODAY - dt.timedelta(days=1)
    with pytest.raises(actions.ActionError, match=re.escape(f"due date {yesterday} is before the action was raised")):
        actions.create_action(db, LEAD, title="Late already", kind="improvement", due_on=yesterday)
    assert db.query("SELECT count(*) FROM actions") == [(0,)]
    action_id = actions.create_action(db, LEAD, title="Due today", kind="improvement", due_on=TODAY)
    with pytest.raises(actions.ActionError, match=re.escape(f"({TODAY.isoformat()}): give the day it is due")):
        actions.update_action(db, LEAD, action_id, due_on=yesterday)
    assert actions.get_action(db, action_id)["due_on"] == TODAY
    # Raised in a review: the review's date is the day it was raised, whenever the minutes were typed up.
    held = TODAY - dt.timedelta(days=20)
    review_id = review.create_review(db, LEAD, review_date=held, period_from=held - dt.timedelta(days=365))
    in_review = actions.create_action(
        db,
        LEAD,
        title="Decided at the meeting",
        kind="improvement",
        due_on=held + dt.timedelta(days=5),
        review_id=review_id,
    )
    assert actions.get_action(db, in_review)["raised_on"] == held
    with pytest.raises(actions.ActionError, match=re.escape(f"is before the action was raised ({held.isoformat()})")):
        actions.create_action(
            db, LEAD, title="x", kind="improvement", due_on=held - dt.timedelta(days=1), review_id=review_id
        )


def test_an_action_without_an_owner_is_owned_by_the_person_raising_it(db):
    named = User("local", "Ann Chair", QUALITY_LEAD)  # the local user with a configured name
    action_id = actions.create_action(db, named, title="Renew the supplier list", kind="improvement")
    action = actions.get_action(db, action_id)
    assert (action["owner"], action["created_by"], action["created_by_name"]) == ("Ann Chair", "local", "Ann Chair")
    described = actions.describe(action, TODAY)
    assert (described["owner"], described["raised_by"], described["updated_by"]) == ("Ann Chair",) * 3
    assert {row["changed_by"] for row in actions.action_history(db, action_id)} == {"Ann Chair"}


def test_an_open_action_past_its_due_date_reads_overdue(db):
    action_id = actions.create_action(db, LEAD, title="Calibrate", kind="improvement", due_on=TODAY)
    action = actions.get_action(db, action_id)
    assert actions.describe(action, TODAY)["status_label"] == "Open"
    later = actions.describe(action, TODAY + dt.timedelta(days=1))
    assert (later["status_label"], later["overdue"]) == ("Open, overdue", True)
    actions.update_action(db, LEAD, action_id, status="in_progress")
    assert actions.describe(actions.get_action(db, action_id), TODAY + dt.timedelta(days=1))["status_label"] == (
        "In progress, overdue"
    )
    actions.update_action(db, LEAD, action_id, status="done")
    assert actions.describe(actions.get_action(db, action_id), TODAY + dt.timedelta(days=1))["status_label"] == "Done"


# --- actions belong to reviews ------------------------------------------------------------------------------------


def test_an_action_of_the_register_is_linked_to_an_open_review_and_never_to_a_closed_one(db):
    first = review.create_review(db, LEAD, review_date=TODAY - dt.timedelta(days=90))
    review.close_review(db, LEAD, first)
    second = review.create_review(db, LEAD, review_date=TODAY)
    action_id = actions.create_action(db, LEAD, title="Raised after an audit", kind="improvement")
    with pytest.raises(actions.ActionError, match=f"review {first} is closed"):
        actions.update_action(db, LEAD, action_id, review_id=first)
    with pytest.raises(actions.ActionError, match="review 99 does not exist"):
        actions.update_action(db, LEAD, action_id, review_id=99)
    assert actions.update_action(db, LEAD, action_id, review_id=second) == ["review_id"]
    assert [a["id"] for a in review.review_record(db, second)["actions"]] == [action_id]
    assert changes(db, action_id)[-1] == ("Lead", "review_id", None, str(second))
    assert actions.update_action(db, LEAD, action_id, review_id=None) == ["review_id"]  # out of an open review
    assert review.review_record(db, second)["actions"] == []
    decided = actions.create_action(db, LEAD, title="Decided", kind="improvement", review_id=second)
    review.close_review(db, LEAD, second)
    with pytest.raises(actions.ActionError, match=f"action {decided} was decided at review {second}, which is closed"):
        actions.update_action(db, LEAD, decided, review_id=None)
    assert actions.get_action(db, decided)["review_id"] == second
    assert actions.update_action(db, LEAD, decided, status="done") == ["status"]  # followed up as ever


def facts_of(record: dict) -> dict:
    return {f["label"]: f["value"] for f in next(s for s in record["sections"] if s["key"] == "a")["facts"]}


def test_actions_from_earlier_reviews_are_carried_with_exact_counts_and_the_registers_own_are_not(db):
    held = TODAY - dt.timedelta(days=60)
    own = actions.create_action(db, LEAD, title="Raised on the Actions page", kind="improvement", due_on=TODAY)

    first = review.create_review(db, LEAD, review_date=held, period_from=held - dt.timedelta(days=365), period_to=held)
    record = review.review_record(db, first)
    a = next(s for s in record["sections"] if s["key"] == "a")
    assert facts_of(record) == {"Actions from earlier reviews": 0, "Still open": 0, "Overdue": 0, "Done or verified": 0}
    assert (
        a["summary"]
        == "No actions from earlier reviews in the register. 1 open action(s) in the register belong to no review."
    )
    assert a["evidence"] is False and [t["rows"] for t in a["tables"]] == [
        [[own, "Raised on the Actions page", "Improvement opportunity", "", "Lead", TODAY.isoformat(), "Open"]]
    ]
    overdue = actions.create_action(
        db, LEAD, title="Due soon after", kind="improvement", due_on=held + dt.timedelta(days=10), review_id=first
    )
    later = actions.create_action(
        db, LEAD, title="Due next year", kind="system_change", due_on=TODAY + dt.timedelta(days=300), review_id=first
    )
    finished = actions.create_action(db, LEAD, title="Done since", kind="resource_need", review_id=first)
    actions.update_action(db, LEAD, finished, status="verified")
    review.close_review(db, LEAD, first)

    second = review.create_review(db, LEAD, review_date=TODAY, period_from=held + dt.timedelta(days=1), period_to=TODAY)
    actions.update_action(db, LEAD, own, review_id=second)  # linked to this review: one of its outputs now
    decided = actions.create_action(db, LEAD, title="Decided at the second", kind="improvement", review_id=second)
    record = review.review_record(db, second)
    a = next(s for s in record["sections"] if s["key"] == "a")
    assert facts_of(record) == {"Actions from earlier reviews": 3, "Still open": 2, "Overdue": 1, "Done or verified": 1}
    assert a["summary"] == "3 action(s) from earlier reviews: 2 still open (1 overdue), 1 done or verified."
    assert [(x["id"], x["status_label"]) for x in a["actions"]] == [
        (overdue, "Open, overdue"),
        (later, "Open"),
        (finished, "Verified"),
    ]
    assert [x["id"] for x in record["actions"]] == [own, decided]
    review.close_review(db, LEAD, second)

    actions.update_action(db, LEAD, overdue, status="done")
    third = review.create_review(db, LEAD, review_date=TODAY, period_from=TODAY, period_to=TODAY)
    record = review.review_record(db, third)
    # From both earlier reviews: still open (own, later, decided) or changed within the period (done or verified
    # today: overdue, finished).
    assert [x["id"] for x in next(s for s in record["sections"] if s["key"] == "a")["actions"]] == [
        own,
        overdue,
        later,
        finished,
        decided,
    ]
    assert facts_of(record) == {"Actions from earlier reviews": 5, "Still open": 3, "Overdue": 0, "Done or verified": 2}


@pytest.mark.both_backends
def test_a_register_from_before_names_were_kept_upgrades_with_names_and_raise_dates(target, monkeypatch):
    from isokpi import migrations
    from isokpi.db import Database
    from isokpi.opening import open_target

    # The code before migration 4, which had no roll-ups either: migrated only.
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < 4])
    old = Database(target)
    migrations.migrate(old)
    old.write(
        lambda cursor: [
            cursor.execute(sql)
            for sql in (
                "INSERT INTO reviews VALUES (1, 'Spring', DATE '2026-05-29', DATE '2025-05-01', DATE '2026-04-30', "
                "'closed', '{}', NULL, NULL, 'local', TIMESTAMP '2026-05-29 09:00', 'local', TIMESTAMP '2026-05-29 12:00')",
                "INSERT INTO actions VALUES (1, 1, 'improvement', 'Decided', NULL, 'Ann', NULL, 'open', NULL, "
                "'local', TIMESTAMP '2026-06-02 10:00', 'lead@example.com', TIMESTAMP '2026-06-03 10:00')",
                "INSERT INTO actions VALUES (2, NULL, 'improvement', 'Own', NULL, NULL, NULL, 'open', NULL, "
                "'lead@example.com', TIMESTAMP '2026-07-01 10:00', 'local', TIMESTAMP '2026-07-01 10:00')",
                "INSERT INTO action_changes VALUES (1, 'local', TIMESTAMP '2026-06-02 10:00', 'title', NULL, 'Decided')",
            )
        ]
    )
    old.close()
    monkeypatch.undo()
    upgraded = open_target(target)
    assert upgraded.query("SELECT created_by_name, closed_by_name FROM reviews") == [("Local user", "Local user")]
    assert upgraded.query(
        "SELECT action_id, raised_on, created_by_name, updated_by_name FROM actions ORDER BY action_id"
    ) == [
        (1, dt.date(2026, 5, 29), "Local user", "lead@example.com"),  # raised at the review it belongs to
        (2, dt.date(2026, 7, 1), "lead@example.com", "Local user"),  # raised the day it was recorded
    ]
    assert [row["changed_by"] for row in actions.action_history(upgraded, 1)] == ["Local user"]
    upgraded.close()
