"""The Findings page's aggregates and charts: open, overdue and aging findings, time to close, Paretos by clause
and root cause, severity mix and repeat findings. No streamlit here.

Findings "that need an action" are those of common.sql's actions CTE: not cancelled, not improvement suggestions
(ofi). Stock measures (open, overdue, aging) are taken on the state day: the end of the date range, at the latest
today; flows (time to close, Paretos, repeats) cover findings raised in the date range up to that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from isokpi import format as fmt
from isokpi import stats
from isokpi.charts import BAD, GOOD, NEUTRAL, TARGET, period_axis, theme
from isokpi.db import Database
from isokpi.kpis import Filters
from isokpi.periods import period_label
from isokpi.views import LAST_YEAR, PERIODS_PER_YEAR, Chart, state_day, view_frame

AGE_BUCKETS = ("0-30 days", "31-60 days", "61-90 days", "91-180 days", "over 180 days")
SEVERITIES = ("major_nc", "minor_nc", "observation", "ofi")
SEVERITY_NAMES = {
    "major_nc": "major nonconformity",
    "minor_nc": "minor nonconformity",
    "observation": "observation",
    "ofi": "improvement opportunity",
}
# Majors and minors in the concern colour (minors lighter), observations neutral, improvement ideas good.
SEVERITY_COLOURS = {"major_nc": BAD, "minor_nc": "#f5b26b", "observation": NEUTRAL, "ofi": GOOD}
PARETO_BY = {"clause": "clause", "root_cause": "root cause"}
PARETO_TOP = 15
VITAL_FEW_PCT = 80.0
REPEAT_PAIRS = 10


# --- open findings on the state day -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenFindings:
    open: int
    overdue: int
    due_this_month: int


def open_by_age(database: Database, filters: Filters) -> pd.DataFrame:
    """Open findings that need an action per age bucket (all five, in order): open, overdue, not yet due,
    due from the state day to the end of its month."""
    rows = view_frame(database, "findings_open", filters).set_index("bucket")
    frame = pd.DataFrame({"age": AGE_BUCKETS}, index=range(1, len(AGE_BUCKETS) + 1))
    for column in ("open", "overdue", "due_this_month"):
        frame[column] = rows[column].reindex(frame.index).fillna(0).astype(int) if len(rows) else 0
    frame["not_overdue"] = frame["open"] - frame["overdue"]
    return frame.reset_index(drop=True)[["age", "open", "overdue", "not_overdue", "due_this_month"]]


def aging_chart(database: Database, filters: Filters) -> Chart:
    """Open findings by age on the state day (always five buckets, so always a figure)."""
    frame = open_by_age(database, filters)
    return Chart(frame, aging_figure(frame, state_day(filters)))


def open_totals(by_age: pd.DataFrame) -> OpenFindings:
    """The tiles: open, overdue and due this month, summed over the age buckets."""
    return OpenFindings(int(by_age["open"].sum()), int(by_age["overdue"].sum()), int(by_age["due_this_month"].sum()))


def aging_title(by_age: pd.DataFrame, day: dt.date) -> str:
    total = int(by_age["open"].sum())
    if total == 0:
        return f"No findings that need an action were open on {day:%d %b %Y}"
    old = int(by_age["open"].iloc[3:].sum())
    overdue = int(by_age["overdue"].sum())
    if old == 0 and overdue == 0:
        return f"None of the {total} open findings is older than 90 days or past its due date"
    return f"{old} of the {total} open findings are older than 90 days, and {overdue} are past their due date"


def aging_figure(by_age: pd.DataFrame, day: dt.date) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=by_age["age"], y=by_age["overdue"], name="overdue", marker_color=BAD),
            go.Bar(x=by_age["age"], y=by_age["not_overdue"], name="not yet due or no due date", marker_color=NEUTRAL),
        ]
    )
    figure.update_layout(barmode="stack")
    return theme(figure, title=aging_title(by_age, day), x_title="days since raised", y_title="open findings")


# --- time to close (Kaplan-Meier) ----------------------------------------------------------------------------


def close_counts(database: Database, filters: Filters) -> pd.DataFrame:
    """Per whole number of days: findings that closed after that long, and those still open that long."""
    return view_frame(database, "findings_time_to_close", filters)


def km_curve(counts: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier curve of the share still open, in percent, from the per-day counts: a step per close day,
    then one point at the longest follow-up so the curve runs as far as the data."""
    if counts.empty:
        return pd.DataFrame({"days": [], "still_open_pct": []})
    days = counts["days"].to_numpy(dtype=float)
    closed = counts["closed"].to_numpy(dtype=int)
    still_open = counts["still_open"].to_numpy(dtype=int)
    durations = np.concatenate([np.repeat(days, closed), np.repeat(days, still_open)])
    is_closed = np.concatenate([np.ones(closed.sum(), dtype=bool), np.zeros(still_open.sum(), dtype=bool)])
    curve = stats.kaplan_meier(durations, is_closed)
    if days.max() > curve[-1][0]:
        curve.append((float(days.max()), curve[-1][1]))
    return pd.DataFrame({"days": [t for t, _ in curve], "still_open_pct": [100.0 * s for _, s in curve]})


