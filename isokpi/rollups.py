"""Roll-ups: small tables of aggregates that the KPIs and pages read instead of every row, exact after every change.

A roll-up is one GROUP BY over a dataset's current rows (isokpi/sql/rollups/<name>.sql, reading `input_rows`),
stored in `rollup_<name>` with the change that wrote each row (`_change`, a value of the batch counter). A group's
figures depend on its own rows only (but for a roll-up kept by partition, below), so a change brings exactly the
groups its row versions belong to up to date, in the transaction that changes the rows (refresh): counts and sums add the definition over the versions the change made
current and take away the definition over those it made no longer current; minima, maxima and bitmasks (ORed) merge
added versions, and a group that lost rows is computed again from its rows; a change of a large share of the rows
computes the roll-up whole. A load that only inserts rows (most uploads) appends the definition over them and reads
nothing of the roll-up, so a group may be held in several rows: every reader combines them by its measures (sums,
minima, maxima, ORs; common.sql), as `--check` does, and the first change of the dataset after each multiple of
FOLD_EVERY changes folds them back into one row per group. On DuckLake that keeps a load to one INSERT per roll-up:
no read, no delete. One SQL definition builds a roll-up, refreshes it and checks it
(`python -m isokpi rollups --check`).

A roll-up kept by partition (training_matrix) has groups whose figures depend on every row of a partition (an
employee's records in a site and department): a change computes the definition over the rows of the partitions it
touched as they are and as they were, and adds the difference (merged, or after a load that only inserted rows
appended, combined per group); a group whose changes sum to nothing is no group.

What could still leave a roll-up behind its rows is caught before it is read:
- a cut WAL on a database file that brings back part of an unfinished change (duckdb/duckdb#25931, see
  isokpi.recovery): its roll-up rows carry a change later than the batch counter, and opening the file rebuilds;
- a change made by code that keeps no roll-ups (a server of an older release on the same DuckLake): each roll-up
  records the version of its dataset it reflects (`rollup_builds.dataset_version`), and `ensure_current` rebuilds
  one whose version is not its dataset's before a query reads it;
- a definition changed by a new release: its digest differs, and opening the database rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.cache import cached
from isokpi.datasets import DATASETS
from isokpi.db import Database, now_utc, quote
from isokpi.sql import load_sql

log = logging.getLogger(__name__)

EXAMPLES_SHOWN = 20  # differences listed per roll-up by check()
# A change whose versions (new, replaced, removed or restored) number at least 1 in WHOLE_FROM of the dataset's
# current rows recomputes every group: noting its groups and picking their rows out would cost more than aggregating
# every row once (for a first load of 1M rows: 0.26 s against 0.15 s for the completions' 73,181 groups).
WHOLE_FROM = 4
# Loads that only insert rows append their groups to the roll-ups (a group may be held in several rows); the first
# change of their dataset that passes a multiple of FOLD_EVERY changes (of any dataset) since its last one combines
# each group's rows into one again.
FOLD_EVERY = 32
# A change known to name at least this many versions asks first whether it is that large, before it copies them into
# a temp table (which, for a first load of 1M rows, is a copy of every row for nothing).
ASK_FIRST_FROM = 10_000


@dataclass(frozen=True)
class Rollup:
    """isokpi/sql/rollups/<name>.sql over `dataset`'s current rows, grouped by `keys`, in table rollup_<name>."""

    name: str
    dataset: str
    keys: tuple[str, ...]
    measures: tuple[tuple[str, str], ...]  # (column, how it combines: "count", "sum", "min", "max" or "bits" (OR))
    # Row keys whose rows a group's figures depend on all of, when not only the group's own (training_matrix: an
    # employee's days on record in a site and department): a change computes its partitions again, before and after.
    partition: tuple[str, ...] = ()

    @property
    def additive(self) -> bool:
        """Counts and sums only: a change is added, and taken away again (the first measure counts the rows)."""
        return all(kind in ADDITIVE for _, kind in self.measures) and self.measures[0][1] == "count"

    @property
    def table(self) -> str:
        return f"rollup_{self.name}"

    @property
    def sql(self) -> str:
        return load_sql(f"rollups/{self.name}.sql")

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.keys}\n{self.measures}\n{self.sql}".encode()).hexdigest()[:16]

    def over(self, rows: str) -> str:
        """The definition over `rows` (a query of the dataset's columns); one of several CTEs goes on after input_rows."""
        code = re.sub(r"--[^\n]*", "", self.sql).lstrip()
        if re.match(r"WITH\b", code, flags=re.IGNORECASE):
            return f"WITH input_rows AS (\n{rows}\n),\n{code[4:]}"
        return f"WITH input_rows AS (\n{rows}\n)\n{self.sql}"

    @property
    def row_keys(self) -> tuple[str, ...]:
        """The keys that are columns of the rows (not computed from them, as training_awareness's block)."""
        return tuple(key for key in self.keys if key in DATASETS[self.dataset].column_names)

    def same_group(self, left: str, right: str, keys: tuple[str, ...] | None = None) -> str:
        return " AND ".join(
            f"{left}.{quote(key)} IS NOT DISTINCT FROM {right}.{quote(key)}"
            for key in (self.keys if keys is None else keys)
        )


