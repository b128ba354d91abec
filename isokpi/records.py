"""Drill-through: the records behind one point of a KPI's series, so that "12 overdue findings" answers "which ones?".

For a count KPI the records are those counted; for a share (a percentage) its denominator, with `in_numerator`
marking the numerator; for a rate (per 100 staff, per audit, hours per head) the numerator's records, which the
value divides by the series' n or by the distinct audits among them. Each KPI's record selection is a SQL file in
isokpi/sql/records/ next to its definition in isokpi/sql/kpis/, run after the same common.sql CTEs with the same
parameters, and before the records are handed out they are aggregated again by the KPI's rule (RULES): when that
does not give the point's value, drill() refuses rather than show records that disagree with the chart.

Survey answers keep their anonymity: no records for a point of fewer than MIN_GROUP_SIZE respondents (its value
is not shown either), no respondent ids, and a site or department with fewer respondents among the records than
that reads as None.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from isokpi import format as fmt
from isokpi import rollups, stats
from isokpi.catalog import Kpi, get_kpi
from isokpi.datasets import DATASETS
from isokpi.db import Database, bound
from isokpi.errors import InputError, IsokpiError
from isokpi.kpis import Filters, Point, all_series, kpi_params, meets, whole_history
from isokpi.periods import period_label, period_name, period_start
from isokpi.sql import load_sql

# How a point's value comes from its records.
COUNT = "count"  # the number of records
SHARE = "share"  # 100 x the records in the numerator / all records
PER_100_STAFF = "per_100_staff"  # 100 x the records / the staff on record (the series' n)
HOURS_PER_HEAD = "hours_per_head"  # the records' hours / the staff on record (the series' n)
PER_AUDIT = "per_audit"  # the records in the numerator / the distinct audits of all records
KM = "km_median"  # Kaplan-Meier median of days open: numerator closed (events), the others still open (censored)
NPS = "nps"  # 100 x (promoters, the numerator, minus detractors, 0-6) / all answers
RESPONDENT_MEAN = "respondent_mean"  # the mean over respondents of each one's mean answer rescaled to 0-100

RULE_WORDS = {
    COUNT: "the value is the number of records",
    SHARE: "the value is the share of the records counted in the numerator",
    PER_100_STAFF: "the value is 100 x the number of records / {n} staff on record",
    HOURS_PER_HEAD: "the value is the records' hours / {n} staff on record",
    PER_AUDIT: "the value is the records in the numerator / the {audits} distinct audits of the records",
    KM: "the value is the Kaplan-Meier median of days open: records in the numerator are closed, the others still "
    "open (counted as censored)",
    NPS: "the value is the percent of promoters (9-10, the numerator) minus the percent of detractors (0-6)",
    RESPONDENT_MEAN: "the value is the mean over respondents of each respondent's mean answer rescaled to 0-100 "
    "(the answers are listed without who gave them)",
}

# KPI id -> (records file in isokpi/sql/records/, dataset of the records, rule). KPIs sharing a definition file
# share a records file; kpis_on_target_pct's records are the other KPIs' points (dataset "kpis").
SOURCES: dict[str, tuple[str, str, str]] = {
    "overdue_actions_per_100_staff": ("overdue_open_findings", "findings", PER_100_STAFF),
    "improvement_opportunities_per_100_staff": ("improvement_opportunities_per_100_staff", "findings", PER_100_STAFF),
    "employee_engagement_index": ("employee_engagement_index", "survey", RESPONDENT_MEAN),
    "training_hours_per_employee": ("training_hours_per_employee", "training", HOURS_PER_HEAD),
    "mandatory_training_completion_pct": ("mandatory_training_completion_pct", "training", SHARE),
    "training_effectiveness_pct": ("training_effectiveness_pct", "training", SHARE),
    "standards_awareness_coverage_pct": ("standards_awareness_coverage_pct", "training", SHARE),
    "findings_closed_on_time_pct": ("findings_closed_on_time_pct", "findings", SHARE),
    "median_days_to_close": ("median_days_to_close", "findings", KM),
    "overdue_open_findings": ("overdue_open_findings", "findings", COUNT),
    "major_ncs_per_audit": ("major_ncs_per_audit", "findings", PER_AUDIT),
    "repeat_finding_rate_pct": ("repeat_finding_rate_pct", "findings", SHARE),
    "corrective_action_effectiveness_pct": ("corrective_action_effectiveness_pct", "findings", SHARE),
    "customer_nps": ("customer_nps", "survey", NPS),
    "external_audit_ncs_per_audit": ("external_audit_ncs_per_audit", "findings", PER_AUDIT),
}
DERIVED_DATASET = "kpis"
DERIVED_COLUMNS = ["kpi_id", "name", "unit", "direction", "value", "target"]
SURVEY_HIDDEN = ("response_id",)  # anonymity: never in a record
PERIOD_FORMS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
)


class RecordsError(IsokpiError):
    """The records of a point would not give its value: a fault of isokpi, never shown as if it were right."""


@dataclass(frozen=True)
class Drill:
    """The records behind one point: `records` hold `columns` and in_numerator, in the SQL's order."""

    kpi: Kpi
    period: dt.date
    grain: str
    value: float | None
    n: int | None
    dataset: str
    columns: list[str]
    records: list[dict]
    rule: str | None  # COUNT, SHARE, ...; None for kpis_on_target_pct (a share of KPIs)
    withheld: str | None = None  # why there are no records although the period has data (anonymity)
    audits: int | None = None  # PER_AUDIT: the distinct audits of the records

    @property
    def label(self) -> str:
        return period_label(self.period, self.grain)

    @property
    def name(self) -> str:
        return period_name(self.period, self.grain)

    @property
    def in_numerator(self) -> int:
        return sum(1 for record in self.records if record["in_numerator"])

    @property
    def explanation(self) -> str:
        """How the value comes from the records, in words."""
        if self.rule is None:
            return "the value is the share of these KPIs (those with a value and a target) that meet their target"
        return RULE_WORDS[self.rule].format(n=self.n, audits=self.audits)

    def to_json(self) -> dict[str, object]:
        """`python -m isokpi records --json`: exactly kpi, period, value, dataset, records."""
        return {
            "kpi": self.kpi.id,
            "period": self.label,
            "value": self.value,
            "dataset": self.dataset,
            "records": [{key: _json_value(value) for key, value in record.items()} for record in self.records],
        }


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def parse_period(text: str) -> tuple[dt.date, str]:
    """'2025-10' (a month), '2025-Q3' (a quarter) or '2025' (a year) -> its first day and grain; else InputError."""
    for pattern, grain in PERIOD_FORMS:
        match = pattern.match(text.strip())
        if match:
            year, part = int(match.group(1)), int(match.group(match.lastindex or 1))
            month = {"month": part, "quarter": 3 * part - 2, "year": 1}[grain]
            return dt.date(year, month, 1), grain
    raise InputError(f"period {text!r} is not a period: use YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year)")


