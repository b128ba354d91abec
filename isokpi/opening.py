"""Opening a database: connect (isokpi.db), apply the migrations, the crash recovery, then build or repair the
roll-ups (isokpi.rollups); one per process.

This is the one place that wires the store to what is stored, so that the store imports nothing of isokpi.
"""

from __future__ import annotations

import atexit
import os
import threading

from isokpi.db import Database, Target, resolve_target
from isokpi.migrations import migrate
from isokpi.recovery import discard_unfinished_loads
from isokpi.rollups import ensure_current


def open_target(target: Target) -> Database:
    """A new Database on `target`, migrated and recovered (tests and tools that want their own connection)."""
    database = Database(target)
    try:
        migrate(database)
        discarded = discard_unfinished_loads(database)
        ensure_current(database, opening=True, recovered=discarded > 0)
    except BaseException:
        database.close()
        raise
    return database


_open: dict[Target, Database] = {}
_open_lock = threading.Lock()


def open_database(db: str | os.PathLike[str] | None = None) -> Database:
    """The process-wide Database for `db` (see isokpi.db.resolve_target), opened on first use."""
    target = resolve_target(db)
    with _open_lock:
        database = _open.get(target)
        if database is None:
            database = open_target(target)
            _open[target] = database
        return database


def close_all() -> None:
    """Close every open Database (tests and CLI exit)."""
    with _open_lock:
        for database in _open.values():
            database.close()
        _open.clear()


atexit.register(close_all)
