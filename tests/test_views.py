"""The Training, Findings and Surveys views on small hand-built tables: exact aggregates, titles, suppression."""

from __future__ import annotations

import datetime as dt
import html
import math
import subprocess
import sys

import pandas as pd
import pytest

from isokpi import findings_view as fv
from isokpi import narrative, stats, views
from isokpi import survey_view as sv
from isokpi import training_view as tv
from isokpi.db import Target, resolve_target
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, kpi_series
from isokpi.opening import open_target

from .conftest import BACKENDS, ROOT

AS_OF = dt.date(2025, 7, 1)
TODAY = Filters(as_of=AS_OF)


def loaded(request, tmp_path_factory, dataset: str, text: str):
    """One database per backend with one dataset loaded, shared by this module's read-only tests (loading once
    per module keeps the DuckLake run short)."""
    directory = tmp_path_factory.mktemp(dataset)
    server, dsn = None, None
    if request.param == "ducklake":
        server, reason = request.getfixturevalue("pg_server")
        if server is None:
            pytest.skip(f"DuckLake backend not tested: {reason}")
        dsn = server.create_database()
        target = Target("ducklake", "postgres:" + dsn, (directory / "lake").resolve())
    else:
        target = resolve_target(directory / "test.duckdb")
    database = open_target(target)
    path = directory / f"{dataset}.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest_file(database, dataset, path)
    assert result.ok, result.errors
    yield database
    database.close()
    if dsn is not None:
        server.drop_database(dsn)


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows as plain tuples (dates as ISO text, floats rounded), for exact comparison."""

    def plain(value):
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float):
            return None if math.isnan(value) else round(value, 2)
        return value.item() if hasattr(value, "item") else value

    return [tuple(plain(v) for v in row) for row in frame[columns].itertuples(index=False)]


def points(figure) -> int:
    """Data points drawn: every trace's x values (plotly may store them as typed arrays)."""
    total = 0
    for trace in figure.data:
        x = trace.x if trace.x is not None else trace.y
        total += 0 if x is None else len(x)
    return total


# --- training ----------------------------------------------------------------------------------------------

TRAINING = """record_id,employee_id,department,site,course,category,standard,hours,status,due_date,completed_on,expires_on,is_mandatory,effectiveness
T1,E1,Production,Leeds,Fire safety,Health & Safety,ISO 45001,2,completed,2025-05-31,2025-05-10,2026-05-10,yes,effective
T2,E2,Production,Leeds,Fire safety,Health & Safety,ISO 45001,3,completed,2025-05-31,2025-05-20,2025-08-15,yes,
T3,E3,Quality,Porto,Fire safety,Health & Safety,ISO 45001,1,completed,2024-06-30,2024-06-20,2025-06-20,yes,
T4,E3,Quality,Porto,Auditing,Quality,ISO 9001,4,completed,2025-06-30,2025-06-05,,no,effective
T5,E1,Production,Leeds,Auditing,Quality,ISO 9001,1.5,overdue,2025-06-15,,,yes,
T6,E2,Production,Leeds,Auditing,Quality,ISO 9001,1.5,planned,2025-09-30,,,yes,
T7,E1,Production,Leeds,Fire safety,Health & Safety,ISO 45001,2,planned,2026-05-01,,,yes,
T8,E2,Production,Leeds,Auditing,Quality,ISO 9001,1,cancelled,2025-06-01,,,yes,
T9,E4,Production,Leeds,Fire safety,Health & Safety,ISO 45001,2,completed,2023-05-31,2023-05-01,2024-05-01,yes,
"""
# On 2025-07-01: E1, E2 and E3 are staff on record; E4's last record is over 12 months old.


@pytest.fixture(scope="module", params=BACKENDS)
def training_db(request, tmp_path_factory):
    yield from loaded(request, tmp_path_factory, "training", TRAINING)


def test_hours_per_employee_by_department_divides_by_the_groups_staff(training_db):
    frame = tv.hours_by_group(training_db, Filters(date_from=dt.date(2025, 5, 1), as_of=AS_OF), "department")
    assert rows(frame, ["period", "group", "hours", "staff", "hours_per_employee"]) == [
        ("2025-05-01", "Production", 5.0, 2, 2.5),
        ("2025-06-01", "Production", 0.0, 2, 0.0),
        ("2025-05-01", "Quality", 0.0, 1, 0.0),
        ("2025-06-01", "Quality", 4.0, 1, 4.0),
    ]
    hours = tv.latest_hours(frame, "month")
    assert (hours.period, hours.hours, hours.previous, hours.previous_period) == ("Jun 2025", 4.0, 5.0, "May 2025")