def columns_of(dataset: str) -> list[str]:
    """The canonical columns a record of `dataset` shows (survey answers without the respondent)."""
    if dataset == DERIVED_DATASET:
        return list(DERIVED_COLUMNS)
    return [name for name in DATASETS[dataset].column_names if not (dataset == "survey" and name in SURVEY_HIDDEN)]


def source_of(kpi: Kpi) -> tuple[str, str, str]:
    """(records file, dataset, rule) of a dataset KPI; the favourable-share KPIs share one file."""
    if kpi.id in SOURCES:
        return SOURCES[kpi.id]
    if kpi.sql == "favourable_share":
        return "favourable_share", "survey", SHARE
    raise KeyError(f"{kpi.id} has no records file: add it to isokpi.records.SOURCES")


def records_sql(file: str) -> str:
    """common.sql's CTEs, then the records file's query (its own CTEs joined on)."""
    own = load_sql(f"records/{file}.sql").strip()
    own = re.sub(r"^(--[^\n]*\n)+", "", own)
    common = load_sql("common.sql").strip()
    if own[:5].upper() == "WITH ":
        return "WITH " + common + ",\n" + own[5:]
    return "WITH " + common + "\n" + own


def drill(database: Database, kpi_id: str, period: dt.date, filters: Filters) -> Drill:
    """The records behind `kpi_id`'s point of the period starting `period` (at filters.grain), with the filters in
    force; InputError when the series has no such point."""
    kpi = get_kpi(kpi_id)
    grain = filters.grain
    if period_start(period, grain) != period:
        raise InputError(f"{period} does not start a {grain}")
    # The series the pages and the scorecard show (all_series's when this process keeps it, so the value is the
    # chart's to the bit; else only this KPI's, computed as all_series computes it: the CLI's fresh process).
    series = whole_history(database, kpi.id, filters)
    point = next((p for p in series.points if p.period == period), None)
    if point is None:
        raise InputError(_no_point(kpi, series, period, grain))
    if kpi.derived:
        return _on_target_drill(database, kpi, point, filters)
    file, dataset, rule = source_of(kpi)
    empty = Drill(kpi, period, grain, point.value, point.n, dataset, columns_of(dataset), [], rule)
    if point.suppressed:
        return replace(empty, withheld=f"fewer than {stats.MIN_GROUP_SIZE} respondents")
    if point.value is None:
        return empty
    rows = _rows(database, kpi, file, filters.statistics, period)
    return _checked(empty, point, rows)


