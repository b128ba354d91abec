"""Load a file into a dataset: validate, then merge in one transaction as a batch; undo a batch.

A load either writes every row of the file or nothing. Rows are matched on the dataset's key: a new key is
`inserted`, a changed row `updated` (its previous version kept for undo), an equal row `unchanged`. A file
whose rows are all unchanged writes nothing at all, not even a batch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from isokpi import rollups
from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, cli_user, require
from isokpi.datasets import Dataset, get_dataset
from isokpi.db import Database, DiskFullError, full_directory, is_disk_full, next_id, now_utc, quote
from isokpi.errors import InputError
from isokpi.mapping import Mapping
from isokpi.sources import SourceError, StagedFile, stage_file
from isokpi.validate import Prepared, Problem, prepare

log = logging.getLogger(__name__)


class _NothingChanged(Exception):
    def __init__(self, counts: tuple[int, int, int]) -> None:
        super().__init__("every row is unchanged")
        self.counts = counts


class UndoError(InputError):
    """The batch cannot be undone; the message says why and what to do."""


@dataclass
class IngestResult:
    """What a load did, in the shape of `python -m isokpi ingest --json`."""

    dataset: str
    file_name: str
    batch_id: int | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate_rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    sha256: str | None = None
    checked_only: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def loaded(self) -> bool:
        return self.batch_id is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "dataset": self.dataset,
            "file_name": self.file_name,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicate_rows": self.duplicate_rows,
            "error_count": self.error_count,
            "errors": [problem.as_dict() for problem in self.errors],
            "warnings": self.warnings,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


@contextlib.contextmanager
def private_workdir(database: Database):
    """A directory only this load uses, inside the one the locked-down connection may read."""
    path = Path(tempfile.mkdtemp(dir=database.upload_root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def ingest_file(
    database: Database,
    dataset_name: str,
    path: str | Path,
    *,
    file_name: str | None = None,
    sheet: str | None = None,
    mapping: Mapping | None = None,
    date_format: str | None = None,
    actor: User | None = None,
    source: str = "cli",
    check_only: bool = False,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate the file at `path` as `dataset_name` and, unless check_only or invalid, load it as one batch.

    `actor` loads it (quality leads; None: whoever runs the command line). `progress` hears each step as it
    starts: "staging", "validating", "writing".
    """
    actor = actor or cli_user()
    if not check_only:
        require(actor, QUALITY_LEAD)  # before the file is read
    dataset = get_dataset(dataset_name)
    name = file_name or Path(path).name
    with nothing_loaded_if_disk_full(name), private_workdir(database) as workdir:
        (progress or (lambda step: None))("staging")
        try:
            staged = stage_file(path, workdir, name, sheet)
        except SourceError as error:
            return refused(dataset.name, name, error)
        return ingest_staged(
            database,
            dataset.name,
            staged,
            mapping=mapping,
            date_format=date_format,
            actor=actor,
            source=source,
            check_only=check_only,
            progress=progress,
        )


def refused(dataset_name: str, file_name: str, error: SourceError) -> IngestResult:
    """The result of a file that cannot be read at all: its reason as the one problem, on row 1."""
    result = IngestResult(get_dataset(dataset_name).name, file_name)
    result.errors, result.error_count = [Problem(1, "", "", str(error))], 1
    return result