def test_hours_by_site_and_the_standard_filter_narrow_hours_not_staff(training_db):
    filters = Filters(date_from=dt.date(2025, 5, 1), standards=("ISO 9001",), as_of=AS_OF)
    frame = tv.hours_by_group(training_db, filters, "site")
    assert rows(frame, ["period", "group", "hours", "staff"]) == [
        ("2025-05-01", "Leeds", 0.0, 2),
        ("2025-06-01", "Leeds", 0.0, 2),
        ("2025-05-01", "Porto", 0.0, 1),
        ("2025-06-01", "Porto", 4.0, 1),
    ]
    with pytest.raises(ValueError, match="group must be one of department, site"):
        tv.hours_by_group(training_db, filters, "course")


def test_hours_chart_names_the_groups_that_trained_most_and_least(training_db):
    chart = tv.hours_chart(training_db, Filters(date_from=dt.date(2025, 5, 1), as_of=AS_OF), "department")
    assert chart.figure.layout.title.text.replace("<br>", " ") == (
        "Over the last 2 months, Quality trained most (2.0 hours per employee a month) and Production least (1.2 hours)"
    )
    assert [a.text for a in chart.figure.layout.annotations] == ["Quality", "Production"]  # one panel per group
    assert points(chart.figure) == 4


def test_staff_on_record_counts_employees_with_a_record_in_the_last_12_months(training_db):
    assert tv.staff_on_record(training_db, TODAY) == 3
    assert tv.staff_on_record(training_db, Filters(sites=("Porto",), as_of=AS_OF)) == 1
    # The end of the date range is the day staff are counted on: in June 2023 only E4 had started.
    assert tv.staff_on_record(training_db, Filters(date_to=dt.date(2023, 6, 30), as_of=AS_OF)) == 1


def test_training_matrix_gives_each_person_and_course_one_state(training_db):
    frame = tv.training_matrix(training_db, TODAY)
    assert rows(frame, ["department", "category", *tv.MATRIX_STATES, "assignments", "needs_action_pct"]) == [
        # E1 fire safety valid (a planned refresher does not change that), E2 expiring on 2025-08-15
        ("Production", "Health & Safety", 1, 1, 0, 0, 0, 2, 0.0),
        # E1 auditing overdue; E2 auditing planned (the cancelled record does not count)
        ("Production", "Quality", 0, 0, 0, 1, 1, 2, 50.0),
        # E3 fire safety expired on 2025-06-20; E4 has left
        ("Quality", "Health & Safety", 0, 0, 1, 0, 0, 1, 100.0),
        ("Quality", "Quality", 1, 0, 0, 0, 0, 1, 0.0),
    ]
    assert tv.matrix_title(frame) == (
        "2 of 6 training assignments are expired or overdue; the most in Production, Quality (0 expired, 1 overdue)"
    )


def test_training_matrix_on_an_earlier_day_uses_what_was_true_then(training_db):
    # On 2025-05-15 E2 had not started; E1's auditing, now marked overdue, was not yet due; E3's fire safety
    # was expiring (2025-06-20) and E3's auditing not yet done.
    frame = tv.training_matrix(training_db, Filters(date_to=dt.date(2025, 5, 15), as_of=AS_OF))
    assert rows(frame, ["department", "category", *tv.MATRIX_STATES]) == [
        ("Production", "Health & Safety", 1, 0, 0, 0, 0),
        ("Production", "Quality", 0, 0, 0, 0, 1),
        ("Quality", "Health & Safety", 0, 1, 0, 0, 0),
        ("Quality", "Quality", 0, 0, 0, 0, 1),
    ]


