"""Training against outcomes on hand-made departments: the counts, the pooling of small ones, Spearman against scipy."""

from __future__ import annotations

import datetime as dt

import pytest
from scipy import stats as scipy_stats

from isokpi import outcomes_view as outcomes
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters

AS_OF = dt.date(2025, 7, 1)
# Department: (staff, mandatory records completed on time, findings raised in May 2025).
DEPARTMENTS = {"A": (10, 10, 1), "B": (10, 8, 3), "C": (10, 6, 2), "D": (10, 4, 5), "E": (10, 2, 4)}
SMALL = {"Tiny": (2, 2, 0), "Mini": (3, 3, 0)}


def load(db, write) -> None:
    training = ["record_id,employee_id,department,site,course,hours,status,due_date,completed_on,is_mandatory"]
    findings = ["finding_id,audit_type,standard,department,severity,raised_on,status"]
    for name, (staff, on_time, raised) in {**DEPARTMENTS, **SMALL}.items():
        for i in range(staff):
            done = i < on_time
            training.append(
                f"T-{name}-{i},E-{name}-{i},{name},Leeds,Safety,2,{'completed' if done else 'overdue'},2025-05-10,"
                f"{'2025-05-05' if done else ''},yes"
            )
        findings += [f"F-{name}-{i},internal,ISO 9001,{name},minor_nc,2025-05-{i + 1:02d},open" for i in range(raised)]
    for dataset, rows in (("training", training), ("findings", findings)):
        assert ingest_file(db, dataset, write(f"{dataset}.csv", "\n".join(rows) + "\n")).ok


def test_counts_per_department_over_the_year_up_to_the_day(db, write):
    load(db, write)
    filters = Filters(as_of=AS_OF)
    assert outcomes.window(filters) == (dt.date(2024, 7, 2), AS_OF)
    counts = outcomes.group_counts(db, filters, "department").set_index("group")
    for name, (staff, on_time, raised) in {**DEPARTMENTS, **SMALL}.items():
        row = counts.loc[name]
        assert (row["staff"], row["mandatory_due"], row["mandatory_on_time"], row["hours"], row["findings"]) == (
            staff, staff, on_time, 2 * on_time, raised,
        )  # fmt: skip
    # A window that ends before May holds no training due and no findings.
    before = outcomes.group_counts(db, Filters(as_of=AS_OF, date_to=dt.date(2025, 4, 30)), "department")
    assert before["findings"].sum() == 0 and before["mandatory_due"].sum() == 0


def test_small_departments_are_pooled_and_the_correlation_is_scipys(db, write):
    load(db, write)
    frame = outcomes.pooled(outcomes.group_counts(db, Filters(as_of=AS_OF), "department"), "department")
    assert list(frame["group"]) == ["A", "B", "C", "D", "E", "Smaller departments pooled (2)"]
    pooled = frame.iloc[-1]
    assert (pooled["staff"], pooled["mandatory_on_time_pct"], pooled["findings_per_100"]) == (5, 100.0, 0.0)
    assert list(frame["mandatory_on_time_pct"]) == [100.0, 80.0, 60.0, 40.0, 20.0, 100.0]
    assert list(frame["findings_per_100"]) == [10.0, 30.0, 20.0, 50.0, 40.0, 0.0]
    assert list(frame["hours_per_head"]) == [2.0, 1.6, 1.2, 0.8, 0.4, 2.0]
    correlation = outcomes.spearman(frame, "mandatory_on_time_pct", "findings_per_100")
    expected = scipy_stats.spearmanr([100, 80, 60, 40, 20, 100], [10, 30, 20, 50, 40, 0])
    assert correlation.n == 6
    assert correlation.rho == pytest.approx(expected.statistic) and correlation.rho < -0.8
    assert correlation.p_value == pytest.approx(expected.pvalue) and correlation.p_value < 0.05
    words = outcomes.association_words(correlation, "department")
    assert words.startswith(
        "Departments with higher mandatory training on time tend to have fewer findings per 100 staff "
        "(Spearman's rho −0.87, p = 0.02, n = 6 departments)."
    )
    assert "not a cause" in outcomes.caveat_words(6, "department")
    # No repeats can be seen without a year of findings before: no repeat rate, so no correlation with it.
    repeat = outcomes.spearman(frame, "mandatory_on_time_pct", "repeat_pct")
    assert (repeat.rho, repeat.n) == (None, 0)
    assert "too few" in outcomes.association_words(repeat, "department")


def test_the_chart_names_every_department(db, write):
    load(db, write)
    chart = outcomes.outcomes_chart(db, Filters(as_of=AS_OF), "department", "hours_per_head", "findings_per_100")
    (trace,) = chart.figure.data
    assert list(trace.text) == ["A", "B", "C", "D", "E", "Smaller departments pooled (2)"]
    assert list(trace.y) == [10.0, 30.0, 20.0, 50.0, 40.0, 0.0]
    assert len(outcomes.correlation_frame(chart.frame)) == 6


def test_the_training_page_shows_training_against_outcomes(tmp_path, write, use_database):
    from isokpi.db import resolve_target
    from isokpi.opening import open_target

    from .apptest import app_page, as_read

    path = tmp_path / "page.duckdb"
    database = open_target(resolve_target(path))
    load(database, write)
    database.close()
    use_database(path)
    at = app_page("training")
    at.query_params["from"] = "2025-01-01"
    at.query_params["to"] = "2025-06-30"
    at.run()
    assert not at.exception
    assert "outcomes" in [chart.key for chart in at.get("plotly_chart")]
    words = [as_read(m.value) for m in at.markdown if "Spearman" in m.value]
    assert words == [
        "Departments with higher mandatory training on time tend to have fewer findings per 100 staff "
        "(Spearman's rho −0.87, p = 0.02, n = 6 departments)."
    ]
    caption = next(as_read(c.value) for c in at.caption if "One dot per department" in c.value)
    assert caption.startswith("From 01 Jan 2025 to 30 Jun 2025.") and "not a cause" in caption
    table = at.dataframe[-1].value
    assert list(table["n"]) == [6, 6, 0, 6, 6, 0]
    at.segmented_control(key="outcomes-group").set_value("site").run()
    assert not at.exception
    assert "Only 1 sites have both values" in " ".join(as_read(m.value) for m in at.markdown)