ADDITIVE = ("count", "sum")
MERGE = {"count": "sum({})", "sum": "sum({})", "min": "min({})", "max": "max({})", "bits": "bit_or({})"}
CELL = ("site", "department", "standard")
ROLLUPS: tuple[Rollup, ...] = (
    Rollup(
        "training_employees",
        "training",
        ("employee_id", "site", "department"),
        (("first_seen", "min"), ("last_seen", "max")),
    ),
    Rollup(
        "training_completions",
        "training",
        (*CELL, "completed_on"),
        (("completed", "count"), ("hours", "sum"), ("evaluated", "count"), ("effective", "count")),
    ),
    Rollup("training_due", "training", (*CELL, "due_date"), (("due", "count"), ("on_time", "count"))),
    Rollup(
        "training_awareness",
        "training",
        ("employee_id", *CELL, "block"),
        (("months", "bits"), ("first_completed", "min")),
    ),
    Rollup(
        "training_matrix",
        "training",
        (*CELL, "category", "level", "day"),
        (("change", "count"),),
        partition=("employee_id", "site", "department"),
    ),
)
_BY_TABLE = {rollup.table: rollup for rollup in ROLLUPS}
_BY_NAME = {rollup.name: rollup for rollup in ROLLUPS}


def of(dataset: str) -> tuple[Rollup, ...]:
    return tuple(rollup for rollup in ROLLUPS if rollup.dataset == dataset)


def dataset_of(table: str) -> str | None:
    """The dataset whose rows the table `table` rolls up, or None when it is not a roll-up."""
    rollup = _BY_TABLE.get(table)
    return rollup.dataset if rollup else None


def read_by(sql: str) -> tuple[Rollup, ...]:
    """The roll-ups a query names."""
    code = re.sub(r"--[^\n]*", "", sql)
    return tuple(rollup for rollup in ROLLUPS if re.search(rf"\b{rollup.table}\b", code))


# --- inside a change ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touched:
    """A change of a dataset, noted for its roll-ups (touch): `whole` when it changes so many rows that computing
    every group again costs less than merging the change, else its rows in temp tables on the cursor."""

    dataset: str
    whole: bool
    removed: bool = False  # rows left the dataset's current rows (not only added)
    lagging: bool = False  # a roll-up did not reflect the rows before the change: built again from its definition
    appended: int | None = None  # a load that only inserted rows (this batch id): its groups are appended
    size: int = 0  # the versions an appending load inserted


def behind(cursor: duckdb.DuckDBPyConnection, dataset: str) -> bool:
    """Whether a roll-up of `dataset` does not reflect its rows as they are (a change by code that keeps none, a
    definition changed by a newer release): a change then computes it whole instead of adding itself to it. Called
    inside the change's transaction, before the change writes its batch record."""
    rollups = of(dataset)
    return bool(rollups) and bool(_stale(cursor, rollups, remains=False))  # the check ensure_current makes