def _no_point(kpi: Kpi, series, period: dt.date, grain: str) -> str:
    label = period_label(period, grain)
    if not series.points:
        return f"{kpi.id} has no {grain} with data yet (with these filters), so {label} has no records"
    first, last = series.points[0].period, series.points[-1].period
    return (
        f"{kpi.id} has no point in {label}: its {grain}ly series runs from {period_label(first, grain)} to "
        f"{period_label(last, grain)} (complete periods only)"
    )


def _rows(database: Database, kpi: Kpi, file: str, filters: Filters, period: dt.date) -> list[dict]:
    sql = records_sql(file)
    rollups.current(database, sql)
    with contextlib.closing(database.cursor()) as cursor:
        result = cursor.execute(sql, bound(sql, kpi_params(kpi, filters, [period])))
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _checked(empty: Drill, point: Point, rows: list[dict]) -> Drill:
    """The records, once their aggregate by the KPI's rule is the point's value; anonymised for survey answers."""
    audits = len({row["_audit"] for row in rows}) if empty.rule == PER_AUDIT else None
    again = _value(empty.rule, rows, point.n, audits)
    if again is None or not math.isclose(again, point.value, rel_tol=1e-9, abs_tol=1e-9):
        raise RecordsError(
            f"the records of {empty.kpi.id} in {empty.label} give {again}, not the chart's {point.value}: "
            "nothing is shown rather than records that disagree; please report this"
        )
    if empty.dataset == "survey":
        rows = _anonymised(rows)
    records = [
        {**{name: row[name] for name in empty.columns}, "in_numerator": bool(row["in_numerator"])} for row in rows
    ]
    return replace(empty, records=records, audits=audits)


def _value(rule: str, rows: list[dict], n: int | None, audits: int | None) -> float | None:
    numerator = sum(1 for row in rows if row["in_numerator"])
    if rule == COUNT:
        return float(len(rows))
    if rule == SHARE:
        return 100.0 * numerator / len(rows) if rows else None
    if rule == PER_100_STAFF:
        return 100.0 * len(rows) / n if n else None
    if rule == HOURS_PER_HEAD:
        return sum(float(row["hours"]) for row in rows) / n if n else None
    if rule == PER_AUDIT:
        return numerator / audits if audits else None
    if rule == KM:
        days = [float(row["_days"]) for row in rows]
        return stats.km_median_from_counts(
            days, [1 if row["in_numerator"] else 0 for row in rows], [0 if row["in_numerator"] else 1 for row in rows]
        )
    if rule == NPS:
        detractors = sum(1 for row in rows if row["score"] <= 6)
        return 100.0 * (numerator - detractors) / len(rows) if rows else None
    means: dict[str, list[float]] = {}  # RESPONDENT_MEAN
    for row in rows:
        means.setdefault(row["_respondent"], []).append(float(row["_index"]))
    return sum(sum(v) / len(v) for v in means.values()) / len(means) if means else None


