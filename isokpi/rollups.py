"""Roll-ups: the aggregates the KPIs and pages read, kept in step with the rows inside every load and undo.

Each roll-up is a table `rollup_<name>` defined by isokpi/sql/rollups/<name>.sql: a query over `input_rows`, rows of
its dataset that carry a `_side` (1: the data with a change, 0: the data without it), returning `_side`, the roll-up's
keys and its measures. Measures add up, so a change is stored as what it adds: the definition over the data with the
change minus the definition over the data without it, tagged with the change's id (`_batch_id`, the batch counter
value the load, undo or rebuild took). Readers sum the rows of a key; nothing is ever updated in place, so a load only
appends, and the rows a load killed while committing left behind go with their tag (isokpi.recovery).

What a definition needs from the rows decides what a change must read:
- per row (partition None): the rows the change inserted, and the versions it replaced or restored;
- per partition (an employee, a respondent, an audit, the place of a nonconformity): every row of each partition the
  change touched, on both sides, because the partition's figures depend on all of its rows (spans, runs, repeats).

`python -m isokpi rollups --rebuild` recomputes every roll-up from the rows, `--check` compares; a roll-up whose
definition changed is rebuilt when the database is opened (rollup_builds keeps a digest of each definition).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.datasets import DATASETS, FAVOURABLE_FROM, SCALE_RANGES, Dataset
from isokpi.db import Database, bound, next_id, now_utc, quote
from isokpi.sql import load_sql

log = logging.getLogger(__name__)

EMPLOYEE = "employee_id"
RESPONDENT = "struct_pack(survey_id := survey_id, response_id := response_id)"
AUDIT = "coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)"
PLACE = "struct_pack(standard := standard, site := site, clause := clause)"
# A changed finding's audit decides whether the nonconformities naming it in repeat_of repeat: their places too.
REPEAT_DEPENDENTS = f"SELECT DISTINCT {PLACE} FROM state_rows WHERE repeat_of IN (SELECT finding_id FROM changed_rows)"
DIFFERENCES_SHOWN = 20  # per roll-up, by check()
RELATIVE_TOLERANCE = 1e-9  # sums of DOUBLE values (hours, engagement) are compared to this, counts exactly


@dataclass(frozen=True)
class Rollup:
    """One definition: the SQL of `name` over its dataset's rows, into `table` (several datasets may share one)."""

    name: str  # isokpi/sql/rollups/<name>.sql
    dataset: str
    keys: tuple[str, ...]
    counts: tuple[str, ...]  # integer measures; a key whose counts are all 0 is gone
    sums: tuple[str, ...] = ()  # DOUBLE measures
    partition: str | None = None  # SQL naming a row's partition; None: every row stands alone
    dependents: str | None = None  # SQL of further partitions a change touches (over changed_rows and state_rows)
    table_name: str = ""

    @property
    def table(self) -> str:
        return self.table_name or f"rollup_{self.name}"

    @property
    def measures(self) -> tuple[str, ...]:
        return self.counts + self.sums

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.measures


CELL = ("site", "department", "standard")
SURVEY_GROUP = ("family", "survey_id", "responded_on", "site", "department", "stakeholder", "pillar")
SURVEY_COUNTS = (
    "respondents", "answers", "successes", "sum_ss", "sum_sa", "sum_aa", "promoters", "detractors",
    "agree_1", "agree_2", "agree_3", "agree_4", "agree_5", "likert_answers",
)  # fmt: skip
MATRIX_RECORD = (
    "employee_id", "course", "department", "category", "site", "standard", "status", "due_date", "completed_on",
    "expires_on",
)  # fmt: skip
OPEN_COUNTS = tuple(f"{measure}_{bucket}" for measure in ("open", "overdue", "due") for bucket in range(1, 6))