def touch(
    cursor: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    plus: str,
    minus: str,
    params: dict,
    lagging: bool | None = None,
    size: int | None = None,
) -> Touched:
    """Note a change of `dataset`: `plus` and `minus` are conditions on its versions (alias v) naming the versions the
    change makes current and those it makes no longer current (never the same version). Called where both can be read: after a load has
    written its versions, before an undo or the demo's removal deletes theirs (see the callers' conditions).
    `lagging`: behind() as a load found it before writing its batch record; else it is asked here. `size`: how many
    versions the two conditions name, when the caller knows it (a load's or an undo's counts)."""
    if not of(dataset):
        return Touched(dataset, whole=False)
    if behind(cursor, dataset) if lagging is None else lagging:
        return Touched(dataset, whole=True, lagging=True)
    current_rows, counted = f"(SELECT count(*) FROM {quote(dataset)})", {}
    if size is not None and size >= ASK_FIRST_FROM:
        current = cursor.execute(f"SELECT {current_rows}").fetchone()[0]
        if size * WHOLE_FROM >= current:
            return Touched(dataset, whole=True)
        current_rows, counted = "$current", {"current": current}  # not counted twice
    versions = f"{quote(DATASETS[dataset].versions_table)} v"
    columns = ", ".join(f"v.{quote(column)}" for column in DATASETS[dataset].column_names)
    changed = quote(f"changed_{dataset}")
    # Two scans, not one with OR: each condition is pushed into its scan (the two never name the same version).
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE {changed} AS SELECT {columns}, true AS _plus FROM {versions} WHERE {plus} "
        f"UNION ALL SELECT {columns}, false FROM {versions} WHERE {minus}",
        params,
    )
    count, removed, current = cursor.execute(
        f"SELECT count(*), count(*) FILTER (NOT _plus), {current_rows} FROM {changed}", counted
    ).fetchone()
    if count * WHOLE_FROM >= current:
        return Touched(dataset, whole=True)
    return Touched(dataset, whole=False, removed=removed > 0)


def load_touched(
    cursor: duckdb.DuckDBPyConnection, dataset: str, batch: int, *, lagging: bool, inserted: int, updated: int
) -> Touched:
    """After a load that inserted and updated rows: its versions became current, the versions they replaced are no
    longer. (Equalities on the batch id: DuckDB skips the row groups of other batches by their min and max.)"""
    if not updated and not lagging and of(dataset):
        return Touched(dataset, whole=False, appended=batch, size=inserted)  # only new rows: appended (refresh)
    return touch(
        cursor,
        dataset,
        plus="v._batch_id = $batch",
        minus="v._superseded_by = $batch",
        params={"batch": batch},
        lagging=lagging,
        size=inserted + 2 * updated,
    )


def undo_touched(
    cursor: duckdb.DuckDBPyConnection, dataset: str, batch: int, *, inserted: int, updated: int
) -> Touched:
    """Before an undo of a batch that inserted and updated rows: its versions go, the versions they replaced are
    current again."""
    return touch(
        cursor,
        dataset,
        plus="v._superseded_by = $batch",
        minus="v._batch_id = $batch",
        params={"batch": batch},
        size=inserted + 2 * updated,
    )