MATRIX = """record_id,employee_id,department,site,course,category,standard,hours,status,due_date,completed_on,expires_on,is_mandatory,effectiveness
M1,E1,Production,Leeds,Forklift,Technical,ISO 45001,2,completed,2023-01-31,2023-01-10,2024-01-10,yes,
M2,E1,Production,Leeds,Forklift,Technical,ISO 45001,2,completed,2023-12-31,2023-12-01,2024-12-01,yes,
M3,E1,Production,Leeds,Forklift,Technical,ISO 45001,1,completed,2024-06-30,2024-06-01,2024-08-01,yes,
M4,E1,Production,Leeds,Forklift,Technical,ISO 45001,2,completed,2025-03-31,2025-03-01,2026-03-01,yes,
M5,E2,Quality,Porto,Auditing,Quality,ISO 9001,1,overdue,,,,yes,
M6,E2,Quality,Porto,Induction,Quality,ISO 9001,1,completed,2024-02-29,2024-02-29,,no,
M7,E3,Production,Leeds,Fire safety,Health & Safety,ISO 45001,1,completed,2024-03-31,2024-03-31,2025-03-31,yes,
M8,E3,Quality,Porto,Fire safety,Health & Safety,ISO 45001,1,completed,2024-05-01,2024-05-01,2025-05-01,yes,
M9,E4,Production,Leeds,Safety walk,,ISO 14001,1,planned,2025-09-30,,,yes,
M10,E4,Production,Leeds,Safety walk,,ISO 14001,1,cancelled,2024-01-01,,,yes,
M11,E4,Production,Leeds,Forklift,Technical,ISO 45001,2,completed,2024-11-30,2024-12-05,2025-02-01,yes,
M12,E5,Logistics,,Induction,Quality,ISO 9001,1,completed,2024-09-01,2024-09-01,,no,
M13,E5,Logistics,,Forklift,Technical,ISO 45001,2,planned,,,,yes,
"""
# E1's forklift ticket: completed four times, one span inside another (M3), a gap from 2024-12-02 to 2025-02-28.
# E2: an overdue audit course without a due date, and an induction on 29 February 2024 (on record until 1 March
# 2025). E3 moved from Leeds Production to Porto Quality. E4: a cancelled assignment places them from 2024-01-01;
# a forklift ticket completed after its due date. E5: no site, and a forklift ticket planned without a due date
# (planned, never overdue).


def matrix_on(rows_: list[dict], day: dt.date, *, sites=(), standards=()) -> list[tuple]:
    """The matrix on `day` worked out by hand from the records, as the view's comment defines it."""

    def months_back(day: dt.date) -> dt.date:  # day - 12 months, clamped to the month's end as DuckDB does
        return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))

    def on(value: str) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    seen: dict[tuple, list[dt.date]] = {}
    for r in rows_:
        dates = [d for d in (on(r["due_date"]), on(r["completed_on"])) if d]
        if dates:
            seen.setdefault((r["employee_id"], r["site"], r["department"]), []).extend(dates)
    states: dict[tuple, int] = {}
    for r in rows_:
        cell = (r["employee_id"], r["site"], r["department"])
        if r["status"] == "cancelled" or cell not in seen or (sites and r["site"] not in sites):
            continue
        if standards and r["standard"] not in standards:
            continue
        if not (min(seen[cell]) <= day and max(seen[cell]) > months_back(day)):
            continue
        due, done, expires = on(r["due_date"]), on(r["completed_on"]), on(r["expires_on"])
        if r["status"] == "completed" and done <= day:
            state = 1 if expires is None or expires > day + dt.timedelta(60) else 2 if expires >= day else 3
        elif (due is not None and due < day) or (due is None and r["status"] == "overdue"):
            state = 4
        else:
            state = 5
        group = (*cell, r["course"], r["category"] or "Uncategorised", r["standard"])
        states[group] = min(states.get(group, 6), state)
    counts: dict[tuple, list[int]] = {}
    for (_, _, department, _, category, _), state in states.items():
        counts.setdefault((department, category), [0] * 5)[state - 1] += 1
    return [(*key, *values, sum(values)) for key, values in sorted(counts.items())]


@pytest.fixture(scope="module", params=BACKENDS)
def matrix_db(request, tmp_path_factory):
    yield from loaded(request, tmp_path_factory, "training", MATRIX)