def close_chart(database: Database, filters: Filters) -> Chart:
    """The Kaplan-Meier curve of time to close with its median, and the counts per day behind it."""
    counts = close_counts(database, filters)
    if counts.empty:
        return Chart(counts, None)
    return Chart(km_table(counts), km_figure(counts))


def km_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The counts per day beside the curve's share still open, the data behind the time-to-close chart."""
    curve = km_curve(counts)
    table = counts.astype({"days": float}).merge(curve, on="days", how="outer").sort_values("days", kind="stable")
    table["still_open_pct"] = table["still_open_pct"].ffill()
    return (
        table.fillna({"closed": 0, "still_open": 0}).astype({"closed": int, "still_open": int}).reset_index(drop=True)
    )


def km_median(counts: pd.DataFrame) -> float | None:
    """Median days to close with still-open findings counted (None while fewer than half have closed)."""
    if counts.empty:
        return None
    return stats.km_median_from_counts(counts["days"], counts["closed"], counts["still_open"])


def km_title(counts: pd.DataFrame) -> str:
    total = int(counts["closed"].sum() + counts["still_open"].sum())
    still_open = int(counts["still_open"].sum())
    median = km_median(counts)
    if median is None:
        return f"Fewer than half of the {total:,} findings are closed yet: the median time to close is not reached"
    return f"Half of the {total:,} findings were closed within {fmt.value(median, 'days')}, counting the {still_open:,} still open"


def km_figure(counts: pd.DataFrame) -> go.Figure:
    curve = km_curve(counts)
    figure = go.Figure(
        go.Scatter(
            x=curve["days"],
            y=curve["still_open_pct"],
            mode="lines",
            line_shape="hv",
            name="still open",
            line={"color": GOOD, "width": 2},
            hovertemplate="after %{x:.0f} days: %{y:.1f}% still open<extra></extra>",
        )
    )
    median = km_median(counts)
    if median is not None:
        figure.add_hline(y=50, line={"color": NEUTRAL, "dash": "dot", "width": 1})
        figure.add_vline(x=median, line={"color": TARGET, "dash": "dash", "width": 1.5})
        figure.add_annotation(
            x=median,
            y=50,
            text=f"median {fmt.value(median, 'days')}",
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            xshift=4,
        )
    theme(figure, title=km_title(counts), x_title="days since raised", y_title="% still open")
    figure.update_yaxes(range=[0, 102], ticksuffix="%")
    return figure


# --- Pareto by clause and root cause ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pareto:
    by: str  # "clause" or "root_cause"
    frame: pd.DataFrame  # the `top` largest: label, findings, cumulative_pct (of every finding with a label)
    not_recorded: int  # findings without a clause (root cause), left out
    rest_findings: int = 0  # findings of the labels after the top ones: said in words, never one tall "Other" bar
    rest_labels: int = 0

    @property
    def total(self) -> int:
        return int(self.frame["findings"].sum()) + self.rest_findings

    @property
    def distinct(self) -> int:
        return len(self.frame) + self.rest_labels

    @property
    def vital_few(self) -> int:
        """Bars up to the first that brings the cumulative share to 80%; all bars when they never get there."""
        reached = self.frame.index[self.frame["cumulative_pct"] >= VITAL_FEW_PCT - 1e-9]
        return int(reached[0]) + 1 if len(reached) else len(self.frame)

    @property
    def concentrated(self) -> bool:
        """True when a few bars reach 80% of the findings."""
        few = self.vital_few
        return few > 0 and float(self.frame["cumulative_pct"].iloc[few - 1]) >= VITAL_FEW_PCT - 1e-9

    @property
    def rest_note(self) -> str:
        """'12 more findings in 9 other clauses are not drawn as bars.'"""
        if not self.rest_findings:
            return ""
        word = PARETO_BY[self.by]
        return (
            f"{fmt.counted(self.rest_findings, 'more finding', 'more findings')} in "
            f"{fmt.counted(self.rest_labels, 'other ' + word)} {'is' if self.rest_findings == 1 else 'are'} not drawn "
            f"as bars ({fmt.value(100 * self.rest_findings / self.total, '%')} of all)."
        )


