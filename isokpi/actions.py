"""The actions register (ISO 9001 9.3.3 outputs): decisions and actions with owner, due date and status.

An action belongs to a review when it was raised there (9.3.3 a, b, c) or linked to one later on the Actions page;
an action of the register alone belongs to none. Every change is kept twice: field by field in `action_changes`
(who, when, old, new) for the action's own history, and as one event in the audit trail. Actions of a review still
open are carried into the next review as input a). Who raised and changed an action is kept as the person's name
(auth.User.name) beside their identifier.
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
FIELDS = ("review_id", "title", "kind", "pillar", "owner", "due_on", "status", "notes")
COLUMNS = (
    "action_id, review_id, kind, title, pillar, owner, due_on, status, notes, raised_on, "
    "created_by, created_by_name, created_at, updated_by, updated_by_name, updated_at"
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
    if field == "review_id":
        if value in (None, ""):
            return None  # the register's own action, linked to no review
        if isinstance(value, bool) or not isinstance(value, int):
            raise ActionError(f"review {value!r} is not a review number: use the number shown as #N")
        return value
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


def _open_review_date(cursor, review_id: int) -> dt.date:
    """The date of an open review, or ActionError: a closed review's record is frozen, its actions with it."""
    row = cursor.execute("SELECT status, review_date FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
    if row is None:
        raise ActionError(f"review {review_id} does not exist")
    if row[0] == "closed":
        raise ActionError(
            f"review {review_id} is closed and its record frozen: add the action to an open review, "
            "or to the register without a review"
        )
    return row[1]


def _check_due(due_on: dt.date | None, raised_on: dt.date) -> None:
    if due_on is not None and due_on < raised_on:
        raise ActionError(
            f"due date {due_on.isoformat()} is before the action was raised ({raised_on.isoformat()}): "
            "give the day it is due, on or after that"
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
    """Add an action (quality leads), raised in review `review_id` (an open one) or in the register alone; its
    creation is the first entry of its history. The owner defaults to the person raising it; the due date may not
    precede the day it is raised (the review's date, else today). Returns its id."""
    require(actor, QUALITY_LEAD)
    given = {"review_id": review_id, "title": title, "kind": kind, "pillar": pillar, "owner": owner}
    values = {
        field: _clean(field, value)
        for field, value in (given | {"due_on": due_on, "status": status, "notes": notes}).items()
    }
    values["owner"] = values["owner"] or actor.name

    def work(cursor) -> int:
        raised_on = dt.date.today() if review_id is None else _open_review_date(cursor, review_id)
        _check_due(values["due_on"], raised_on)
        action_id = next_id(cursor, "action")
        at = now_utc()
        cursor.execute(
            """
            INSERT INTO actions (action_id, review_id, kind, title, pillar, owner, due_on, status, notes, raised_on,
                                 created_by, created_by_name, created_at, updated_by, updated_by_name, updated_at)
            VALUES ($id, $review, $kind, $title, $pillar, $owner, $due, $status, $notes, $raised,
                    $by, $name, $at, $by, $name, $at)
            """,
            {
                "id": action_id,
                "review": values["review_id"],
                "kind": values["kind"],
                "title": values["title"],
                "pillar": values["pillar"],
                "owner": values["owner"],
                "due": values["due_on"],
                "status": values["status"],
                "notes": values["notes"],
                "raised": raised_on,
                "by": actor.email,
                "name": actor.name,
                "at": at,
            },
        )
        for field in FIELDS:
            if values[field] is not None:
                _record_change(cursor, action_id, actor, at, field, None, values[field])
        record_event(
            cursor,
            actor.email,
            "action_create",
            f"action {action_id}",
            {**{f: _as_text(v) for f, v in values.items()}, "raised_on": raised_on.isoformat()},
            at,
        )
        return action_id

    return database.write(work)


def update_action(database: Database, actor: User, action_id: int, **changes: object) -> list[str]:
    """Change some fields of an action (quality leads); each real change is recorded. Returns the changed fields.

    Linking (`review_id`) moves an action into an open review, or out of one, never into or out of a closed review;
    a new due date may not precede the day the action was raised."""
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
        if "review_id" in changed:
            _check_link(cursor, action_id, current["review_id"], cleaned["review_id"])
        if "due_on" in changed:
            _check_due(cleaned["due_on"], current["raised_on"])
        at = now_utc()
        # One UPDATE per field: the column name comes from FIELDS (an allow-list), never from input.
        for field in changed:
            cursor.execute(
                f"UPDATE actions SET {quote(field)} = $value, updated_by = $by, updated_by_name = $name, "
                "updated_at = $at WHERE action_id = $id",
                {"value": cleaned[field], "by": actor.email, "name": actor.name, "at": at, "id": action_id},
            )
            _record_change(cursor, action_id, actor, at, field, current[field], cleaned[field])
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


def _check_link(cursor, action_id: int, old: int | None, new: int | None) -> None:
    """An action leaves only an open review and joins only an open one: a closed review keeps what it decided."""
    if old is not None:
        status = cursor.execute("SELECT status FROM reviews WHERE review_id = $id", {"id": old}).fetchone()
        if status is not None and status[0] == "closed":
            raise ActionError(
                f"action {action_id} was decided at review {old}, which is closed: it stays with that review's record"
            )
    if new is not None:
        _open_review_date(cursor, new)


def _record_change(cursor, action_id: int, who: User, at: dt.datetime, field: str, old: object, new: object) -> None:
    cursor.execute(
        """
        INSERT INTO action_changes (action_id, changed_by, changed_by_name, changed_at, field, old_value, new_value)
        VALUES ($id, $who, $name, $at, $field, $old, $new)
        """,
        {
            "id": action_id,
            "who": who.email,
            "name": who.name,
            "at": at,
            "field": field,
            "old": _as_text(old),
            "new": _as_text(new),
        },
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
        SELECT action_id, changed_at, coalesce(changed_by_name, changed_by) AS changed_by, field, old_value, new_value
        FROM action_changes
        WHERE $id IS NULL OR action_id = $id
        ORDER BY changed_at, action_id
        """,
        {"id": action_id},
    )


def carried_actions(database: Database, review: dict) -> list[dict]:
    """Input a) of `review`: the actions of earlier reviews that are still open, or whose last change falls in or
    after the review's period (done or verified since). The register's own actions, linked to no review, are not
    actions from earlier reviews (unlinked_actions lists them)."""
    return database.query_dicts(
        f"""
        SELECT {COLUMNS} FROM actions a
        WHERE a.review_id IN (
                SELECT review_id FROM reviews
                WHERE review_date < $date OR (review_date = $date AND review_id < coalesce($review, 0)))
          AND (a.status IN ('open', 'in_progress') OR a.updated_at >= $period_from)
        ORDER BY a.action_id
        """,
        {
            "review": review.get("review_id"),
            "date": review["review_date"],
            "period_from": dt.datetime.combine(review["period_from"], dt.time()),
        },
    )


def unlinked_actions(database: Database) -> list[dict]:
    """The register's own actions still open: raised outside any review and not linked to one yet."""
    return database.query_dicts(
        f"SELECT {COLUMNS} FROM actions WHERE review_id IS NULL AND status IN ('open', 'in_progress') ORDER BY action_id"
    )


def review_day(review: dict) -> dt.date:
    """The day a review judges its actions on (overdue or not): the meeting's date, or today before it."""
    day = review["review_date"]
    day = dt.date.fromisoformat(day[:10]) if isinstance(day, str) else day
    return min(day, dt.date.today())


def is_overdue(action: dict, on: dt.date) -> bool:
    return action["status"] in OPEN_STATUSES and action["due_on"] is not None and action["due_on"] < on


def register_effectiveness(actions: list[dict], on: dt.date) -> dict[str, int]:
    """Counts that say whether the register works: how many are open, overdue, done, verified."""
    counts = {status: sum(1 for a in actions if a["status"] == status) for status in STATUSES}
    return {"total": len(actions), **counts, "overdue": sum(1 for a in actions if is_overdue(a, on))}


def status_label(action: dict, on: dt.date) -> str:
    """'Open', 'In progress', 'Done', 'Verified'; an open action past its due date on `on`: 'Open, overdue'."""
    label = STATUSES.get(action["status"], action["status"])
    return f"{label}, overdue" if is_overdue(action, on) else label


def describe(action: dict, on: dt.date) -> dict[str, object]:
    """An action as the record, the exports and the pages show it on the day `on` (JSON-ready); who raised and
    last changed it by name."""
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
        "raised_on": _as_text(action.get("raised_on")),
        "status": action["status"],
        "status_label": status_label(action, on),
        "overdue": is_overdue(action, on),
        "notes": action["notes"],
        "raised_by": action.get("created_by_name") or action["created_by"],
        "updated_by": action.get("updated_by_name") or action["updated_by"],
        "updated_at": _as_text(action["updated_at"]),
    }