def test_the_training_matrix_on_any_day_is_what_the_records_say_that_day(matrix_db):
    import csv
    import io

    records = list(csv.DictReader(io.StringIO(MATRIX)))
    columns = ["department", "category", *tv.MATRIX_STATES, "assignments"]

    def matrix(day: dt.date, **filters) -> list[tuple]:
        return rows(
            tv.training_matrix(matrix_db, Filters(date_to=day, as_of=AS_OF + dt.timedelta(600), **filters)), columns
        )

    # Exact figures on days around E1's gap and E2's 29 February.
    assert matrix(dt.date(2024, 7, 1)) == [
        ("Production", "Health & Safety", 1, 0, 0, 0, 0, 1),  # E3 in Leeds
        ("Production", "Technical", 1, 0, 0, 0, 1, 2),  # E1 valid (M2 covers M3's days); E4 not yet due
        ("Production", "Uncategorised", 0, 0, 0, 0, 1, 1),  # E4's safety walk (the cancelled one does not count)
        ("Quality", "Health & Safety", 1, 0, 0, 0, 0, 1),  # E3 in Porto
        ("Quality", "Quality", 1, 0, 0, 1, 0, 2),  # E2's induction valid, audit overdue
    ]
    # E1's ticket expired on 2024-12-01 and E4's expires on 2025-02-01; E3's Leeds ticket is still valid.
    assert matrix(dt.date(2025, 1, 15))[2:4] == [
        ("Production", "Health & Safety", 1, 0, 0, 0, 0, 1),
        ("Production", "Technical", 0, 1, 1, 0, 0, 2),
    ]
    # On 28 February E4's has expired too and E3's Leeds ticket is expiring; E2 is still on record.
    assert matrix(dt.date(2025, 2, 28)) == [
        ("Logistics", "Quality", 1, 0, 0, 0, 0, 1),  # E5, without a site
        ("Logistics", "Technical", 0, 0, 0, 0, 1, 1),
        ("Production", "Health & Safety", 0, 1, 0, 0, 0, 1),
        ("Production", "Technical", 0, 0, 2, 0, 0, 2),
        ("Production", "Uncategorised", 0, 0, 0, 0, 1, 1),
        ("Quality", "Health & Safety", 1, 0, 0, 0, 0, 1),
        ("Quality", "Quality", 1, 0, 0, 1, 0, 2),
    ]
    # On 1 March E1 is valid again (M4) and E2, last seen on 29 February 2024, is no longer on record.
    march = {row[:2]: row[2:] for row in matrix(dt.date(2025, 3, 1))}
    assert march[("Production", "Technical")] == (1, 0, 1, 0, 0, 2)
    assert ("Quality", "Quality") not in march
    # Every 23rd day over four years, and under a site and a standard filter, as the records give it.
    day = dt.date(2022, 12, 1)
    while day <= dt.date(2026, 12, 31):
        assert matrix(day) == matrix_on(records, day), day
        assert matrix(day, sites=("Leeds",)) == matrix_on(records, day, sites=("Leeds",)), day
        assert matrix(day, standards=("ISO 9001",)) == matrix_on(records, day, standards=("ISO 9001",)), day
        day += dt.timedelta(23)


def test_matrix_figure_is_a_heatmap_of_the_share_needing_action(training_db):
    chart = tv.matrix_chart(training_db, TODAY)
    heatmap = chart.figure.data[0]
    # Labels arrive escaped (they may come from uploaded files); plotly shows "&amp;" as "&".
    assert list(heatmap.y) == ["Quality", "Production"] and list(heatmap.x) == ["Health &amp; Safety", "Quality"]
    assert [html.unescape(label) for label in heatmap.x] == ["Health & Safety", "Quality"]
    assert [list(row) for row in heatmap.z] == [[100.0, 0.0], [0.0, 50.0]]
    assert heatmap.text[1][0] == "1 expiring"


def test_a_kpi_chart_is_titled_with_the_same_sentence_as_the_pillar_page(training_db):
    chart = views.kpi_chart(training_db, Filters(as_of=AS_OF), "mandatory_training_completion_pct")
    assert chart.figure.layout.title.text.replace("<br>", " ") == narrative.kpi_sentence(chart.series)


def test_view_queries_bind_filter_values_as_parameters(training_db):
    hostile = "Leeds') OR 1=1 --"
    assert tv.staff_on_record(training_db, Filters(sites=(hostile,), as_of=AS_OF)) == 0


# --- findings ------------------------------------------------------------------------------------------------

FINDINGS = """finding_id,audit_id,audit_type,standard,clause,site,department,severity,raised_on,due_on,closed_on,status,root_cause,repeat_of
F1,A3,internal,ISO 9001,8.5.1,Leeds,Production,minor_nc,2025-06-21,2025-07-20,,open,,
F2,A2,internal,ISO 9001,8.5.1,Leeds,Production,minor_nc,2025-05-02,2025-06-01,,in_progress,Training gap,
F3,A2,external,ISO 9001,7.2,Leeds,Quality,major_nc,2025-04-01,2025-05-01,,open,Training gap,
F4,A0,internal,ISO 14001,8.5.1,Porto,Quality,observation,2024-12-01,2025-08-15,,open,,
F5,A3,internal,ISO 9001,8.5.1,Leeds,Production,ofi,2025-06-01,,,open,,
F6,A1,internal,ISO 9001,7.2,Leeds,Quality,minor_nc,2025-03-01,2025-03-31,2025-03-11,closed,Procedure not followed,
F7,A1,internal,ISO 9001,8.5.1,Leeds,Production,minor_nc,2025-03-01,2025-03-31,2025-03-21,verified,,
F8,A1,internal,ISO 9001,8.5.1,Leeds,Production,minor_nc,2025-03-05,2025-04-05,,cancelled,,
F9,A2,internal,ISO 9001,,Leeds,Production,minor_nc,2025-05-01,2025-06-01,2025-07-15,closed,,F6
"""
# On 2025-07-01, findings that need an action and are open: F1 (10 days old, due this month), F2 (60 days,
# overdue), F9 (61 days, closed only later, overdue), F3 (91 days, overdue), F4 (212 days, due in August).