def refresh(cursor: duckdb.DuckDBPyConnection, touched: Touched, change: int) -> None:
    """At the end of a change (after its batch record): bring the dataset's roll-ups to its rows as they are now, and
    record the dataset version they reflect.

    A roll-up of sums and counts adds the change (the definition over the rows it made current, less the definition
    over those it made no longer current), dropping a group whose rows are all gone. One of minima, maxima and bitmasks
    (ORed) merges rows that were only added, and computes a group again from its current rows when rows left it. One
    kept by partition adds the definition over its touched partitions as they are, less as they were (_partitions)."""
    dataset = touched.dataset
    if not of(dataset):
        return  # a dataset without roll-ups: not a statement more
    changed = quote(f"changed_{dataset}")
    plus, minus = f"(SELECT * FROM {changed} WHERE _plus)", f"(SELECT * FROM {changed} WHERE NOT _plus)"
    removed = touched.removed
    if touched.lagging:
        _rebuild(cursor, of(dataset), change)
        return
    whole = touched.whole
    if touched.appended is not None and any(rollup.partition for rollup in of(dataset)):
        whole = _appended_as_changed(cursor, touched)
    for rollup in of(dataset):
        if touched.appended is not None and not rollup.partition:
            _append(cursor, rollup, touched.appended, change)
        elif whole:
            _whole(cursor, rollup, change)
        elif rollup.partition:
            _partitions(cursor, rollup, change, append=touched.appended is not None)
        elif rollup.additive or not removed:
            _merge(cursor, rollup, plus, minus if removed else None, change)
        else:
            _recompute(cursor, rollup, plus, minus, change)
    names = [rollup.name for rollup in of(dataset)]
    previous = cursor.execute(
        "SELECT min(change) FROM rollup_builds WHERE list_contains($names, name)", {"names": names}
    ).fetchone()[0]
    if previous is None or change // FOLD_EVERY > previous // FOLD_EVERY:
        for rollup in of(dataset):
            _fold(cursor, rollup, change)
    # One statement (a lake round trip): the dataset version the roll-ups now reflect.
    cursor.execute(
        f"UPDATE rollup_builds SET dataset_version = ({VERSION}), change = $change, built_at = $at "
        "WHERE list_contains($names, name)",
        {"dataset": dataset, "change": change, "at": now_utc(), "names": names},
    )
    # The temp tables go with the change's cursor (a connection of its own).


def _append(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, batch: int, change: int) -> None:
    """A load that only inserted rows: the definition over its rows, appended (one statement, reading nothing of the
    roll-up). A group may then be held in several rows, which every reader combines by its measures' MERGE."""
    dataset = DATASETS[rollup.dataset]
    columns = ", ".join(f"v.{quote(column)}" for column in dataset.column_names)
    rows = f"SELECT {columns} FROM {quote(dataset.versions_table)} v WHERE v._batch_id = $batch"
    cursor.execute(
        f"INSERT INTO {quote(rollup.table)} BY NAME SELECT *, $change AS _change FROM ({rollup.over(rows)})",
        {"batch": batch, "change": change},
    )


def _whole(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, change: int) -> None:
    """Every group computed again from the dataset's rows, in the change's transaction."""
    table = quote(rollup.table)
    cursor.execute(f"DELETE FROM {table}")
    cursor.execute(
        f"INSERT INTO {table} BY NAME SELECT *, $change AS _change FROM ({rollup.over(f'SELECT * FROM {quote(rollup.dataset)}')})",
        {"change": change},
    )


def _appended_as_changed(cursor: duckdb.DuckDBPyConnection, touched: Touched) -> bool:
    """For the roll-ups kept by partition, an appending load's versions noted as any change's are (touch); True when
    the load is so large a share of the rows that computing them whole costs less (a first load)."""
    noted = touch(
        cursor,
        touched.dataset,
        plus="v._batch_id = $batch",
        minus="false",
        params={"batch": touched.appended},
        lagging=False,
        size=touched.size,
    )
    return noted.whole


