"""The actions register (ISO 9001 9.3.3 outputs): decisions and actions with owner, due date and status.

Every change is kept twice: field by field in `action_changes` (who, when, old, new) for the action's own
history, and as one event in the audit trail. Actions still open are carried into the next review as input a).
"""

from __future__ import annotations

import datetime as dt

from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.db import Database, next_id, now_utc, quote
from isokpi.errors import InputError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES

KINDS: dict[str, str] = {
    "improvement": "Improvement opportunity",
    "system_change": "Change to the system",
    "resource_need": "Resource need",
}
KIND_CLAUSES = {"improvement": "9.3.3 a)", "system_change": "9.3.3 b)", "resource_need": "9.3.3 c)"}
STATUSES: dict[str, str] = {"open": "Open", "in_progress": "In progress", "done": "Done", "verified": "Verified"}
OPEN_STATUSES = ("open", "in_progress")
# The fields a person edits, in the order the register shows them.
FIELDS = ("title", "kind", "pillar", "owner", "due_on", "status", "notes")
COLUMNS = (
    "action_id, review_id, kind, title, pillar, owner, due_on, status, notes, "
    "created_by, created_at, updated_by, updated_at"
)
CHOICES: dict[str, tuple[str, ...]] = {"kind": tuple(KINDS), "status": tuple(STATUSES), "pillar": PILLAR_IDS}


class ActionError(InputError):
    """An action that cannot be saved as given; the message says which field and what is allowed."""


def _clean(field: str, value: object) -> object:
    """The stored form of one field, or ActionError."""
    if field == "title":
        text = str(value or "").strip()
        if not text:
            raise ActionError("title: an action needs a title saying what will be done")
        return text
    if field == "pillar" and value in (None, ""):
        return None  # the one optional choice
    if field in CHOICES:
        if value not in CHOICES[field]:
            raise ActionError(f"{field} {value!r} is unknown: use one of {', '.join(CHOICES[field])}")
        return value
    if field == "due_on":
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ActionError(f"due date {value!r} is not a date: use YYYY-MM-DD") from None
    if field in ("owner", "notes"):
        text = str(value).strip() if value is not None else ""
        return text or None
    raise ActionError(f"{field!r} cannot be edited: the editable fields are {', '.join(FIELDS)}")


def _as_text(value: object) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