@pytest.fixture(scope="module", params=BACKENDS)
def findings_db(request, tmp_path_factory):
    yield from loaded(request, tmp_path_factory, "findings", FINDINGS)


def test_open_findings_by_age_with_overdue_and_due_this_month(findings_db):
    frame = fv.open_by_age(findings_db, TODAY)
    assert rows(frame, ["age", "open", "overdue", "not_overdue", "due_this_month"]) == [
        ("0-30 days", 1, 0, 1, 1),
        ("31-60 days", 1, 1, 0, 0),
        ("61-90 days", 1, 1, 0, 0),
        ("91-180 days", 1, 1, 0, 0),
        ("over 180 days", 1, 0, 1, 0),
    ]
    assert fv.open_totals(frame) == fv.OpenFindings(open=5, overdue=3, due_this_month=1)
    assert (
        fv.aging_title(frame, AS_OF) == "2 of the 5 open findings are older than 90 days, and 3 are past their due date"
    )


def test_open_findings_follow_the_site_filter_and_the_end_of_the_date_range(findings_db):
    assert fv.open_totals(fv.open_by_age(findings_db, Filters(sites=("Porto",), as_of=AS_OF))) == fv.OpenFindings(
        1, 0, 0
    )
    # On 2025-03-15 F6 had closed, F7 was open and due on 03-31 (this month); F4 was open too.
    on_march_15 = fv.open_by_age(findings_db, Filters(date_to=dt.date(2025, 3, 15), as_of=AS_OF))
    assert fv.open_totals(on_march_15) == fv.OpenFindings(open=2, overdue=0, due_this_month=1)
    empty = fv.open_by_age(findings_db, Filters(sites=("Nowhere",), as_of=AS_OF))
    assert list(empty["open"]) == [0, 0, 0, 0, 0]
    assert fv.aging_title(empty, AS_OF) == "No findings that need an action were open on 01 Jul 2025"


def test_time_to_close_counts_censor_open_findings_at_the_state_day(findings_db):
    counts = fv.close_counts(findings_db, TODAY)
    assert rows(counts, ["days", "closed", "still_open"]) == [
        (10, 1, 1),  # F6 closed after 10 days; F1 open for 10
        (20, 1, 0),  # F7
        (60, 0, 1),  # F2
        (61, 0, 1),  # F9, closed after the day
        (91, 0, 1),  # F3
        (212, 0, 1),  # F4
    ]
    curve = fv.km_curve(counts)
    # S(10) = 6/7; S(20) = 6/7 * 4/5; then flat to the longest follow-up.
    assert rows(curve, ["days", "still_open_pct"]) == [(0.0, 100.0), (10.0, 85.71), (20.0, 68.57), (212.0, 68.57)]
    assert fv.km_median(counts) is None
    assert fv.km_title(counts) == (
        "Fewer than half of the 7 findings are closed yet: the median time to close is not reached"
    )


def test_kaplan_meier_median_is_marked_on_the_chart(findings_db):
    march = Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31), as_of=AS_OF)
    chart = fv.close_chart(findings_db, march)
    assert rows(chart.frame, ["days", "closed", "still_open", "still_open_pct"]) == [
        (0.0, 0, 0, 100.0),
        (10.0, 1, 0, 50.0),
        (20.0, 1, 0, 0.0),
    ]
    assert (
        chart.figure.layout.title.text.replace("<br>", " ")
        == "Half of the 2 findings were closed within 10 days, counting the 0 still open"
    )
    assert [shape.x0 for shape in chart.figure.layout.shapes if shape.type == "line" and shape.x0 == shape.x1] == [10.0]
    assert [a.text for a in chart.figure.layout.annotations] == ["median 10 days"]


def test_pareto_by_clause_labels_the_standard_and_finds_the_vital_few(findings_db):
    result = fv.pareto(findings_db, TODAY, "clause")
    assert rows(result.frame, ["label", "findings", "cumulative_pct"]) == [
        ("8.5.1 (ISO 9001)", 3, 50.0),
        ("7.2 (ISO 9001)", 2, 83.33),
        ("8.5.1 (ISO 14001)", 1, 100.0),
    ]
    assert (result.not_recorded, result.vital_few, result.concentrated) == (1, 2, True)
    assert fv.pareto_title(result) == "2 of 3 clauses account for 83.3% of 6 findings; 8.5.1 (ISO 9001) leads with 3"
    figure = fv.pareto_figure(result)
    assert list(figure.data[0].marker.color) == [fv.BAD, fv.BAD, fv.NEUTRAL]


