"""Tests for isokpi.demo: the demo data loads cleanly, is deterministic, and tells its stories in plain SQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import duckdb
import pytest

import isokpi.demo as demo
from isokpi.auth import os_user
from isokpi.catalog import KPIS
from isokpi.datasets import DATASETS
from isokpi.db import Database, resolve_target
from isokpi.demo import DemoScale, database_is_empty, load_demo, write_demo_files
from isokpi.opening import open_target

AS_OF = dt.date(2026, 11, 25)
START = dt.date(2023, 11, 1)  # first day of the month 36 months before November 2026
FIRST_YEAR_END = dt.date(2024, 11, 1)  # the first 12 months: [START, FIRST_YEAR_END)
LAST_YEAR_START = dt.date(2025, 12, 1)  # the last 12 months: [LAST_YEAR_START, AS_OF]
SITES = {"Leeds", "Porto", "Brno"}
DATASET_NAMES = ["training", "findings", "survey", "targets"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One database with the scale-1 demo loaded, shared by the read-only tests below."""
    database = open_target(resolve_target(tmp_path_factory.mktemp("demo") / "t.duckdb"))
    results = load_demo(database, as_of=AS_OF)
    yield database, results
    database.close()


def one(database: Database, sql: str, params: dict | None = None):
    return database.query(sql, params)[0][0]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- loading ---------------------------------------------------------------------------------------


def test_load_demo_loads_every_dataset_as_one_clean_batch(loaded):
    database, results = loaded
    assert list(results) == DATASET_NAMES
    for name, result in results.items():
        assert result.error_count == 0, (name, result.errors[:3])
        assert result.duplicate_rows == 0
        assert result.warnings == []
        assert result.inserted == result.rows_read > 0
        assert result.batch_id is not None
    batches = database.query("SELECT dataset, source, loaded_by, inserted FROM batches ORDER BY batch_id")
    assert batches == [(name, "demo", os_user(), results[name].inserted) for name in DATASET_NAMES]


def test_row_counts_at_scale_one(loaded):
    database, results = loaded
    assert 33_000 <= results["training"].rows_read <= 42_000  # ~15 records per employee per year
    assert 1_300 <= results["findings"].rows_read <= 1_700
    assert 85_000 <= results["survey"].rows_read <= 105_000
    assert results["targets"].rows_read == len(KPIS) + 3 + 1  # defaults, three raised targets, one site target
    for name in DATASET_NAMES:
        assert one(database, f"SELECT count(*) FROM {name}") == results[name].rows_read


def test_reloading_the_same_demo_changes_nothing(tmp_path):
    database = open_target(resolve_target(tmp_path / "t.duckdb"))
    try:
        load_demo(database, as_of=AS_OF)
        again = load_demo(database, as_of=AS_OF)
        for name, result in again.items():
            assert (result.inserted, result.updated, result.unchanged) == (0, 0, result.rows_read), name
            assert result.batch_id is None
        assert one(database, "SELECT count(*) FROM batches") == 4
    finally:
        database.close()


def test_database_is_empty_until_the_demo_is_loaded(loaded, tmp_path):
    database = open_target(resolve_target(tmp_path / "empty.duckdb"))
    try:
        assert database_is_empty(database) is True
    finally:
        database.close()
    assert database_is_empty(loaded[0]) is False


def test_load_demo_refuses_loudly_when_a_file_fails_validation(tmp_path, monkeypatch):
    def broken_files(directory, **_):
        path = directory / "training.csv"
        path.write_text("record_id,employee_id,department,course,hours\nTR-1,00417,Production,Fire safety,200\n")
        return {"training": path}

    monkeypatch.setattr(demo, "write_demo_files", broken_files)
    database = open_target(resolve_target(tmp_path / "t.duckdb"))
    try:
        with pytest.raises(RuntimeError, match=r"demo training data failed validation \(1 problems\): row 2 hours"):
            load_demo(database, as_of=AS_OF)
    finally:
        database.close()


# --- the files -------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_another_seed_different_ones(tmp_path):
    first = write_demo_files(tmp_path / "a", seed=7, as_of=AS_OF)
    second = write_demo_files(tmp_path / "b", seed=7, as_of=AS_OF)
    other = write_demo_files(tmp_path / "c", seed=8, as_of=AS_OF)
    assert list(first) == DATASET_NAMES
    assert {name: path.name for name, path in first.items()} == {name: f"{name}.csv" for name in DATASET_NAMES}
    for name in DATASET_NAMES:
        assert sha256(first[name]) == sha256(second[name]), name
    for name in ("training", "findings", "survey"):
        assert sha256(first[name]) != sha256(other[name]), name
    assert sha256(first["targets"]) == sha256(other["targets"])  # targets are chosen, not drawn


