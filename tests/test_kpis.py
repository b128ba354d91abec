"""The KPI engine on small hand-built tables: values, targets over time, filters, periods, scorecard."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import pytest

from isokpi import stats
from isokpi.catalog import KPIS, kpis_of_pillar
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, all_series, kpi_series, periods, scorecard, scorecard_dict, series_dict
from isokpi.pillars import PILLAR_IDS

from .conftest import ROOT

pytestmark = pytest.mark.both_backends  # every test here runs on the DuckDB file and on DuckLake

AS_OF = dt.date(2025, 7, 1)
JUNE = Filters(as_of=AS_OF)


def load(db, write, dataset: str, text: str) -> None:
    result = ingest_file(db, dataset, write(f"{dataset}.csv", text))
    assert result.ok, result.errors


def values(series) -> dict[str, float | None]:
    """Each point's value rounded to 2 places; periods without data (gaps: no value, no n) left out."""
    return {
        f"{p.period:%Y-%m}": None if p.value is None else round(p.value, 2)
        for p in series.points
        if p.value is not None or p.n is not None
    }


def gaps(series) -> list[str]:
    return [f"{p.period:%Y-%m}" for p in series.points if p.value is None and p.n is None]


SURVEY_HEADER = "response_id,survey_id,survey_type,stakeholder,responded_on,site,question_id,pillar,scale,score\n"


def test_customer_nps_is_promoters_minus_detractors_percent(db, write):
    scores = [10, 9, 9, 10, 9, 8, 7, 6, 0, 3]  # 5 promoters, 2 passives, 3 detractors: NPS +20
    rows = "".join(
        f"R{i},NPS-03,customer_nps,customer,2025-03-{i + 1:02d},Leeds,NPS,,nps10,{s}\n" for i, s in enumerate(scores)
    )
    rows += "R1,ENG,engagement,employee,2025-03-02,Leeds,E1,culture,likert5,5\n"  # not a customer answer
    load(db, write, "survey", SURVEY_HEADER + rows)
    series = kpi_series(db, "customer_nps", JUNE)
    assert values(series) == {"2025-03": 20.0}
    point = series.points[0]
    assert point.n == 10 and point.ci is not None and point.ci[0] < 20 < point.ci[1]


def test_survey_groups_under_5_respondents_are_suppressed(db, write):
    rows = "".join(f"R{i},NPS-03,customer_nps,customer,2025-03-0{i + 1},Leeds,NPS,,nps10,10\n" for i in range(4))
    rows += "".join(f"R{i},NPS-04,customer_nps,customer,2025-04-0{i + 1},Leeds,NPS,,nps10,10\n" for i in range(5))
    load(db, write, "survey", SURVEY_HEADER + rows)
    series = kpi_series(db, "customer_nps", JUNE)
    march, april = series.points
    assert (march.suppressed, march.value, march.ci) == (True, None, None)
    assert (april.suppressed, april.value) == (False, 100.0)
    assert series_dict(series)["points"][0] == {
        "period": "2025-03",
        "start": "2025-03-01",
        "value": None,
        "n": 4,
        "target": 30.0,
        "special_cause": None,
        "mean": None,
        "lpl": None,
        "upl": None,
        "suppressed": True,
    }


def test_favourable_share_counts_top_boxes_of_each_likert_scale(db, write):
    answers = [
        ("likert5", 5),
        ("likert5", 4),
        ("likert5", 3),
        ("likert4", 3),
        ("likert4", 2),
        ("likert7", 5),
        ("likert7", 4),
    ]
    rows = "".join(
        f"R{i},ENG-1,engagement,employee,2025-05-05,Leeds,Q{i},culture,{scale},{score}\n"
        for i, (scale, score) in enumerate(answers)
    )
    load(db, write, "survey", SURVEY_HEADER + rows)
    assert values(kpi_series(db, "survey_favourable_culture_pct", JUNE)) == {"2025-05": round(100 * 4 / 7, 2)}


FINDINGS_HEADER = "finding_id,audit_id,audit_type,standard,clause,site,severity,raised_on,due_on,closed_on,status,repeat_of,effectiveness\n"


def test_median_days_to_close_counts_open_findings_as_censored(db, write):
    # Raised 2025-03-01; closed after 5, 10, 15 and 30 days; two still open on 2025-07-01 (122 days).
    rows = "".join(
        f"F{i},A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-03-01,2025-06-30,{closed},{status},,\n"
        for i, (closed, status) in enumerate(
            [
                ("2025-03-06", "closed"),
                ("2025-03-11", "closed"),
                ("2025-03-16", "closed"),
                ("2025-03-31", "closed"),
                ("", "open"),
                ("", "open"),
            ]
        )
    )
    load(db, write, "findings", FINDINGS_HEADER + rows)
    # KM: S(5)=5/6, S(10)=4/6, S(15)=3/6=0.5 -> median 15; the closed ones' own median would be 12.5.
    assert values(kpi_series(db, "median_days_to_close", JUNE)) == {"2025-03": 15.0}


