"""Results kept per dataset: a KPI's rows are kept until a load, undo or demo removal changes a dataset it reads.

The catalog's `datasets` of each KPI is what isokpi.kpis keys its rows by; DuckDB's plan says which tables the
KPI's SQL scans, and the two must agree, or a load of a dataset a KPI reads unannounced would leave it stale.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from isokpi import kpis, rollups
from isokpi.cache import RESULTS
from isokpi.catalog import KPIS
from isokpi.db import bound
from isokpi.demo_batches import remove_demo
from isokpi.ingest import ingest_file, undo_batch
from isokpi.kpis import Filters, compute_all_series

from .test_kpis import FINDINGS_HEADER, SURVEY_HEADER, TRAINING_HEADER

AS_OF = dt.date(2025, 7, 1)
JUNE = Filters(as_of=AS_OF)

TRAINING = "".join(
    f"T{i}{year},00{i},QA,Leeds,Audit,ISO 9001,2,completed,{year}-01-15,{year}-01-10,yes\n"
    for i in range(4)
    for year in (2024, 2025)
)
FINDING = "F{n},A{n},internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-0{month}-03,2025-0{month}-20,,open,,\n"


def load(db, write, dataset: str, text: str, name: str = "", source: str = "cli") -> int:
    result = ingest_file(db, dataset, write(f"{name or dataset}.csv", text), source=source)
    assert result.ok and result.inserted, result.errors
    return result.batch_id


def kept(db, kpi_id: str) -> bool:
    """Whether the KPI's rows for JUNE are kept for the data as it is now (nothing computed to tell)."""
    filters = JUNE.statistics
    period_list = kpis.periods(db, filters)
    kpi = kpis.get_kpi(kpi_id)
    staff = kpis.staff_counts(db, filters, period_list) if kpis.uses_staff(kpi) else None
    key = None if staff is None else (tuple(staff["staff_periods"]), tuple(staff["staff_counts"]))
    return kpis._kept_rows.kept(db, kpi_id, filters, tuple(period_list), key) is not None


def values(db) -> dict[str, dict[str, float | None]]:
    return {
        kpi_id: {f"{p.period:%Y-%m}": p.value for p in series.points}
        for kpi_id, series in compute_all_series(db, JUNE).items()
    }


def scanned(node, tables: set[str]) -> set[str]:
    """The tables an EXPLAIN (FORMAT json) plan scans."""
    if isinstance(node, dict):
        info = node.get("extra_info")
        if isinstance(info, dict) and info.get("Table"):
            tables.add(info["Table"].split(".")[-1])
        for value in node.values():
            scanned(value, tables)
    elif isinstance(node, list):
        for value in node:
            scanned(value, tables)
    return tables


def plan_tables(db, sql: str, params: dict) -> set[str]:
    """The datasets whose tables the plan of `sql` scans: a dataset's versions, or a roll-up of its rows."""
    with db.cursor() as cursor:
        plan = cursor.execute("EXPLAIN (FORMAT json) " + sql, bound(sql, params)).fetchall()
    tables = scanned(json.loads(plan[0][1]), set())
    return {rollups.dataset_of(table) or table.removesuffix("_versions") for table in tables}


def test_every_kpi_scans_only_the_datasets_the_catalog_names_and_staff_only_training(demo_database):
    from isokpi.opening import close_all, open_database

    db = open_database(demo_database())  # every table full: a plan leaves out the scan of an empty one
    filters = Filters().statistics
    period_list = kpis.periods(db, filters)
    staff = kpis.staff_counts(db, filters, period_list)
    assert plan_tables(db, kpis.kpi_sql("staff"), kpis._params(None, filters, period_list)) == {"training"}
    for kpi in (kpi for kpi in KPIS if not kpi.derived):
        params = {**kpis.kpi_params(kpi, filters, period_list), **staff}
        tables = plan_tables(db, kpis.kpi_sql(kpi), params)
        assert tables, kpi.id
        assert tables <= set(kpi.datasets), (kpi.id, kpi.datasets, tables)
    close_all()


