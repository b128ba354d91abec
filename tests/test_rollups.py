"""Roll-ups: every load, update, re-upload and undo keeps them equal to a recomputation from the rows, on both
backends; by day they say exactly what the rows say; the command line checks and rebuilds them."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isokpi import rollups
from isokpi.auth import VIEWER, AccessError, User, cli_user
from isokpi.catalog import KPIS
from isokpi.db import resolve_target
from isokpi.demo import DemoScale, load_demo
from isokpi.ingest import UndoError, ingest_file, undo_batch
from isokpi.kpis import ROWS, Filters, compute_all_series
from isokpi.opening import open_target
from isokpi.views import view_frame

from .conftest import ROOT, target_env, target_spec

pytestmark = pytest.mark.both_backends  # every test here runs on the DuckDB file and on DuckLake

TRAINING_HEADER = (
    "record_id,employee_id,department,site,course,category,standard,hours,status,due_date,completed_on,expires_on,"
    "is_mandatory,effectiveness\n"
)
FINDINGS_HEADER = (
    "finding_id,audit_id,audit_type,standard,clause,site,department,severity,raised_on,due_on,closed_on,status,"
    "repeat_of,effectiveness\n"
)
SURVEY_HEADER = (
    "response_id,survey_id,survey_type,stakeholder,responded_on,site,department,question_id,pillar,scale,score\n"
)


def agree(db, *datasets: str) -> None:
    """The roll-ups (of `datasets`, default all) equal their recomputation from the rows."""
    result = rollups.check(db, datasets or None)
    assert result.ok, [difference.as_dict() for difference in result.differences]


def load(db, write, dataset: str, text: str, name: str | None = None):
    result = ingest_file(db, dataset, write(name or f"{dataset}.csv", text))
    assert result.ok, [problem.message for problem in result.errors]
    return result


def stored(db, table: str, keys: str, measures: str) -> list[tuple]:
    """A roll-up's keys with their rows summed, zero keys left out."""
    nonzero = " OR ".join(f"sum({m.strip()}) <> 0" for m in measures.split(","))
    sums = ", ".join(f"CAST(sum({m.strip()}) AS BIGINT)" for m in measures.split(","))
    return db.query(f"SELECT {keys}, {sums} FROM {table} GROUP BY ALL HAVING {nonzero} ORDER BY ALL")


# --- kept in step with the rows -------------------------------------------------------------------------------------

TRAINING_JAN = (
    "T1,E1,Quality,Leeds,Fire safety,Health & Safety,ISO 45001,1,completed,2025-01-15,2025-01-10,2025-07-10,yes,effective\n"
    "T2,E1,Quality,Leeds,Fire safety,Health & Safety,ISO 45001,1,planned,2025-07-01,,,yes,\n"
    "T3,E2,Production,Leeds,ISO 9001 awareness,Quality,ISO 9001,2,completed,2025-02-01,2025-01-20,,yes,not_evaluated\n"
    "T4,E3,Production,Porto,Lean,Technical,,4,overdue,2025-01-31,,,no,\n"
)
# T2 completed, E2 moves to Quality (records in two cells), a new assignment for E3 naming two standards.
TRAINING_FEB = (
    "T2,E1,Quality,Leeds,Fire safety,Health & Safety,ISO 45001,1,completed,2025-07-01,2025-06-20,2026-06-20,yes,effective\n"
    "T5,E2,Quality,Leeds,Root-cause analysis,Quality,ISO 9001,3,completed,2025-03-01,2025-02-25,,no,effective\n"
    "T6,E3,Production,Porto,Lean,Technical,ISO 9001,4,completed,2025-03-31,2025-03-03,,no,\n"
)