def test_days_to_close_as_seen_on_an_earlier_day_counts_later_closures_as_still_open(db, write):
    rows = "".join(
        f"F{i},A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-05,2025-02-05,2025-03-10,closed,,\n" for i in range(4)
    )
    load(db, write, "findings", FINDINGS_HEADER + rows)
    # On 2025-02-28 none of the four had closed: no median yet (not 64 days).
    assert values(kpi_series(db, "median_days_to_close", Filters(as_of=dt.date(2025, 2, 28)))) == {"2025-01": None}
    assert values(kpi_series(db, "median_days_to_close", JUNE)) == {"2025-01": 64.0}


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_closed_on_time_overdue_and_repeats(db, write):
    rows = (
        "F1,A1,internal,ISO 9001,7.2,Leeds,minor_nc,2025-01-10,2025-02-10,2025-02-01,closed,,effective\n"
        "F2,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-12,2025-02-12,2025-03-01,closed,,not_effective\n"
        "F3,A2,internal,ISO 9001,8.5.1,Leeds,major_nc,2025-02-03,2025-02-17,,open,,\n"  # same clause+site within 12 months: repeat
        "F4,A2,internal,ISO 9001,9.2,Porto,minor_nc,2025-02-04,2025-03-04,,open,F1,\n"  # explicit repeat
        "F5,A3,internal,ISO 9001,9.2,Porto,ofi,2025-02-05,,,open,,\n"  # suggestions need no action
    )
    load(db, write, "findings", FINDINGS_HEADER + rows)
    # Due in February: F1 on time, F2 late, F3 still open; due in March: F4 still open.
    assert values(kpi_series(db, "findings_closed_on_time_pct", JUNE)) == {"2025-02": 33.33, "2025-03": 0.0}
    overdue = values(kpi_series(db, "overdue_open_findings", JUNE))
    assert overdue == {"2025-01": 0.0, "2025-02": 2.0, "2025-03": 2.0, "2025-04": 2.0, "2025-05": 2.0, "2025-06": 2.0}
    # Repeats look back 12 months: with findings only from January 2025 no period before 2026 has a value.
    assert values(kpi_series(db, "repeat_finding_rate_pct", JUNE)) == {}
    assert values(kpi_series(db, "corrective_action_effectiveness_pct", JUNE)) == {"2025-02": 100.0, "2025-03": 0.0}
    assert values(kpi_series(db, "major_ncs_per_audit", JUNE)) == {"2025-01": 0.0, "2025-02": 0.5}
    # Filters are bound values: Porto only.
    assert values(kpi_series(db, "major_ncs_per_audit", Filters(as_of=AS_OF, sites=("Porto",)))) == {"2025-02": 0.0}


# F1 closed on time and judged effective; F2, a major on another clause of the same audit, still open past its due date.
TWO_FINDINGS = (
    "F1,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-10,2025-02-10,2025-02-01,closed,,effective\n"
    "F2,A1,internal,ISO 9001,7.2,Leeds,major_nc,2025-01-12,2025-02-12,,open,,\n"
    "F3,A1,internal,ISO 9001,7.2,Leeds,ofi,2025-01-12,2025-01-20,,open,,\n"  # a suggestion: never overdue
)


def test_overdue_counts_actions_open_past_due_at_each_period_end(db, write):
    load(db, write, "findings", FINDINGS_HEADER + TWO_FINDINGS)
    # At the end of January both actions are open and neither is due yet; from February F2 alone, overdue.
    overdue = kpi_series(db, "overdue_open_findings", JUNE)
    assert [(f"{p.period:%m}", p.value, p.n) for p in overdue.points] == [
        ("01", 0.0, 2),
        *((f"{month:02d}", 1.0, 1) for month in range(2, 7)),
    ]
    # Staff are counted from training records, which start a year before: January 2025's 12 months are covered.
    staff = "".join(
        f"T{i}{year},00{i},QA,Leeds,Audit,ISO 9001,2,completed,{year}-01-15,{year}-01-10,no\n"
        for i in range(4)
        for year in (2024, 2025)
    )
    load(db, write, "training", TRAINING_HEADER + staff)
    per_staff = values(kpi_series(db, "overdue_actions_per_100_staff", JUNE))
    assert per_staff == {"2025-01": 0.0, **{f"2025-{month:02d}": 25.0 for month in range(2, 7)}}  # 1 of 4 staff


