"""DuckLake maintenance: compact the data files, expire old snapshots, keeping every snapshot a closed review pins.

Every load is a snapshot with its own small Parquet files; over months they add up. `compact` moves rows DuckLake
kept inline in its catalog into files and merges adjacent small files (time travel keeps working: a merged file
remembers which snapshot wrote each row). `expire` forgets snapshots older than some days, except the newest and
those closed management reviews pin (`reviews.lake_snapshot`, which `AT (VERSION => n)` reads again), so the data
that only they showed can go. Files no snapshot needs any more are deleted once they have waited CLEANUP_GRACE,
so that a query another server is running on them finishes first: the files a run frees go on a later run.

DuckLake refuses to compact and change data in one transaction, so each step is its own transaction and the audit
trail records the run right after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from isokpi.audit import record_event
from isokpi.auth import ADMIN, User, require
from isokpi.db import LAKE_ALIAS, Database, now_utc
from isokpi.errors import InputError

CLEANUP_GRACE = dt.timedelta(hours=1)
CATALOG = f"'{LAKE_ALIAS}'"  # the attached catalog's name as the first argument of DuckLake's functions
METADATA = f"__ducklake_metadata_{LAKE_ALIAS}"

LIVE_FILES = f"SELECT count(*) FROM {METADATA}.ducklake_data_file WHERE end_snapshot IS NULL"
PINNED = "SELECT DISTINCT lake_snapshot FROM reviews WHERE status = 'closed' AND lake_snapshot IS NOT NULL"
# Snapshots older than the cutoff (seconds since the epoch, UTC), never the newest one.
OLD_SNAPSHOTS = f"""
SELECT snapshot_id FROM ducklake_snapshots({CATALOG})
WHERE epoch(snapshot_time) < $cutoff
  AND snapshot_id < (SELECT max(snapshot_id) FROM ducklake_snapshots({CATALOG}))
ORDER BY snapshot_id
"""


class LakeError(InputError):
    """A maintenance command that does not apply here (a DuckDB file) or a malformed argument: exit code 2."""


@dataclass(frozen=True)
class Compaction:
    files_before: int  # live data files before merging (the inlined rows already written out)
    files_after: int
    files_deleted: int  # files no snapshot needed any more, deleted after their grace period


@dataclass(frozen=True)
class Expiry:
    expired: list[int]  # the snapshot ids forgotten
    kept_pinned: list[int]  # old snapshots kept because a closed review pins them
    files_deleted: int


def _need_lake(database: Database) -> None:
    if database.target.kind != "ducklake":
        raise LakeError(
            f"{database.target.location} is a DuckDB file: compaction and snapshot expiry are for a DuckLake catalog "
            "(ISOKPI_DB=ducklake:postgres:...); a DuckDB file needs neither"
        )


def _cleanup(database: Database, grace: dt.timedelta) -> int:
    """Delete the files scheduled for deletion at least `grace` ago; how many."""
    cutoff = (now_utc() - grace).replace(tzinfo=dt.UTC).timestamp()

    def work(cursor) -> int:
        waiting = cursor.execute(
            f"SELECT count(*) FROM {METADATA}.ducklake_files_scheduled_for_deletion WHERE epoch(schedule_start) < $c",
            {"c": cutoff},
        ).fetchone()[0]
        if waiting:
            cursor.execute(f"CALL ducklake_cleanup_old_files({CATALOG}, older_than => to_timestamp($c))", {"c": cutoff})
        return int(waiting)

    return database.write(work)


def _record(database: Database, actor: User, action: str, details: dict[str, object]) -> None:
    database.write(lambda cursor: record_event(cursor, actor.email, action, LAKE_ALIAS, details))


def compact(database: Database, *, actor: User, grace: dt.timedelta = CLEANUP_GRACE) -> Compaction:
    """Inlined rows into files, adjacent small files merged, files freed earlier deleted (admins)."""
    require(actor, ADMIN)
    _need_lake(database)
    database.write(lambda cursor: cursor.execute(f"CALL ducklake_flush_inlined_data({CATALOG})").fetchall())
    before = database.query(LIVE_FILES)[0][0]
    database.write(lambda cursor: cursor.execute(f"CALL ducklake_merge_adjacent_files({CATALOG})").fetchall())
    after = database.query(LIVE_FILES)[0][0]
    result = Compaction(int(before), int(after), _cleanup(database, grace))
    _record(database, actor, "lake_compact", asdict(result))
    return result


def expire(database: Database, older_than_days: int, *, actor: User, grace: dt.timedelta = CLEANUP_GRACE) -> Expiry:
    """Forget the snapshots older than `older_than_days` days except the newest and those closed reviews pin, then
    delete the files freed earlier (admins)."""
    require(actor, ADMIN)
    _need_lake(database)
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 1:
        raise LakeError(f"--older-than {older_than_days!r}: give a whole number of days, 1 or more")
    cutoff = (now_utc() - dt.timedelta(days=older_than_days)).replace(tzinfo=dt.UTC).timestamp()

    def work(cursor) -> tuple[list[int], list[int]]:
        old = [row[0] for row in cursor.execute(OLD_SNAPSHOTS, {"cutoff": cutoff}).fetchall()]
        pinned = {row[0] for row in cursor.execute(PINNED).fetchall()}
        going = [snapshot for snapshot in old if snapshot not in pinned]
        if going:
            cursor.execute(
                f"SELECT count(*) FROM ducklake_expire_snapshots({CATALOG}, versions => $ids)", {"ids": going}
            ).fetchall()
        return going, [snapshot for snapshot in old if snapshot in pinned]

    expired, kept = database.write(work)
    result = Expiry(expired, kept, _cleanup(database, grace))
    _record(
        database,
        actor,
        "lake_expire",
        {
            "older_than_days": older_than_days,
            "expired": len(expired),
            "kept_pinned": kept,
            "files_deleted": result.files_deleted,
        },
    )
    return result
