"""Notes on a KPI's period: validated, listed per KPI, deleted softly, and all of it in the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from isokpi import notes
from isokpi.auth import QUALITY_LEAD, User

MARCH = dt.date(2026, 3, 1)


def lead(email: str) -> User:
    return User(email, email, QUALITY_LEAD)


def audit(db) -> list[tuple]:
    return db.query("SELECT actor, action, subject, details FROM audit_log ORDER BY event_id")


def test_a_note_is_stored_listed_and_audited(db):
    note = notes.add_note(
        db, lead("lead@example.com"), "findings_closed_on_time_pct", MARCH, "  New calibration process  "
    )
    assert (note.note_id, note.kpi_id, note.period, note.text, note.created_by) == (
        1,
        "findings_closed_on_time_pct",
        MARCH,
        "New calibration process",
        "lead@example.com",
    )
    rows = db.query("SELECT note_id, kpi_id, period, text, created_by, deleted_by, deleted_at FROM notes")
    assert rows == [
        (1, "findings_closed_on_time_pct", MARCH, "New calibration process", "lead@example.com", None, None)
    ]
    assert notes.list_notes(db, ["findings_closed_on_time_pct"]) == [note]
    actor, action, subject, details = audit(db)[-1]
    assert (actor, action, subject) == ("lead@example.com", "note_add", "note 1")
    assert json.loads(details) == {
        "kpi_id": "findings_closed_on_time_pct",
        "period": "2026-03-01",
        "text": "New calibration process",
    }


def test_notes_are_listed_only_for_the_asked_kpis_in_period_order(db):
    notes.add_note(db, lead("a"), "customer_nps", dt.date(2026, 5, 1), "May survey redesigned")
    notes.add_note(db, lead("a"), "findings_closed_on_time_pct", dt.date(2026, 4, 1), "April")
    notes.add_note(db, lead("a"), "customer_nps", dt.date(2026, 2, 1), "February")
    listed = notes.list_notes(db, ["customer_nps", "repeat_finding_rate_pct"])
    assert [(n.note_id, n.period, n.text) for n in listed] == [
        (3, dt.date(2026, 2, 1), "February"),
        (1, dt.date(2026, 5, 1), "May survey redesigned"),
    ]
    assert notes.list_notes(db, []) == []


def test_deleting_keeps_the_row_with_who_and_when(db):
    kept = notes.add_note(db, lead("a"), "customer_nps", MARCH, "kept")
    gone = notes.add_note(db, lead("a"), "customer_nps", MARCH, "gone")
    notes.delete_note(db, lead("lead@example.com"), gone.note_id)
    assert notes.list_notes(db, ["customer_nps"]) == [kept]
    deleted_by, deleted_at = db.query(
        "SELECT deleted_by, deleted_at FROM notes WHERE note_id = $id", {"id": gone.note_id}
    )[0]
    assert deleted_by == "lead@example.com" and isinstance(deleted_at, dt.datetime)
    assert audit(db)[-1][:3] == ("lead@example.com", "note_delete", f"note {gone.note_id}")
    with pytest.raises(notes.NoteError, match="already deleted"):
        notes.delete_note(db, lead("lead@example.com"), gone.note_id)
    with pytest.raises(notes.NoteError, match="note 99 does not exist"):
        notes.delete_note(db, lead("lead@example.com"), 99)


@pytest.mark.parametrize(
    ("kpi_id", "period", "text", "message"),
    [
        ("no_such_kpi", MARCH, "text", "unknown KPI 'no_such_kpi'"),
        ("customer_nps", "2026-03-01", "text", "the period must be a date"),
        ("customer_nps", dt.datetime(2026, 3, 1, 12), "text", "the period must be a date"),
        ("customer_nps", MARCH, "   ", "the note is empty"),
        ("customer_nps", MARCH, "x" * 501, "the note has 501 characters; shorten it to 500 or fewer"),
    ],
)
def test_invalid_notes_are_refused_and_nothing_is_written(db, kpi_id, period, text, message):
    with pytest.raises(notes.NoteError, match=message):
        notes.add_note(db, lead("a"), kpi_id, period, text)
    assert db.query("SELECT count(*) FROM notes")[0][0] == 0
    assert db.query("SELECT count(*) FROM audit_log WHERE action LIKE 'note%'")[0][0] == 0


def test_a_note_of_exactly_500_characters_and_markup_is_stored_as_typed(db):
    text = "<b>=cmd</b> " + "y" * 488
    assert len(text) == 500
    assert notes.add_note(db, lead("a"), "customer_nps", MARCH, text).text == text
