"""ISO 9001 9.3 management reviews: their lifecycle (open, edit, close) and the frozen record of what they presented.

A review covers a period (by default, since the previous review's period ended). While it is open its inputs are
built from the data on demand; closing it stores everything presented (values, verdicts, texts, the scorecard,
the sections, the actions) as JSON in `reviews.record`, and from then on the review is read from that record,
never recomputed, so a later upload cannot change what the meeting saw.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

from isokpi import actions as register
from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.catalog import HIGHER
from isokpi.db import Database, next_id, now_utc
from isokpi.errors import InputError
from isokpi.narrative import record_pillar_texts
from isokpi.periods import add_months, period_start
from isokpi.review_inputs import SECTION_KEYS, build_inputs, completeness, evidence, jsonable
from isokpi.review_summary import build_summary

RECORD_VERSION = 1


class ReviewError(InputError):
    """A review that cannot be created, edited or closed as asked; the message says why and what to do."""


STATUS_LABELS = {"open": "Open (draft)", "closed": "Closed and frozen", "draft": "Not stored (ad hoc)"}
REVIEW_COLUMNS = (
    "review_id, title, review_date, period_from, period_to, status, inputs, "
    "created_by, created_by_name, created_at, closed_by, closed_by_name, closed_at"
)


# --- reviews -----------------------------------------------------------------------------------------


def _review(row: dict) -> dict:
    review = dict(row)
    review["inputs"] = json.loads(review.get("inputs") or "{}")
    return review


def get_review(database: Database, review_id: int) -> dict | None:
    """The review row with its inputs (free texts) parsed, or None."""
    rows = database.query_dicts(f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE review_id = $id", {"id": review_id})
    return _review(rows[0]) if rows else None


def list_reviews(database: Database) -> list[dict]:
    """Every review, newest first."""
    return [
        _review(row)
        for row in database.query_dicts(
            f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY review_date DESC, review_id DESC"
        )
    ]


def previous_review(database: Database, review: dict | None = None, *, before: dt.date | None = None) -> dict | None:
    """The review held before `review` (or before the date `before`), or None for the first one."""
    date = review["review_date"] if review else before
    if date is None:
        raise ValueError("previous_review needs a review or a date")
    rows = database.query_dicts(
        f"""
        SELECT {REVIEW_COLUMNS} FROM reviews
        WHERE review_date < $date OR (review_date = $date AND review_id < $id)
        ORDER BY review_date DESC, review_id DESC LIMIT 1
        """,
        {"date": date, "id": (review or {}).get("review_id") or 0},
    )
    return _review(rows[0]) if rows else None


def default_period(database: Database, review_date: dt.date) -> tuple[dt.date, dt.date]:
    """Since the previous review's period ended, up to the review date; the first review looks back 12 months."""
    previous = previous_review(database, before=review_date + dt.timedelta(days=1))
    start = previous["period_to"] + dt.timedelta(days=1) if previous else None
    if start is None or start > review_date:
        start = add_months(period_start(review_date, "month"), -12)
    return start, review_date


def create_review(
    database: Database,
    actor: User,
    *,
    review_date: dt.date,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    title: str | None = None,
) -> int:
    """Open a new review (quality leads); the period defaults to since the previous review. Returns its id."""
    require(actor, QUALITY_LEAD)
    default_from, default_to = default_period(database, review_date)
    period_from = period_from or default_from
    period_to = period_to or default_to
    if period_from > period_to:
        raise ReviewError(f"the period starts ({period_from}) after it ends ({period_to}): swap the dates")
    title = (title or "").strip() or f"Management review {review_date:%d %B %Y}"

    def work(cursor) -> int:
        review_id = next_id(cursor, "review")
        at = now_utc()
        cursor.execute(
            """
            INSERT INTO reviews (review_id, title, review_date, period_from, period_to, status, inputs, created_by,
                                 created_by_name, created_at)
            VALUES ($id, $title, $date, $from, $to, 'open', '{}', $by, $name, $at)
            """,
            {
                "id": review_id,
                "title": title,
                "date": review_date,
                "from": period_from,
                "to": period_to,
                "by": actor.email,
                "name": actor.name,
                "at": at,
            },
        )
        record_event(
            cursor,
            actor.email,
            "review_create",
            f"review {review_id}",
            {"title": title, "review_date": review_date, "period": [period_from, period_to]},
            at,
        )
        return review_id

    return database.write(work)