def _partitions(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, change: int, *, append: bool) -> None:
    """A roll-up kept by partition: the definition over every row of the partitions the change touched, as they are
    now, less the definition over the same partitions as they were (now, less the versions the change made current,
    plus those it made no longer current), merged as any change of sums and counts is; after a load that only added
    rows (`append`), appended (no read of the roll-up, which may then hold a group in several rows, as _append)."""
    dataset = DATASETS[rollup.dataset]
    columns = ", ".join(quote(column) for column in dataset.column_names)
    changed = quote(f"changed_{dataset.name}")
    keys = ", ".join(quote(key) for key in rollup.partition)
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE rollup_partition_rows AS SELECT {', '.join(f'r.{quote(c)}' for c in dataset.column_names)} "
        f"FROM {quote(dataset.name)} r SEMI JOIN (SELECT DISTINCT {keys} FROM {changed}) k "
        f"ON {rollup.same_group('k', 'r', rollup.partition)}"
    )
    # The difference reads the partitions twice: once they hold half the rows, computing the roll-up whole is cheaper
    # (a re-export that corrects one record of every employee).
    partition_rows = cursor.execute("SELECT count(*) FROM rollup_partition_rows").fetchone()[0]
    if partition_rows >= ASK_FIRST_FROM:
        current = cursor.execute(f"SELECT count(*) FROM {quote(dataset.name)}").fetchone()[0]
        if 2 * partition_rows >= current:
            _whole(cursor, rollup, change)
            return
    before = (
        f"(SELECT * FROM (SELECT {columns} FROM rollup_partition_rows EXCEPT ALL SELECT {columns} FROM {changed} "
        f"WHERE _plus) UNION ALL SELECT {columns} FROM {changed} WHERE NOT _plus)"
    )
    after = "(SELECT * FROM rollup_partition_rows)"
    if append:
        # The difference combined per group: the groups of the partitions' other rows, there before and after, cancel.
        keys = ", ".join(quote(key) for key in rollup.keys)
        measures = ", ".join(f"{MERGE[kind].format(quote(name))} AS {quote(name)}" for name, kind in rollup.measures)
        cursor.execute(
            f"INSERT INTO {quote(rollup.table)} BY NAME SELECT *, $change AS _change FROM (SELECT {keys}, {measures} "
            f"FROM ({_delta(rollup, after, before)}) GROUP BY ALL HAVING {MERGE['count'].format(quote(rollup.measures[0][0]))} <> 0)",
            {"change": change},
        )
    else:
        _merge(cursor, rollup, after, before, change)


def _fold(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, change: int) -> None:
    """Every group held in several rows (appended by loads), combined into one."""
    keys = ", ".join(quote(key) for key in rollup.keys)
    table = quote(rollup.table)
    measures = ", ".join(f"{MERGE[kind].format(quote(name))} AS {quote(name)}" for name, kind in rollup.measures)
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE rollup_folded AS SELECT {keys}, {measures} FROM {table} "
        f"GROUP BY ALL HAVING count(*) > 1"
    )
    if not cursor.execute("SELECT count(*) FROM rollup_folded").fetchone()[0]:
        return
    cursor.execute(f"DELETE FROM {table} USING rollup_folded f WHERE {rollup.same_group('f', table)}")
    kept = f"WHERE {quote(rollup.measures[0][0])} <> 0" if rollup.partition else ""  # changes that cancel: no group
    cursor.execute(
        f"INSERT INTO {table} BY NAME SELECT *, $change AS _change FROM rollup_folded {kept}", {"change": change}
    )


def _delta(rollup: Rollup, plus: str, minus: str | None) -> str:
    """The definition over `plus`, and over `minus` with its sums and counts negated."""
    keys = ", ".join(quote(key) for key in rollup.keys)
    negated = ", ".join(
        f"-{quote(name)} AS {quote(name)}" if kind in ADDITIVE else quote(name) for name, kind in rollup.measures
    )
    delta = f"SELECT * FROM ({rollup.over(f'SELECT * FROM {plus}')})"
    if minus is not None:
        delta += f" UNION ALL BY NAME SELECT {keys}, {negated} FROM ({rollup.over(f'SELECT * FROM {minus}')})"
    return delta