ROLLUPS: tuple[Rollup, ...] = (
    # training
    Rollup(
        "training_completions",
        "training",
        (*CELL, "completed_on"),
        ("dated", "completed", "evaluated", "effective"),
        ("hours",),
    ),
    Rollup("training_due", "training", (*CELL, "due_month"), ("due", "on_time")),
    Rollup(
        "training_employees",
        "training",
        ("employee_id", "site", "department", "first_seen", "last_seen", "simple"),
        ("employees",),
        partition=EMPLOYEE,
    ),
    Rollup("training_staff_days", "training", ("site", "department", "day"), ("starts", "ends"), partition=EMPLOYEE),
    Rollup(
        "training_coverage_months",
        "training",
        ("scope", "site", "department", "month_index"),
        ("starts", "ends"),
        partition=EMPLOYEE,
    ),
    Rollup(
        "training_employee_standards",
        "training",
        ("employee_id", "site", "department", "standard", "simple", "days"),
        ("employees",),
        partition=EMPLOYEE,
    ),
    Rollup(
        "training_matrix_days",
        "training",
        (*CELL, "category", "state", "day"),
        ("delta",),
        partition=EMPLOYEE,
    ),
    Rollup(
        "training_matrix_records",
        "training",
        MATRIX_RECORD,
        ("records",),
        partition=EMPLOYEE,
    ),
    Rollup("training_dates", "training", ("dataset", "kind", "day"), ("rows",), table_name="rollup_dates"),
    Rollup("training_values", "training", ("dataset", "column", "value"), ("rows",), table_name="rollup_values"),
    # findings
    Rollup(
        "findings_months",
        "findings",
        (*CELL, "audit_type", "severity", "kind", "month"),
        ("findings", "on_time", "evaluated", "effective"),
    ),
    Rollup("findings_open_days", "findings", (*CELL, "day"), OPEN_COUNTS),
    Rollup(
        "findings_close_times",
        "findings",
        (*CELL, "raised_month", "days_to_close", "open_since"),
        ("findings",),
    ),
    Rollup(
        "findings_facts",
        "findings",
        (*CELL, "severity", "raised_on", "due_on", "closed_on", "open_status", "repeat_marked"),
        ("findings",),
    ),
    Rollup(
        "findings_audits",
        "findings",
        ("audit_key", "audit_type", *CELL, "raised_on"),
        ("findings", "major_nc", "minor_nc", "observation", "ofi"),
    ),
    Rollup("findings_audit_periods", "findings", ("grain", "period", "audits_of"), ("audits",), partition=AUDIT),
    Rollup("findings_labels", "findings", ("kind", "label", *CELL, "raised_on"), ("findings",)),
    Rollup(
        "findings_repeat_days",
        "findings",
        (*CELL, "clause", "raised_on"),
        ("ncs", "repeats"),
        partition=PLACE,
        dependents=REPEAT_DEPENDENTS,
    ),
    Rollup(
        "findings_repeat_months",
        "findings",
        (*CELL, "raised_month"),
        ("ncs", "repeats"),
        partition=PLACE,
        dependents=REPEAT_DEPENDENTS,
    ),
    Rollup("findings_dates", "findings", ("dataset", "kind", "day"), ("rows",), table_name="rollup_dates"),
    Rollup("findings_values", "findings", ("dataset", "column", "value"), ("rows",), table_name="rollup_values"),
    # survey
    Rollup(
        "survey_groups",
        "survey",
        SURVEY_GROUP,
        SURVEY_COUNTS,
        ("engagement_sum", "engagement_squares"),
        partition=RESPONDENT,
    ),
    Rollup(
        "survey_complex",
        "survey",
        ("survey_id", "response_id", "responded_on", "site", "department", "stakeholder", "pillar", "scale", "score"),
        ("answers",),
        partition=RESPONDENT,
    ),
    Rollup("survey_dates", "survey", ("dataset", "kind", "day"), ("rows",), table_name="rollup_dates"),
    Rollup("survey_values", "survey", ("dataset", "column", "value"), ("rows",), table_name="rollup_values"),
)

TABLES: tuple[str, ...] = tuple(dict.fromkeys(rollup.table for rollup in ROLLUPS))


def rollups_of(dataset: str) -> list[Rollup]:
    return [rollup for rollup in ROLLUPS if rollup.dataset == dataset]


def rollups_into(table: str) -> list[Rollup]:
    return [rollup for rollup in ROLLUPS if rollup.table == table]