def save_texts(database: Database, actor: User, review_id: int, texts: dict[str, str]) -> list[str]:
    """Store the free texts of an open review (b, e, and notes on any input); returns the keys that changed."""
    require(actor, QUALITY_LEAD)
    unknown = sorted(set(texts) - set(SECTION_KEYS))
    if unknown:
        raise ReviewError(f"no input called {', '.join(unknown)}: use {', '.join(SECTION_KEYS)}")

    def work(cursor) -> list[str]:
        row = cursor.execute("SELECT status, inputs FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
        if row is None:
            raise ReviewError(f"review {review_id} does not exist")
        if row[0] == "closed":
            raise ReviewError(f"review {review_id} is closed: its record is frozen and cannot be edited")
        inputs = json.loads(row[1] or "{}")
        changed = [key for key, text in texts.items() if (text or "").strip() != inputs.get(key, "")]
        if not changed:
            return []
        inputs.update({key: (texts[key] or "").strip() for key in changed})
        cursor.execute(
            "UPDATE reviews SET inputs = $inputs WHERE review_id = $id", {"inputs": json.dumps(inputs), "id": review_id}
        )
        record_event(cursor, actor.email, "review_inputs", f"review {review_id}", {k: inputs[k] for k in changed})
        return changed

    return database.write(work)


def close_review(database: Database, actor: User, review_id: int) -> dict:
    """Freeze everything the review presents into its record and close it (quality leads); returns the record."""
    require(actor, QUALITY_LEAD)
    review = get_review(database, review_id)
    if review is None:
        raise ReviewError(f"review {review_id} does not exist")
    if review["status"] == "closed":
        raise ReviewError(
            f"review {review_id} was already closed on {review['closed_at']:%d %b %Y} by {review['closed_by_name']}"
        )
    for _attempt in range(3):
        at = now_utc()
        # What the record is built from: on DuckLake the snapshot (kept with the review, so what was presented
        # can be queried again exactly), on a file the load counter. If a load lands while the record is being
        # built, it is built again: the record and its snapshot must agree.
        version = database.data_version()
        closing = {"status": "closed", "closed_by": actor.email, "closed_by_name": actor.name, "closed_at": at}
        record = build_record(database, review | closing)
        record["lake_snapshot"] = database.snapshot_id()
        text = json.dumps(record, sort_keys=True)
        try:
            database.write(
                functools.partial(
                    _close,
                    database=database,
                    review_id=review_id,
                    version=version,
                    record=record,
                    text=text,
                    actor=actor,
                    at=at,
                )
            )
        except _DataMoved:
            continue
        return json.loads(text)
    raise ReviewError("new data kept arriving while the review was being closed; close it again in a moment")


class _DataMoved(Exception):
    """A load landed between building a review's record and writing it."""


def _close(cursor, database: Database, review_id: int, version: int, record: dict, text: str, actor: User, at) -> None:
    snapshot = database.snapshot_id(cursor)
    now = (
        snapshot
        if snapshot is not None
        else cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0]
    )
    if now != version:
        raise _DataMoved
    status = cursor.execute("SELECT status FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
    if status[0] == "closed":
        raise ReviewError(f"review {review_id} was closed by someone else a moment ago")
    cursor.execute(
        """
        UPDATE reviews SET status = 'closed', record = $record, closed_by = $by, closed_by_name = $name,
            closed_at = $at, lake_snapshot = $snapshot
        WHERE review_id = $id
        """,
        {
            "record": text,
            "by": actor.email,
            "name": actor.name,
            "at": at,
            "id": review_id,
            "snapshot": record["lake_snapshot"],
        },
    )
    record_event(
        cursor,
        actor.email,
        "review_close",
        f"review {review_id}",
        {"missing_inputs": [m["key"] for m in record["completeness"]["missing"]], "actions": len(record["actions"])},
        at,
    )


def review_record(database: Database, review_id: int, *, evidence_of: Callable[..., dict] | None = None) -> dict:
    """What the review presents: the frozen record of a closed review, or a fresh build of an open one.

    `evidence_of(database, period_from, period_to)` computes the data part (default `evidence`; pages pass a cached one).
    """
    rows = database.query_dicts(
        f"SELECT {REVIEW_COLUMNS}, record FROM reviews WHERE review_id = $id", {"id": review_id}
    )
    if not rows:
        raise ReviewError(f"review {review_id} does not exist")
    review = _review(rows[0])
    stored = review.pop("record")
    if review["status"] == "closed" and stored:
        return json.loads(stored)
    data = (evidence_of or evidence)(database, review["period_from"], review["period_to"])
    return build_record(database, review, data)


def adhoc_review(period_from: dt.date, period_to: dt.date) -> dict:
    """A review that is not stored (the CLI's --from/--to): the same record shape, without texts or decisions."""
    if period_from > period_to:
        raise ReviewError(f"the period starts ({period_from}) after it ends ({period_to}): swap the dates")
    return {
        "review_id": None,
        "title": f"Management review pack {period_from:%d %b %Y} to {period_to:%d %b %Y}",
        "review_date": period_to,
        "period_from": period_from,
        "period_to": period_to,
        "status": "draft",
        "inputs": {},
        "created_by": None,
        "created_by_name": None,
        "created_at": None,
        "closed_by": None,
        "closed_by_name": None,
        "closed_at": None,
    }


# --- the record ------------------------------------------------------------------------------------------------


def build_record(database: Database, review: dict, data: dict | None = None) -> dict:
    """Everything the review presents, JSON-ready: what is shown live for an open review and frozen on close."""
    data = data or evidence(database, review["period_from"], review["period_to"])
    sections = build_inputs(database, review, data)
    day = register.review_day(review)
    outputs = (
        [register.describe(a, day) for a in register.list_actions(database, review_id=review["review_id"])]
        if review.get("review_id") is not None
        else []
    )
    record = {
        "version": RECORD_VERSION,
        "review": {
            "id": review.get("review_id"),
            "title": review["title"],
            "review_date": review["review_date"],
            "period_from": review["period_from"],
            "period_to": review["period_to"],
            "status": review["status"],
            "created_by": review.get("created_by"),
            "created_by_name": review.get("created_by_name"),
            "closed_by": review.get("closed_by"),
            "closed_by_name": review.get("closed_by_name"),
            "closed_at": review.get("closed_at"),
        },
        "actions_as_of": day,
        "as_of": data["as_of"],
        "built_at": now_utc(),
        "scorecard": data["scorecard"],
        "series": data["series"],
        "sections": sections,
        "outcomes": data.get("outcomes"),  # training against outcomes (outcomes_view.pack_outcomes)
        "completeness": completeness(sections),
        "actions": outputs,
    }
    record["summary"] = build_summary(record)
    return jsonable(record)


def compare(previous: dict, current: dict) -> dict:
    """Per KPI, the latest value at the previous review and at this one, and whether it improved or got worse
    (by the KPI's direction); per pillar, the status then and now."""
    rows = []
    for kpi_id, now in current["series"].items():
        before = previous.get("series", {}).get(kpi_id, {})
        old, new = before.get("latest"), now["latest"]
        if old is None or new is None:
            change = "no data"
        elif abs(new - old) < 1e-9:
            change = "unchanged"
        else:
            better = new > old if now["direction"] == HIGHER else new < old
            change = "improved" if better else "worse"
        rows.append(
            {
                "id": kpi_id,
                "name": now["name"],
                "unit": now["unit"],
                "before": old,
                "before_period": before.get("latest_period"),
                "after": new,
                "after_period": now["latest_period"],
                "change": change,
                "variation_before": before.get("variation"),
                "variation_after": now["variation"],
                "on_target_before": before.get("on_target"),
                "on_target_after": now["on_target"],
            }
        )
    before_status = {
        p["id"]: record_pillar_texts(p)["status"] for p in previous.get("scorecard", {}).get("pillars", [])
    }
    pillars = [
        {
            "id": p["id"],
            "name": p["name"],
            "before": before_status.get(p["id"]),
            "after": record_pillar_texts(p)["status"],
        }
        for p in current["scorecard"]["pillars"]
    ]
    return {
        "previous": previous["review"],
        "current": current["review"],
        "kpis": rows,
        "improved": [row["name"] for row in rows if row["change"] == "improved"],
        "worse": [row["name"] for row in rows if row["change"] == "worse"],
        "pillars": pillars,
        "missing_before": len(previous["completeness"]["missing"]),
        "missing_after": len(current["completeness"]["missing"]),
    }