def _merge(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, plus: str, minus: str | None, change: int) -> None:
    keys = ", ".join(quote(key) for key in rollup.keys)
    table = quote(rollup.table)
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE rollup_delta AS {_delta(rollup, plus, minus)}")
    measures = ", ".join(f"{MERGE[kind].format(quote(name))} AS {quote(name)}" for name, kind in rollup.measures)
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE rollup_merged AS SELECT {keys}, {measures} FROM ("
        f"SELECT {keys}, {', '.join(quote(name) for name, _ in rollup.measures)} FROM {table} t "
        f"SEMI JOIN rollup_delta d ON {rollup.same_group('d', 't')} "
        f"UNION ALL BY NAME SELECT * FROM rollup_delta) GROUP BY ALL"
    )
    cursor.execute(f"DELETE FROM {table} USING rollup_delta d WHERE {rollup.same_group('d', table)}")
    kept = f"WHERE {quote(rollup.measures[0][0])} <> 0" if rollup.additive else ""  # its first count: rows left
    cursor.execute(
        f"INSERT INTO {table} BY NAME SELECT *, $change AS _change FROM rollup_merged {kept}", {"change": change}
    )


def _recompute(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, plus: str, minus: str, change: int) -> None:
    """The groups of the changed rows, computed again from their current rows; by the keys that are columns of the
    rows, so that a key computed from them (a block of months) is computed again for all of the row keys' rows."""
    by = rollup.row_keys
    keys, table = ", ".join(quote(key) for key in by), quote(rollup.table)
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE rollup_groups AS SELECT {keys} FROM {plus} UNION SELECT {keys} FROM {minus}"
    )
    cursor.execute(f"DELETE FROM {table} USING rollup_groups k WHERE {rollup.same_group('k', table, by)}")
    rows = f"SELECT r.* FROM {quote(rollup.dataset)} r SEMI JOIN rollup_groups k ON {rollup.same_group('k', 'r', by)}"
    cursor.execute(
        f"INSERT INTO {table} BY NAME SELECT *, $change AS _change FROM ({rollup.over(rows)})", {"change": change}
    )


# The dataset's version as isokpi.db.Database.dataset_versions has it (newest batch, batches no longer loaded).
VERSION = (
    "SELECT concat(max(batch_id), ':', count(*) FILTER (WHERE status <> 'loaded')) FROM batches "
    "WHERE dataset = $dataset"
)


def _version(cursor: duckdb.DuckDBPyConnection, dataset: str) -> str:
    return cursor.execute(VERSION, {"dataset": dataset}).fetchone()[0]


def _record_builds(cursor: duckdb.DuckDBPyConnection, rollups: Iterable[Rollup], change: int) -> None:
    rollups = tuple(rollups)
    if not rollups:
        return
    names = [rollup.name for rollup in rollups]
    versions = {dataset: _version(cursor, dataset) for dataset in {rollup.dataset for rollup in rollups}}
    cursor.execute("DELETE FROM rollup_builds WHERE list_contains($names, name)", {"names": names})
    cursor.execute(
        "INSERT INTO rollup_builds SELECT unnest($names), unnest($digests), unnest($versions), $change, $at",
        {
            "names": names,
            "digests": [rollup.digest for rollup in rollups],
            "versions": [versions[rollup.dataset] for rollup in rollups],
            "change": change,
            "at": now_utc(),
        },
    )


# --- building and checking -----------------------------------------------------------------------------


def _last_change(cursor: duckdb.DuckDBPyConnection) -> int:
    """A rebuild's rows carry the batch counter as it stands (a rebuild is no change of the data: it takes no batch
    id); a concurrent change writes the same roll-up tables, so the two conflict and one retries."""
    return cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0]


def _rebuild(cursor: duckdb.DuckDBPyConnection, rollups: Iterable[Rollup], change: int) -> None:
    rollups = tuple(rollups)
    for rollup in rollups:
        table = quote(rollup.table)
        # One statement, not a drop and a create: on DuckLake each is a catalog round trip.
        cursor.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT *, CAST($change AS BIGINT) AS _change "
            f"FROM ({rollup.over(f'SELECT * FROM {quote(rollup.dataset)}')})",
            {"change": change},
        )
    _record_builds(cursor, rollups, change)


