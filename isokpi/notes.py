"""Notes on a KPI's period ("new calibration process from March"), drawn on its chart. No streamlit.

A note is never erased: deleting one records who and when (deleted_by, deleted_at), and both adding and deleting
are in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.catalog import get_kpi
from isokpi.db import Database, next_id, now_utc
from isokpi.errors import InputError

MAX_LENGTH = 500


class NoteError(InputError):
    """A note that cannot be added or deleted; the message says why and what to do."""


@dataclass(frozen=True)
class Note:
    note_id: int
    kpi_id: str
    period: dt.date
    text: str
    created_by: str
    created_at: dt.datetime


def _clean_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise NoteError("the note is empty: write what happened, e.g. 'new calibration process from March'")
    cleaned = text.strip()
    if len(cleaned) > MAX_LENGTH:
        raise NoteError(f"the note has {len(cleaned)} characters; shorten it to {MAX_LENGTH} or fewer")
    return cleaned


def add_note(database: Database, actor: User, kpi_id: str, period: dt.date, text: str) -> Note:
    """Attach a note to one period of a KPI (quality leads); returns the stored note."""
    require(actor, QUALITY_LEAD)
    user_email = actor.email
    try:
        get_kpi(kpi_id)
    except ValueError as error:
        raise NoteError(str(error)) from None
    if not isinstance(period, dt.date) or isinstance(period, dt.datetime):
        raise NoteError(f"the period must be a date, not {period!r}")
    cleaned = _clean_text(text)

    def work(cursor) -> Note:
        note = Note(next_id(cursor, "note"), kpi_id, period, cleaned, user_email, now_utc())
        cursor.execute(
            "INSERT INTO notes (note_id, kpi_id, period, text, created_by, created_at) "
            "VALUES ($id, $kpi, $period, $text, $by, $at)",
            {
                "id": note.note_id,
                "kpi": kpi_id,
                "period": period,
                "text": cleaned,
                "by": user_email,
                "at": note.created_at,
            },
        )
        record_event(
            cursor,
            user_email,
            "note_add",
            f"note {note.note_id}",
            {"kpi_id": kpi_id, "period": period.isoformat(), "text": cleaned},
            note.created_at,
        )
        return note

    return database.write(work)


def list_notes(database: Database, kpi_ids: Iterable[str]) -> list[Note]:
    """The notes of these KPIs that are not deleted, by KPI, period and when they were written."""
    ids = list(kpi_ids)
    if not ids:
        return []
    rows = database.query(
        """
        SELECT note_id, kpi_id, period, text, created_by, created_at FROM notes
        WHERE deleted_at IS NULL AND list_contains($ids, kpi_id)
        ORDER BY kpi_id, period, note_id
        """,
        {"ids": ids},
    )
    return [Note(*row) for row in rows]


def delete_note(database: Database, actor: User, note_id: int) -> None:
    """Mark a note deleted (quality leads; it stays in the table with who deleted it and when)."""
    require(actor, QUALITY_LEAD)
    user_email = actor.email

    def work(cursor) -> None:
        row = cursor.execute("SELECT kpi_id, deleted_at FROM notes WHERE note_id = $id", {"id": note_id}).fetchone()
        if row is None:
            raise NoteError(f"note {note_id} does not exist")
        if row[1] is not None:
            raise NoteError(f"note {note_id} was already deleted")
        at = now_utc()
        cursor.execute(
            "UPDATE notes SET deleted_by = $by, deleted_at = $at WHERE note_id = $id",
            {"by": user_email, "at": at, "id": note_id},
        )
        record_event(cursor, user_email, "note_delete", f"note {note_id}", {"kpi_id": row[0]}, at)

    database.write(work)
