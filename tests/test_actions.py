"""The actions register: create and edit with every change kept (who, when, field, old, new), validation, carrying
open actions into the next review, and the Excel export."""

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
        due_on="2026-03-31",
    )
    assert actions.get_action(db, action_id) | {"created_at": None, "updated_at": None} == {
        "action_id": action_id,
        "review_id": None,
        "kind": "improvement",
        "title": "Calibrate the torque tools",
        "pillar": "training",
        "owner": "Ann",
        "due_on": dt.date(2026, 3, 31),
        "status": "open",
        "notes": None,
        "created_by": "lead@example.com",
        "created_at": None,
        "updated_by": "lead@example.com",
        "updated_at": None,
    }
    assert changes(db, action_id) == [
        ("lead@example.com", "title", None, "Calibrate the torque tools"),
        ("lead@example.com", "kind", None, "improvement"),
        ("lead@example.com", "pillar", None, "training"),
        ("lead@example.com", "owner", None, "Ann"),
        ("lead@example.com", "due_on", None, "2026-03-31"),
        ("lead@example.com", "status", None, "open"),
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
                "due_on": "2026-03-31",
                "status": "open",
                "notes": None,
            },
        )
    ]


def test_every_real_change_is_recorded_with_who_made_it(db):
    action_id = actions.create_action(db, LEAD, title="Hire a second auditor", kind="resource_need", owner="Ann")
    assert actions.update_action(db, OTHER, action_id, status="in_progress", owner="Ann") == ["status"]
    assert actions.update_action(db, LEAD, action_id, status="done", due_on=dt.date(2026, 6, 30)) == [
        "due_on",
        "status",
    ]
    assert actions.update_action(db, LEAD, action_id, status="done") == []  # nothing changed: nothing recorded
    assert changes(db, action_id)[-3:] == [
        ("other@example.com", "status", "open", "in_progress"),
        ("lead@example.com", "due_on", None, "2026-06-30"),
        ("lead@example.com", "status", "in_progress", "done"),
    ]
    current = actions.get_action(db, action_id)
    assert (current["status"], current["due_on"], current["updated_by"]) == (
        "done",
        dt.date(2026, 6, 30),
        "lead@example.com",
    )
    assert [(actor, details) for actor, _, details in events(db, "action_update")] == [
        ("other@example.com", {"status": ["open", "in_progress"]}),
        ("lead@example.com", {"due_on": [None, "2026-06-30"], "status": ["in_progress", "done"]}),
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
        due_on="2026-02-27",
        notes="-1+2",
    )
    actions.update_action(db, LEAD, action_id, notes="+cmd|' /C calc'!A0")
    actions.create_action(db, LEAD, title="Pasted\x0b with a vertical tab\x1b", kind="improvement")
    described = [actions.describe(a) for a in actions.list_actions(db)]
    workbook = load_workbook(io.BytesIO(pack_xlsx.actions_xlsx(described, actions.action_history(db))))
    sheet = workbook["Actions register"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Action"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Owner"] == "'@owner"
    assert row["Notes"] == "'+cmd|' /C calc'!A0"
    assert row["Due"] == dt.datetime(2026, 2, 27)  # a real date cell, not text
    assert sheet["D3"].value == "Pasted with a vertical tab"  # characters a workbook cannot hold are dropped
    history = [[cell.value for cell in r] for r in workbook["History"].iter_rows(min_row=2)]
    assert ["notes", "'-1+2", "'+cmd|' /C calc'!A0"] in [r[3:] for r in history]
    texts = [
        c.value for ws in workbook.worksheets for r in ws.iter_rows(min_row=2) for c in r if isinstance(c.value, str)
    ]
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