def test_loads_updates_reuploads_and_undos_keep_the_training_rollups_equal_to_the_rows(db, write):
    first = load(db, write, "training", TRAINING_HEADER + TRAINING_JAN, "jan.csv")
    agree(db, "training")
    second = load(db, write, "training", TRAINING_HEADER + TRAINING_FEB, "feb.csv")
    assert (second.inserted, second.updated) == (2, 1)
    agree(db, "training")
    assert stored(db, "rollup_training_employees", "employee_id, simple", "employees") == [
        ("E1", True, 1),
        ("E2", False, 2),  # Production and Quality: counted one by one
        ("E3", True, 1),
    ]
    again = load(db, write, "training", TRAINING_HEADER + TRAINING_FEB, "feb again.csv")
    assert again.batch_id is None  # nothing changed: no batch, no roll-up row
    agree(db, "training")
    undo_batch(db, second.batch_id)
    agree(db, "training")
    assert stored(db, "rollup_training_employees", "employee_id, simple", "employees") == [
        ("E1", True, 1),
        ("E2", True, 1),
        ("E3", True, 1),
    ]
    undo_batch(db, first.batch_id)
    result = rollups.check(db, ["training"])
    assert result.ok and set(result.checked.values()) == {0}  # nothing left to add up


def test_loads_updates_and_undos_keep_the_findings_rollups_equal_to_the_rows(db, write):
    first = load(
        db,
        write,
        "findings",
        FINDINGS_HEADER
        + "F1,A1,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-01-10,2025-02-10,,open,,\n"
        + "F2,A2,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-03-10,2025-04-10,2025-04-01,closed,F1,effective\n"
        + "F3,A2,external,ISO 9001,7.2,Leeds,Production,ofi,2025-03-10,,,open,,\n",
    )
    agree(db, "findings")
    assert stored(db, "rollup_findings_repeat_months", "raised_month", "ncs, repeats") == [
        (dt.date(2025, 1, 1), 1, 0),
        (dt.date(2025, 3, 1), 1, 1),  # F2 names F1, of another audit
    ]
    # F1 moves into audit A2: F2 (another place's finding naming it... the same place here) no longer repeats it.
    second = load(
        db,
        write,
        "findings",
        FINDINGS_HEADER + "F1,A2,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-01-10,2025-02-10,,open,,\n",
        "moved.csv",
    )
    agree(db, "findings")
    assert stored(db, "rollup_findings_repeat_months", "raised_month", "ncs, repeats") == [
        (dt.date(2025, 1, 1), 1, 0),
        (dt.date(2025, 3, 1), 1, 0),
    ]
    undo_batch(db, second.batch_id)
    agree(db, "findings")
    undo_batch(db, first.batch_id)
    agree(db, "findings")


def test_a_changed_finding_refreshes_the_repeats_of_those_that_name_it_elsewhere(db, write):
    load(
        db,
        write,
        "findings",
        FINDINGS_HEADER
        + "F1,A1,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-01-10,2025-02-10,,open,,\n"
        + "F2,A2,internal,ISO 14001,6.1,Porto,Quality,minor_nc,2025-03-10,2025-04-10,,open,F1,\n",
    )
    assert stored(db, "rollup_findings_repeat_days", "clause, raised_on", "ncs, repeats")[0] == (
        "6.1",
        dt.date(2025, 3, 10),
        1,
        1,
    )
    # Only F1 changes (its audit becomes F2's): F2's place is another, yet its repeat is gone.
    load(
        db,
        write,
        "findings",
        FINDINGS_HEADER + "F1,A2,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-01-10,2025-02-10,,open,,\n",
        "f1.csv",
    )
    agree(db, "findings")
    assert stored(db, "rollup_findings_repeat_days", "clause, raised_on", "ncs, repeats")[0] == (
        "6.1",
        dt.date(2025, 3, 10),
        1,
        0,
    )


def test_loads_and_undos_keep_the_survey_rollups_equal_to_the_rows(db, write):
    rows = "".join(
        f"R{r},ENG-1,engagement,employee,2025-03-0{1 + r},Leeds,Quality,Q{q},culture,likert5,{1 + (r + q) % 5}\n"
        for r in range(6)
        for q in range(3)
    )
    first = load(db, write, "survey", SURVEY_HEADER + rows)
    agree(db, "survey")
    assert stored(db, "rollup_survey_groups", "family", "respondents") == [
        ("engagement", 6),
        ("pillar", 6),
        ("stakeholder", 6),
    ]
    # R0 answers Q1 a day later: its answers span two days, so it is summed one by one.
    second = load(
        db,
        write,
        "survey",
        SURVEY_HEADER + "R0,ENG-1,engagement,employee,2025-03-05,Leeds,Quality,Q1,culture,likert5,4\n",
        "late.csv",
    )
    agree(db, "survey")
    assert stored(db, "rollup_survey_groups", "family", "respondents") == [
        ("engagement", 5),
        ("pillar", 5),
        ("stakeholder", 5),
    ]
    assert stored(db, "rollup_survey_complex", "response_id, responded_on", "answers") == [
        ("R0", dt.date(2025, 3, 1), 2),
        ("R0", dt.date(2025, 3, 5), 1),
    ]
    undo_batch(db, second.batch_id)
    agree(db, "survey")
    undo_batch(db, first.batch_id)
    agree(db, "survey")