def test_pareto_draws_the_top_categories_and_says_how_many_findings_the_rest_hold(findings_db):
    result = fv.pareto(findings_db, TODAY, "clause", top=1)
    # The rest (3 findings in 2 clauses) is no bar taller than the leader: it is said in words.
    assert rows(result.frame, ["label", "findings", "cumulative_pct"]) == [("8.5.1 (ISO 9001)", 3, 50.0)]
    assert (result.total, result.distinct, result.rest_findings, result.rest_labels) == (6, 3, 3, 2)
    assert fv.pareto_title(result) == (
        "Findings spread widely: the 1 most frequent of 3 clauses account for only 50.0% of 6; 8.5.1 (ISO 9001) leads with 3"
    )
    chart = fv.pareto_chart(findings_db, TODAY, "clause")
    assert chart.note == "1 finding without a clause is left out."  # all 3 clauses are bars at the default top
    assert list(chart.figure.data[0].x) == list(chart.frame["label"])
    assert result.rest_note == "3 more findings in 2 other clauses are not drawn as bars (50.0% of all)."


def test_pareto_by_root_cause_leaves_out_findings_without_one(findings_db):
    chart = fv.pareto_chart(findings_db, TODAY, "root_cause")
    assert rows(chart.frame, ["label", "findings"]) == [("Training gap", 2), ("Procedure not followed", 1)]
    assert chart.note == "4 findings without a root cause are left out."
    with pytest.raises(ValueError, match="by must be one of clause, root_cause"):
        fv.pareto(findings_db, TODAY, "owner")


def test_severity_mix_per_period_leaves_out_cancelled_findings(findings_db):
    frame = fv.severity_mix(findings_db, Filters(date_from=dt.date(2025, 3, 1), as_of=AS_OF))
    assert rows(frame, ["period", "severity", "findings"]) == [
        ("2025-03-01", "minor_nc", 2),
        ("2025-04-01", "major_nc", 1),
        ("2025-05-01", "minor_nc", 2),
        ("2025-06-01", "minor_nc", 1),
        ("2025-06-01", "ofi", 1),
    ]
    assert fv.severity_title(frame, "month") == "1 major and 5 minor nonconformities among the 7 findings raised"


def test_repeats_per_period_match_the_repeat_finding_kpi(findings_db, tmp_path):
    filters = Filters(date_from=dt.date(2025, 3, 1), as_of=AS_OF)
    # Findings from December 2024 only: no period before December 2025 looks back 12 months within the data, so
    # neither the chart nor the KPI has a rate for them (a repeat of something older cannot be seen).
    assert fv.repeats(findings_db, filters).empty
    assert kpi_series(findings_db, "repeat_finding_rate_pct", filters).points == []
    # With a suggestion on record since March 2024 the look-back of March 2025 on lies within the data.
    database = open_target(resolve_target(tmp_path / "repeats.duckdb"))
    path = tmp_path / "findings.csv"
    path.write_text(FINDINGS + "F0,A9,internal,ISO 9001,4.1,Porto,Quality,ofi,2024-03-01,,,open,,\n", encoding="utf-8")
    assert ingest_file(database, "findings", path).ok
    frame = fv.repeats(database, filters)
    # F2 and F1 follow F7 on 8.5.1 at Leeds, F3 follows F6 on 7.2, F9 names F6 as repeat_of.
    assert rows(frame, ["period", "ncs", "repeats", "rate_pct"]) == [
        ("2025-03-01", 2, 0, 0.0),
        ("2025-04-01", 1, 1, 100.0),
        ("2025-05-01", 2, 2, 100.0),
        ("2025-06-01", 1, 1, 100.0),
    ]
    kpi = kpi_series(database, "repeat_finding_rate_pct", filters)
    assert [round(p.value, 2) for p in kpi.points] == [0.0, 100.0, 100.0, 100.0]
    assert fv.repeats_title(frame, "month") == "4 of 6 nonconformities (66.7%) repeated an earlier one"
    database.close()


def test_most_repeated_clause_and_site_pairs(findings_db):
    pairs = fv.repeat_pairs(findings_db, TODAY)
    assert rows(pairs, ["standard", "clause", "site", "repeats", "ncs", "last_raised"]) == [
        ("ISO 9001", "8.5.1", "Leeds", 2, 3, "2025-06-21"),
        ("ISO 9001", "7.2", "Leeds", 1, 2, "2025-04-01"),
    ]


def test_findings_charts_on_filters_matching_nothing(findings_db):
    nothing = Filters(sites=("Nowhere",), as_of=AS_OF)
    assert fv.close_chart(findings_db, nothing).figure is None
    assert fv.pareto_chart(findings_db, nothing, "clause").figure is None
    assert fv.severity_chart(findings_db, nothing).figure is None
    assert fv.repeats_chart(findings_db, nothing).figure is None
    assert fv.repeat_pairs(findings_db, nothing).empty


# --- surveys -------------------------------------------------------------------------------------------------