def test_files_are_utf8_csv_with_the_canonical_headers(tmp_path):
    paths = write_demo_files(tmp_path, as_of=AS_OF)
    for name, path in paths.items():
        header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
        assert header == ",".join(DATASETS[name].column_names)
    findings = paths["findings"].read_text(encoding="utf-8")
    assert "P. Novák" in findings or "J. Dvořák" in findings  # Brno's owners, spelled right


def test_scaling_one_dataset_leaves_the_others_unchanged(tmp_path):
    base = write_demo_files(tmp_path / "base", as_of=AS_OF)
    scaled = write_demo_files(tmp_path / "scaled", scale=DemoScale(findings=2.4, survey=0.2), as_of=AS_OF)
    assert sha256(base["training"]) == sha256(scaled["training"])
    with duckdb.connect() as connection:
        count = "SELECT count(*), count(DISTINCT finding_id), count(DISTINCT audit_id) FROM read_csv($path)"
        base_rows, _, base_audits = connection.execute(count, {"path": str(base["findings"])}).fetchone()
        rows, ids, audits = connection.execute(count, {"path": str(scaled["findings"])}).fetchone()
        assert ids == rows  # finding ids stay unique at any scale
        assert 2.0 < rows / base_rows < 2.8
        assert audits > base_audits  # more audits, not bigger ones
        survey = "SELECT count(*) FROM read_csv($path)"
        small = connection.execute(survey, {"path": str(scaled["survey"])}).fetchone()[0]
        full = connection.execute(survey, {"path": str(base["survey"])}).fetchone()[0]
        assert 0.15 < small / full < 0.25


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="DemoScale.training must be more than 0"):
        DemoScale(training=0)
    assert DemoScale.uniform(3) == DemoScale(3, 3, 3)


# --- what the data looks like ----------------------------------------------------------------------


def test_the_data_covers_36_months_and_stops_at_as_of(loaded):
    database, _ = loaded
    for table, column in (("training", "completed_on"), ("findings", "raised_on"), ("survey", "responded_on")):
        months, first, last = database.query(
            f"SELECT count(DISTINCT date_trunc('month', {column})), min({column}), max({column}) FROM {table}"
        )[0]
        assert months >= 36, table
        assert first >= START, table
        assert last <= AS_OF, table


def test_three_sites_everywhere(loaded):
    database, _ = loaded
    for table in ("training", "findings", "survey"):
        sites = {row[0] for row in database.query(f"SELECT DISTINCT site FROM {table} WHERE site IS NOT NULL")}
        assert sites == SITES, table
    staff = dict(database.query("SELECT site, count(DISTINCT employee_id) FROM training GROUP BY site"))
    assert staff["Leeds"] > staff["Porto"] > staff["Brno"]


def test_employee_ids_are_text_with_leading_zeros(loaded):
    database, _ = loaded
    ids = [row[0] for row in database.query("SELECT DISTINCT employee_id FROM training")]
    assert all(re.fullmatch(r"DEMO-0\d{4}", employee) for employee in ids)
    assert 850 <= len(ids) <= 1_050  # ~800 staff plus a few years of joiners
    # Leavers' records stop: some employees have no record due in the last six months.
    gone = one(
        database,
        "SELECT count(*) FROM (SELECT employee_id FROM training GROUP BY ALL HAVING max(due_date) < $cut)",
        {"cut": dt.date(2026, 6, 1)},
    )
    assert 10 <= gone <= 200


def test_every_demo_id_starts_with_its_own_prefix(loaded):
    """No real export's ids can meet a demo row: every id column of the demo starts with DEMO-."""
    database, _ = loaded
    for dataset in DATASETS.values():
        for column in (c.name for c in dataset.columns if c.kind == "id" and c.name != "question_id"):
            other = one(
                database,
                f"SELECT count(*) FROM {dataset.name} WHERE {column} IS NOT NULL AND NOT starts_with({column}, 'DEMO-')",
            )
            filled = one(database, f"SELECT count({column}) FROM {dataset.name}")
            assert other == 0, (dataset.name, column)
            assert filled > 0, (dataset.name, column)
    assert one(database, "SELECT min(finding_id) FROM findings") == "DEMO-F-2023-0001"
    assert one(database, "SELECT min(record_id) FROM training") == "DEMO-TR-000001"