def _stale(cursor: duckdb.DuckDBPyConnection, rollups: Iterable[Rollup], *, remains: bool) -> dict[str, str]:
    """{name: why} for the roll-ups that do not reflect their rows as they are now; `remains`: look for rows of an
    unfinished change too (a database file being opened)."""
    # One query (a lake round trip): each build with whether it reflects its dataset's version now. A build row is
    # written with its table, in one transaction.
    rollups = tuple(rollups)
    builds = {
        name: (digest, current)
        for name, digest, current in cursor.execute(
            "SELECT b.name, b.digest, b.dataset_version = coalesce(v.version, ':0') "
            "FROM rollup_builds b JOIN (SELECT unnest($names) AS name, unnest($datasets) AS dataset) r USING (name) "
            "LEFT JOIN (SELECT dataset, concat(max(batch_id), ':', count(*) FILTER (WHERE status <> 'loaded')) AS version "
            "FROM batches GROUP BY dataset) v USING (dataset)",
            {"names": [rollup.name for rollup in rollups], "datasets": [rollup.dataset for rollup in rollups]},
        ).fetchall()
    }
    counter = cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0] if remains else None
    stale = {}
    for rollup in rollups:
        if rollup.name not in builds:
            stale[rollup.name] = "not built yet"
        elif builds[rollup.name][0] != rollup.digest:
            stale[rollup.name] = "its definition changed"
        elif not builds[rollup.name][1]:
            stale[rollup.name] = "its dataset was changed without it (by code that keeps no roll-ups)"
        elif (
            remains
            and cursor.execute(
                f"SELECT count(*) FROM {quote(rollup.table)} WHERE _change > $counter", {"counter": counter}
            ).fetchone()[0]
        ):
            stale[rollup.name] = "an unfinished change left rows in it (a cut WAL)"
    return stale


def ensure_current(
    database: Database, rollups: Iterable[Rollup] = ROLLUPS, *, opening: bool = False, recovered: bool = False
) -> dict[str, str]:
    """Rebuild, in one transaction, the roll-ups that are not built, changed their definition or lag their rows;
    return {name: why} of those rebuilt. Called on `opening` a database (`recovered`: isokpi.recovery discarded the
    remains of an unfinished load) and, through current(), before a query reads roll-ups. The usual call only reads."""
    wanted = tuple(rollups)
    remains = opening and database.target.kind == "duckdb"
    with contextlib.closing(database.cursor()) as cursor:
        stale = _stale(cursor, wanted, remains=remains)
    if recovered:
        stale = {rollup.name: "an unfinished load was discarded" for rollup in wanted}
    if not stale:
        return {}

    def work(cursor: duckdb.DuckDBPyConnection) -> dict[str, str]:
        change = _last_change(cursor)
        again = stale if recovered else _stale(cursor, wanted, remains=remains)
        rebuilt = [rollup for rollup in wanted if rollup.name in again]
        _rebuild(cursor, rebuilt, change)
        repaired = {name: why for name, why in again.items() if why != "not built yet" and "definition" not in why}
        if repaired:
            record_event(cursor, "isokpi", "rebuild_rollups", "roll-ups", repaired)
        return again

    rebuilt = database.write(work)
    if any(why != "not built yet" for why in rebuilt.values()):
        log.warning("rebuilt roll-ups from the rows: %s", rebuilt)
    return rebuilt


def _current(database: Database, names: tuple[str, ...]) -> None:
    ensure_current(database, [rollup for rollup in ROLLUPS if rollup.name in names])


# Checked once per version of the datasets rolled up: a load by this code keeps its roll-ups current, so only a
# change by other code (or none since the last check) can leave one behind.
_checked = cached(_current, reads=lambda names: tuple(sorted({_BY_NAME[name].dataset for name in names})))


