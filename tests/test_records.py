"""Drill-through: the records behind a KPI's point add up to its value, follow the filters and keep anonymity."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter

import pytest

from isokpi import cache, kpis, records, stats
from isokpi.catalog import KPIS
from isokpi.db import resolve_target
from isokpi.errors import InputError
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, kpi_series
from isokpi.opening import open_target

from .conftest import ROOT

AS_OF = dt.date(2025, 7, 1)
MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)

FINDINGS = """finding_id,audit_id,audit_type,standard,clause,site,department,severity,raised_on,due_on,closed_on,status
F-1,A1,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,2025-03-01,2025-03-20,2025-03-15,closed
F-2,A1,internal,ISO 9001,8.7,Leeds,Quality,major_nc,2025-03-02,2025-03-25,2025-04-10,closed
F-3,A2,external,ISO 14001,6.1,Brno,Production,minor_nc,2025-03-10,2025-03-31,,open
F-4,A2,external,ISO 14001,6.2,Brno,Production,observation,2025-03-11,2025-04-15,,open
F-5,A3,internal,ISO 9001,10.3,Leeds,HR,ofi,2025-03-12,,,open
F-6,A1,internal,ISO 9001,8.5,Leeds,Quality,minor_nc,2025-03-05,2025-03-10,,cancelled
"""
TRAINING = """record_id,employee_id,department,site,course,hours,status,due_date,completed_on,is_mandatory
T-1,E1,Quality,Leeds,Safety,2,completed,2025-03-10,2025-03-05,yes
T-2,E2,Quality,Leeds,Safety,2,completed,2025-03-10,2025-03-20,yes
T-3,E3,Production,Leeds,Safety,2,overdue,2025-03-15,,yes
T-4,E4,Production,Leeds,Safety,2,cancelled,2025-03-15,,yes
T-5,E1,Quality,Leeds,Optional,1,completed,2025-03-12,2025-03-12,no
"""
SURVEY_HEADER = (
    "response_id,survey_id,survey_type,stakeholder,responded_on,site,department,question_id,pillar,scale,score\n"
)


def load(db, write, dataset: str, text: str) -> None:
    result = ingest_file(db, dataset, write(f"{dataset}.csv", text))
    assert result.ok, result.errors


def marked(drilled) -> dict[str, bool]:
    key = "finding_id" if drilled.dataset == "findings" else "record_id"
    return {record[key]: record["in_numerator"] for record in drilled.records}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_a_percentage_lists_its_denominator_and_marks_the_numerator(db, write):
    load(db, write, "findings", FINDINGS)
    drilled = records.drill(db, "findings_closed_on_time_pct", MARCH, Filters(as_of=AS_OF))
    assert drilled.value == pytest.approx(100 / 3)
    # Due in March: F-1 closed on time, F-2 late, F-3 still open; the cancelled F-6 and the ofi F-5 are no actions.
    assert marked(drilled) == {"F-1": True, "F-2": False, "F-3": False}
    assert drilled.dataset == "findings" and drilled.columns == [
        "finding_id", "audit_id", "audit_type", "standard", "clause", "site", "department", "process", "severity",
        "source", "description", "raised_on", "due_on", "closed_on", "status", "root_cause", "owner", "repeat_of",
        "effectiveness",
    ]  # fmt: skip
    brno = records.drill(db, "findings_closed_on_time_pct", MARCH, Filters(as_of=AS_OF, sites=("Brno",)))
    assert (brno.value, marked(brno)) == (0.0, {"F-3": False})


def test_a_count_lists_the_records_counted_and_a_rate_per_audit_its_audits(db, write):
    load(db, write, "findings", FINDINGS)
    june = Filters(as_of=AS_OF)
    # At March's end F-2 (due 25 March, closed 10 April) was overdue; F-3 is due on the last day, not yet overdue.
    assert marked(records.drill(db, "overdue_open_findings", MARCH, june)) == {"F-2": True}
    april = records.drill(db, "overdue_open_findings", APRIL, june)
    assert (april.value, marked(april)) == (2.0, {"F-3": True, "F-4": True})
    majors = records.drill(db, "major_ncs_per_audit", MARCH, june)
    assert majors.value == pytest.approx(1 / 3) and majors.audits == 3
    assert marked(majors) == {"F-1": False, "F-2": True, "F-3": False, "F-4": False, "F-5": False}
    external = records.drill(db, "external_audit_ncs_per_audit", MARCH, june)
    assert (external.value, external.audits, marked(external)) == (1.0, 1, {"F-3": True, "F-4": False})
    assert "1 distinct audits" not in external.explanation or external.audits == 1


def test_training_records_follow_the_department_filter(db, write):
    load(db, write, "training", TRAINING)
    everyone = records.drill(db, "mandatory_training_completion_pct", MARCH, Filters(as_of=AS_OF))
    assert everyone.value == pytest.approx(100 / 3)
    assert marked(everyone) == {"T-1": True, "T-2": False, "T-3": False}  # T-4 cancelled, T-5 not mandatory
    quality = records.drill(
        db, "mandatory_training_completion_pct", MARCH, Filters(as_of=AS_OF, departments=("Quality",))
    )
    assert (quality.value, marked(quality)) == (50.0, {"T-1": True, "T-2": False})


def test_survey_records_keep_anonymity(db, write):
    march = "".join(f"R{i},C-03,csat,customer,2025-03-0{i + 1},Leeds,Sales,CSAT,,csat5,5\n" for i in range(4))
    april = "".join(
        f"S{i},C-04,csat,customer,2025-04-0{i + 1},{'Brno' if i == 5 else 'Leeds'},Sales,CSAT,,csat5,{3 if i else 4}\n"
        for i in range(6)
    )
    load(db, write, "survey", SURVEY_HEADER + march + april)
    june = Filters(as_of=AS_OF)
    small = records.drill(db, "customer_csat_pct", MARCH, june)
    assert (small.value, small.records, small.withheld) == (None, [], f"fewer than {stats.MIN_GROUP_SIZE} respondents")
    drilled = records.drill(db, "customer_csat_pct", APRIL, june)
    assert drilled.value == pytest.approx(100 / 6)
    assert all("response_id" not in record for record in drilled.records)
    # Five respondents at Leeds Sales are a group; the one at Brno is not: neither that site nor its department shows.
    assert Counter((r["site"], r["department"], r["score"], r["in_numerator"]) for r in drilled.records) == Counter(
        [("Leeds", "Sales", 4.0, True)] + [("Leeds", "Sales", 3.0, False)] * 4 + [(None, None, 3.0, False)]
    )


def test_periods_are_months_quarters_or_years_and_anything_else_is_refused():
    assert records.parse_period("2025-10") == (dt.date(2025, 10, 1), "month")
    assert records.parse_period("2025-Q3") == (dt.date(2025, 7, 1), "quarter")
    assert records.parse_period("2024") == (dt.date(2024, 1, 1), "year")
    for bad in ("2025-13", "2025-1", "25-10", "2025-Q5", "2025/10", "October"):
        with pytest.raises(InputError, match="use YYYY-MM"):
            records.parse_period(bad)


def test_a_quarter_holds_the_records_of_its_months(db, write):
    load(db, write, "findings", FINDINGS)
    quarter = records.drill(
        db, "findings_closed_on_time_pct", MARCH.replace(month=1), Filters(grain="quarter", as_of=AS_OF)
    )
    assert marked(quarter) == {"F-1": True, "F-2": False, "F-3": False}
    with pytest.raises(InputError, match="does not start a quarter"):
        records.drill(db, "findings_closed_on_time_pct", MARCH, Filters(grain="quarter", as_of=AS_OF))


def test_the_cli_contract(tmp_path, write):
    path = tmp_path / "cli.duckdb"
    database = open_target(resolve_target(path))
    load(database, write, "findings", FINDINGS)
    database.close()
    db = str(path)
    result = run(
        "records", "findings_closed_on_time_pct", "--period", "2025-03", "--as-of", "2025-07-01", "--db", db, "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert list(payload) == ["kpi", "period", "value", "dataset", "records"]
    assert (payload["kpi"], payload["period"], payload["dataset"]) == (
        "findings_closed_on_time_pct",
        "2025-03",
        "findings",
    )
    assert payload["value"] == pytest.approx(100 / 3)
    assert [(r["finding_id"], r["due_on"], r["in_numerator"]) for r in payload["records"]] == [
        ("F-1", "2025-03-20", True),
        ("F-2", "2025-03-25", False),
        ("F-3", "2025-03-31", False),
    ]
    text = run("records", "overdue_open_findings", "--period", "2025-04", "--as-of", "2025-07-01", "--db", db)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[:2] == [
        "Overdue open findings, Apr 2025: 2 findings",
        "2 records (findings), 2 in the numerator (*): the value is the number of records",
    ]
    assert "F-3" in text.stdout and "F-4" in text.stdout
    for args, message in (
        (("nope", "--period", "2025-03"), "unknown KPI 'nope'"),
        (("customer_nps", "--period", "2025-13"), "'2025-13' is not a period"),
        (("overdue_open_findings", "--period", "2030-01", "--as-of", "2025-07-01"), "has no point in 2030-01"),
    ):
        refused = run("records", *args, "--db", db, "--json")
        assert refused.returncode == 2 and message in refused.stderr
        assert message in json.loads(refused.stdout)["error"]


def _again(kpi, drilled, n: int | None, as_of: dt.date) -> float | None:
    """The point's value worked out here from the records alone, without isokpi.records' own check."""
    rows = drilled.records
    inside = sum(1 for r in rows if r["in_numerator"])
    rule = records.source_of(kpi)[2] if not kpi.derived else records.SHARE
    if rule == records.COUNT:
        return len(rows)
    if rule == records.SHARE:
        return 100 * inside / len(rows)
    if rule == records.PER_100_STAFF:
        return 100 * len(rows) / n
    if rule == records.HOURS_PER_HEAD:
        return sum(r["hours"] for r in rows) / n
    if rule == records.PER_AUDIT:
        audits = {r["audit_id"] or f"{r['audit_type']}|{r['site'] or ''}|{r['raised_on']}" for r in rows}
        return inside / len(audits)
    if rule == records.NPS:
        return 100 * (inside - sum(1 for r in rows if r["score"] <= 6)) / len(rows)
    if rule == records.KM:
        days = [(min(r["closed_on"] or as_of, as_of) - r["raised_on"]).days for r in rows]
        events = [1 if r["in_numerator"] else 0 for r in rows]
        return stats.km_median_from_counts(days, events, [1 - e for e in events])
    return None  # RESPONDENT_MEAN: the answers carry no respondent, by design


@pytest.fixture(scope="module")
def demo(demo_database):
    database = open_target(resolve_target(demo_database(AS_OF)))
    yield database
    database.close()


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_every_kpi_of_the_catalog_adds_up_on_the_demo(demo, grain):
    filters = Filters(as_of=AS_OF, grain=grain)
    for kpi in KPIS:
        series = kpi_series(demo, kpi.id, filters)
        points = [p for p in series.points if p.value is not None][-2:]
        assert points, kpi.id
        for point in points:
            drilled = records.drill(demo, kpi.id, point.period, filters)
            assert drilled.value == pytest.approx(point.value, rel=1e-12) and drilled.records, (kpi.id, point.period)
            again = _again(kpi, drilled, point.n, AS_OF)
            if again is not None:
                assert again == pytest.approx(point.value, rel=1e-9), (kpi.id, point.period)
            if drilled.dataset == "survey":
                assert all("response_id" not in r for r in drilled.records)
                assert {r["stakeholder"] for r in drilled.records} <= {"employee", "customer", "supplier", "investor"}


def test_filters_narrow_the_records_on_the_demo(demo):
    everywhere = records.drill(demo, "findings_closed_on_time_pct", dt.date(2025, 5, 1), Filters(as_of=AS_OF))
    leeds = records.drill(
        demo, "findings_closed_on_time_pct", dt.date(2025, 5, 1), Filters(as_of=AS_OF, sites=("Leeds",))
    )
    assert leeds.records and {r["site"] for r in leeds.records} == {"Leeds"}
    assert {r["finding_id"] for r in leeds.records} == {
        r["finding_id"] for r in everywhere.records if r["site"] == "Leeds"
    }


def test_a_point_computes_only_its_own_kpi_unless_the_scorecard_is_kept_already(db, write):
    # A fresh process (the CLI) drills without working out the other 25 KPIs; a process that drew the charts
    # (all_series kept for this data) takes the point from there, to the bit.
    load(db, write, "findings", FINDINGS)
    load(db, write, "training", TRAINING)
    filters = Filters(as_of=AS_OF)
    cache.RESULTS.clear()
    alone = records.drill(db, "findings_closed_on_time_pct", MARCH, filters)
    assert kpis.all_series.kept(db, filters) is None  # nothing computed but the one KPI
    assert alone.value == kpi_series(db, "findings_closed_on_time_pct", filters).points[0].value == 100 / 3
    shown = kpis.all_series(db, filters)["mandatory_training_completion_pct"]
    kept = records.drill(db, "mandatory_training_completion_pct", MARCH, filters)
    assert kept.value == next(p.value for p in shown.points if p.period == MARCH) == 100 / 3
    derived = records.drill(db, "kpis_on_target_pct", MARCH, filters)  # needs the others: from all_series
    assert derived.value == next(
        p.value for p in kpis.all_series(db, filters)["kpis_on_target_pct"].points if p.period == MARCH
    )