def definition_params() -> dict[str, object]:
    """The constants the definitions name (the survey scales): part of each definition's digest."""
    scales = list(SCALE_RANGES)
    return {
        "scales": scales,
        "favourable_from": [float(FAVOURABLE_FROM[scale]) for scale in scales],
        "scale_min": [float(SCALE_RANGES[scale][0]) for scale in scales],
        "scale_max": [float(SCALE_RANGES[scale][1]) for scale in scales],
    }


# --- the SQL -------------------------------------------------------------------------------------------------


def _definition(rollup: Rollup) -> str:
    """The rollup's rows per _side over `input_rows` and `state_rows`, with its dataset's shared CTEs."""
    shared = load_sql(f"rollups/{rollup.dataset}.sql").strip()
    return f"{shared},\ndefined AS (\n{load_sql(f'rollups/{rollup.name}.sql').strip()}\n)"


def _signed(rollup: Rollup, sign: int) -> str:
    """SELECT of the definition's keys and its measures as (side 1 - side 0) * sign, keys whose counts are all 0 left out."""
    measures = ", ".join(
        f"CAST(sum(CASE WHEN _side = 1 THEN {quote(m)} ELSE -{quote(m)} END) * {sign} AS "
        f"{'DOUBLE' if m in rollup.sums else 'BIGINT'}) AS {quote(m)}"
        for m in rollup.measures
    )
    keys = ", ".join(quote(key) for key in rollup.keys)
    nonzero = " OR ".join(f"sum(CASE WHEN _side = 1 THEN {quote(m)} ELSE -{quote(m)} END) <> 0" for m in rollup.counts)
    return f"SELECT {keys}, {measures} FROM defined GROUP BY {keys} HAVING {nonzero}"


def _columns(dataset: Dataset) -> str:
    return ", ".join(quote(column) for column in dataset.column_names)


def _current(dataset: Dataset) -> str:
    """Every current row of `dataset` on side 1: the input of a rebuild."""
    return f"SELECT {_columns(dataset)}, 1 AS _side FROM {quote(dataset.versions_table)} WHERE _superseded_by IS NULL"


def _both_sides(dataset: Dataset) -> str:
    """Every row of `dataset` with the change $batch (side 1: as it is now) and without it (side 0)."""
    columns, table = _columns(dataset), quote(dataset.versions_table)
    return (
        f"SELECT {columns}, 1 AS _side FROM {table} WHERE _superseded_by IS NULL UNION ALL "
        f"SELECT {columns}, 0 AS _side FROM {table} "
        "WHERE _batch_id <> $batch AND (_superseded_by IS NULL OR _superseded_by = $batch)"
    )


def _insert(cursor: duckdb.DuckDBPyConnection, rollup: Rollup, inputs: str, states: str, params: dict, tag: int) -> int:
    """Append the definition over `inputs` (a relation with _side) as signed rows tagged `tag`; return the rows added."""
    sign = params.pop("sign", 1)
    columns = ", ".join(quote(column) for column in rollup.columns)
    sql = (
        f"INSERT INTO {quote(rollup.table)} ({columns}, _batch_id) "
        f"WITH input_rows AS ({inputs}), state_rows AS ({states}), {_definition(rollup)} "
        f"SELECT *, CAST($tag AS BIGINT) FROM ({_signed(rollup, sign)})"
    )
    row = cursor.execute(sql, bound(sql, {**params, "tag": tag})).fetchone()
    return int(row[0]) if row else 0


# --- a change: inside the transaction of the load or undo --------------------------------------------------------------


def apply_change(cursor: duckdb.DuckDBPyConnection, dataset: Dataset, batch_id: int, change_id: int, sign: int) -> None:
    """Inside the caller's transaction: append what batch `batch_id` adds to each roll-up of `dataset` (sign 1, just
    after a load wrote it) or takes away (sign -1, an undo before it removes it), tagged `change_id`."""
    rollups = rollups_of(dataset.name)
    if not rollups:
        return
    columns, table = _columns(dataset), quote(dataset.versions_table)
    params = {**definition_params(), "batch": batch_id}
    # The rows the batch wrote (side 1) and the versions it replaced (side 0): found by their batch ids, which
    # DuckDB's row-group statistics narrow to the newest row groups and the ones the batch updated.
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE changed_rows AS "
        f"SELECT {columns}, 1 AS _side FROM {table} WHERE _batch_id = $batch "
        f"UNION ALL SELECT {columns}, 0 AS _side FROM {table} WHERE _superseded_by = $batch",
        {"batch": batch_id},
    )
    states = _both_sides(dataset)
    by_partition: dict[tuple[str | None, str | None], list[Rollup]] = {}
    for rollup in rollups:
        by_partition.setdefault((rollup.partition, rollup.dependents), []).append(rollup)
    for (partition, dependents), group in by_partition.items():
        inputs = (
            "SELECT * FROM changed_rows"
            if partition is None
            else _partition_rows(cursor, dataset, partition, dependents, states, params)
        )
        for rollup in group:
            _insert(cursor, rollup, inputs, states, {**params, "sign": sign}, change_id)