SURVEY_HEADER = (
    "response_id,survey_id,survey_type,stakeholder,responded_on,site,department,question_id,pillar,scale,score\n"
)
# ENG-1: 6 respondents at Leeds and 3 at Porto answer a culture and a training item (likert5).
CULTURE = {"R1": 5, "R2": 4, "R3": 4, "R4": 3, "R5": 2, "R6": 1, "R7": 5, "R8": 5, "R9": 1}
ENG_1 = "".join(
    f"{r},ENG-1,engagement,employee,2025-03-05,{'Leeds' if int(r[1:]) <= 6 else 'Porto'},Sales,{q},{pillar},likert5,{score}\n"
    for r, culture in CULTURE.items()
    for q, pillar, score in (("Q1", "culture", culture), ("Q2", "training", 4))
)
# ENG-2: a 4-point communication item (5 respondents) and a 7-point resources item (7 respondents).
ENG_2 = "".join(
    f"S{i},ENG-2,engagement,employee,2025-06-10,Leeds,Sales,C1,communication,likert4,{s}\n"
    for i, s in enumerate([1, 2, 3, 4, 4], 1)
)
ENG_2 += "".join(
    f"S{s},ENG-2,engagement,employee,2025-06-10,Leeds,Sales,R1,resources,likert7,{s}\n" for s in range(1, 8)
)
NPS_1 = "".join(f"C{i},NPS-1,customer_nps,customer,2025-04-0{i},Leeds,,N1,,nps10,9\n" for i in range(1, 5))


@pytest.fixture(scope="module", params=BACKENDS)
def survey_db(request, tmp_path_factory):
    yield from loaded(request, tmp_path_factory, "survey", SURVEY_HEADER + ENG_1 + ENG_2 + NPS_1)


def test_response_counts_per_wave(survey_db):
    waves = sv.responses(survey_db, TODAY)
    assert rows(waves, ["survey_id", "stakeholder", "wave_start", "respondents", "likert"]) == [
        ("ENG-1", "employee", "2025-03-05", 9, True),
        ("NPS-1", "customer", "2025-04-01", 4, False),
        ("ENG-2", "employee", "2025-06-10", 7, True),
    ]
    assert sv.likert_stakeholders(waves) == ["employee"]
    assert sv.likert_waves(waves, "employee") == ["ENG-1", "ENG-2"]
    assert sv.responses_title(waves) == "3 survey waves drew 20 responses; the latest, ENG-2, had 7"
    filtered = sv.responses(
        survey_db, Filters(date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 4, 30), as_of=AS_OF)
    )
    assert list(filtered["survey_id"]) == ["NPS-1"]


def test_favourable_per_pillar_and_wave_with_a_respondent_level_interval(survey_db):
    frame = sv.favourable_by_wave(survey_db, TODAY, "employee")
    assert rows(frame, ["survey_id", "pillar", "respondents", "favourable_pct", "suppressed"]) == [
        ("ENG-1", "culture", 9, 55.56, False),
        ("ENG-1", "training", 9, 100.0, False),
        ("ENG-2", "communication", 5, 60.0, False),
        ("ENG-2", "resources", 7, 42.86, False),
    ]
    # One answer per respondent, 5 of 9 favourable: the ratio variance 9/8 * (20/9) / 81 gives 8 effective answers,
    # and the Wilson interval on them is centred on the 55.6% shown (the interval of the favourable KPIs).
    # z = 1.959964: centre (5/9 + z^2/16) / (1 + z^2/8) = 0.537533, half width 0.283594.
    low, high = stats.clustered_share_ci(5, 9, 9, (5, 5, 9))
    assert (low, high) == pytest.approx((0.253939, 0.821127), abs=1e-6)
    culture = frame.iloc[0]
    assert (culture["ci_low"], culture["ci_high"]) == pytest.approx((100 * low, 100 * high))
    # All 9 favourable: the interval keeps a width below 100% instead of collapsing to it.
    training = frame.iloc[1]
    assert training["ci_high"] == 100.0
    assert training["ci_low"] == pytest.approx(100 * stats.proportion_ci(9, 9)[0]) and training["ci_low"] < 75
    assert sv.favourable_title(frame) == (
        "In ENG-2, Communication had the most favourable answers (60.0%) and Resource Allocation the fewest (42.9%)"
    )