def pareto(database: Database, filters: Filters, by: str, top: int = PARETO_TOP) -> Pareto:
    """Findings that need an action by clause (with its standard) or root cause: the `top` largest as bars, and how
    many findings and labels the rest hold."""
    if by not in PARETO_BY:
        raise ValueError(f"by must be one of {', '.join(PARETO_BY)}, not {by!r}")
    frame = view_frame(database, "findings_pareto", filters, by=by, top=top)
    not_recorded = int(frame["not_recorded"].iloc[0]) if len(frame) else 0
    rest = frame[frame["labels"] > 1]
    named = frame[frame["labels"] == 1].drop(columns=["not_recorded", "labels"]).reset_index(drop=True)
    return Pareto(by, named, not_recorded, int(rest["findings"].sum()), int(rest["labels"].sum()))


def pareto_chart(database: Database, filters: Filters, by: str) -> Chart:
    result = pareto(database, filters, by)
    left_out = (
        f"{fmt.counted(result.not_recorded, 'finding')} without a {PARETO_BY[by]} "
        f"{'is' if result.not_recorded == 1 else 'are'} left out."
        if result.not_recorded
        else ""
    )
    note = " ".join(part for part in (result.rest_note, left_out) if part)
    return Chart(result.frame, None if result.frame.empty else pareto_figure(result), note)


def pareto_title(result: Pareto) -> str:
    word = PARETO_BY[result.by]
    if result.frame.empty:
        return f"No findings with a {word} recorded for these filters"
    frame = result.frame
    distinct = result.distinct
    few = result.vital_few
    share = float(frame["cumulative_pct"].iloc[few - 1])
    top = frame.iloc[0]
    plural = "s" if distinct != 1 else ""
    if not result.concentrated:
        return (
            f"Findings spread widely: the {few} most frequent of {distinct} {word}s account for only {fmt.value(share, '%')} "
            f"of {result.total:,}; {top['label']} leads with {int(top['findings'])}"
        )
    return (
        f"{few} of {distinct} {word}{plural} account for {fmt.value(share, '%')} of {result.total:,} findings; "
        f"{top['label']} leads with {int(top['findings'])}"
    )