def _partition_rows(
    cursor: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    partition: str,
    dependents: str | None,
    states: str,
    params: dict,
) -> str:
    """Temp table of every row, on both sides, of the partitions the change touched; returns the SELECT that reads it."""
    columns, table = _columns(dataset), quote(dataset.versions_table)
    extra = f" UNION SELECT * FROM ({dependents})" if dependents else ""
    touched = f"SELECT DISTINCT {partition} AS part FROM changed_rows{extra}"
    sql = f"WITH state_rows AS ({states}) SELECT * FROM ({touched})" if dependents else touched
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE touched_partitions AS {sql}", bound(sql, params))
    # Side 0: the partitions' rows without the batch; side 1: those of them still current, and the batch's own rows.
    before = (
        f"SELECT {columns}, _superseded_by FROM {table} SEMI JOIN touched_partitions t ON t.part IS NOT DISTINCT FROM "
        f"{partition} WHERE _batch_id <> $batch AND (_superseded_by IS NULL OR _superseded_by = $batch)"
    )
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE partition_rows AS WITH before AS ({before}) "
        f"SELECT {columns}, 0 AS _side FROM before "
        f"UNION ALL SELECT {columns}, 1 AS _side FROM before WHERE _superseded_by IS NULL "
        f"UNION ALL SELECT {columns}, 1 AS _side FROM changed_rows WHERE _side = 1",
        {"batch": params["batch"]},
    )
    return "SELECT * FROM partition_rows"


# --- rebuild, check, recovery ------------------------------------------------------------------------------------