@pytest.mark.both_backends
def test_a_findings_load_keeps_the_training_kpis_and_recomputes_those_of_findings(db, write):
    load(db, write, "training", TRAINING_HEADER + TRAINING)
    load(db, write, "findings", FINDINGS_HEADER + FINDING.format(n=1, month=2))
    before = values(db)
    assert before["overdue_open_findings"]["2025-03"] == 1.0
    assert kept(db, "mandatory_training_completion_pct") and kept(db, "overdue_open_findings")
    load(db, write, "findings", FINDINGS_HEADER + FINDING.format(n=2, month=3), "more-findings")
    assert kept(db, "mandatory_training_completion_pct") and kept(db, "training_hours_per_employee")
    assert not kept(db, "overdue_open_findings") and not kept(db, "overdue_actions_per_100_staff")
    after = values(db)
    assert after["overdue_open_findings"]["2025-04"] == 2.0  # F1 and F2 past due at April's end
    assert after["overdue_actions_per_100_staff"]["2025-04"] == 50.0  # 2 of 4 staff
    assert after["mandatory_training_completion_pct"] == before["mandatory_training_completion_pct"]
    RESULTS.clear()
    assert values(db) == after  # what was kept is what the rows give now


@pytest.mark.both_backends
def test_a_training_load_recomputes_the_staff_based_findings_kpis(db, write):
    load(db, write, "findings", FINDINGS_HEADER + FINDING.format(n=1, month=2))
    load(db, write, "training", TRAINING_HEADER + TRAINING)
    assert values(db)["overdue_actions_per_100_staff"]["2025-04"] == 25.0  # 1 of 4 staff
    extra = "".join(f"T{i}X,01{i},QA,Leeds,Audit,ISO 9001,2,completed,2025-01-15,2025-01-10,no\n" for i in range(4))
    load(db, write, "training", TRAINING_HEADER + extra, "more-training")
    assert kept(db, "overdue_open_findings") and not kept(db, "overdue_actions_per_100_staff")
    after = values(db)
    assert after["overdue_actions_per_100_staff"]["2025-04"] == 12.5  # 1 of 8 staff
    RESULTS.clear()
    assert values(db) == after


@pytest.mark.both_backends
def test_an_undo_and_a_demo_removal_change_the_datasets_they_touch(db, write):
    load(db, write, "training", TRAINING_HEADER + TRAINING)
    batch = load(db, write, "findings", FINDINGS_HEADER + FINDING.format(n=1, month=2))
    assert values(db)["overdue_open_findings"]["2025-04"] == 1.0
    versions = dict(db.dataset_versions(("training", "findings", "survey")))
    assert versions == {"training": (1, 0), "findings": (2, 0), "survey": (None, 0)}  # newest batch, batches gone
    undo_batch(db, batch)
    assert kept(db, "training_hours_per_employee") and not kept(db, "overdue_open_findings")
    assert values(db)["overdue_open_findings"].get("2025-04") is None
    demo = FINDINGS_HEADER + FINDING.format(n=3, month=2).replace("F3,A3", "DEMO-F3,DEMO-A3")
    load(db, write, "findings", demo, "demo-findings", source="demo")
    assert values(db)["overdue_open_findings"]["2025-04"] == 1.0
    remove_demo(db)
    assert kept(db, "training_hours_per_employee") and not kept(db, "overdue_open_findings")
    assert values(db)["overdue_open_findings"].get("2025-04") is None
    assert dict(db.dataset_versions(("training", "findings"))) == {
        "training": (1, 0),
        "findings": (4, 2),
    }  # batch 3 was the undo


@pytest.mark.ducklake
@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_dataset_versions_follow_a_load_on_another_server(target, write):
    from isokpi.opening import open_target

    here, there = open_target(target), open_target(target)
    try:
        assert dict(here.dataset_versions(("training", "findings"))) == {"training": (None, 0), "findings": (None, 0)}
        load(there, write, "findings", FINDINGS_HEADER + FINDING.format(n=1, month=2))
        # Kept per data version: the other server's commit is a new snapshot, so it is read again.
        assert dict(here.dataset_versions(("training", "findings"))) == {"training": (None, 0), "findings": (1, 0)}
        undo_batch(there, 1)
        assert dict(here.dataset_versions(("findings",))) == {"findings": (1, 1)}  # the undo is no batch
        # A computation pins the version it began at (its cached calls ask once); the next one sees the change.
        with here.pinned_version() as pinned:
            load(there, write, "findings", FINDINGS_HEADER + FINDING.format(n=2, month=3))
            assert here.data_version() == pinned
            assert dict(here.dataset_versions(("findings",))) == {"findings": (1, 1)}
        assert here.data_version() > pinned
        assert dict(here.dataset_versions(("findings",))) == {"findings": (3, 1)}
    finally:
        here.close()
        there.close()