def ingest_staged(
    database: Database,
    dataset_name: str,
    staged: StagedFile,
    *,
    mapping: Mapping | None = None,
    date_format: str | None = None,
    actor: User | None = None,
    source: str = "cli",
    check_only: bool = False,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate and load a file stage_file has already converted (ingest_file stages one per call; the Upload
    page stages a workbook once per upload and validates and loads that one CSV)."""
    actor = actor or cli_user()
    if not check_only:
        require(actor, QUALITY_LEAD)
    report = progress or (lambda step: None)
    dataset = get_dataset(dataset_name)
    result = IngestResult(dataset.name, staged.file_name)
    result.sha256 = staged.sha256
    with nothing_loaded_if_disk_full(staged.file_name):
        return _validate_and_load(
            database, dataset, staged, result, mapping, date_format, actor.email, source, check_only, report
        )


@contextlib.contextmanager
def nothing_loaded_if_disk_full(file_name: str):
    """Turn the disk filling up while a file is staged, validated or written into a plain DiskFullError.

    The load's transaction has rolled back by then, so the database holds what it held before.
    """
    try:
        yield
    except (OSError, duckdb.Error, DiskFullError) as error:
        if not is_disk_full(error):
            raise
        where = full_directory(error)
        raise DiskFullError(
            f"{file_name}: the disk is full; nothing was loaded. Free some space"
            f"{f' on the disk that holds {where}' if where else ''} and load the file again.",
            where,
        ) from None


def _validate_and_load(
    database: Database,
    dataset: Dataset,
    staged: StagedFile,
    result: IngestResult,
    mapping: Mapping | None,
    date_format: str | None,
    user: str,
    source: str,
    check_only: bool,
    report: Callable[[str], None],
) -> IngestResult:
    # Validation and the write share one cursor: the temp tables they pass along are private to it.
    with contextlib.closing(database.cursor()) as cursor:
        report("validating")
        if check_only:
            check_staged(cursor, dataset, staged, result, mapping=mapping, date_format=date_format)
            return result
        prepared = prepare(cursor, dataset, staged, mapping=mapping, date_format=date_format)
        _copy_validation(prepared, result)
        if not prepared.ok:
            return result
        report("writing")
        try:
            batch_id, counts = database.write(
                lambda write_cursor: _merge(
                    write_cursor,
                    dataset,
                    staged,
                    result.rows_read,
                    prepared.duplicate_rows,
                    user,
                    source,
                    prepared.present,
                ),
                cursor=cursor,
            )
        except _NothingChanged as nothing:
            batch_id, counts = None, nothing.counts
    result.batch_id = batch_id
    result.inserted, result.updated, result.unchanged = counts
    return result


def check_staged(
    cursor: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    staged: StagedFile,
    result: IngestResult,
    *,
    mapping: Mapping | None = None,
    date_format: str | None = None,
) -> Prepared:
    """`--check`: validate into `result` and, when the file is clean, count what a load would insert, update
    and leave unchanged. Writes nothing; the typed rows stay on `cursor` (temp table typed_rows) for a preview."""
    prepared = prepare(cursor, dataset, staged, mapping=mapping, date_format=date_format)
    _copy_validation(prepared, result)
    if prepared.ok:
        result.checked_only = True
        result.inserted, result.updated, result.unchanged = _classify(
            cursor, dataset, prepared.duplicate_rows, prepared.present
        )
    return prepared


def _copy_validation(prepared: Prepared, result: IngestResult) -> None:
    result.rows_read = prepared.rows_read
    result.errors = prepared.problems
    result.error_count = prepared.problem_count
    result.warnings = prepared.warnings
    result.duplicate_rows = prepared.duplicate_rows


def _classify(
    cursor: duckdb.DuckDBPyConnection, dataset: Dataset, duplicates: int = 0, present: set[str] | None = None
) -> tuple[int, int, int]:
    """Compare `typed` with the current rows: temp table `matched` (key, same) and (inserted, updated, unchanged).

    Only the columns the file has are compared: a column the export leaves out keeps its stored values.
    """
    compared = [c for c in dataset.column_names if present is None or c in present]
    same = " AND ".join(f"t.{quote(c)} IS NOT DISTINCT FROM c.{quote(c)}" for c in compared)
    current = f"(SELECT * FROM {quote(dataset.versions_table)} WHERE _superseded_by IS NULL)"
    stored_key = quote(dataset.stored_key)
    cursor.execute("DROP TABLE IF EXISTS matched")
    if duplicates:
        sql = f"SELECT t._key, bool_and({same}) AS same FROM typed_rows t JOIN {current} c ON c.{stored_key} = t._key GROUP BY t._key"
    else:
        sql = f"SELECT t._key, {same} AS same FROM typed_rows t JOIN {current} c ON c.{stored_key} = t._key"
    cursor.execute(f"CREATE TEMP TABLE matched AS {sql}")
    keys = cursor.execute("SELECT count(*) FROM typed_rows").fetchone()[0] - duplicates
    updated, unchanged = cursor.execute(
        "SELECT count(*) FILTER (NOT same), count(*) FILTER (same) FROM matched"
    ).fetchone()
    return keys - updated - unchanged, updated, unchanged


def _merge(
    cursor: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    staged: StagedFile,
    rows_read: int,
    duplicates: int,
    user: str,
    source: str,
    present: set[str] | None = None,
) -> tuple[int | None, tuple[int, int, int]]:
    """Inside the caller's transaction: write the new versions and the batch record."""
    # Take the batch id first: a concurrent load bumping the same counter conflicts here and retries, so
    # it classifies against our rows, not against the state before them.
    batch_id = next_id(cursor, "batch")
    lagging = rollups.behind(cursor, dataset.name)  # before the batch record changes the dataset's version
    counts = _classify(cursor, dataset, duplicates, present)
    inserted, updated, unchanged = counts
    if inserted + updated == 0:
        raise _NothingChanged(counts)  # rolls back: not even a batch or its id is written
    table = quote(dataset.versions_table)
    columns = ", ".join(quote(c) for c in dataset.column_names)
    key = ", _key" if dataset.stored_key == "_key" else ""
    # Exact repeats of a row within the file are written once. Without unchanged rows to leave out, the
    # insert reads typed_rows straight: an anti-join here would make DuckDB log every row in the WAL.
    first_of_key = "QUALIFY row_number() OVER (PARTITION BY t._key ORDER BY t._row) = 1" if duplicates else ""
    absent = [c for c in dataset.column_names if present is not None and c not in present]
    if updated and absent:
        # Changed rows keep what the file does not say: absent columns come from the current version.
        current = f"(SELECT * FROM {table} WHERE _superseded_by IS NULL)"
        picked = ", ".join(f"c.{quote(c)}" if c in absent else f"t.{quote(c)}" for c in dataset.column_names)
        cursor.execute(
            f"INSERT INTO {table} ({columns}{key}, _batch_id, _superseded_by) "
            f"SELECT {picked}{', t._key' if key else ''}, $batch, NULL FROM typed_rows t "
            f"JOIN matched m ON m._key = t._key AND NOT m.same "
            f"JOIN {current} c ON c.{quote(dataset.stored_key)} = t._key {first_of_key}",
            {"batch": batch_id},
        )
        leave_out = "WHERE NOT EXISTS (SELECT 1 FROM matched m WHERE m._key = t._key)"
    else:
        leave_out = "WHERE NOT EXISTS (SELECT 1 FROM matched m WHERE m._key = t._key AND m.same)" if unchanged else ""
    cursor.execute(
        f"INSERT INTO {table} ({columns}{key}, _batch_id, _superseded_by) "
        f"SELECT {columns}{key}, $batch, NULL FROM typed_rows t {leave_out} {first_of_key}",
        {"batch": batch_id},
    )
    if updated:
        # After the inserts (which read the versions being replaced): the old versions step aside.
        cursor.execute(
            f"""
            UPDATE {table} SET _superseded_by = $batch
            WHERE _superseded_by IS NULL AND _batch_id <> $batch
              AND {quote(dataset.stored_key)} IN (SELECT _key FROM matched WHERE NOT same)
            """,
            {"batch": batch_id},
        )
    at = now_utc()
    cursor.execute(
        """
        INSERT INTO batches VALUES ($batch, $dataset, $file, $sha, $read, $inserted, $updated, $unchanged,
            $user, $at, $source, 'loaded', NULL, NULL)
        """,
        {
            "batch": batch_id,
            "dataset": dataset.name,
            "file": staged.file_name,
            "sha": staged.sha256,
            "read": rows_read,
            "inserted": inserted,
            "updated": updated,
            "unchanged": unchanged,
            "user": user,
            "at": at,
            "source": source,
        },
    )
    record_event(
        cursor,
        user,
        "load",
        f"batch {batch_id}",
        {
            "dataset": dataset.name,
            "file": staged.file_name,
            "inserted": inserted,
            "updated": updated,
            "unchanged": unchanged,
        },
        at,
    )
    # Last, after the batch record: see isokpi.rollups on a change cut short.
    touched = rollups.load_touched(cursor, dataset.name, batch_id, lagging=lagging, inserted=inserted, updated=updated)
    rollups.refresh(cursor, touched, batch_id)
    return batch_id, counts


# --- batches and undo ------------------------------------------------------------------------------


def list_batches(database: Database, dataset: str | None = None) -> list[dict]:
    """The ledger, newest first. `demo` marks the batches of the demo generator (source "demo"); a batch taken
    out with the demo (isokpi.demo_batches) has status "removed"."""
    return database.query_dicts(
        """
        SELECT batch_id, dataset, file_name, sha256, rows_read, inserted, updated, unchanged, loaded_by,
               loaded_at, source, status, undone_by, undone_at, source = 'demo' AS demo
        FROM batches WHERE $dataset IS NULL OR dataset = $dataset ORDER BY batch_id DESC
        """,
        {"dataset": dataset},
    )


def undo_batch(database: Database, batch_id: int, *, actor: User | None = None) -> dict:
    """Restore the state before `batch_id` (quality leads; None: whoever runs the command line): its new rows
    go, the versions it replaced come back."""
    actor = actor or cli_user()
    require(actor, QUALITY_LEAD)
    who = actor.email

    def work(cursor: duckdb.DuckDBPyConnection) -> dict:
        change = next_id(cursor, "batch")  # conflicts with a concurrent load, so neither sees half of the other
        row = cursor.execute(
            "SELECT dataset, status, file_name, inserted, updated FROM batches WHERE batch_id = $id", {"id": batch_id}
        ).fetchone()
        if row is None:
            raise UndoError(f"there is no batch {batch_id}: `python -m isokpi batches` lists them")
        dataset_name, status, file_name, inserted, updated = row
        if status == "undone":
            raise UndoError(f"batch {batch_id} ({file_name}) was already undone")
        if status == "removed":
            raise UndoError(f"batch {batch_id} ({file_name}) was removed with the demo data: its rows are gone already")
        table = quote(get_dataset(dataset_name).versions_table)
        later = cursor.execute(
            f"SELECT min(_superseded_by) FROM {table} WHERE _batch_id = $id AND _superseded_by IS NOT NULL",
            {"id": batch_id},
        ).fetchone()[0]
        if later is not None:
            raise UndoError(
                f"batch {later} changed rows that batch {batch_id} wrote: undo batch {later} first, then batch {batch_id}"
            )
        # Before its versions go.
        touched = rollups.undo_touched(cursor, dataset_name, batch_id, inserted=inserted, updated=updated)
        removed = cursor.execute(f"DELETE FROM {table} WHERE _batch_id = $id", {"id": batch_id}).fetchone()[0]
        restored = cursor.execute(
            f"UPDATE {table} SET _superseded_by = NULL WHERE _superseded_by = $id", {"id": batch_id}
        ).fetchone()[0]
        at = now_utc()
        cursor.execute(
            "UPDATE batches SET status = 'undone', undone_by = $user, undone_at = $at WHERE batch_id = $id",
            {"user": who, "at": at, "id": batch_id},
        )
        record_event(
            cursor,
            who,
            "undo",
            f"batch {batch_id}",
            {"dataset": dataset_name, "removed": removed, "restored": restored},
            at,
        )
        rollups.refresh(cursor, touched, change)
        return {"batch_id": batch_id, "dataset": dataset_name, "removed": int(removed), "restored": int(restored)}

    return database.write(work)