def _digest(table: str) -> str:
    """What a table's rows are made by: its definitions, their datasets' shared CTEs and the constants they name."""
    text = json.dumps(
        [
            [rollup.name, rollup.columns, rollup.partition, load_sql(f"rollups/{rollup.name}.sql"),
             load_sql(f"rollups/{rollup.dataset}.sql")]
            for rollup in rollups_into(table)
        ] + [definition_params()],
        default=str,
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _filled(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """The datasets with rows (a new database has none, and nothing to add up)."""
    names = list(dict.fromkeys(rollup.dataset for rollup in ROLLUPS))
    exists = ", ".join(f"EXISTS (SELECT 1 FROM {quote(DATASETS[name].versions_table)})" for name in names)
    return {name for name, present in zip(names, cursor.execute(f"SELECT {exists}").fetchone(), strict=True) if present}


def _fill(cursor: duckdb.DuckDBPyConnection, tables: list[str], tag: int) -> dict[str, int]:
    """Empty `tables` and fill them from every current row; record their digests. Returns the rows written per table.

    A table never built is still as its migration created it, empty; a built one is emptied first."""
    filled = _filled(cursor)
    built = {row[0] for row in cursor.execute("SELECT rollup FROM rollup_builds").fetchall()}
    written = {}
    for table in tables:
        if table in built:
            cursor.execute(f"DELETE FROM {quote(table)}")
        written[table] = 0
        for rollup in rollups_into(table):
            if rollup.dataset in filled:
                current = _current(DATASETS[rollup.dataset])
                written[table] += _insert(cursor, rollup, current, current, definition_params(), tag)
    if built & set(tables):
        cursor.execute("DELETE FROM rollup_builds WHERE list_contains($tables, rollup)", {"tables": tables})
    cursor.execute(
        "INSERT INTO rollup_builds SELECT unnest($tables), unnest($digests), $at, $tag",
        {"tables": tables, "digests": [_digest(table) for table in tables], "at": now_utc(), "tag": tag},
    )
    return written


def refill(cursor: duckdb.DuckDBPyConnection, datasets: Iterable[str], tag: int) -> dict[str, int]:
    """Inside the caller's transaction: recompute from the rows every roll-up table `datasets` feed, tagged `tag`
    (the batch counter value the change took), for a change that is neither a load nor an undo (the demo's
    removal). Returns the rows written per table."""
    wanted = set(datasets)
    tables = [table for table in TABLES if any(rollup.dataset in wanted for rollup in rollups_into(table))]
    return _fill(cursor, tables, tag) if tables else {}


def rebuild(database: Database, *, actor: User) -> dict[str, int]:
    """Recompute every roll-up from the rows (quality leads), in one transaction; return the rows per table."""
    require(actor, QUALITY_LEAD)

    def work(cursor: duckdb.DuckDBPyConnection) -> dict[str, int]:
        tag = next_id(cursor, "batch")  # a new data version, and a tag a recovery can tell from older rows
        written = _fill(cursor, list(TABLES), tag)
        record_event(cursor, actor.email, "rebuild_rollups", "roll-ups", {"rows": written})
        return written

    return database.write(work)


def stale_tables(database: Database) -> list[str]:
    """The roll-up tables never built, or built by another definition than the current one."""
    built = dict(database.query("SELECT rollup, digest FROM rollup_builds"))
    return [table for table in TABLES if built.get(table) != _digest(table)]


def build_stale(database: Database) -> list[str]:
    """Build the roll-ups a new or upgraded database lacks (opening.py, after the migrations); return their tables."""
    if not stale_tables(database):
        return []  # the usual open: one small read

    def work(cursor: duckdb.DuckDBPyConnection) -> list[str]:
        built = dict(cursor.execute("SELECT rollup, digest FROM rollup_builds").fetchall())
        stale = [table for table in TABLES if built.get(table) != _digest(table)]  # another server may have built them
        if stale:
            _fill(cursor, stale, cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0])
        return stale

    stale = database.write(work)
    if stale:
        log.info("built the roll-ups %s from the rows", ", ".join(stale))
    return stale


def discard_after(cursor: duckdb.DuckDBPyConnection, last: int) -> dict[str, int]:
    """Recovery, inside its transaction: delete roll-up rows tagged after batch `last` (a load that never committed);
    return the rows deleted per table."""
    deleted = {}
    for table in TABLES:
        count = cursor.execute(f"DELETE FROM {quote(table)} WHERE _batch_id > $last", {"last": last}).fetchone()[0]
        if count:
            deleted[table] = int(count)
    return deleted


def forget_builds(cursor: duckdb.DuckDBPyConnection, datasets: Iterable[str]) -> None:
    """Mark the roll-ups of `datasets` for a rebuild on the next build_stale() (after a recovery changed their rows)."""
    tables = sorted({rollup.table for name in datasets for rollup in rollups_of(name)})
    for table in tables:
        cursor.execute("DELETE FROM rollup_builds WHERE rollup = $table", {"table": table})


@dataclass(frozen=True)
class Difference:
    """A key whose stored roll-up differs from the one recomputed from the rows."""

    table: str
    key: dict[str, object]
    stored: dict[str, object] | None  # None: the key is missing from the roll-up
    expected: dict[str, object] | None  # None: the rows give no such key

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "key": self.key, "stored": self.stored, "expected": self.expected}


@dataclass
class CheckResult:
    differences: list[Difference] = field(default_factory=list)
    differing: dict[str, int] = field(default_factory=dict)  # keys that differ, per table
    checked: dict[str, int] = field(default_factory=dict)  # keys the rows give, per table

    @property
    def ok(self) -> bool:
        return not self.differing

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "tables": {
                table: {"keys": keys, "differing": self.differing.get(table, 0)} for table, keys in self.checked.items()
            },
            "differences": [difference.as_dict() for difference in self.differences],
        }


def _consolidated(rollup: Rollup, source: str) -> str:
    """The keys of `source` (rows of the roll-up's shape) with their measures summed, keys whose counts are all 0 left out."""
    keys = ", ".join(quote(key) for key in rollup.keys)
    measures = ", ".join(f"sum({quote(m)}) AS {quote(m)}" for m in rollup.measures)
    nonzero = " OR ".join(f"sum({quote(m)}) <> 0" for m in rollup.counts)
    return f"SELECT {keys}, {measures} FROM ({source}) GROUP BY {keys} HAVING {nonzero}"