def pareto_figure(result: Pareto) -> go.Figure:
    """Bars per clause (root cause), the vital few (if a few reach 80%) in the concern colour, and the cumulative
    share as a line."""
    frame = result.frame
    few = result.vital_few if result.concentrated else 0
    colours = [BAD if i < few else NEUTRAL for i in range(len(frame))]
    figure = go.Figure(
        [
            go.Bar(x=frame["label"], y=frame["findings"], name="findings", marker_color=colours),
            go.Scatter(
                x=frame["label"],
                y=frame["cumulative_pct"],
                name="cumulative %",
                mode="lines+markers",
                yaxis="y2",
                line={"color": TARGET, "width": 1.5},
                marker={"size": 5},
                hovertemplate="%{y:.1f}% cumulative<extra></extra>",
            ),
        ]
    )
    theme(figure, title=pareto_title(result), x_title=PARETO_BY[result.by], y_title="findings")
    figure.update_layout(
        yaxis2={
            "title": {"text": "cumulative % of findings"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickmode": "array",
            "tickvals": [0, 20, 40, 60, 80, 100],
            "ticktext": ["0%", "20%", "40%", "60%", "80%", "100%"],
            "showgrid": False,
        },
        margin={"r": 56},
    )
    figure.add_hline(y=VITAL_FEW_PCT, yref="y2", line={"color": NEUTRAL, "dash": "dot", "width": 1})
    figure.update_xaxes(type="category", tickangle=-35)
    return figure


# --- severity mix ------------------------------------------------------------------------------------------


def severity_mix(database: Database, filters: Filters) -> pd.DataFrame:
    """Findings raised per reported period and severity (a period without findings: severity empty, 0)."""
    return view_frame(database, "findings_severity", filters)


def severity_chart(database: Database, filters: Filters) -> Chart:
    frame = severity_mix(database, filters)
    empty = frame["findings"].sum() == 0
    return Chart(frame, None if empty else severity_figure(frame, filters.grain))


def _year_split(frame: pd.DataFrame, grain: str) -> tuple[list, list] | None:
    """The last year of periods and the year before, when the frame reaches that far back."""
    periods = sorted(frame["period"].unique())
    year = PERIODS_PER_YEAR[grain]
    if len(periods) < 2 * year:
        return None
    return periods[-year:], periods[-2 * year : -year]


def _change(before: float, after: float) -> str:
    return "rose" if after > before else "fell" if after < before else "stayed the same,"


def severity_title(frame: pd.DataFrame, grain: str) -> str:
    counted = frame.dropna(subset=["severity"])
    if counted.empty:
        return "No findings were raised in these periods"
    majors = counted[counted["severity"] == "major_nc"]
    split = _year_split(frame, grain)
    if split is None:
        minors = int(counted.loc[counted["severity"] == "minor_nc", "findings"].sum())
        return (
            f"{int(majors['findings'].sum())} major and {minors} minor nonconformities among the "
            f"{int(counted['findings'].sum())} findings raised"
        )
    recent, before = split
    now = int(majors.loc[majors["period"].isin(recent), "findings"].sum())
    then = int(majors.loc[majors["period"].isin(before), "findings"].sum())
    return f"Major nonconformities {_change(then, now)} from {then} in the year before to {now} {LAST_YEAR[grain]}"


def severity_figure(frame: pd.DataFrame, grain: str) -> go.Figure:
    figure = go.Figure()
    for severity in SEVERITIES:
        part = frame[frame["severity"] == severity]
        figure.add_trace(
            go.Bar(
                x=part["period"],
                y=part["findings"],
                name=SEVERITY_NAMES[severity],
                marker_color=SEVERITY_COLOURS[severity],
            )
        )
    figure.update_layout(barmode="stack")
    theme(figure, title=severity_title(frame, grain), y_title=f"findings raised per {grain}")
    return period_axis(figure, grain)


# --- repeat findings --------------------------------------------------------------------------------------------


def repeats(database: Database, filters: Filters) -> pd.DataFrame:
    """Per reported period: nonconformities raised, how many repeat an earlier one, and the rate in percent."""
    frame = view_frame(database, "findings_repeats", filters)
    frame["rate_pct"] = (100.0 * frame["repeats"] / frame["ncs"]).where(frame["ncs"] > 0)
    return frame


def repeats_chart(database: Database, filters: Filters) -> Chart:
    frame = repeats(database, filters)
    empty = frame["ncs"].sum() == 0
    return Chart(frame, None if empty else repeats_figure(frame, filters.grain))


def repeat_pairs(database: Database, filters: Filters) -> pd.DataFrame:
    """The clause and site pairs with the most repeat nonconformities raised in the date range."""
    return view_frame(database, "findings_repeat_pairs", filters, top=REPEAT_PAIRS)


def repeats_title(frame: pd.DataFrame, grain: str) -> str:
    if frame["ncs"].sum() == 0:
        return "No nonconformities were raised in these periods"
    split = _year_split(frame, grain)
    if split is None:
        return (
            f"{int(frame['repeats'].sum())} of {int(frame['ncs'].sum())} nonconformities "
            f"({fmt.value(100 * frame['repeats'].sum() / frame['ncs'].sum(), '%')}) repeated an earlier one"
        )
    recent, before = (frame[frame["period"].isin(part)] for part in split)
    rate_now = 100 * recent["repeats"].sum() / recent["ncs"].sum() if recent["ncs"].sum() else 0.0
    rate_then = 100 * before["repeats"].sum() / before["ncs"].sum() if before["ncs"].sum() else 0.0
    return (
        f"{int(recent['repeats'].sum())} of {int(recent['ncs'].sum())} nonconformities {LAST_YEAR[grain]} repeated an "
        f"earlier one ({fmt.value(rate_now, '%')}, against {fmt.value(rate_then, '%')} the year before)"
    )


def repeats_figure(frame: pd.DataFrame, grain: str) -> go.Figure:
    """Repeat nonconformities per period as bars, the repeat rate as a line on the right axis."""
    labels = [period_label(p.date(), grain) for p in frame["period"]]
    figure = go.Figure(
        [
            go.Bar(
                x=frame["period"],
                y=frame["repeats"],
                name="repeat nonconformities",
                marker_color=BAD,
                customdata=labels,
            ),
            go.Scatter(
                x=frame["period"],
                y=frame["rate_pct"],
                name="% of nonconformities",
                mode="lines+markers",
                yaxis="y2",
                line={"color": TARGET, "width": 1.5},
                marker={"size": 4},
                connectgaps=False,
            ),
        ]
    )
    theme(figure, title=repeats_title(frame, grain), y_title=f"repeats per {grain}")
    period_axis(figure, grain)
    figure.update_layout(
        yaxis2={
            "title": {"text": "% of nonconformities"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickmode": "auto",
            "ticksuffix": "%",
            "showgrid": False,
        },
        margin={"r": 56},
    )
    return figure
