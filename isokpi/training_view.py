"""The Training page's aggregates and charts: hours per employee by group, the training matrix, headline numbers.

Also the small helpers the findings and survey views share: running a view query (isokpi/sql/views/) after the
filtered CTEs of common.sql, the day stock measures are taken on, and the plain sentence a KPI chart is titled with.
No streamlit here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from isokpi import kpis, stats
from isokpi.charts import BAD, GRID, NEUTRAL, theme, xmr_chart
from isokpi.datasets import FAVOURABLE_FROM, SCALE_RANGES
from isokpi.db import Database, bound
from isokpi.kpis import Filters, Series, period_label

GROUPS = ("department", "site")
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
PER_PERIOD = {"month": "a month", "quarter": "a quarter", "year": "a year"}
LAST_YEAR = {"month": "over the last 12 months", "quarter": "over the last 4 quarters", "year": "in the last year"}
EXPIRING_WITHIN_DAYS = 60  # as in training_matrix.sql
MATRIX_STATES = ("valid", "expiring", "expired", "overdue", "planned")
VERDICT_WORDS = {
    stats.IMPROVEMENT: "a real improvement",
    stats.CONCERN: "a real deterioration",
    stats.COMMON_CAUSE: "within normal variation",
}


# --- running view queries (shared by the findings and survey views) -------------------------------------------


def state_day(filters: Filters) -> dt.date:
    """The day stock measures (open findings, the training matrix, staff) are taken on: the end of the date range,
    at the latest the data's today."""
    return min(filters.today, filters.date_to) if filters.date_to else filters.today


def view_sql(name: str, fragments: tuple[str, ...] = ()) -> str:
    """common.sql's CTEs, then any CTE fragments of isokpi/sql/views/, then the view's own query."""
    ctes = [kpis._sql("common.sql").strip(), *(kpis._sql(f"views/{fragment}.sql").strip() for fragment in fragments)]
    return (
        "WITH "
        + ",\n".join(ctes)
        + ",\nview AS (\n"
        + kpis._sql(f"views/{name}.sql").strip()
        + "\n)\nSELECT * FROM view"
    )


def uses_periods(name: str, fragments: tuple[str, ...] = ()) -> bool:
    """Whether a view reads common.sql's period spine (directly or through staff): only then are the periods
    worth working out (it scans every dataset)."""
    code = "\n".join(kpis._sql(f"views/{part}.sql") for part in (name, *fragments))
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


def view_frame(
    database: Database, name: str, filters: Filters, *, fragments: tuple[str, ...] = (), **extra: object
) -> pd.DataFrame:
    """Run the view `name` for these filters (extra values are bound too) and return its few rows."""
    sql = view_sql(name, fragments)
    params = bound(sql, {**view_params(database, filters, with_periods=uses_periods(name, fragments)), **extra})
    with contextlib.closing(database.cursor()) as cursor:
        return cursor.execute(sql, params).df()


@dataclass
class Chart:
    """An aggregate and the figure drawn from it, built together so a page caches both (building a plotly figure
    costs more than the query behind it). figure is None when there is nothing to draw."""

    frame: pd.DataFrame
    figure: go.Figure | None
    note: str = ""
    series: Series | None = None


# --- words ----------------------------------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """A KPI value as a reader says it: 93%, 1.8 hours, +42 NPS points, 3 findings."""
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "NPS points":
        return f"{value:+.0f}"
    if unit in ("hours", "days"):
        return f"{value:.1f} {unit}"
    return f"{value:g} {unit}" if float(value).is_integer() else f"{value:.2f} {unit}"


def series_title(series: Series) -> str:
    """A KPI chart's title: where it went from and to, and whether that is more than noise."""
    shown = series.shown
    name = series.kpi.name
    if not shown:
        return f"{name}: no values for these filters"
    last = series.latest or shown[-1]  # a provisional period is shown, not judged
    last_text = f"{format_value(last.value, series.kpi.unit)} in {period_label(last.period, series.grain)}"
    if len(shown) == 1:
        return f"{name}: {last_text}"
    first = shown[0]
    first_text = f"{format_value(first.value, series.kpi.unit)} in {period_label(first.period, series.grain)}"
    verdict = VERDICT_WORDS[series.variation] if series.variation is not None else "too few periods to judge"
    if format_value(first.value, series.kpi.unit) == format_value(last.value, series.kpi.unit):
        return f"{name} was {first_text} and again {last_text}: {verdict}"
    verb = "rose" if last.value > first.value else "fell"
    return f"{name} {verb} from {first_text} to {last_text}: {verdict}"