def test_training_records_are_consistent(loaded):
    database, _ = loaded
    bad = database.query(
        """
        SELECT record_id, status, completed_on, due_date, expires_on, hours FROM training
        WHERE (status = 'completed') <> (completed_on IS NOT NULL)
           OR due_date IS NULL OR NOT (hours BETWEEN 0.5 AND 16)
           OR (status = 'overdue' AND due_date >= $as_of) OR (status = 'planned' AND due_date < $as_of)
           OR (expires_on IS NOT NULL AND NOT (is_mandatory AND expires_on > completed_on))
           OR (effectiveness IS NOT NULL AND status <> 'completed')
        """,
        {"as_of": AS_OF},
    )
    assert bad == []
    statuses = dict(database.query("SELECT status, count(*) FROM training GROUP BY ALL"))
    total = sum(statuses.values())
    assert statuses["completed"] / total > 0.85
    assert statuses.keys() == {"completed", "planned", "overdue", "cancelled"}
    evaluated = one(database, "SELECT avg((effectiveness IS NOT NULL)::INT) FROM training WHERE status = 'completed'")
    assert 0.6 < evaluated < 0.75


def test_findings_follow_the_rules_of_an_audit_programme(loaded):
    database, _ = loaded
    wrong_dates = """
        SELECT count(*) FROM findings
        WHERE closed_on < raised_on OR (closed_on IS NOT NULL) <> (status IN ('closed', 'verified'))
    """
    assert one(database, wrong_dates) == 0
    due_days = dict(database.query("SELECT severity, min(due_on - raised_on) FROM findings GROUP BY ALL"))
    assert due_days == {"major_nc": 14, "minor_nc": 30, "observation": 60, "ofi": 60}
    mix = dict(database.query("SELECT severity, count(*) / sum(count(*)) OVER () FROM findings GROUP BY ALL"))
    assert 0.02 < mix["major_nc"] < 0.08 and 0.3 < mix["minor_nc"] < 0.4
    assert 0.25 < mix["observation"] < 0.35 and 0.25 < mix["ofi"] < 0.35
    not_a_repeat = """
        SELECT count(*) FROM findings f LEFT JOIN findings e ON e.finding_id = f.repeat_of
        WHERE f.repeat_of IS NOT NULL
          AND (e.finding_id IS NULL OR e.raised_on >= f.raised_on OR e.site <> f.site OR e.clause <> f.clause)
    """
    assert one(database, not_a_repeat) == 0  # a repeat names an earlier finding of its clause at its site
    audit_ids = {row[0] for row in database.query("SELECT audit_id FROM findings WHERE audit_type = 'internal'")}
    assert "DEMO-IA-LEE-2024-03" in audit_ids


def test_some_findings_are_still_open_both_overdue_and_not_yet_due(loaded):
    database, _ = loaded
    overdue, not_due = database.query(
        """
        SELECT count(*) FILTER (WHERE due_on < $as_of), count(*) FILTER (WHERE due_on >= $as_of)
        FROM findings WHERE status IN ('open', 'in_progress')
        """,
        {"as_of": AS_OF},
    )[0]
    assert overdue >= 5 and not_due >= 5
    oldest_open = one(database, "SELECT min(raised_on) FROM findings WHERE status IN ('open', 'in_progress')")
    assert oldest_open < dt.date(2026, 6, 1)  # an old overdue action, for the aging view


def test_survey_waves_have_the_declared_shape(loaded):
    database, _ = loaded
    waves = database.query(
        """
        SELECT survey_type, stakeholder, scale, count(DISTINCT survey_id), count(DISTINCT question_id),
               min(score), max(score)
        FROM survey GROUP BY ALL ORDER BY ALL
        """
    )
    assert waves == [
        ("customer_nps", "customer", "csat5", 37, 1, 1, 5),
        ("customer_nps", "customer", "nps10", 37, 1, 0, 10),
        ("engagement", "employee", "likert5", 13, 16, 1, 5),
        ("investor", "investor", "likert7", 3, 4, 1, 7),
        ("supplier", "supplier", "likert5", 7, 5, 1, 5),
    ]
    engagement = database.query(
        """
        SELECT count(DISTINCT pillar), count(DISTINCT question_id),
               count(DISTINCT (survey_id, response_id)) / count(DISTINCT survey_id),
               count(*) FILTER (WHERE month(responded_on) % 3 <> 2 OR day(responded_on) > 21)
        FROM survey WHERE survey_type = 'engagement'
        """
    )[0]
    pillars, questions, respondents_per_wave, outside_window = engagement
    assert (pillars, questions, outside_window) == (8, 16, 0)  # two questions a pillar, in each quarter's window
    assert 400 < respondents_per_wave < 480  # ~55% of ~800 staff
    assert one(database, "SELECT min(response_id) FROM survey WHERE survey_id = 'DEMO-ENG-2024Q1'") == "DEMO-R00001"