def test_a_group_under_5_respondents_is_never_shown(survey_db):
    porto = Filters(sites=("Porto",), as_of=AS_OF)
    chart = sv.favourable_chart(survey_db, porto, "employee")
    assert rows(
        chart.frame, ["survey_id", "pillar", "respondents", "favourable_pct", "ci_low", "ci_high", "suppressed"]
    ) == [
        ("ENG-1", "culture", 3, None, None, None, True),
        ("ENG-1", "training", 3, None, None, None, True),
    ]
    drawn = [trace for trace in chart.figure.data if trace.mode != "text"]
    assert all(len(trace.y) == 0 for trace in drawn)
    said = [trace for trace in chart.figure.data if trace.mode == "text"]
    assert [list(trace.text) for trace in said] == [["fewer than 5 respondents"]] * 2
    assert (
        chart.figure.layout.title.text.replace("<br>", " ")
        == "Results of ENG-1 are hidden: every group had fewer than 5 respondents"
    )
    assert (
        chart.note == "Not shown, fewer than 5 respondents: ENG-1 Culture of Excellence, ENG-1 Training & Development."
    )

    distribution = sv.likert_chart(survey_db, porto, "ENG-1")
    assert distribution.frame[["answers", *sv.AGREEMENT]].isna().all().all()
    assert not [trace for trace in distribution.figure.data if trace.type == "bar" and len(trace.x)]
    assert [list(trace.text) for trace in distribution.figure.data if trace.type == "scatter"] == [
        ["fewer than 5 respondents"] * 2
    ]


def test_likert_distribution_maps_4_and_7_point_scales_onto_five_answers(survey_db):
    eng_1 = sv.likert_distribution(survey_db, TODAY, "ENG-1")
    assert rows(eng_1, ["pillar", "respondents", *sv.AGREEMENT]) == [
        ("culture", 9, 22.22, 11.11, 11.11, 22.22, 33.33),
        ("training", 9, 0.0, 0.0, 0.0, 100.0, 0.0),
    ]
    eng_2 = sv.likert_distribution(survey_db, TODAY, "ENG-2")
    assert rows(eng_2, ["pillar", "respondents", *sv.AGREEMENT]) == [
        ("resources", 7, 14.29, 28.57, 14.29, 28.57, 14.29),  # 1 | 2 3 | 4 | 5 6 | 7
        ("communication", 5, 20.0, 20.0, 0.0, 20.0, 40.0),  # 1 | 2 | - | 3 | 4
    ]
    # Agree and strongly agree are exactly the favourable answers of each scale.
    favourable = sv.favourable_by_wave(survey_db, TODAY, "employee").set_index(["survey_id", "pillar"])[
        "favourable_pct"
    ]
    for wave, frame in (("ENG-1", eng_1), ("ENG-2", eng_2)):
        for _, row in frame.iterrows():
            assert round(row["agree"] + row["strongly_agree"], 6) == round(favourable[(wave, row["pillar"])], 6)


def test_likert_figure_diverges_around_zero_with_neutral_split(survey_db):
    chart = sv.likert_chart(survey_db, TODAY, "ENG-1")
    bars = {(trace.name, trace.showlegend): list(trace.x) for trace in chart.figure.data}
    # Pillars bottom-up: training, then culture.
    assert [round(v, 2) for v in bars[("neutral", True)]] == [-0.0, -5.56]
    assert [round(v, 2) for v in bars[("neutral", False)]] == [0.0, 5.56]
    assert [round(v, 2) for v in bars[("strongly disagree", True)]] == [-0.0, -22.22]
    assert [round(v, 2) for v in bars[("strongly agree", True)]] == [0.0, 33.33]
    assert chart.figure.layout.title.text.replace("<br>", " ") == (
        "In ENG-1, Culture of Excellence drew the most disagreement: 33.3% of answers disagree or strongly disagree"
    )


def test_survey_charts_stay_small(survey_db):
    for chart in (
        sv.responses_chart(survey_db, TODAY),
        sv.favourable_chart(survey_db, TODAY, "employee"),
        sv.likert_chart(survey_db, TODAY, "ENG-1"),
    ):
        assert 0 < points(chart.figure) < 100
    assert sv.responses_chart(survey_db, Filters(sites=("Nowhere",), as_of=AS_OF)).figure is None


def test_suppressed_periods_of_a_survey_kpi(survey_db):
    nps = views.kpi_chart(survey_db, TODAY, "customer_nps")
    assert sv.suppressed_periods(nps.series) == ["2025-04"]
    assert nps.figure is None  # the only month had 4 respondents: nothing to draw


def test_no_module_of_the_library_but_ui_imports_streamlit():
    code = (
        "import importlib, pkgutil, sys, isokpi\n"
        "names = [m.name for m in pkgutil.iter_modules(isokpi.__path__) if m.name not in ('ui', '__main__')]\n"
        "for name in names: importlib.import_module('isokpi.' + name)\n"
        "print(len(names), 'streamlit' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    count, imported = run.stdout.split()
    assert int(count) >= 25 and imported == "False"  # every module, views and uploads included