def test_every_view_scans_only_the_datasets_it_is_kept_by(demo_database, monkeypatch):
    from isokpi import findings_view, outcomes_view, review_inputs, survey_view, training_view, views
    from isokpi.opening import close_all, open_database

    db = open_database(demo_database())
    filters = Filters(date_from=dt.date(2026, 1, 1))
    runs: list[tuple[str, tuple[str, ...], dict]] = []
    kept_view = views._kept

    def recorded(database, name, filters, fragments, extra, as_dicts):
        runs.append((name, fragments, {**views.view_params(database, filters), **extra}))
        return kept_view(database, name, filters, fragments, extra, as_dicts)

    monkeypatch.setattr(views, "_kept", recorded)
    for group in ("department", "site"):
        training_view.hours_by_group(db, filters, group)
        outcomes_view.group_counts(db, filters, group)
    training_view.staff_on_record(db, filters)
    training_view.training_matrix(db, filters)
    findings_view.open_by_age(db, filters)
    findings_view.close_counts(db, filters)
    findings_view.pareto(db, filters, "clause")
    findings_view.severity_mix(db, filters)
    findings_view.repeats(db, filters)
    findings_view.repeat_pairs(db, filters)
    waves = survey_view.responses(db, filters)
    survey_view.favourable_by_wave(db, filters, "employee")
    survey_view.likert_distribution(db, filters, survey_view.likert_waves(waves, "employee")[-1])
    review_inputs.period_facts(db, filters)
    assert {name for name, _, _ in runs} | {f for _, fragments, _ in runs for f in fragments} == set(views.VIEW_READS)
    for name, fragments, params in runs:
        sql = views.view_sql(name, fragments)
        tables = plan_tables(db, sql, bound(sql, params))
        assert tables, name
        assert tables <= set(views.view_reads(name, fragments)), (name, tables)
    close_all()


def view_kept(db, name: str, filters: Filters, fragments: tuple[str, ...] = ()) -> bool:
    """Whether the view's rows are kept for the data as it is now (nothing computed to tell)."""
    from isokpi import views

    sql = views.view_sql(name, fragments)
    params = bound(sql, views.view_params(db, filters, with_periods=views.uses_periods(name, fragments)))
    return views._kept_view.kept(db, name, fragments, views._frozen(params), False) is not None


@pytest.mark.both_backends
def test_a_survey_load_keeps_the_training_matrix_and_a_training_load_changes_it(db, write):
    from isokpi import training_view

    load(db, write, "training", TRAINING_HEADER + TRAINING)
    matrix = training_view.training_matrix(db, JUNE)
    assert training_view.staff_on_record(db, JUNE) == 4
    matrix["changed by the caller"] = 1  # a copy: what is kept stays as the query gave it
    load(db, write, "survey", SURVEY_HEADER + "R1,ENG,engagement,employee,2025-03-02,Leeds,E1,culture,likert5,5\n")
    assert view_kept(db, "training_matrix", JUNE) and view_kept(db, "training_staff", JUNE)
    assert "changed by the caller" not in training_view.training_matrix(db, JUNE).columns
    extra = "".join(f"T{i}X,01{i},QA,Leeds,Audit,ISO 9001,2,completed,2025-06-15,2025-06-10,yes\n" for i in range(2))
    load(db, write, "training", TRAINING_HEADER + extra, "more-training")
    assert not view_kept(db, "training_matrix", JUNE) and not view_kept(db, "training_staff", JUNE)
    assert training_view.staff_on_record(db, JUNE) == 6
