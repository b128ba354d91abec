"""The audit trail: who loaded, undid, edited, closed or assigned what, and when.

Every change to the data appends one event inside the transaction that makes the change, so the trail and
the data can never disagree.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from isokpi.db import Database, next_id, now_utc


def record_event(
    cursor: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, object],
    at: dt.datetime | None = None,
) -> None:
    """Append to the audit trail inside the caller's transaction."""
    event_id = next_id(cursor, "audit")
    cursor.execute(
        "INSERT INTO audit_log VALUES ($id, $at, $actor, $action, $subject, $details)",
        {
            "id": event_id,
            "at": at or now_utc(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": json.dumps(details, default=str),
        },
    )


def audit_trail(database: Database, limit: int | None = 1000) -> list[dict]:
    """The events, newest first (all of them with limit=None)."""
    sql = "SELECT event_id, occurred_at, actor, action, subject, details FROM audit_log ORDER BY event_id DESC"
    if limit is None:
        return database.query_dicts(sql)
    return database.query_dicts(sql + " LIMIT $limit", {"limit": limit})