# --- by day, exactly ------------------------------------------------------------------------------------------------


def test_staff_and_the_training_matrix_are_counted_by_day_as_the_rows_say(db, write):
    load(db, write, "training", TRAINING_HEADER + TRAINING_JAN)
    # E1: on record from 2025-01-10 (T1 completed) until 12 months after its last date (T2 due 2025-07-01).
    assert stored(db, "rollup_training_staff_days", "site, department, day", "starts, ends") == [
        ("Leeds", "Production", dt.date(2025, 1, 20), 1, 0),
        ("Leeds", "Production", dt.date(2026, 2, 1), 0, 1),
        ("Leeds", "Quality", dt.date(2025, 1, 10), 1, 0),
        ("Leeds", "Quality", dt.date(2026, 7, 1), 0, 1),
        ("Porto", "Production", dt.date(2025, 1, 31), 1, 0),
        ("Porto", "Production", dt.date(2026, 1, 31), 0, 1),
    ]
    # Fire safety: valid from its completion, expiring 60 days before 2025-07-10, expired after it until E1 goes off
    # record (the planned refresher does not count while an expired completion does: the best state wins).
    assert stored(db, "rollup_training_matrix_days", "category, state, day", "delta") == [
        ("Health & Safety", 1, dt.date(2025, 1, 10), 1),
        ("Health & Safety", 1, dt.date(2025, 5, 11), -1),
        ("Health & Safety", 2, dt.date(2025, 5, 11), 1),
        ("Health & Safety", 2, dt.date(2025, 7, 11), -1),
        ("Health & Safety", 3, dt.date(2025, 7, 11), 1),
        ("Health & Safety", 3, dt.date(2026, 7, 1), -1),
        ("Quality", 1, dt.date(2025, 1, 20), 1),
        ("Quality", 1, dt.date(2026, 2, 1), -1),
        ("Technical", 4, dt.date(2025, 2, 1), 1),  # due 2025-01-31: overdue from the day after
        ("Technical", 4, dt.date(2026, 1, 31), -1),
        ("Technical", 5, dt.date(2025, 1, 31), 1),
        ("Technical", 5, dt.date(2025, 2, 1), -1),
    ]
    for day, expected in (
        (dt.date(2025, 3, 1), (1, 0, 0)),
        (dt.date(2025, 6, 1), (0, 1, 0)),
        (dt.date(2025, 8, 1), (0, 0, 1)),
        (dt.date(2026, 7, 1), None),  # off record: no assignment counted
    ):
        filters = Filters(as_of=day)
        matrix = view_frame(db, "training_matrix", filters)
        assert matrix.equals(view_frame(db, "training_matrix", filters, source=ROWS))
        cell = matrix[matrix["category"] == "Health & Safety"]
        found = None if cell.empty else tuple(int(cell.iloc[0][state]) for state in ("valid", "expiring", "expired"))
        assert found == expected, day


def test_the_day_an_employee_goes_off_record_matches_the_twelve_month_rule():
    """until (training.sql) against `last_seen > D - INTERVAL 12 MONTH` for every last day of 2019-2026, leap days
    and month ends included."""
    connection = duckdb.connect()
    wrong = connection.execute(
        """
        WITH lasts AS (SELECT CAST(d AS DATE) AS last_seen FROM range(DATE '2019-01-01', DATE '2027-01-01', INTERVAL 1 DAY) t(d)),
        untils AS (
            SELECT last_seen,
                   CASE WHEN CAST(CAST(last_seen + INTERVAL 12 MONTH AS DATE) - INTERVAL 12 MONTH AS DATE) < last_seen
                        THEN CAST(last_seen + INTERVAL 12 MONTH AS DATE) + 1
                        ELSE CAST(last_seen + INTERVAL 12 MONTH AS DATE) END AS until
            FROM lasts
        ),
        days AS (SELECT u.*, u.until + CAST(o AS INTEGER) AS d FROM untils u, range(-4, 5) t(o))
        SELECT count(*) FROM days WHERE (d < until) <> (last_seen > d - INTERVAL 12 MONTH)
        """
    ).fetchone()[0]
    assert wrong == 0