def test_targets_change_over_time_and_one_is_per_site(loaded):
    database, _ = loaded
    rows = database.query(
        "SELECT kpi_id, target, period_start, site FROM targets WHERE kpi_id IN ($a, $b) ORDER BY ALL",
        {"a": "findings_closed_on_time_pct", "b": "overdue_open_findings"},
    )
    assert rows == [
        ("findings_closed_on_time_pct", 80.0, START, None),
        ("findings_closed_on_time_pct", 90.0, dt.date(2025, 11, 1), None),
        ("overdue_open_findings", 2.0, START, "Porto"),
        ("overdue_open_findings", 5.0, START, None),
    ]
    assert {row[0] for row in database.query("SELECT kpi_id FROM targets")} == {kpi.id for kpi in KPIS}


# --- the stories -----------------------------------------------------------------------------------

PERIODS = {"first": START, "first_end": FIRST_YEAR_END, "last": LAST_YEAR_START, "as_of": AS_OF}


def first_and_last_year(database: Database, value: str, table: str, date: str, where: str = "true", **params):
    """`value` aggregated over the first 12 months and over the last 12 months of the demo."""
    return database.query(
        f"""
        SELECT {value.format(period=f"{date} < $first_end")}, {value.format(period=f"{date} >= $last")}
        FROM {table} WHERE {where} AND {date} BETWEEN $first AND $as_of
        """,
        {**PERIODS, **params},
    )[0]


def test_findings_close_on_time_more_often_and_sooner(loaded):
    database, _ = loaded
    on_time = "avg(coalesce(closed_on <= due_on, false)::INT) FILTER (WHERE {period})"
    first, last = first_and_last_year(
        database, on_time, "findings", "due_on", "severity <> 'ofi' AND status <> 'cancelled'"
    )
    assert 0.5 < first < 0.7 and 0.72 < last < 0.9
    assert last - first > 0.10
    days = "median(closed_on - raised_on) FILTER (WHERE {period})"
    first, last = first_and_last_year(database, days, "findings", "raised_on")
    assert last < first


def test_repeat_findings_become_more_common(loaded):
    database, _ = loaded
    repeats = "avg((repeat_of IS NOT NULL)::INT) FILTER (WHERE {period})"
    first, last = first_and_last_year(
        database, repeats, "findings", "raised_on", "severity IN ('major_nc', 'minor_nc')"
    )
    assert first < 0.10 and 0.10 < last < 0.20
    assert last - first > 0.04


def test_customer_nps_rises(loaded):
    database, _ = loaded
    first, last = database.query(
        """
        SELECT 100 * avg((score >= 9)::INT - (score <= 6)::INT) FILTER (WHERE responded_on < $first_six_end),
               100 * avg((score >= 9)::INT - (score <= 6)::INT) FILTER (WHERE responded_on >= $last_six)
        FROM survey WHERE question_id = 'NPS'
        """,
        {"first_six_end": dt.date(2024, 5, 1), "last_six": dt.date(2026, 6, 1)},
    )[0]
    assert last - first > 10
    assert 25 < last < 45


def test_mandatory_training_is_done_on_time_more_often(loaded):
    database, _ = loaded
    on_time = "avg(coalesce(completed_on <= due_date, false)::INT) FILTER (WHERE {period})"
    where = "is_mandatory AND status <> 'cancelled'"
    first, last = first_and_last_year(database, on_time, "training", "due_date", where)
    assert 0.74 < first < 0.84 and 0.87 < last < 0.96


def test_training_hours_per_employee_rise(loaded):
    database, _ = loaded
    hours = "sum(hours) FILTER (WHERE {period}) / count(DISTINCT employee_id) FILTER (WHERE {period})"
    first, last = first_and_last_year(database, hours, "training", "completed_on", "status = 'completed'")
    assert last / first > 1.2


def test_employee_survey_moves_only_where_the_story_says(loaded):
    database, _ = loaded
    favourable = "avg((score >= 4)::INT) FILTER (WHERE {period})"
    change = {}
    for pillar in ("training", "monitoring_review", "recognition_learning", "culture", "communication"):
        where = "survey_type = 'engagement' AND pillar = $pillar"
        first, last = first_and_last_year(database, favourable, "survey", "responded_on", where, pillar=pillar)
        change[pillar] = last - first
    assert change["training"] > 0.05 and change["monitoring_review"] > 0.05
    assert change["recognition_learning"] < -0.03
    assert abs(change["culture"]) < 0.03 and abs(change["communication"]) < 0.03
