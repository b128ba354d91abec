"""The Training page's aggregates and charts: hours per employee by group, the training matrix, headline numbers.

No streamlit here; the queries run through isokpi.views.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from isokpi import format as fmt
from isokpi.charts import BAD, GRID, NEUTRAL, period_axis, small_multiples, theme
from isokpi.db import Database
from isokpi.kpis import Filters
from isokpi.periods import period_name
from isokpi.views import PER_PERIOD, PERIODS_PER_YEAR, Chart, view_frame

GROUPS = ("department", "site")
EXPIRING_WITHIN_DAYS = 60  # as in training_matrix.sql
MATRIX_STATES = ("valid", "expiring", "expired", "overdue", "planned")


# --- hours per employee -------------------------------------------------------------------------------------


def hours_by_group(database: Database, filters: Filters, group: str) -> pd.DataFrame:
    """Per period and department (or site): hours completed, staff on record, hours per employee."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    return view_frame(database, "training_hours_by_group", filters, fragments=("group_members",), group=group)


def hours_chart(database: Database, filters: Filters, group: str) -> Chart:
    frame = hours_by_group(database, filters, group)
    return Chart(frame, None if frame.empty else hours_figure(frame, group, filters.grain))


def staff_on_record(database: Database, filters: Filters) -> int:
    """Employees with a training record in the 12 months up to the state day (the staff rule of the KPIs)."""
    return int(view_frame(database, "training_staff", filters)["staff"].iloc[0])


@dataclass(frozen=True)
class PeriodHours:
    period: str  # for people, e.g. Oct 2026
    hours: float
    previous: float | None
    previous_period: str = ""  # the period `previous` is of


def latest_hours(by_department: pd.DataFrame, grain: str) -> PeriodHours | None:
    """Hours completed in the latest reported period, and in the one before (every record has a department)."""
    if by_department.empty:
        return None
    totals = by_department.groupby("period")["hours"].sum().sort_index()
    if len(totals) < 2:
        return PeriodHours(period_name(totals.index[-1].date(), grain), float(totals.iloc[-1]), None)
    return PeriodHours(
        period_name(totals.index[-1].date(), grain),
        float(totals.iloc[-1]),
        float(totals.iloc[-2]),
        period_name(totals.index[-2].date(), grain),
    )


def _recent_periods(frame: pd.DataFrame, grain: str) -> list:
    return sorted(frame["period"].unique())[-PERIODS_PER_YEAR[grain] :]


def recent_means(frame: pd.DataFrame, grain: str) -> pd.Series:
    """Each group's mean hours per employee over the last year of periods (or fewer), highest first."""
    recent = frame[frame["period"].isin(_recent_periods(frame, grain))]
    return recent.groupby("group")["hours_per_employee"].mean().sort_values(ascending=False, kind="stable")


def span_words(periods: list, grain: str) -> str:
    """Words for a span of periods: over the last 12 months, over the last 3 quarters, in Mar 2025, in 2025."""
    if len(periods) == 1:
        return f"in {period_name(pd.Timestamp(periods[0]).date(), grain)}"
    return f"over the last {len(periods)} {grain}s"


def hours_title(frame: pd.DataFrame, group: str, grain: str) -> str:
    if frame.empty:
        return f"No training hours by {group} for these filters"
    means = recent_means(frame, grain)
    span = span_words(_recent_periods(frame, grain), grain)
    top, low = means.index[0], means.index[-1]
    if len(means) == 1:
        return f"{top}: {fmt.value(means.iloc[0], 'hours')} of training per employee {PER_PERIOD[grain]} {span}"
    return (
        f"{span[0].upper()}{span[1:]}, {top} trained most ({fmt.value(means.iloc[0], 'hours')} per employee "
        f"{PER_PERIOD[grain]}) and {low} least ({fmt.value(means.iloc[-1], 'hours')})"
    )


def hours_figure(frame: pd.DataFrame, group: str, grain: str) -> go.Figure:
    """Small multiples: one panel per department (or site), highest recent hours first, on one y scale."""
    order = list(recent_means(frame, grain).index)
    figure, columns, rows = small_multiples(order)
    for index, name in enumerate(order):
        part = frame[frame["group"] == name]
        figure.add_trace(
            go.Scatter(x=part["period"], y=part["hours_per_employee"], mode="lines", name=name, showlegend=False,
                       line={"color": NEUTRAL, "width": 2}, customdata=part["staff"],
                       hovertemplate="%{y:.2f} hours per employee, %{customdata} staff<extra>" + name + "</extra>"),
            row=index // columns + 1, col=index % columns + 1,
        )  # fmt: skip
    theme(figure, title=hours_title(frame, group, grain), height=max(300, 210 * rows + 60))
    period_axis(figure, grain)
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