def _anonymised(rows: list[dict]) -> list[dict]:
    """Survey answers with a site or department read as None where fewer than MIN_GROUP_SIZE respondents among the
    records share it (a small team's answers would be theirs to read)."""
    sites: dict[object, set[str]] = {}
    teams: dict[tuple[object, object], set[str]] = {}
    for row in rows:
        sites.setdefault(row["site"], set()).add(row["_respondent"])
        teams.setdefault((row["site"], row["department"]), set()).add(row["_respondent"])
    result = []
    for row in rows:
        small_site = stats.suppress_small(len(sites[row["site"]]))
        small_team = stats.suppress_small(len(teams[(row["site"], row["department"])]))
        result.append(
            {
                **row,
                "site": None if small_site else row["site"],
                "department": None if small_team else row["department"],
            }
        )
    return result


def _on_target_drill(database: Database, kpi: Kpi, point: Point, filters: Filters) -> Drill:
    """kpis_on_target_pct: its records are the other KPIs with a settled value and a target in the period."""
    records = []
    for series in all_series(database, filters.statistics).values():
        if series.kpi.derived:
            continue
        other = next((p for p in series.points if p.period == point.period), None)
        if other is None or other.value is None or other.suppressed or other.provisional or other.target is None:
            continue
        records.append(
            {
                "kpi_id": series.kpi.id,
                "name": series.kpi.name,
                "unit": series.kpi.unit,
                "direction": series.kpi.direction,
                "value": other.value,
                "target": other.target,
                "in_numerator": meets(series.kpi, other.value, other.target),
            }
        )
    drilled = Drill(
        kpi, point.period, filters.grain, point.value, point.n, DERIVED_DATASET, columns_of(DERIVED_DATASET), [], None
    )
    if point.value is None:
        return drilled
    again = 100.0 * sum(1 for r in records if r["in_numerator"]) / len(records) if records else None
    if again is None or not math.isclose(again, point.value, rel_tol=1e-9, abs_tol=1e-9):
        raise RecordsError(
            f"the KPIs behind {kpi.id} in {drilled.label} give {again}, not the chart's {point.value}; please report this"
        )
    return replace(drilled, records=records)


def frozen_words(drilled: Drill, frozen: float | None) -> str:
    """What a closed review's point presented against what its records give from today's data."""
    presented = fmt.value(frozen, drilled.kpi.unit)
    same = (frozen is None and drilled.value is None) or (
        frozen is not None
        and drilled.value is not None
        and math.isclose(frozen, drilled.value, rel_tol=1e-9, abs_tol=1e-9)
    )
    if same:
        return f"The closed review presented {presented}; today's data gives the same, and these are its records."
    return (
        f"The closed review presented {presented}; data loaded or changed since gives "
        f"{fmt.value(drilled.value, drilled.kpi.unit)}, and these records are today's."
    )


# What in_numerator means, by rule, in the "counted as" column of the pages' table and its CSV.
COUNTED_AS = {
    COUNT: ("counted", "counted"),
    PER_100_STAFF: ("counted", "counted"),
    HOURS_PER_HEAD: ("counted", "counted"),
    RESPONDENT_MEAN: ("counted", "counted"),
    KM: ("closed", "still open (censored)"),
    NPS: ("promoter (numerator)", "denominator only"),
}
NUMERATOR, DENOMINATOR_ONLY = "numerator", "denominator only"
COUNTED_COLUMN = "counted as"


def records_frame(drilled: Drill) -> pd.DataFrame:
    """The records as the pages show and export them: "counted as" first, then the record's columns. A drill of one
    period holds its records only (hundreds to a few thousand rows), never a dataset."""
    counted, not_counted = COUNTED_AS.get(drilled.rule or "", (NUMERATOR, DENOMINATOR_ONLY))
    frame = pd.DataFrame(
        [
            {COUNTED_COLUMN: counted if r["in_numerator"] else not_counted, **{c: r[c] for c in drilled.columns}}
            for r in drilled.records
        ],
        columns=[COUNTED_COLUMN, *drilled.columns],
    )
    return frame


__all__ = ["Drill", "drill", "parse_period", "records_frame"]