def test_kpis_on_target_is_the_share_of_kpis_meeting_their_targets(db, write):
    load(db, write, "findings", FINDINGS_HEADER + TWO_FINDINGS)
    # The share starts in February, when closed on time and effectiveness (due and closed then) have begun: in
    # January it would be a share of only 3 KPIs. February: closed on time 50% (>= 85%) misses, effectiveness 100%
    # and overdue 1 meet: 2 of 3. Then only overdue has values, and meets its target. (Repeats have no value in the
    # first year of findings.)
    expected = {"2025-02": 66.67, **{f"2025-{month:02d}": 100.0 for month in range(3, 7)}}
    assert values(all_series(db, JUNE)["kpis_on_target_pct"]) == expected
    with_baseline = kpi_series(db, "kpis_on_target_pct", JUNE, baseline=6)
    assert values(with_baseline) == expected
    assert with_baseline.limits.baseline == (0, 5)  # a baseline of 6 on 5 points takes all 5


TRAINING_HEADER = (
    "record_id,employee_id,department,site,course,standard,hours,status,due_date,completed_on,is_mandatory\n"
)


def monthly_training(months: int, *, first: dt.date, course: str = "Audit,ISO 9001", people: int = 4) -> str:
    """Training rows: each of `people` (001...) completes a one-hour course on `first`'s day of each month."""
    days = [
        dt.date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, first.day)
        for m in range(months)
    ]
    return "".join(
        f"T{i}-{m},00{i},QA,Leeds,{course},1,completed,{day},{day},no\n"
        for i in range(people)
        for m, day in enumerate(days)
    )


def test_kpis_on_target_starts_when_every_dataset_kpi_has_begun(db, write):
    # Findings from January 2025; training records from June 2024, so the staff-based KPIs begin in May 2025 (the
    # first month whose 12 months lie in the training data). Before May the share would be over fewer KPIs.
    load(db, write, "findings", FINDINGS_HEADER + TWO_FINDINGS)
    load(db, write, "training", TRAINING_HEADER + monthly_training(13, first=dt.date(2024, 6, 3), course="Coaching,"))
    series = all_series(db, JUNE)
    assert min(values(series["training_hours_per_employee"])) == "2025-05"
    assert min(values(series["major_ncs_per_audit"])) == "2025-01"
    assert min(values(series["kpis_on_target_pct"])) == "2025-05"


def test_training_hours_per_employee_and_mandatory_completion(db, write):
    # A year of records before March 2025, so that staff on record are counted from a full 12 months.
    earlier = "".join(f"E{i},00{i},QA,Leeds,Induction,,1,completed,2024-04-01,2024-04-01,no\n" for i in range(1, 5))
    rows = earlier + (
        "T1,001,QA,Leeds,Audit,ISO 9001,4,completed,2025-03-31,2025-03-10,yes\n"
        "T2,002,QA,Leeds,Audit,ISO 9001,2,completed,2025-03-31,2025-04-02,yes\n"  # completed late
        "T3,003,Ops,Porto,Forklift,,6,completed,2025-03-31,2025-03-20,no\n"
        "T4,004,Ops,Porto,Safety,ISO 45001,1,planned,2025-03-31,,yes\n"  # not completed
    )
    load(db, write, "training", TRAINING_HEADER + rows)
    hours = values(kpi_series(db, "training_hours_per_employee", JUNE))
    assert hours["2025-03"] == round((4 + 6) / 4, 2)  # 4 staff on record at the end of March
    assert hours["2025-04"] == round(2 / 4, 2)
    assert values(kpi_series(db, "mandatory_training_completion_pct", JUNE)) == {"2025-03": round(100 / 3, 2)}
    assert values(
        kpi_series(db, "mandatory_training_completion_pct", Filters(as_of=AS_OF, standards=("ISO 9001",)))
    ) == {"2025-03": 50.0}


def test_a_target_applies_from_its_period_start_so_targets_change_over_time(db, write):
    rows = "".join(
        f"F{m},A{m},internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-0{m}-01,2025-0{m}-10,2025-0{m}-05,closed,,\n"
        for m in range(1, 7)
    )
    load(db, write, "findings", FINDINGS_HEADER + rows)
    load(
        db,
        write,
        "targets",
        "kpi_id,target,period_start,site\nfindings_closed_on_time_pct,80,2025-01-01,\nfindings_closed_on_time_pct,95,2025-04-01,\nfindings_closed_on_time_pct,70,2025-01-01,Porto\n",
    )
    series = kpi_series(db, "findings_closed_on_time_pct", JUNE)
    assert [p.target for p in series.points] == [80, 80, 80, 95, 95, 95]
    porto = kpi_series(db, "findings_closed_on_time_pct", Filters(as_of=AS_OF, sites=("Porto",)))
    assert porto.points == []  # no Porto findings; the Porto target alone makes no points
    assert kpi_series(db, "median_days_to_close", JUNE).points[0].target == 30.0  # the catalog default