def check(database: Database, datasets: Iterable[str] | None = None) -> CheckResult:
    """Compare every roll-up (of `datasets`, default all) with the same roll-up recomputed from the rows: counts
    exactly, sums of DOUBLE values to RELATIVE_TOLERANCE. Reads only."""
    result = CheckResult()
    wanted = set(DATASETS) if datasets is None else set(datasets)
    tables = [table for table in TABLES if any(rollup.dataset in wanted for rollup in rollups_into(table))]
    with contextlib.closing(database.cursor()) as cursor:
        for table in tables:
            shape = rollups_into(table)[0]
            parts = []
            for index, rollup in enumerate(rollups_into(table)):
                current = _current(DATASETS[rollup.dataset])
                sql = (
                    f"CREATE OR REPLACE TEMP TABLE expected_{index} AS "
                    f"WITH input_rows AS ({current}), state_rows AS ({current}), {_definition(rollup)} "
                    f"{_signed(rollup, 1)}"
                )
                cursor.execute(sql, bound(sql, definition_params()))
                parts.append(f"SELECT * FROM expected_{index}")
            columns = ", ".join(quote(column) for column in shape.columns)
            stored = _consolidated(shape, f"SELECT {columns} FROM {quote(table)}")
            expected = _consolidated(shape, " UNION ALL ".join(parts))
            count = _compare(cursor, shape, stored, expected)
            result.checked[table] = int(cursor.execute(f"SELECT count(*) FROM ({expected})").fetchone()[0])
            if count:
                result.differing[table] = count
                result.differences += _differences(cursor, table, shape)
    return result


def _compare(cursor: duckdb.DuckDBPyConnection, shape: Rollup, stored: str, expected: str) -> int:
    """Temp table rollup_diff of the keys where `stored` and `expected` differ; return how many."""
    on = " AND ".join(f"s.{quote(k)} IS NOT DISTINCT FROM e.{quote(k)}" for k in shape.keys)
    differs = " OR ".join(
        [f"s.{quote(m)} IS DISTINCT FROM e.{quote(m)}" for m in shape.counts]
        + [
            f"abs(coalesce(s.{quote(m)}, 0) - coalesce(e.{quote(m)}, 0)) > "
            f"{RELATIVE_TOLERANCE} * greatest(1, abs(coalesce(e.{quote(m)}, 0)))"
            for m in shape.sums
        ]
    )
    first = quote(shape.counts[0])  # never NULL in a consolidated row: NULL means the key is missing on that side
    picked = ", ".join(
        [f"coalesce(s.{quote(k)}, e.{quote(k)}) AS {quote(k)}" for k in shape.keys]
        + [f"s.{quote(m)} AS {quote('stored_' + m)}" for m in shape.measures]
        + [f"e.{quote(m)} AS {quote('expected_' + m)}" for m in shape.measures]
        + [f"s.{first} IS NULL AS missing_stored", f"e.{first} IS NULL AS missing_expected"]
    )
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE rollup_diff AS SELECT {picked} "
        f"FROM ({stored}) s FULL OUTER JOIN ({expected}) e ON {on} WHERE {differs}"
    )
    return int(cursor.execute("SELECT count(*) FROM rollup_diff").fetchone()[0])


def _differences(cursor: duckdb.DuckDBPyConnection, table: str, shape: Rollup) -> list[Difference]:
    rows = cursor.execute(f"SELECT * FROM rollup_diff LIMIT {DIFFERENCES_SHOWN}")
    names = [column[0] for column in rows.description]
    found = []
    for values in rows.fetchall():
        row = dict(zip(names, values, strict=True))
        found.append(
            Difference(
                table,
                {k: _plain(row[k]) for k in shape.keys},
                None if row["missing_stored"] else {m: _plain(row["stored_" + m]) for m in shape.measures},
                None if row["missing_expected"] else {m: _plain(row["expected_" + m]) for m in shape.measures},
            )
        )
    return found


def _plain(value: object) -> object:
    """A value for JSON and messages: dates as ISO text, lists of them too."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
