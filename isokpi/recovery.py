"""Crash recovery on opening a DuckDB file: what a load killed while committing left behind goes."""

from __future__ import annotations

import logging

import duckdb

from isokpi.audit import record_event
from isokpi.datasets import DATASETS
from isokpi.db import Database, quote

log = logging.getLogger(__name__)


def discard_unfinished_loads(database: Database) -> int:
    """Delete what a load killed while committing left behind in a DuckDB file; return the rows deleted.

    DuckDB 1.5.5 writes a large insert's row groups into the file before COMMIT and names them in the WAL.
    When the process dies while that WAL is being written, the next open can bring those rows back without
    the rest of their transaction: no batch record, no counter bump, no audit entry (duckdb/duckdb#25931).
    Every batch's id is at most the batch counter, bumped in the same transaction, so versions of a higher
    batch are such remains: they go, and what they had superseded is current again. Run on open, before
    anything reads. Not on DuckLake, where a commit is one PostgreSQL transaction and other servers write.
    """
    if database.target.kind != "duckdb":
        return 0

    def work(cursor: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
        params = {"last": cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0]}
        left: dict[str, dict[str, int]] = {}
        for dataset in DATASETS.values():
            table = quote(dataset.versions_table)
            # The batch id first in the filter: DuckDB skips row groups by their min/max, so a clean file costs
            # a few milliseconds even with millions of rows.
            rows, superseded = cursor.execute(
                f"SELECT count(*) FILTER (_batch_id > $last), count(*) FILTER (_superseded_by > $last) FROM {table}"
                " WHERE _batch_id > $last OR _superseded_by > $last",
                params,
            ).fetchone()
            if rows or superseded:
                cursor.execute(f"DELETE FROM {table} WHERE _batch_id > $last", params)
                cursor.execute(f"UPDATE {table} SET _superseded_by = NULL WHERE _superseded_by > $last", params)
                left[dataset.name] = {"rows_deleted": int(rows), "versions_restored": int(superseded)}
        if left:
            record_event(cursor, "isokpi", "discard_unfinished_load", "database file", left)
        return left

    left = database.write(work)
    deleted = sum(counts["rows_deleted"] for counts in left.values())
    if left:
        log.warning("discarded %d rows of a load that was interrupted while committing: %s", deleted, left)
    return deleted