def _review_is_open(cursor, review_id: int) -> None:
    row = cursor.execute("SELECT status FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
    if row is None:
        raise ActionError(f"review {review_id} does not exist")
    if row[0] == "closed":
        raise ActionError(
            f"review {review_id} is closed and its record frozen: add the action to an open review, "
            "or to the register without a review"
        )


def create_action(
    database: Database,
    actor: User,
    *,
    title: str,
    kind: str,
    pillar: str | None = None,
    owner: str | None = None,
    due_on: dt.date | str | None = None,
    status: str = "open",
    notes: str | None = None,
    review_id: int | None = None,
) -> int:
    """Add an action (quality leads); its creation is the first entry of its history. Returns its id."""
    require(actor, QUALITY_LEAD)
    given = {"title": title, "kind": kind, "pillar": pillar, "owner": owner, "due_on": due_on, "status": status}
    values = {field: _clean(field, value) for field, value in (given | {"notes": notes}).items()}

    def work(cursor) -> int:
        if review_id is not None:
            _review_is_open(cursor, review_id)
        action_id = next_id(cursor, "action")
        at = now_utc()
        cursor.execute(
            """
            INSERT INTO actions VALUES ($id, $review, $kind, $title, $pillar, $owner, $due, $status, $notes,
                                        $by, $at, $by, $at)
            """,
            {
                "id": action_id,
                "review": review_id,
                "kind": values["kind"],
                "title": values["title"],
                "pillar": values["pillar"],
                "owner": values["owner"],
                "due": values["due_on"],
                "status": values["status"],
                "notes": values["notes"],
                "by": actor.email,
                "at": at,
            },
        )
        for field in FIELDS:
            if values[field] is not None:
                _record_change(cursor, action_id, actor.email, at, field, None, values[field])
        record_event(
            cursor,
            actor.email,
            "action_create",
            f"action {action_id}",
            {"review_id": review_id, **{f: _as_text(v) for f, v in values.items()}},
            at,
        )
        return action_id

    return database.write(work)


def update_action(database: Database, actor: User, action_id: int, **changes: object) -> list[str]:
    """Change some fields of an action (quality leads); each real change is recorded. Returns the changed fields."""
    require(actor, QUALITY_LEAD)
    cleaned = {field: _clean(field, value) for field, value in changes.items()}

    def work(cursor) -> list[str]:
        result = cursor.execute(f"SELECT {COLUMNS} FROM actions WHERE action_id = $id", {"id": action_id})
        names = [column[0] for column in result.description]
        row = result.fetchone()
        if row is None:
            raise ActionError(f"action {action_id} does not exist")
        current = dict(zip(names, row, strict=True))
        changed = [field for field in FIELDS if field in cleaned and cleaned[field] != current[field]]
        if not changed:
            return []
        at = now_utc()
        # One UPDATE per field: the column name comes from FIELDS (an allow-list), never from input.
        for field in changed:
            cursor.execute(
                f"UPDATE actions SET {quote(field)} = $value, updated_by = $by, updated_at = $at WHERE action_id = $id",
                {"value": cleaned[field], "by": actor.email, "at": at, "id": action_id},
            )
            _record_change(cursor, action_id, actor.email, at, field, current[field], cleaned[field])
        record_event(
            cursor,
            actor.email,
            "action_update",
            f"action {action_id}",
            {field: [_as_text(current[field]), _as_text(cleaned[field])] for field in changed},
            at,
        )
        return changed

    return database.write(work)


def _record_change(cursor, action_id: int, who: str, at: dt.datetime, field: str, old: object, new: object) -> None:
    cursor.execute(
        "INSERT INTO action_changes VALUES ($id, $who, $at, $field, $old, $new)",
        {"id": action_id, "who": who, "at": at, "field": field, "old": _as_text(old), "new": _as_text(new)},
    )


# --- reading ---------------------------------------------------------------------------------------


def list_actions(
    database: Database,
    *,
    statuses: tuple[str, ...] | list[str] = (),
    pillars: tuple[str, ...] | list[str] = (),
    owners: tuple[str, ...] | list[str] = (),
    review_id: int | None = None,
) -> list[dict]:
    """The register, oldest first; empty filter lists mean everything."""
    return database.query_dicts(
        f"""
        SELECT {COLUMNS} FROM actions
        WHERE (len($statuses) = 0 OR list_contains($statuses, status))
          AND (len($pillars) = 0 OR list_contains($pillars, pillar))
          AND (len($owners) = 0 OR list_contains($owners, owner))
          AND ($review IS NULL OR review_id = $review)
        ORDER BY action_id
        """,
        {
            "statuses": list(statuses),
            "pillars": list(pillars),
            "owners": list(owners),
            "review": review_id,
        },
    )


def get_action(database: Database, action_id: int) -> dict | None:
    rows = database.query_dicts(f"SELECT {COLUMNS} FROM actions WHERE action_id = $id", {"id": action_id})
    return rows[0] if rows else None


def owners(database: Database) -> list[str]:
    """The owners named in the register, sorted, for the filter."""
    return [row[0] for row in database.query("SELECT DISTINCT owner FROM actions WHERE owner IS NOT NULL ORDER BY 1")]


def action_history(database: Database, action_id: int | None = None) -> list[dict]:
    """Every recorded change (of one action, or of all), oldest first."""
    return database.query_dicts(
        """
        SELECT action_id, changed_at, changed_by, field, old_value, new_value FROM action_changes
        WHERE $id IS NULL OR action_id = $id
        ORDER BY changed_at, action_id
        """,
        {"id": action_id},
    )


def carried_actions(database: Database, review: dict) -> list[dict]:
    """Input a) of `review`: actions not decided at this review (earlier reviews' and the register's own) that
    are still open, or whose last change falls in or after the review's period (done or verified since)."""
    return database.query_dicts(
        f"""
        SELECT {COLUMNS} FROM actions a
        WHERE a.review_id IS DISTINCT FROM $review
          AND (a.review_id IS NULL OR a.review_id IN (
                SELECT review_id FROM reviews
                WHERE review_date < $date OR (review_date = $date AND review_id < coalesce($review, 0))))
          AND (a.status IN ('open', 'in_progress') OR a.updated_at >= $period_from)
        ORDER BY a.action_id
        """,
        {
            "review": review.get("review_id"),
            "date": review["review_date"],
            "period_from": dt.datetime.combine(review["period_from"], dt.time()),
        },
    )


def is_overdue(action: dict, on: dt.date) -> bool:
    return action["status"] in OPEN_STATUSES and action["due_on"] is not None and action["due_on"] < on


def register_effectiveness(actions: list[dict], on: dt.date) -> dict[str, int]:
    """Counts that say whether the register works: how many are open, overdue, done, verified."""
    counts = {status: sum(1 for a in actions if a["status"] == status) for status in STATUSES}
    return {"total": len(actions), **counts, "overdue": sum(1 for a in actions if is_overdue(a, on))}


def describe(action: dict) -> dict[str, object]:
    """An action as the record, the exports and the pages show it (JSON-ready)."""
    return {
        "id": action["action_id"],
        "review_id": action["review_id"],
        "kind": action["kind"],
        "kind_label": KINDS.get(action["kind"], action["kind"]),
        "title": action["title"],
        "pillar": action["pillar"],
        "pillar_name": PILLAR_NAMES.get(action["pillar"] or "", ""),
        "owner": action["owner"],
        "due_on": _as_text(action["due_on"]),
        "status": action["status"],
        "status_label": STATUSES.get(action["status"], action["status"]),
        "notes": action["notes"],
        "updated_by": action["updated_by"],
        "updated_at": _as_text(action["updated_at"]),
    }
