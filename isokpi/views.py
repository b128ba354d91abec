"""The query layer of the dashboard pages: a view (isokpi/sql/views/) runs after the filtered CTEs of common.sql,
with every filter bound as a parameter. No streamlit here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from isokpi import kpis, rollups
from isokpi.cache import cached
from isokpi.charts import xmr_chart, xmr_frame
from isokpi.datasets import FAVOURABLE_FROM, SCALE_RANGES
from isokpi.db import Database, bound
from isokpi.kpis import Filters, Series
from isokpi.narrative import kpi_sentence
from isokpi.periods import period_name
from isokpi.sql import load_sql

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
PER_PERIOD = {"month": "a month", "quarter": "a quarter", "year": "a year"}
LAST_YEAR = {"month": "over the last 12 months", "quarter": "over the last 4 quarters", "year": "in the last year"}


def state_day(filters: Filters) -> dt.date:
    """The day stock measures (open findings, the training matrix, staff) are taken on: the end of the date range,
    at the latest the data's today."""
    return min(filters.today, filters.date_to) if filters.date_to else filters.today


def view_sql(name: str, fragments: tuple[str, ...] = ()) -> str:
    """common.sql's CTEs, then any CTE fragments of isokpi/sql/views/, then the view's own query."""
    ctes = [load_sql("common.sql").strip(), *(load_sql(f"views/{fragment}.sql").strip() for fragment in fragments)]
    return (
        "WITH "
        + ",\n".join(ctes)
        + ",\nview AS (\n"
        + load_sql(f"views/{name}.sql").strip()
        + "\n)\nSELECT * FROM view"
    )


def uses_periods(name: str, fragments: tuple[str, ...] = ()) -> bool:
    """Whether a view reads common.sql's period spine (directly or through staff): only then are the periods
    worth working out (it scans every dataset)."""
    code = "\n".join(load_sql(f"views/{part}.sql") for part in (name, *fragments))
    code = re.sub(r"--[^\n]*", "", code)
    return re.search(r"\b(FROM|JOIN)\s+(spine|staff)\b", code, flags=re.IGNORECASE) is not None


def view_params(database: Database, filters: Filters, *, with_periods: bool = True) -> dict[str, object]:
    """Every parameter a view may name, from the filters; bound() keeps those the query uses."""
    scales = list(SCALE_RANGES)
    return {
        "grain": filters.grain,
        "periods": kpis.periods(database, filters) if with_periods else [],
        "as_of": filters.today,
        "day": state_day(filters),
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "sites": list(filters.sites),
        "departments": list(filters.departments),
        "standards": list(filters.standards),
        "scales": scales,
        "favourable_from": [float(FAVOURABLE_FROM[scale]) for scale in scales],
    }


# The datasets each view (and CTE fragment) reads; tests/test_reads.py checks them against the tables DuckDB's plan
# scans. A view's rows are kept until a load, undo or demo removal changes one of them (or the periods it is
# given change): loading survey answers leaves the training matrix as it is.
VIEW_READS: dict[str, tuple[str, ...]] = {
    "findings_open": ("findings",),
    "findings_pareto": ("findings",),
    "findings_repeat_pairs": ("findings",),
    "findings_repeats": ("findings",),
    "findings_severity": ("findings",),
    "findings_time_to_close": ("findings",),
    "group_members": ("training",),
    "review_audits": ("findings",),
    "review_findings_state": ("findings",),
    "review_ofi_processes": ("findings",),
    "review_respondents": ("survey",),
    "review_training": ("training",),
    "survey_answers": ("survey",),
    "survey_favourable_waves": ("survey",),
    "survey_likert": ("survey",),
    "survey_responses": ("survey",),
    "training_hours_by_group": ("training",),
    "training_matrix": ("training",),
    "training_outcomes": ("training", "findings"),
    "training_staff": ("training",),
}


def view_reads(name: str, fragments: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(sorted({dataset for part in (name, *fragments) for dataset in VIEW_READS[part]}))


def _frozen(params: dict[str, object]) -> tuple[tuple[str, object], ...]:
    """Bound parameters as a cache key: lists become tuples."""
    return tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in params.items()))


def _run_view(
    database: Database, name: str, fragments: tuple[str, ...], params: tuple[tuple[str, object], ...], as_dicts: bool
) -> pd.DataFrame | list[dict]:
    sql = view_sql(name, fragments)
    rollups.current(database, sql)
    values = {key: list(value) if isinstance(value, tuple) else value for key, value in params}
    if as_dicts:
        return database.query_dicts(sql, values)
    with contextlib.closing(database.cursor()) as cursor:
        return cursor.execute(sql, values).df()


_kept_view = cached(_run_view, reads=lambda name, fragments, *rest: view_reads(name, fragments))


def _kept(
    database: Database, name: str, filters: Filters, fragments: tuple[str, ...], extra: dict, as_dicts: bool
) -> pd.DataFrame | list[dict]:
    sql = view_sql(name, fragments)
    params = bound(sql, {**view_params(database, filters, with_periods=uses_periods(name, fragments)), **extra})
    return _kept_view(database, name, fragments, _frozen(params), as_dicts)


def view_frame(
    database: Database, name: str, filters: Filters, *, fragments: tuple[str, ...] = (), **extra: object
) -> pd.DataFrame:
    """Run the view `name` for these filters (extra values are bound too) and return its few rows: a copy of the
    rows kept for the data of the datasets it reads (VIEW_READS), which the caller may change."""
    return _kept(database, name, filters, fragments, extra, False).copy()


def view_rows(database: Database, name: str, filters: Filters, **extra: object) -> list[dict]:
    """view_frame's rows as dicts (DuckDB's Python values), for the few rows a caller reads value by value."""
    return [dict(row) for row in _kept(database, name, filters, (), extra, True)]


@dataclass
class Chart:
    """An aggregate and the figure drawn from it, built together so a page caches both (building a plotly figure
    costs more than the query behind it). figure is None when there is nothing to draw."""

    frame: pd.DataFrame
    figure: go.Figure | None
    note: str = ""
    series: Series | None = None


# --- a KPI as a chart on any page ------------------------------------------------------------------------


def kpi_chart(database: Database, filters: Filters, kpi_id: str) -> Chart:
    """A catalog KPI as a process-behaviour chart titled with its finding, with its series for the headline tile."""
    series = kpis.kpi_series(database, kpi_id, filters)
    figure = xmr_chart(series, title=kpi_sentence(series)) if series.shown else None
    return Chart(xmr_frame(series), figure, series=series)


def latest_value(series: Series) -> tuple[str, float | None, float | None, str]:
    """(period name, latest value, change from the settled value before it, that value's period name) of a series,
    for a metric tile: the point its verdicts speak for (Series.latest, never a provisional one), as the Pillar page
    and the packs say. The tile names the period it compares with: the chart beside it speaks of 12 months."""
    latest = series.latest
    if latest is None:
        return "", None, None, ""
    before = [p for p in (series.history or series).shown if not p.provisional and p.period < latest.period]
    if not before:
        return period_name(latest.period, series.grain), latest.value, None, ""
    return (
        period_name(latest.period, series.grain),
        latest.value,
        latest.value - before[-1].value,
        period_name(before[-1].period, series.grain),
    )