# --- crashes, rebuilds, the command line -------------------------------------------------------------------------------


def test_rollup_rows_of_a_load_that_never_committed_go_on_open(target, write, backend):
    if backend == "ducklake":
        pytest.skip("on DuckLake a commit is one PostgreSQL transaction: nothing is left behind")
    database = open_target(target)
    load(database, write, "training", TRAINING_HEADER + TRAINING_JAN)
    # What a load killed while committing can leave: roll-up rows tagged with a batch the counter never reached.
    database.query(
        "INSERT INTO rollup_training_due VALUES ('Leeds', 'Quality', 'ISO 9001', DATE '2025-01-01', 5, 5, 99)"
    )
    database.close()
    reopened = open_target(target)
    assert reopened.query("SELECT count(*) FROM rollup_training_due WHERE _batch_id = 99") == [(0,)]
    agree(reopened, "training")
    event = reopened.query("SELECT details FROM audit_log WHERE action = 'discard_unfinished_load'")
    assert json.loads(event[0][0]) == {
        "training": {"rows_deleted": 0, "versions_restored": 0, "rollup_rows_deleted": 1}
    }
    reopened.close()


def test_the_command_line_checks_and_rebuilds_the_rollups(target, write):
    database = open_target(target)
    load(
        database,
        write,
        "findings",
        FINDINGS_HEADER + "F1,A1,internal,ISO 9001,8.5.1,Leeds,Quality,minor_nc,2025-01-10,2025-02-10,,open,,\n",
    )
    database.query(
        "INSERT INTO rollup_findings_months VALUES "
        "('Leeds', 'Quality', 'ISO 9001', 'internal', 'minor_nc', 'raised', DATE '2025-01-01', 2, 0, 0, 0, 1)"
    )
    database.close()
    spec, env = target_spec(target), target_env(target)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "isokpi", "rollups", *args, "--db", spec],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )

    checked = run("--check", "--json")
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert report["ok"] is False
    assert report["tables"]["rollup_findings_months"] == {"keys": 2, "differing": 1}
    assert report["differences"] == [
        {
            "table": "rollup_findings_months",
            "key": {
                "site": "Leeds",
                "department": "Quality",
                "standard": "ISO 9001",
                "audit_type": "internal",
                "severity": "minor_nc",
                "kind": "raised",
                "month": "2025-01-01",
            },
            "stored": {"findings": 3, "on_time": 0, "evaluated": 0, "effective": 0},
            "expected": {"findings": 1, "on_time": 0, "evaluated": 0, "effective": 0},
        }
    ]
    rebuilt = run("--rebuild")
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("rebuilt 21 roll-up tables from the rows")
    again = run("--check")
    assert (again.returncode, again.stdout.startswith("the roll-ups agree with the rows")) == (0, True)
    database = open_target(target)
    assert database.query("SELECT actor, subject FROM audit_log WHERE action = 'rebuild_rollups'") == [
        (cli_user().email, "roll-ups")
    ]
    with pytest.raises(AccessError):
        rollups.rebuild(database, actor=User("vera", "Vera", VIEWER))
    database.close()


def test_an_older_database_gets_its_rollups_when_it_is_opened(target, write):
    database = open_target(target)
    load(database, write, "training", TRAINING_HEADER + TRAINING_JAN + TRAINING_FEB.replace("T2,", "T7,"))
    # As a database from before the roll-ups: no tables, migration 5 not applied.
    for table in (*rollups.TABLES, "rollup_builds"):
        database.query(f"DROP TABLE {table}")
    database.query("DELETE FROM schema_migrations WHERE id = 5")
    database.close()
    reopened = open_target(target)
    assert sorted(row[0] for row in reopened.query("SELECT rollup FROM rollup_builds")) == sorted(rollups.TABLES)
    agree(reopened)
    # A roll-up whose definition changed since it was built is built again on open.
    reopened.query("UPDATE rollup_builds SET digest = 'old' WHERE rollup = 'rollup_training_due'")
    reopened.query("DELETE FROM rollup_training_due")
    reopened.close()
    again = open_target(target)
    assert again.query("SELECT count(*) FROM rollup_builds WHERE digest = 'old'") == [(0,)]
    agree(again)
    again.close()