def series_frame(series: Series) -> pd.DataFrame:
    """A KPI series as the table behind its chart (suppressed points keep no value)."""
    return pd.DataFrame(
        [
            {
                "period": period_label(p.period, series.grain),
                "value": p.value,
                "n": p.n,
                "target": p.target,
                "ci_low": p.ci[0] if p.ci else None,
                "ci_high": p.ci[1] if p.ci else None,
            }
            for p in series.points
        ],
        columns=["period", "value", "n", "target", "ci_low", "ci_high"],
    )


def kpi_chart(database: Database, filters: Filters, kpi_id: str) -> Chart:
    """A catalog KPI as a process-behaviour chart titled with its finding, with its series for the headline tile."""
    series = kpis.kpi_series(database, kpi_id, filters)
    figure = xmr_chart(series, title=series_title(series)) if series.shown else None
    return Chart(series_frame(series), figure, series=series)


def latest_value(series: Series) -> tuple[str, float | None, float | None]:
    """(period label, latest value, change from the value before) of a series, for a metric tile."""
    shown = series.shown
    if not shown:
        return "", None, None
    change = shown[-1].value - shown[-2].value if len(shown) > 1 else None
    return period_label(shown[-1].period, series.grain), shown[-1].value, change


# --- hours per employee -------------------------------------------------------------------------------------


def hours_by_group(database: Database, filters: Filters, group: str) -> pd.DataFrame:
    """Per period and department (or site): hours completed, staff on record, hours per employee."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    return view_frame(database, "training_hours_by_group", filters, group=group)


def hours_chart(database: Database, filters: Filters, group: str) -> Chart:
    frame = hours_by_group(database, filters, group)
    return Chart(frame, None if frame.empty else hours_figure(frame, group, filters.grain))


def staff_on_record(database: Database, filters: Filters) -> int:
    """Employees with a training record in the 12 months up to the state day (the staff rule of the KPIs)."""
    return int(view_frame(database, "training_staff", filters)["staff"].iloc[0])


@dataclass(frozen=True)
class PeriodHours:
    period: str  # label, e.g. 2026-10
    hours: float
    previous: float | None


def latest_hours(by_department: pd.DataFrame, grain: str) -> PeriodHours | None:
    """Hours completed in the latest reported period, and in the one before (every record has a department)."""
    if by_department.empty:
        return None
    totals = by_department.groupby("period")["hours"].sum().sort_index()
    previous = float(totals.iloc[-2]) if len(totals) > 1 else None
    return PeriodHours(period_label(totals.index[-1].date(), grain), float(totals.iloc[-1]), previous)


def _recent_periods(frame: pd.DataFrame, grain: str) -> list:
    return sorted(frame["period"].unique())[-PERIODS_PER_YEAR[grain] :]


def recent_means(frame: pd.DataFrame, grain: str) -> pd.Series:
    """Each group's mean hours per employee over the last year of periods (or fewer), highest first."""
    recent = frame[frame["period"].isin(_recent_periods(frame, grain))]
    return recent.groupby("group")["hours_per_employee"].mean().sort_values(ascending=False, kind="stable")


def span_words(periods: list, grain: str) -> str:
    """Words for a span of periods: over the last 12 months, over the last 3 quarters, in 2025-03, in 2025."""
    if len(periods) == 1:
        return f"in {period_label(pd.Timestamp(periods[0]).date(), grain)}"
    return f"over the last {len(periods)} {grain}s"


def hours_title(frame: pd.DataFrame, group: str, grain: str) -> str:
    if frame.empty:
        return f"No training hours by {group} for these filters"
    means = recent_means(frame, grain)
    span = span_words(_recent_periods(frame, grain), grain)
    top, low = means.index[0], means.index[-1]
    if len(means) == 1:
        return f"{top}: {means.iloc[0]:.1f} hours of training per employee {PER_PERIOD[grain]} {span}"
    return (
        f"{span[0].upper()}{span[1:]}, {top} trained most ({means.iloc[0]:.1f} hours per employee "
        f"{PER_PERIOD[grain]}) and {low} least ({means.iloc[-1]:.1f} hours)"
    )


