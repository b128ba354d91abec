"""Roll-ups (isokpi.rollups) equal their definition over the rows after every kind of change, on both backends, and
what could leave one behind (a cut WAL, code that keeps no roll-ups, a changed definition) is repaired before a
query reads it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isokpi import kpis, rollups
from isokpi.audit import audit_trail
from isokpi.auth import QUALITY_LEAD, VIEWER, AccessError, User
from isokpi.cache import RESULTS
from isokpi.demo_batches import remove_demo
from isokpi.ingest import ingest_file, undo_batch
from isokpi.kpis import Filters
from isokpi.opening import open_target

from .conftest import target_env
from .test_kpis import TRAINING_HEADER

ROOT = Path(__file__).resolve().parent.parent

# Three employees: 001 in QA at Leeds (two records), 002 in QA at Leeds and in Ops at Porto, 003 with no dates.
RECORDS = {
    "T1": "T1,001,QA,Leeds,Audit,ISO 9001,2,completed,2025-01-15,2025-01-10,yes",
    "T2": "T2,001,QA,Leeds,Fire,,1,planned,2025-06-30,,no",
    "T3": "T3,002,QA,Leeds,Audit,ISO 9001,2,completed,2024-11-15,2024-11-20,yes",
    "T4": "T4,002,Ops,Porto,Audit,ISO 9001,2,completed,2025-03-15,2025-03-01,yes",
    "T5": "T5,003,Ops,Porto,Audit,ISO 9001,2,planned,,,yes",
}


def csv(*lines: str) -> str:
    return TRAINING_HEADER + "".join(line + "\n" for line in lines)


def load(db, write, text: str, name: str, *, demo: bool = False) -> int | None:
    result = ingest_file(db, "training", write(name, text), source="demo" if demo else "cli")
    assert result.ok, result.errors
    return result.batch_id


def stored(db) -> list[tuple]:
    return db.query(
        "SELECT employee_id, site, department, first_seen, last_seen FROM rollup_training_employees ORDER BY ALL"
    )


def completions(db) -> list[tuple]:
    return db.query(
        "SELECT site, department, standard, completed_on, hours, completed FROM rollup_training_completions ORDER BY ALL"
    )


def due(db) -> list[tuple]:
    return db.query("SELECT site, department, standard, due_date, due, on_time FROM rollup_training_due ORDER BY ALL")


def same(db) -> bool:
    return all(difference.same for difference in rollups.check(db))


D = dt.date


@pytest.fixture(params=["groups", "whole", "partitions"])
def refreshed(request, monkeypatch) -> str:
    """Each way of refreshing: the touched groups only (as after a small change), every group (a large one; a load
    and an undo, whose sizes are known, find that out before they note their versions), or the touched groups with
    the matrix computed whole once its touched partitions hold half the rows or more (every size asked)."""
    monkeypatch.setattr(rollups, "WHOLE_FROM", 10**9 if request.param == "whole" else 0)
    monkeypatch.setattr(rollups, "ASK_FIRST_FROM", 10**9 if request.param == "groups" else 0)
    return request.param


@pytest.mark.both_backends
def test_a_load_an_update_a_repeat_an_undo_and_the_demo_removal_keep_the_rollup_equal_to_its_rows(db, write, refreshed):
    first = load(db, write, csv(*RECORDS.values()), "training.csv")
    assert stored(db) == [
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 6, 30)),
        ("002", "Leeds", "QA", D(2024, 11, 15), D(2024, 11, 20)),
        ("002", "Porto", "Ops", D(2025, 3, 1), D(2025, 3, 15)),
        ("003", "Porto", "Ops", None, None),
    ]
    assert completions(db) == [
        ("Leeds", "QA", "ISO 9001", D(2024, 11, 20), 2.0, 1),
        ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 2.0, 1),
        ("Porto", "Ops", "ISO 9001", D(2025, 3, 1), 2.0, 1),
    ]
    assert due(db) == [  # mandatory records with a due date, and those completed by it
        ("Leeds", "QA", "ISO 9001", D(2024, 11, 15), 1, 0),
        ("Leeds", "QA", "ISO 9001", D(2025, 1, 15), 1, 1),
        ("Porto", "Ops", "ISO 9001", D(2025, 3, 15), 1, 1),
    ]
    assert same(db)
    # An update moves 002's Leeds record to Porto and 001's planned record later: both old groups are recomputed.
    moved = RECORDS["T3"].replace("QA,Leeds", "Ops,Porto")
    later = RECORDS["T2"].replace("2025-06-30", "2025-09-30")
    second = load(db, write, csv(moved, later), "update.csv")
    assert stored(db) == [
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 9, 30)),
        ("002", "Porto", "Ops", D(2024, 11, 15), D(2025, 3, 15)),
        ("003", "Porto", "Ops", None, None),
    ]
    assert completions(db)[0] == ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 2.0, 1)
    assert ("Porto", "Ops", "ISO 9001", D(2024, 11, 20), 2.0, 1) in completions(db)
    assert ("Porto", "Ops", "ISO 9001", D(2024, 11, 15), 1, 0) in due(db) and len(due(db)) == 3
    assert same(db)
    assert load(db, write, csv(moved, later), "update-again.csv") is None  # the same file again changes nothing
    assert same(db)
    undo_batch(db, second)
    assert stored(db)[:2] == [
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 6, 30)),
        ("002", "Leeds", "QA", D(2024, 11, 15), D(2024, 11, 20)),
    ]
    assert same(db)
    # Demo rows that replaced a real version and added an employee: their removal brings the real version back.
    demo = load(
        db,
        write,
        csv(RECORDS["T1"].replace("2025-01-10", "2023-05-05"), "T9,009,QA,Leeds,Audit,,1,planned,2025-02-01,,no"),
        "demo.csv",
        demo=True,
    )
    assert demo is not None
    assert ("009", "Leeds", "QA", D(2025, 2, 1), D(2025, 2, 1)) in stored(db)
    assert stored(db)[0] == ("001", "Leeds", "QA", D(2023, 5, 5), D(2025, 6, 30))
    remove_demo(db)
    assert ("009", "Leeds", "QA", D(2025, 2, 1), D(2025, 2, 1)) not in stored(db)
    assert stored(db)[0] == ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 6, 30))
    assert same(db)
    undo_batch(db, first)
    assert stored(db) == completions(db) == due(db) == [] and same(db)


@pytest.mark.both_backends
def test_loads_that_only_add_rows_append_their_groups_which_readers_and_the_check_combine(db, write, monkeypatch):
    load(db, write, csv(RECORDS["T1"]), "first.csv")
    # A new record of the same employee, cell and day of completion: appended, not merged into the group's row.
    load(db, write, csv("T6,001,QA,Leeds,Audit,ISO 9001,3,completed,2025-01-20,2025-01-10,yes"), "second.csv")
    assert completions(db) == [
        ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 2.0, 1),
        ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 3.0, 1),
    ]
    assert stored(db) == [
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 1, 15)),
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 1, 20)),
    ]
    checked = {difference.rollup: difference for difference in rollups.check(db)}
    assert all(difference.same for difference in checked.values())
    assert (checked["training_completions"].rows, checked["training_employees"].rows) == (1, 1)  # groups, combined
    # The check compares groups combined: one appended row wrong shows as its group's combined figures.
    db.query("UPDATE rollup_training_completions SET hours = 4 WHERE hours = 3")
    wrong = next(d for d in rollups.check(db) if d.rollup == "training_completions")
    assert [(row["hours"], row["completed"]) for row in wrong.missing] == [(5, 2)]
    assert [(row["hours"], row["completed"]) for row in wrong.extra] == [(6, 2)]
    db.query("UPDATE rollup_training_completions SET hours = 3 WHERE hours = 4")
    # The first training change after a multiple of FOLD_EVERY changes folds every group back into one row, though
    # that multiple was a findings load's (changes 1 and 2 were training, 3 findings, 4 training).
    monkeypatch.setattr(rollups, "FOLD_EVERY", 3)
    findings = "finding_id,audit_type,standard,site,severity,raised_on,due_on,closed_on,status\n"
    findings += "F1,internal,ISO 9001,Leeds,minor_nc,2025-01-03,2025-01-28,,open\n"
    assert ingest_file(db, "findings", write("findings.csv", findings)).batch_id == 3
    assert len(completions(db)) == 2  # a findings load folds no training roll-up
    load(db, write, csv("T7,002,Ops,Porto,Audit,ISO 9001,1,completed,2025-02-20,2025-02-10,yes"), "third.csv")
    assert completions(db) == [
        ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 5.0, 2),
        ("Porto", "Ops", "ISO 9001", D(2025, 2, 10), 1.0, 1),
    ]
    assert stored(db) == [
        ("001", "Leeds", "QA", D(2025, 1, 10), D(2025, 1, 20)),
        ("002", "Porto", "Ops", D(2025, 2, 10), D(2025, 2, 20)),
    ]
    assert same(db)
    # Split again by a load (change 5); the KPIs read the same from the split groups as from one row each.
    batch = load(db, write, csv("T8,001,QA,Leeds,Audit,ISO 9001,4,completed,2025-03-20,2025-01-10,yes"), "fourth.csv")
    assert len(completions(db)) == 3
    split = kpi_values(db)
    assert sum(value is not None for series in split.values() for value in series.values()) > 0
    # An undo of the appended batch takes it out of its split group (change 6 also folds).
    undo_batch(db, batch)
    assert completions(db)[0] == ("Leeds", "QA", "ISO 9001", D(2025, 1, 10), 5.0, 2) and same(db)
    load(db, write, csv("T8,001,QA,Leeds,Audit,ISO 9001,4,completed,2025-03-20,2025-01-10,yes"), "fifth.csv")
    assert len(completions(db)) == 3
    rollups.rebuild(db, actor=User("lead@example.com", "Lee Lead", QUALITY_LEAD))
    assert len(completions(db)) == 2
    RESULTS.clear()
    assert kpi_values(db) == split


def kpi_values(db) -> dict[str, dict[str, float | None]]:
    return {
        kpi_id: {f"{point.period:%Y-%m}": point.value for point in series.points}
        for kpi_id, series in kpis.compute_all_series(db, Filters(as_of=D(2025, 12, 1))).items()
    }


@pytest.mark.both_backends
def old_release_load(db, record_id: str, employee: str) -> None:
    """What an older release writes for a load: the version and the batch record, no roll-up."""
    with db.transaction() as cursor:
        cursor.execute("UPDATE counters SET value = value + 1 WHERE name = 'batch'")
        batch = cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0]
        cursor.execute(
            "INSERT INTO training_versions (record_id, employee_id, department, site, course, standard, hours, "
            "status, due_date, completed_on, is_mandatory, _batch_id) VALUES ($id, $employee, 'QA', 'Leeds', "
            "'Audit', 'ISO 9001', 3, 'completed', DATE '2025-05-01', DATE '2025-05-02', true, $batch)",
            {"id": record_id, "employee": employee, "batch": batch},
        )
        cursor.execute(
            "INSERT INTO batches VALUES ($batch, 'training', 'old.csv', NULL, 1, 1, 0, 0, 'old', now(), 'cli', "
            "'loaded', NULL, NULL)",
            {"batch": batch},
        )


def november_staff(db) -> int:
    december = Filters(as_of=D(2025, 12, 1)).statistics
    periods = kpis.periods(db, december)
    return dict(zip(*kpis.staff_counts(db, december, periods).values(), strict=True))[D(2025, 11, 1)]


@pytest.mark.both_backends
def test_staff_counts_read_the_rollup_and_follow_a_change_made_by_code_that_keeps_none(db, write):
    load(db, write, csv(*RECORDS.values()), "training.csv")
    assert november_staff(db) == 2  # 001 and 002 (003 has no dated record)
    old_release_load(db, "T7", "007")
    assert not same(db)
    assert november_staff(db) == 3  # the roll-up was rebuilt before the staff were counted
    assert same(db)
    assert audit_trail(db)[0]["action"] == "rebuild_rollups"


@pytest.mark.both_backends
def test_a_change_after_one_by_code_that_keeps_no_rollups_computes_them_whole(db, write, monkeypatch):
    monkeypatch.setattr(rollups, "WHOLE_FROM", 0)  # every change would merge itself in
    load(db, write, csv(*RECORDS.values()), "training.csv")
    old_release_load(db, "T7", "007")
    # Before anything reads the roll-ups: a one-row correction of T7 (subtracting T7 from a roll-up that never had it
    # would leave a group of -1 completions), then an undo.
    fixed = load(db, write, csv("T7,007,QA,Leeds,Audit,ISO 9001,4,completed,2025-05-01,2025-05-03,yes"), "fix.csv")
    assert same(db)
    assert ("Leeds", "QA", "ISO 9001", D(2025, 5, 3), 4.0, 1) in completions(db)
    assert all(row[5] > 0 for row in completions(db))
    old_release_load(db, "T8", "008")
    undo_batch(db, fixed)
    assert same(db)
    assert november_staff(db) == 4


def test_opening_a_file_rebuilds_a_rollup_an_unfinished_change_left_rows_in(tmp_path, write):
    path = tmp_path / "cut.duckdb"
    db = open_target(rollups_target(path))
    load(db, write, csv(*RECORDS.values()), "training.csv")
    # What a cut WAL can bring back of a change that never committed (duckdb/duckdb#25931): roll-up rows written
    # under a batch id the counter never reached, here a second copy of a group.
    db.query("INSERT INTO rollup_training_employees VALUES ('001', 'Leeds', 'QA', DATE '2020-01-01', NULL, 99)")
    assert not same(db)
    db.close()
    db = open_target(rollups_target(path))
    assert same(db)
    assert [(e["action"], json.loads(e["details"])) for e in audit_trail(db)[:1]] == [
        ("rebuild_rollups", {"training_employees": "an unfinished change left rows in it (a cut WAL)"})
    ]
    db.close()


def test_a_changed_definition_is_rebuilt_on_opening_and_a_current_one_is_not(tmp_path, write):
    path = tmp_path / "old.duckdb"
    db = open_target(rollups_target(path))
    load(db, write, csv(*RECORDS.values()), "training.csv")
    db.query("UPDATE rollup_builds SET digest = 'an older one'")
    db.query("DELETE FROM rollup_training_employees")  # what the older definition kept is no use
    db.close()
    db = open_target(rollups_target(path))
    assert len(stored(db)) == 4 and same(db)
    built_at = db.query("SELECT built_at FROM rollup_builds")
    db.close()
    db = open_target(rollups_target(path))
    assert db.query("SELECT built_at FROM rollup_builds") == built_at  # nothing to do: nothing written
    db.close()


def rollups_target(path: Path):
    from isokpi.db import resolve_target

    return resolve_target(path)


def test_only_a_quality_lead_rebuilds(db):
    with pytest.raises(AccessError):
        rollups.rebuild(db, actor=User("v@example.com", "V", VIEWER))


@pytest.mark.both_backends
def test_the_command_line_checks_and_rebuilds(target, db, write):
    load(db, write, csv(*RECORDS.values()), "training.csv")
    db.query("UPDATE rollup_training_employees SET last_seen = DATE '2030-01-01' WHERE employee_id = '001'")
    db.close()
    env = target_env(target)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "isokpi", "rollups", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    checked = cli("--check", "--json")
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert report["same"] is False
    by_name = {difference["rollup"]: difference for difference in report["rollups"]}
    assert sorted(by_name) == [
        "training_awareness",
        "training_completions",
        "training_due",
        "training_employees",
        "training_matrix",
    ]
    assert all(
        by_name[name]["same"]
        for name in ("training_awareness", "training_completions", "training_due", "training_matrix")
    )
    difference = by_name["training_employees"]
    assert difference["missing"] == [
        {
            "employee_id": "001",
            "site": "Leeds",
            "department": "QA",
            "first_seen": "2025-01-10",
            "last_seen": "2025-06-30",
        }
    ]
    assert difference["extra"] == [
        {
            "employee_id": "001",
            "site": "Leeds",
            "department": "QA",
            "first_seen": "2025-01-10",
            "last_seen": "2030-01-01",
        }
    ]
    assert "rollups --rebuild" in cli("--check").stderr
    rebuilt = cli("--rebuild", "--user", "Quality Lead")
    assert rebuilt.returncode == 0 and "rebuilt 5 roll-ups from the rows" in rebuilt.stdout, rebuilt.stderr
    checked = cli("--check")
    assert checked.returncode == 0 and "training_employees: same as the rows (4 groups)" in checked.stdout


EMPLOYEES = ("001", "002", "003")
SITES = (("QA", "Leeds"), ("Ops", "Porto"))
record = st.tuples(
    st.integers(0, 7),  # the record id
    st.sampled_from(EMPLOYEES),
    st.sampled_from(SITES),
    st.sampled_from([None, D(2024, 3, 1), D(2024, 12, 31), D(2025, 6, 1)]),
    # Completions in two 52-month blocks of the standards awareness roll-up (August 2023 is its last month of one).
    st.sampled_from([None, D(2023, 8, 20), D(2024, 2, 1), D(2025, 1, 15)]),
    # Expiries for the matrix's spans (before, inside and after the others'), and two courses.
    st.sampled_from([None, D(2024, 1, 10), D(2024, 4, 1), D(2025, 3, 1), D(2026, 1, 1)]),
    st.sampled_from(["Audit", "Fire safety"]),
)
step = st.one_of(st.lists(record, min_size=1, max_size=5).map(lambda rows: ("load", rows)), st.just(("undo", None)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=6))
def test_random_loads_and_undos_keep_the_rollup_equal_to_its_rows(tmp_path_factory, refreshed, steps):
    db = open_target(rollups_target(tmp_path_factory.mktemp("random") / "random.duckdb"))
    directory = tmp_path_factory.mktemp("files")
    loaded: list[int] = []
    try:
        for number, (kind, rows) in enumerate(steps):
            if kind == "undo":
                if loaded:
                    undo_batch(db, loaded.pop())
            else:
                lines = {
                    f"R{rid}": f"R{rid},{emp},{dept},{site},{course},ISO 9001,1,"
                    f"{'completed' if done else 'planned'},{due or ''},{done or ''},yes,{expires or ''}"
                    for rid, emp, (dept, site), due, done, expires, course in rows
                }
                path = directory / f"step-{number}.csv"
                path.write_text(
                    TRAINING_HEADER.rstrip("\n") + ",expires_on\n" + "".join(f"{line}\n" for line in lines.values()),
                    encoding="utf-8",
                )
                result = ingest_file(db, "training", path)
                assert result.ok, result.errors
                if result.batch_id is not None:
                    loaded.append(result.batch_id)
            assert same(db), steps[: number + 1]
        RESULTS.clear()
    finally:
        db.close()