def current(database: Database, sql: str) -> None:
    """Before running `sql`: rebuild the roll-ups of the datasets it reads roll-ups of that lag their rows (rarely; a
    kept check otherwise). All of a dataset's: what left one behind (a change by code that keeps none) left them all."""
    datasets = {rollup.dataset for rollup in read_by(sql)}
    names = tuple(rollup.name for rollup in ROLLUPS if rollup.dataset in datasets)
    if names:
        _checked(database, names)


def rebuild(database: Database, *, actor: User) -> list[str]:
    """`rollups --rebuild` (quality leads): recompute every roll-up from the rows in one transaction."""
    require(actor, QUALITY_LEAD)

    def work(cursor: duckdb.DuckDBPyConnection) -> list[str]:
        change = _last_change(cursor)
        _rebuild(cursor, ROLLUPS, change)
        names = [rollup.name for rollup in ROLLUPS]
        record_event(cursor, actor.email, "rebuild_rollups", "roll-ups", {"rollups": names})
        return names

    return database.write(work)


@dataclass(frozen=True)
class Difference:
    rollup: str
    rows: int  # groups as stored
    expected: int  # groups as the rows give them
    missing: list[dict]  # groups the rows give that the roll-up lacks or holds with other figures
    extra: list[dict]  # groups the roll-up holds that the rows do not give

    @property
    def same(self) -> bool:
        return not self.missing and not self.extra

    def as_dict(self) -> dict[str, object]:
        return {
            "rollup": self.rollup,
            "rows": self.rows,
            "expected": self.expected,
            "same": self.same,
            "missing": self.missing,
            "extra": self.extra,
        }


def check(database: Database) -> list[Difference]:
    """Every roll-up against its definition over the rows as they are now, in one snapshot."""
    found = []
    with contextlib.closing(database.cursor()) as cursor:
        cursor.execute("BEGIN TRANSACTION")
        try:
            for rollup in ROLLUPS:
                table = quote(rollup.table)
                # Sums of DOUBLE values (hours) are compared to 9 decimals: a group summed in another order (a
                # refresh, a rebuild) may differ in its last bit.
                described = {name: kind for name, kind, *_ in cursor.execute(f"DESCRIBE {table}").fetchall()}
                columns = ", ".join(
                    f"round({quote(name)}, 9) AS {quote(name)}" if kind == "DOUBLE" else quote(name)
                    for name, kind in described.items()
                    if name != "_change"
                )
                expected = f"(SELECT {columns} FROM ({rollup.over(f'SELECT * FROM {quote(rollup.dataset)}')}))"
                # A group held in several rows (appended by loads) is compared combined, as every reader takes it
                # (cast back: a combined count is a HUGEINT).
                keys = ", ".join(quote(key) for key in rollup.keys)
                merged = ", ".join(
                    f"CAST({MERGE[kind].format(quote(name))} AS {described[name]}) AS {quote(name)}"
                    for name, kind in rollup.measures
                )
                # A combined count of nothing is no group (a partition's changes may cancel); in any other roll-up a
                # stored count of nothing is a difference.
                kept = f"HAVING {MERGE['count'].format(quote(rollup.measures[0][0]))} <> 0" if rollup.partition else ""
                stored = f"(SELECT {columns} FROM (SELECT {keys}, {merged} FROM {table} GROUP BY ALL {kept}))"

                def rows(sql: str) -> list[dict]:
                    result = cursor.execute(f"{sql} LIMIT {EXAMPLES_SHOWN}")
                    names = [column[0] for column in result.description]
                    return [dict(zip(names, map(_plain, row), strict=True)) for row in result.fetchall()]

                found.append(
                    Difference(
                        rollup.name,
                        cursor.execute(f"SELECT count(*) FROM {stored}").fetchone()[0],
                        cursor.execute(f"SELECT count(*) FROM {expected}").fetchone()[0],
                        rows(f"SELECT * FROM {expected} EXCEPT ALL SELECT * FROM {stored}"),
                        rows(f"SELECT * FROM {stored} EXCEPT ALL SELECT * FROM {expected}"),
                    )
                )
        finally:
            cursor.execute("ROLLBACK")
    return found


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value