# --- random loads and undos ------------------------------------------------------------------------------------------

DAY0 = dt.date(2025, 1, 1)


def day(offset: int) -> str:
    return (DAY0 + dt.timedelta(days=offset)).isoformat()


TRAINING_ROW = st.builds(
    lambda record, employee, department, site, course, standard, status, due, done, lasts, mandatory: (
        f"T{record},E{employee},{department},{site},{course},Cat {course[-1]},{standard},{1 + record % 3},{status},"
        f"{day(due)},{day(due - done) if status == 'completed' else ''},"
        f"{day(due - done + lasts) if status == 'completed' and lasts else ''},{mandatory},"
        f"{'effective' if record % 2 and status == 'completed' else ''}"
    ),
    st.integers(0, 9),
    st.integers(0, 3),
    st.sampled_from(["Quality", "Production"]),
    st.sampled_from(["Leeds", "Porto"]),
    st.sampled_from(["Course A", "Course B"]),
    st.sampled_from(["ISO 9001", "ISO 45001", ""]),
    st.sampled_from(["completed", "planned", "overdue", "cancelled"]),
    st.integers(0, 500),
    st.integers(-20, 40),
    st.sampled_from([0, 90, 400]),
    st.sampled_from(["yes", "no"]),
)
FINDINGS_ROW = st.builds(
    lambda finding, audit, clause, site, department, severity, raised, due, closed, repeat: (
        f"F{finding},{f'A{audit}' if audit < 3 else ''},internal,ISO 9001,{clause},{site},{department},{severity},"
        f"{day(raised)},{day(raised + due)},{day(raised + closed) if closed >= 0 else ''},"
        f"{'closed' if closed >= 0 else 'open'},{f'F{repeat}' if repeat < 6 else ''},"
        f"{'effective' if closed >= 0 and finding % 2 else ''}"
    ),
    st.integers(0, 7),
    st.integers(0, 3),
    st.sampled_from(["8.5.1", "7.2"]),
    st.sampled_from(["Leeds", "Porto"]),
    st.sampled_from(["Quality", "Production"]),
    st.sampled_from(["major_nc", "minor_nc", "observation", "ofi"]),
    st.integers(0, 700),
    st.integers(0, 60),
    st.integers(-1, 90),
    st.integers(0, 9),
)
SURVEY_ROW = st.builds(
    lambda respondent, wave, stakeholder, offset, site, question, scale, score: (
        f"R{respondent},S{wave},pulse,{stakeholder},{day(100 * wave + offset)},{site},Quality,Q{question},"
        f"{'culture' if question < 2 else ''},{scale},{score if scale != 'likert5' else 1 + score % 5}"
    ),
    st.integers(0, 5),
    st.integers(0, 1),
    st.sampled_from(["employee", "customer"]),
    st.integers(0, 1),
    st.sampled_from(["Leeds", "Porto"]),
    st.integers(0, 2),
    st.sampled_from(["likert5", "nps10", "csat5"]),
    st.integers(1, 5),
)
STEP = st.one_of(
    st.tuples(st.just("training"), st.lists(TRAINING_ROW, min_size=1, max_size=8)),
    st.tuples(st.just("findings"), st.lists(FINDINGS_ROW, min_size=1, max_size=8)),
    st.tuples(st.just("survey"), st.lists(SURVEY_ROW, min_size=1, max_size=12)),
    st.tuples(st.just("undo"), st.integers(0, 20)),
)
HEADERS = {"training": TRAINING_HEADER, "findings": FINDINGS_HEADER, "survey": SURVEY_HEADER}
KEYS = {"training": (0,), "findings": (0,), "survey": (0, 1, 7)}  # fields of each dataset's key


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)  # a CI-sized number of examples, on the file
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_random_loads_and_undos_keep_every_rollup_equal_to_the_rows(db, write, steps):
    for kind, what in steps:
        if kind == "undo":
            loaded = [row[0] for row in db.query("SELECT batch_id FROM batches WHERE status = 'loaded' ORDER BY 1")]
            if not loaded:
                continue
            batch_id = loaded[what % len(loaded)]
            dataset = db.query("SELECT dataset FROM batches WHERE batch_id = $id", {"id": batch_id})[0][0]
            try:
                undo_batch(db, batch_id)
            except UndoError:
                continue  # a later batch changed its rows: refused, nothing changed
        else:
            dataset = kind
            key = KEYS[kind]
            keyed = {tuple(row.split(",")[i] for i in key): row for row in what}  # one row per key, the last
            text = HEADERS[kind] + "".join(row + "\n" for row in keyed.values())
            result = ingest_file(db, kind, write(f"{kind}-{len(text)}-{hash(text) % 10_000}.csv", text))
            assert result.ok, [problem.message for problem in result.errors]
        result = rollups.check(db, [dataset])
        assert result.ok, [difference.as_dict() for difference in result.differences]