def hours_figure(frame: pd.DataFrame, group: str, grain: str) -> go.Figure:
    """Small multiples: one panel per department (or site), highest recent hours first, on one y scale."""
    order = list(recent_means(frame, grain).index)
    columns = min(4, len(order))
    rows = math.ceil(len(order) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=order,
        horizontal_spacing=0.03,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    for index, name in enumerate(order):
        part = frame[frame["group"] == name]
        figure.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["hours_per_employee"],
                mode="lines",
                name=name,
                showlegend=False,
                line={"color": NEUTRAL, "width": 2},
                customdata=part["staff"],
                hovertemplate="%{y:.2f} hours per employee, %{customdata} staff<extra>" + name + "</extra>",
            ),
            row=index // columns + 1,
            col=index % columns + 1,
        )
    theme(figure, title=hours_title(frame, group, grain), height=max(300, 210 * rows + 60))
    figure.update_layout(hovermode="closest")
    for row in range(1, rows + 1):
        figure.update_yaxes(title_text="hours per employee", row=row, col=1)
    figure.update_annotations(font={"size": 12})
    return figure


# --- the training matrix ----------------------------------------------------------------------------------------


def training_matrix(database: Database, filters: Filters) -> pd.DataFrame:
    """Department x category counts of current staff's course assignments per state on the state day."""
    frame = view_frame(database, "training_matrix", filters)
    frame["needs_action_pct"] = 100.0 * (frame["expired"] + frame["overdue"]) / frame["assignments"]
    return frame


def matrix_chart(database: Database, filters: Filters) -> Chart:
    frame = training_matrix(database, filters)
    return Chart(frame, None if frame.empty else matrix_figure(frame))


def matrix_title(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "No training assignments for these filters"
    lapsed = frame["expired"] + frame["overdue"]
    total = int(frame["assignments"].sum())
    if lapsed.sum() == 0:
        return f"None of the {total:,} current training assignments is expired or overdue"
    worst = frame.loc[lapsed.idxmax()]
    return (
        f"{int(lapsed.sum()):,} of {total:,} training assignments are expired or overdue; the most in "
        f"{worst['department']}, {worst['category']} ({int(worst['expired'])} expired, {int(worst['overdue'])} overdue)"
    )


def matrix_figure(frame: pd.DataFrame) -> go.Figure:
    """A heatmap of the share of assignments expired or overdue, each cell labelled with its counts."""
    departments = sorted(frame["department"].unique(), reverse=True)  # reversed: the y axis runs bottom-up
    categories = sorted(frame["category"].unique())
    cells = frame.set_index(["department", "category"])
    z, text, hover = [], [], []
    for department in departments:
        z_row, text_row, hover_row = [], [], []
        for category in categories:
            if (department, category) not in cells.index:
                z_row.append(None)
                text_row.append("")
                hover_row.append("no assignments")
                continue
            cell = cells.loc[(department, category)]
            z_row.append(float(cell["needs_action_pct"]))
            text_row.append(
                "<br>".join(
                    f"{int(cell[state])} {state}" for state in ("expired", "overdue", "expiring") if cell[state]
                )
            )
            hover_row.append(
                ", ".join(f"{int(cell[state])} {state}" for state in MATRIX_STATES)
                + f" of {int(cell['assignments'])} assignments"
            )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=categories,
            y=departments,
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            textfont={"size": 10},
            hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>",
            colorscale=[[0.0, "#ffffff"], [1.0, BAD]],
            zmin=0,
            zmax=max(10.0, float(frame["needs_action_pct"].max())),
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": "% expired<br>or overdue"}, "ticksuffix": "%"},
        )
    )
    theme(
        figure,
        title=matrix_title(frame),
        x_title="course category",
        y_title="department",
        height=max(320, 56 * len(departments) + 120),
    )
    figure.update_layout(hovermode="closest", plot_bgcolor=GRID)
    return figure