def test_only_complete_periods_in_the_date_range_at_each_grain(db, write):
    rows = "".join(
        f"F{i},A,internal,ISO 9001,8.5.1,Leeds,ofi,2024-{m:02d}-15,,,open,,\n" for i, m in enumerate(range(1, 13))
    )
    load(db, write, "findings", FINDINGS_HEADER + rows)
    as_of = dt.date(2025, 5, 20)
    assert periods(db, Filters(as_of=as_of))[-1] == dt.date(2025, 4, 1)
    assert periods(db, Filters(as_of=as_of, grain="quarter")) == [dt.date(2024, m, 1) for m in (1, 4, 7, 10)] + [
        dt.date(2025, 1, 1)
    ]
    assert periods(db, Filters(as_of=as_of, grain="year")) == [dt.date(2024, 1, 1)]
    assert periods(db, Filters(as_of=as_of, date_from=dt.date(2024, 6, 10), date_to=dt.date(2024, 8, 31))) == [
        dt.date(2024, 6, 1),
        dt.date(2024, 7, 1),
        dt.date(2024, 8, 1),
    ]
    with pytest.raises(ValueError, match="period 'week' is unknown"):
        Filters(grain="week")


def test_a_planted_improvement_is_found_and_falling_days_to_close_is_good(db, write):
    # 12 months closing after ~40 days, then 12 after ~10: against the first year's limits every later month is
    # below the lower limit (and in a run below the mean), and lower is better.
    rows = []
    for month in range(24):
        year, m = 2023 + (month // 12), month % 12 + 1
        days = (40 if month < 12 else 10) + (month % 3)
        for k in range(3):
            raised = dt.date(year, m, 1 + k)
            rows.append(
                f"F{month}-{k},A{month},internal,ISO 9001,8.5.1,Leeds,minor_nc,{raised},{raised + dt.timedelta(days=60)},{raised + dt.timedelta(days=days)},closed,,"
            )
    load(db, write, "findings", FINDINGS_HEADER + "\n".join(rows) + "\n")
    as_of = Filters(as_of=dt.date(2025, 1, 1))
    series = kpi_series(db, "median_days_to_close", as_of, baseline=12)
    assert len(series.points) == 24 and series.limit_points == 12
    # Beyond the limits is beyond two sigma too, so 2-in-3 marks them as well (NHSRplotthedots issue #194).
    assert {m.rule for m in series.marks if m.index >= 12} == {
        "outside_limits",
        "two_of_three_beyond_2sigma",
        "run_of_7",
    }
    assert [s.rule for s in series.signals] == ["outside_limits"] * 12  # the first rule sets each one's class
    assert series.variation == "improvement"
    assert series.assurance == "fail"  # judged by the old process's limits, which lie above the 30-day target
    assert series.trend.sen_slope < 0 and series.trend.p_value < 0.05
    rebased = kpi_series(db, "median_days_to_close", as_of, rebase_at=(dt.date(2024, 1, 1),))
    assert [lim.span for lim in rebased.segments] == [(0, 12), (12, 24)]
    assert rebased.limits.ucl < 30 and rebased.assurance == "pass"  # the new process reliably meets the target
    assert rebased.variation == "common_cause"


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_scorecard_has_the_eight_pillars_and_every_kpi(db, write):
    closed = "F1,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-10,2025-02-10,2025-02-01,closed,,effective\n"
    load(db, write, "findings", FINDINGS_HEADER + closed)
    cards = scorecard(db, JUNE)
    document = scorecard_dict(cards)
    assert [p["id"] for p in document["pillars"]] == list(PILLAR_IDS)
    assert sum(len(p["kpis"]) for p in document["pillars"]) == len(KPIS) >= 20
    assert all(len(kpis_of_pillar(pillar)) >= 2 for pillar in PILLAR_IDS)
    kpi = next(k for p in document["pillars"] for k in p["kpis"] if k["id"] == "findings_closed_on_time_pct")
    assert set(kpi) == {
        "id",
        "name",
        "unit",
        "direction",
        "latest",
        "period",
        "target",
        "variation",
        "assurance",
        "status",
        "on_target",
        "trend",
    }
    assert (kpi["latest"], kpi["period"], kpi["target"]) == (100.0, "2025-02", 85.0)
    # One finding due in February, closed on time: on target, no verdict yet, nothing against it.
    assert (kpi["on_target"], kpi["status"], kpi["variation"]) == (True, "on_track", None)
    assert set(kpi["trend"]) == {"tau", "p_value", "sen_slope"}


def test_the_cli_prints_the_scorecard_and_a_series_as_json(tmp_path):
    db = str(tmp_path / "k.duckdb")
    source = tmp_path / "f.csv"
    source.write_text(
        FINDINGS_HEADER
        + "F1,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-10,2025-02-10,2025-02-01,closed,,effective\n"
    )
    assert (
        subprocess.run(
            [sys.executable, "-m", "isokpi", "ingest", "findings", str(source), "--db", db], cwd=ROOT
        ).returncode
        == 0
    )
    run = subprocess.run(
        [sys.executable, "-m", "isokpi", "scorecard", "--db", db, "--as-of", "2025-07-01", "--site", "Leeds", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert [p["id"] for p in json.loads(run.stdout)["pillars"]] == list(PILLAR_IDS)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "isokpi",
            "kpi",
            "findings_closed_on_time_pct",
            "--db",
            db,
            "--as-of",
            "2025-07-01",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    series = json.loads(run.stdout)
    assert set(series) >= {"id", "points", "mean", "lcl", "ucl", "signals", "trend", "variation", "assurance"}
    # February's value, then the months without findings due: gaps, not values.
    # No limits: a moving range needs two consecutive values.
    limits = {"mean": None, "lpl": None, "upl": None}
    gap = {"value": None, "n": None, "target": 85.0, "special_cause": None, **limits}
    assert series["points"] == [
        {"period": "2025-02", "start": "2025-02-01", "value": 100.0, "n": 1, "target": 85.0}
        | {"special_cause": "common_cause", **limits},
        *({"period": f"2025-{month:02d}", "start": f"2025-{month:02d}-01", **gap} for month in range(3, 7)),
    ]
    assert (series["variation"], series["assurance"], series["limit_points"]) == (None, None, 0)
    unknown = subprocess.run(
        [sys.executable, "-m", "isokpi", "kpi", "nope", "--db", db], cwd=ROOT, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "unknown KPI 'nope'" in unknown.stderr


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_results_are_kept_until_the_data_changes(db, write):
    closed = "F1,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-10,2025-02-10,2025-02-01,closed,,\n"
    load(db, write, "findings", FINDINGS_HEADER + closed)
    first = all_series(db, JUNE)
    assert all_series(db, JUNE) is first  # asked again before any change: nothing recomputed
    assert values(first["findings_closed_on_time_pct"]) == {"2025-02": 100.0}
    result = ingest_file(
        db,
        "findings",
        write(
            "late.csv",
            FINDINGS_HEADER
            + "F2,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-01-10,2025-02-10,2025-03-01,closed,,\n",
        ),
    )
    assert result.ok
    after = all_series(db, JUNE)
    assert after is not first
    assert values(after["findings_closed_on_time_pct"]) == {"2025-02": 50.0}


# --- honest series -------------------------------------------------------------------------------------------


def _due(finding: str, due: str, on_time: bool) -> str:
    closed = due if on_time else "2025-06-30"
    return f"{finding},A-{finding},internal,ISO 9001,8.5.1,Leeds,minor_nc,2024-12-01,{due},{closed},closed,,\n"


def test_a_month_without_data_is_a_gap_that_breaks_moving_ranges_and_sen_counts_months(db, write):
    # Closed on time: 1 of 3 in January, 1 of 5 in February, none due in March, 2 of 5 in April.
    rows = [_due(f"J{i}", "2025-01-20", i < 1) for i in range(3)]
    rows += [_due(f"F{i}", "2025-02-20", i < 1) for i in range(5)]
    rows += [_due(f"A{i}", "2025-04-20", i < 2) for i in range(5)]
    load(db, write, "findings", FINDINGS_HEADER + "".join(rows))
    series = kpi_series(db, "findings_closed_on_time_pct", JUNE)
    assert values(series) == {"2025-01": 33.33, "2025-02": 20.0, "2025-04": 40.0}
    # December (the findings' first month) has no row due, so the series starts in January.
    assert gaps(series) == ["2025-03", "2025-05", "2025-06"]
    # One moving range, |20 - 33.3|: February to April is not one (bridged, the mean would be (13.3 + 20) / 2).
    assert series.limits.mean_moving_range == pytest.approx(40 / 3)
    assert series.limits.mean == pytest.approx((100 / 3 + 20 + 40) / 3)
    # Sen's slope per month at the calendar positions 0, 1 and 3: median of -13.3, 2.2 and 10.
    assert series.trend.sen_slope == pytest.approx((40 - 100 / 3) / 3)
    # Too few points for verdicts: withheld, null in JSON; and the JSON keeps full precision.
    assert (series.variation, series.assurance) == (None, None)
    document = series_dict(series)
    assert (document["variation"], document["assurance"]) == (None, None)
    assert document["points"][0]["value"] == 100 / 3
    assert document["points"][2] == {
        "period": "2025-03",
        "start": "2025-03-01",
        "value": None,
        "n": None,
        "target": 85.0,
        "special_cause": None,
        "mean": series.limits.mean,  # a gap still lies within its group's limits
        "lpl": series.limits.lcl,
        "upl": series.limits.ucl,
    }
    assert document["mean"] == series.limits.mean and document["trend"]["sen_slope"] == series.trend.sen_slope


def test_a_survey_kpi_has_points_at_its_waves_and_sens_slope_is_per_month(db, write):
    # Waves in May 2024, November 2024 and May 2025, 5 respondents with 2 answers each: 4, 5 and 6 of 10 favourable.
    rows = []
    for wave, favourable in (("2024-05-06", 4), ("2024-11-05", 5), ("2025-05-07", 6)):
        for answer in range(10):
            respondent, item = divmod(answer, 2)
            score = 5 if answer < favourable else 2
            rows.append(
                f"R{respondent},ENG-{wave[:7]},engagement,employee,{wave},Leeds,Q{item},culture,likert5,{score}\n"
            )
    load(db, write, "survey", SURVEY_HEADER + "".join(rows))
    series = kpi_series(db, "survey_favourable_culture_pct", JUNE)
    assert [f"{p.period:%Y-%m}" for p in series.points] == ["2024-05", "2024-11", "2025-05"]
    assert series.trend.sen_slope == pytest.approx(10 / 6)  # 10 points in 6 months, not 10 per point
    # The interval is centred on the same share of answers: May 2024's respondents hold 2, 2, 0, 0, 0 favourable
    # of 2 answers each.
    may = series.points[0]
    low, high = stats.clustered_share_ci(4, 10, 5, (8, 8, 20))
    assert may.value == 40.0 and may.ci == pytest.approx((100 * low, 100 * high))
    assert may.ci[0] < 40.0 < may.ci[1]


def test_survey_intervals_stay_on_the_scale(db, write):
    # Engagement: four respondents at 5 (index 100) and one at 4 (75): mean 95, sd 11.18; the t interval's upper
    # end, 95 + 2.776 * 11.18 / sqrt(5) = 108.9, is clipped to 100.
    rows = "".join(
        f"R{i},ENG-1,engagement,employee,2025-05-05,Leeds,E1,culture,likert5,{5 if i < 4 else 4}\n" for i in range(5)
    )
    load(db, write, "survey", SURVEY_HEADER + rows)
    point = kpi_series(db, "employee_engagement_index", JUNE).points[0]
    assert point.value == 95.0
    assert point.ci == (pytest.approx(95 - 2.7764451051977987 * math.sqrt(125) / math.sqrt(5)), 100.0)


def test_an_nps_of_100_keeps_an_interval(db, write):
    rows = "".join(f"R{i},NPS-04,customer_nps,customer,2025-04-0{i + 1},Leeds,NPS,,nps10,10\n" for i in range(5))
    load(db, write, "survey", SURVEY_HEADER + rows)
    (april,) = kpi_series(db, "customer_nps", JUNE).points
    assert april.value == 100.0 and april.ci == pytest.approx(stats.nps_ci(5, 0, 5))
    assert april.ci[1] == 100.0 and april.ci[0] < 50.0


REPEATS = (
    "F1,A1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2024-01-10,,,open,,\n"  # the first finding on record
    "F2,A2,internal,ISO 9001,8.5.1,Leeds,minor_nc,2024-06-10,,,open,,\n"  # repeats F1, but in the first year
    "F3,A3,internal,ISO 9001,7.2,Leeds,minor_nc,2025-02-03,,,open,,\n"
    "F4,A3,internal,ISO 9001,7.2,Leeds,major_nc,2025-02-03,,,open,,\n"  # same clause, same audit: not a repeat
    "F5,A4,internal,ISO 9001,7.2,Leeds,minor_nc,2025-03-05,,,open,,\n"  # another audit, 30 days on: a repeat
    "F6,A4,internal,ISO 9001,9.2,Leeds,minor_nc,2025-03-06,,,open,F5,\n"  # names F5 of its own audit: not one
    "F7,A5,internal,ISO 9001,9.2,Porto,minor_nc,2025-03-20,,,open,F1,\n"  # names F1 of another audit: a repeat
)


def test_repeats_are_of_another_audit_and_need_a_year_of_findings_before_them(db, write):
    load(db, write, "findings", FINDINGS_HEADER + REPEATS)
    series = kpi_series(db, "repeat_finding_rate_pct", JUNE)
    # Findings start in January 2024: no period before January 2025 has a value (June 2024 would show 100%).
    assert values(series) == {"2025-02": 0.0, "2025-03": round(100 * 2 / 3, 2)}
    assert gaps(series) == ["2025-04", "2025-05", "2025-06"]
    quarters = kpi_series(db, "repeat_finding_rate_pct", Filters(as_of=AS_OF, grain="quarter"))
    assert values(quarters) == {"2025-01": 40.0}  # Q1 2025: F3 to F7, 2 of 5; Q2 2025 has no findings


def repeat_rates(
    findings: list[dict], *, site: str | None = None, department: str | None = None, standard: str | None = None
) -> dict:
    """The repeat rule of docs/kpis.md worked out by hand: per month, the share of the nonconformities the filters
    select that name a finding of another audit (or one not on record) in repeat_of, or follow a nonconformity of
    another audit on the same standard, site and clause within 365 days; the latest earlier one of another audit is
    the one before the current run of the same audit, in order of raised_on and finding_id."""
    ncs = [f for f in findings if f["status"] != "cancelled" and f["severity"] in ("major_nc", "minor_nc")]
    by_id = {f["finding_id"]: f for f in findings}
    previous: dict[str, dt.date | None] = {}
    for key in {(f["standard"], f["site"], f["clause"]) for f in ncs}:
        ordered = sorted((f for f in ncs if (f["standard"], f["site"], f["clause"]) == key),
                         key=lambda f: (f["raised_on"], f["finding_id"]))  # fmt: skip
        other_on = None  # raised_on of the finding before the current run of one audit
        for i, f in enumerate(ordered):
            if i and ordered[i - 1]["audit_id"] != f["audit_id"]:
                other_on = ordered[i - 1]["raised_on"]
            previous[f["finding_id"]] = other_on
    counted: dict[str, list[bool]] = {}
    for f in ncs:
        if (site and f["site"] != site) or (department and f["department"] != department):
            continue
        if standard and f["standard"] != standard:
            continue
        named = f["repeat_of"] and by_id.get(f["repeat_of"], {}).get("audit_id") != f["audit_id"]
        placed = f["clause"] and f["site"] and previous[f["finding_id"]] is not None  # a clause and a site
        placed = placed and (f["raised_on"] - previous[f["finding_id"]]).days <= 365
        counted.setdefault(f"{f['raised_on']:%Y-%m}", []).append(bool(named or placed))
    first = min(f["raised_on"] for f in findings)
    start = f"{first.year + 1}-{first.month:02d}"
    return {m: round(100 * sum(v) / len(v), 2) for m, v in sorted(counted.items()) if m >= start}


@pytest.mark.parametrize("seed", range(10))
def test_the_repeat_rate_follows_the_rule_worked_out_by_hand_on_random_findings(tmp_path, write, seed):
    """Runs of one audit interleaved with others on few clauses and days (ties by finding id), explicit repeat_of
    of the same and of other audits and of findings not on record, cancelled findings and improvement suggestions,
    over two and a half years; whole, and under a site and a department filter."""
    import random

    from isokpi.db import resolve_target
    from isokpi.opening import open_target

    rng = random.Random(seed)
    findings = []
    audits = [(f"A{n}", dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900))) for n in range(14)]
    for i in range(160):
        audit, held = rng.choice(audits)  # an audit's findings fall on its day or the two after
        raised = held + dt.timedelta(days=rng.choice((0, 0, 1, 2)))
        findings.append({
            "finding_id": f"F{rng.randrange(10**6):06d}-{i}", "audit_id": audit,
            "standard": rng.choice(("ISO 9001", "ISO 9001", "ISO 14001")),
            "clause": rng.choice(("7.2", "8.5.1", "9.2", "")), "site": rng.choice(("Leeds", "Porto", "")),
            "department": rng.choice(("QA", "Ops")), "raised_on": raised,
            "severity": rng.choice(("minor_nc", "minor_nc", "major_nc", "ofi")),
            "status": rng.choice(("open", "open", "closed", "cancelled")), "repeat_of": "",
        })  # fmt: skip
    for f in rng.sample(findings, 25):
        f["repeat_of"] = rng.choice([*(g["finding_id"] for g in findings), "F-not-on-record"])
    header = "finding_id,audit_id,audit_type,standard,clause,site,department,severity,raised_on,due_on,closed_on,status,repeat_of\n"
    rows = "".join(
        f"{f['finding_id']},{f['audit_id']},internal,{f['standard']},{f['clause']},{f['site']},{f['department']},"
        f"{f['severity']},{f['raised_on']},,{f['raised_on'] + dt.timedelta(days=20) if f['status'] == 'closed' else ''},"
        f"{f['status']},{f['repeat_of']}\n"
        for f in findings
    )
    database = open_target(resolve_target(tmp_path / "repeats.duckdb"))
    load(database, write, "findings", header + rows)
    as_of = Filters(as_of=dt.date(2025, 8, 1))
    for site, department, standard in (
        (None, None, None),
        ("Porto", None, None),
        (None, "QA", None),
        (None, None, "ISO 14001"),
    ):
        filters = Filters(
            as_of=as_of.as_of,
            sites=(site,) if site else (),
            departments=(department,) if department else (),
            standards=(standard,) if standard else (),
        )
        expected = repeat_rates(findings, site=site, department=department, standard=standard)
        got = {
            m: v for m, v in values(kpi_series(database, "repeat_finding_rate_pct", filters)).items() if v is not None
        }
        assert got == expected, (site, department, standard)
    database.close()


def test_staff_based_kpis_wait_for_12_months_of_training_records(db, write):
    # Four people with a one-hour ISO 9001 course every month from January 2024.
    load(db, write, "training", TRAINING_HEADER + monthly_training(18, first=dt.date(2024, 1, 5)))
    # Staff are counted from records in the 12 months before a period's end: December 2024 is the first whose
    # 12 months lie in the data. Before it, people without a record yet would be missing from the count.
    months = ["2024-12", *(f"2025-{m:02d}" for m in range(1, 7))]
    assert values(kpi_series(db, "training_hours_per_employee", JUNE)) == dict.fromkeys(months, 1.0)
    assert values(kpi_series(db, "standards_awareness_coverage_pct", JUNE)) == dict.fromkeys(months, 100.0)


def test_standards_awareness_counts_a_standards_course_in_the_month_and_the_11_before(db, write):
    # Four people on record from January 2019 (a planned course then) to the end of 2021 (one due then). Months are
    # kept as bits in 52-month blocks, and May 2019 starts one: 004's January course reaches across into it.
    people = "".join(
        f"P{i},00{i},QA,Leeds,Induction,,1,planned,2019-01-05,,no\nQ{i},00{i},QA,Leeds,Refresher,,1,planned,2021-12-31,,no\n"
        for i in range(1, 5)
    )
    courses = (
        "A1,001,QA,Leeds,Audit,ISO 9001,2,completed,2019-09-10,2019-09-10,no\n"  # reaches Sep 2019 to Aug 2020
        "A2,002,QA,Leeds,EMS,ISO 14001,2,completed,2020-02-03,2020-02-03,no\n"  # Feb 2020 to Jan 2021
        "A3,003,QA,Leeds,Fire,,2,completed,2019-12-01,2019-12-01,no\n"  # no standard: never reached
        "A4,004,QA,Leeds,Audit,ISO 9001,2,completed,2019-01-05,2019-01-05,no\n"  # Jan 2019 to Dec 2019
    )
    load(db, write, "training", TRAINING_HEADER + people + courses)
    filters = Filters(as_of=dt.date(2021, 4, 1))
    months = [f"{year}-{month:02d}" for year, month in [(2019, 12)] + [(y, m) for y in (2020,) for m in range(1, 13)]]
    expected = {"2019-12": 50.0, "2020-01": 25.0}  # Dec 2019: 001 and 004; Jan 2020: 001 (004 is 12 months back)
    expected |= dict.fromkeys(months[2:9], 50.0)  # Feb to Aug 2020: 001 and 002
    expected |= dict.fromkeys(months[9:], 25.0)  # Sep to Dec 2020: 002
    expected |= {"2021-01": 25.0, "2021-02": 0.0, "2021-03": 0.0}
    assert values(kpi_series(db, "standards_awareness_coverage_pct", filters)) == expected
    # Under a standard, staff are still everyone on record, and the series starts with that standard's first course.
    iso14001 = Filters(as_of=dt.date(2021, 4, 1), standards=("ISO 14001",))
    series = values(kpi_series(db, "standards_awareness_coverage_pct", iso14001))
    assert series == dict.fromkeys(months[2:], 25.0) | {"2021-01": 25.0, "2021-02": 0.0, "2021-03": 0.0}
    # A quarter counts the 12 months up to its last month: Q3 2020 ends in September, when 001's course is 12 back.
    quarters = Filters(as_of=dt.date(2021, 4, 1), grain="quarter")
    assert values(kpi_series(db, "standards_awareness_coverage_pct", quarters)) == {
        "2019-10": 50.0,
        "2020-01": 50.0,
        "2020-04": 50.0,
        "2020-07": 25.0,
        "2020-10": 25.0,
        "2021-01": 0.0,
    }


def test_a_period_whose_evaluations_are_still_arriving_is_provisional_and_not_judged(db, write):
    # 10 completions a month from January 2024 to June 2025, all evaluated, 8 or 9 effective (80%, 90% in turn);
    # May 2025 has 9 of 10 evaluated (8 effective), June only 3, all not effective: June's 30% evaluated is under
    # 80% of the usual 100%, May's 90% is not.
    rows = []
    for m in range(18):
        day = dt.date(2024 + m // 12, m % 12 + 1, 10)
        evaluated = {16: 9, 17: 3}.get(m, 10)
        effective = 0 if m == 17 else (8 if m % 2 == 0 else 9)
        for k in range(10):
            verdict = "" if k >= evaluated else ("effective" if k < effective else "not_effective")
            rows.append(f"T{m}-{k},{k:03d},QA,Leeds,Audit,ISO 9001,1,completed,{day},{day},no,{verdict}\n")
    load(db, write, "training", TRAINING_HEADER.rstrip("\n") + ",effectiveness\n" + "".join(rows))
    series = kpi_series(db, "training_effectiveness_pct", JUNE)
    june = series.points[-1]
    assert (f"{june.period:%Y-%m}", june.value, june.n, june.provisional) == ("2025-06", 0.0, 3, True)
    assert [p.provisional for p in series.points[:-1]] == [False] * 17
    # Kept out of the limits and verdicts: a 0% June would be far below the lower limit, a concern.
    assert series.limit_points == 17 and series.variation == "common_cause"
    assert series.latest.period == dt.date(2025, 5, 1) and series.latest.value == pytest.approx(100 * 8 / 9)
    assert series_dict(series)["points"][-1]["provisional"] is True
    assert june.special_cause is None