# --- the same KPIs and pages as the rows ----------------------------------------------------------------------------

DEMO_END = dt.date(2026, 11, 25)
FILTERS = (
    Filters(as_of=DEMO_END),
    Filters(as_of=DEMO_END, grain="quarter", sites=("Leeds",)),
    Filters(as_of=DEMO_END, grain="year", standards=("ISO 9001", "ISO 45001")),
    Filters(as_of=DEMO_END, departments=("Quality", "Production"), standards=("ISO 14001",)),
    # A review of a past period: findings closed later count as open then, a range that starts mid-month.
    Filters(as_of=dt.date(2025, 9, 30), date_from=dt.date(2024, 10, 17), date_to=dt.date(2025, 9, 30)),
)
VIEWS = (
    ("training_hours_by_group", (), {"group": "department"}),
    ("training_hours_by_group", (), {"group": "site"}),
    ("training_matrix", (), {}),
    ("training_staff", (), {}),
    ("findings_open", (), {}),
    ("findings_time_to_close", (), {}),
    ("findings_pareto", (), {"by": "clause", "top": 15}),
    ("findings_pareto", (), {"by": "root_cause", "top": 15}),
    ("findings_severity", (), {}),
    ("findings_repeats", (), {}),
    ("findings_repeat_pairs", (), {"top": 10}),
    ("review_audits", (), {}),
    ("review_findings_state", (), {}),
    ("review_ofi_processes", (), {}),
    ("review_respondents", (), {}),
    ("review_training", (), {}),
    ("survey_responses", (), {}),
    ("survey_favourable_waves", ("survey_answers",), {"stakeholder": "employee"}),
    ("survey_favourable_waves", ("survey_answers",), {"stakeholder": "customer"}),
    ("survey_likert", ("survey_answers",), {}),
)


def complicate(db, write) -> None:
    """What the demo lacks: employees with records in two departments, an assignment naming two standards, and
    respondents whose answers span two days or two sites."""
    exports = {
        "training": """SELECT 'MV-' || record_id AS record_id, employee_id,
                   CASE department WHEN 'Production' THEN 'Quality' ELSE 'Production' END AS department, site, course,
                   category, standard, "hours", status, due_date + 200 AS due_date, completed_on + 200 AS completed_on,
                   expires_on + 200 AS expires_on, is_mandatory, effectiveness
            FROM training WHERE employee_id IN (SELECT min(employee_id) FROM training GROUP BY department)
              AND completed_on < DATE '2025-06-01' ORDER BY record_id LIMIT 60""",
        "findings": """SELECT 'X-' || finding_id AS finding_id, audit_id, audit_type, standard, clause, site,
                   department, severity, raised_on, due_on, closed_on, status, finding_id AS repeat_of, effectiveness
            FROM findings WHERE severity = 'minor_nc' ORDER BY finding_id LIMIT 30""",
        "survey": """SELECT response_id, survey_id, survey_type, stakeholder, responded_on + 1 AS responded_on,
                   CASE site WHEN 'Leeds' THEN 'Porto' ELSE 'Leeds' END AS site, department, question_id, pillar,
                   scale, score
            FROM survey WHERE question_id IN (SELECT min(question_id) FROM survey) ORDER BY ALL LIMIT 120""",
    }
    for dataset, sql in exports.items():
        frame = db.cursor().execute(sql).df()
        text = frame.to_csv(index=False, date_format="%Y-%m-%d")
        load(db, write, dataset, text, f"more-{dataset}.csv")
    mixed = db.query(
        "SELECT record_id, employee_id, department, site, course, category, 'ISO 27001', hours, status, due_date, "
        "completed_on, expires_on, is_mandatory, effectiveness FROM training WHERE standard = 'ISO 45001' "
        "ORDER BY record_id LIMIT 1"
    )[0]
    row = ",".join(
        "" if value is None else str(value).lower() if isinstance(value, bool) else str(value) for value in mixed
    )
    load(db, write, "training", TRAINING_HEADER + "MX-1" + row[row.index(",") :] + "\n", "mixed.csv")


def same_series(rows, rolled) -> list[str]:
    """KPI ids whose points, limits or verdicts differ (values to 1e-12: sums of doubles may add up in another order)."""

    def close(a, b) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
        if isinstance(a, tuple) and isinstance(b, tuple):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
        return a == b

    differing = []
    for kpi_id, series in rows.items():
        other = rolled[kpi_id]
        points = [
            (p.period, p.value, p.n, p.target, p.ci, p.suppressed, p.provisional, p.special_cause)
            for p in series.points
        ]
        others = [
            (p.period, p.value, p.n, p.target, p.ci, p.suppressed, p.provisional, p.special_cause) for p in other.points
        ]
        limits = [(s.mean, s.lcl, s.ucl, s.points) for s in series.segments]
        other_limits = [(s.mean, s.lcl, s.ucl, s.points) for s in other.segments]
        if not (
            close(tuple(points), tuple(others))
            and close(tuple(limits), tuple(other_limits))
            and [(s.index, s.rule, s.side) for s in series.signals]
            == [(s.index, s.rule, s.side) for s in other.signals]
            and (series.variation, series.assurance) == (other.variation, other.assurance)
            and close(
                (series.trend.tau, series.trend.p_value, series.trend.sen_slope),
                (other.trend.tau, other.trend.p_value, other.trend.sen_slope),
            )
        ):
            differing.append(kpi_id)
    return differing


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by every column: a view's order among ties (and review_respondents') is not part of its result."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True) if len(frame) else frame


def assert_rollups_read_as_the_rows(db, filter_sets: tuple[Filters, ...] = FILTERS) -> None:
    wave = db.query("SELECT min(survey_id) FROM survey WHERE scale = 'likert5'")[0][0]
    for filters in filter_sets:
        rows = compute_all_series(db, filters, source=ROWS)
        assert sorted(rows) == sorted(kpi.id for kpi in KPIS)
        assert same_series(rows, compute_all_series(db, filters)) == [], filters
        for name, fragments, extra in VIEWS:
            extra = {"survey_id": wave} if name == "survey_likert" else extra
            chosen = filters if filters.date_from or not name.startswith("review") else FILTERS[-1]
            expected = in_order(view_frame(db, name, chosen, fragments=fragments, source=ROWS, **extra))
            found = in_order(view_frame(db, name, chosen, fragments=fragments, **extra))
            pd.testing.assert_frame_equal(
                found, expected, check_dtype=False, rtol=1e-12, atol=1e-12, obj=f"{name} {extra} {chosen}"
            )


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_every_kpi_and_page_reads_the_same_from_the_rollups_as_from_the_rows(demo_database, write, backend):
    database = open_target(resolve_target(demo_database(DEMO_END)))
    complicate(database, write)
    assert database.query("SELECT count(*) > 0 FROM rollup_training_matrix_records")[0][0]
    assert database.query("SELECT count(*) > 0 FROM rollup_survey_complex")[0][0]
    agree(database)
    assert_rollups_read_as_the_rows(database)
    database.close()


@pytest.mark.ducklake
@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_on_ducklake_every_kpi_and_page_reads_the_same_from_the_rollups_as_from_the_rows(db, write, backend):
    load_demo(db, scale=DemoScale.uniform(0.1), as_of=DEMO_END)
    complicate(db, write)
    agree(db)
    assert_rollups_read_as_the_rows(db, (FILTERS[0], FILTERS[-1]))  # fewer on DuckLake: its queries cost more
