"""Training against outcomes: do the departments (or sites) that keep their training up raise fewer findings?

Per group, over one window (the date range's start, else the year up to the day shown, to the day shown):
mandatory training completed on time and hours per head against findings raised, major nonconformities and the
repeat rate per 100 staff; a Spearman rank correlation across the groups with its p-value and n; and the words for
what that does and does not show. Groups under MIN_STAFF staff are pooled into one, never dropped. The counts are
aggregated in DuckDB (sql/views/training_outcomes.sql); only one row per group reaches Python. No streamlit here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from scipy import stats as scipy_stats

from isokpi.charts import GOOD, NEUTRAL, theme
from isokpi.db import Database
from isokpi.kpis import Filters
from isokpi.safety import plotly_text
from isokpi.views import Chart, state_day, view_frame

GROUPS = ("department", "site")
WINDOW_DAYS = 365  # without a date range's start: the year up to the day shown
MIN_STAFF = 10  # a group with fewer staff on record is pooled with the other small ones
MIN_GROUPS = 4  # fewer groups than this: no correlation is worked out
SIGNIFICANCE = 0.05
SMALL = "Smaller {group}s pooled ({count})"

# id -> (label, unit, better): the training measures (x) and the outcomes (y).
TRAINING_MEASURES = {
    "mandatory_on_time_pct": ("Mandatory training on time", "%", "higher"),
    "hours_per_head": ("Training hours per head", "hours", "higher"),
}
OUTCOMES = {
    "findings_per_100": ("Findings raised per 100 staff", "per 100 staff", "lower"),
    "majors_per_100": ("Major nonconformities per 100 staff", "per 100 staff", "lower"),
    "repeat_pct": ("Repeat findings", "%", "lower"),
}
# What a positive and a negative correlation say about an outcome.
TENDENCIES = {
    "findings_per_100": ("more findings per 100 staff", "fewer findings per 100 staff"),
    "majors_per_100": ("more major nonconformities per 100 staff", "fewer major nonconformities per 100 staff"),
    "repeat_pct": ("a higher share of repeat findings", "a lower share of repeat findings"),
}
COUNTS = ["staff", "mandatory_due", "mandatory_on_time", "hours", "findings", "majors", "ncs", "repeats"]


def window(filters: Filters) -> tuple[dt.date, dt.date]:
    """The span compared: from the date range's start (else the year up to the day shown) to the day shown."""
    day = state_day(filters)
    return filters.date_from or day - dt.timedelta(days=WINDOW_DAYS - 1), day


def group_counts(database: Database, filters: Filters, group: str) -> pd.DataFrame:
    """One row per group (department or site) with its counts over the window (training_outcomes.sql)."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    start, _ = window(filters)
    return view_frame(
        database, "training_outcomes", filters, fragments=("group_members",), group=group, window_from=start
    )


def pooled(counts: pd.DataFrame, group: str) -> pd.DataFrame:
    """Groups with fewer than MIN_STAFF staff summed into one row (so they count, without a tiny group's rate
    swinging the picture), then each row's rates. Groups without staff on record have no rates."""
    small = counts[counts["staff"] < MIN_STAFF]
    large = counts[counts["staff"] >= MIN_STAFF]
    rows = [{"group": row["group"], "pooled": 1, **{c: row[c] for c in COUNTS}} for _, row in large.iterrows()]
    if len(small):
        name = SMALL.format(group=group, count=len(small))
        rows.append({"group": name, "pooled": len(small), **{c: small[c].sum() for c in COUNTS}})
    frame = pd.DataFrame(rows, columns=["group", "pooled", *COUNTS])
    staff = frame["staff"].where(frame["staff"] > 0)
    frame["mandatory_on_time_pct"] = (
        100 * frame["mandatory_on_time"] / frame["mandatory_due"].where(frame["mandatory_due"] > 0)
    )
    frame["hours_per_head"] = frame["hours"] / staff
    frame["findings_per_100"] = 100 * frame["findings"] / staff
    frame["majors_per_100"] = 100 * frame["majors"] / staff
    frame["repeat_pct"] = 100 * frame["repeats"] / frame["ncs"].where(frame["ncs"] > 0)
    return frame


@dataclass(frozen=True)
class Correlation:
    x: str
    y: str
    rho: float | None  # Spearman's rank correlation; None when it cannot be worked out
    p_value: float | None
    n: int  # groups with both values


def spearman(frame: pd.DataFrame, x: str, y: str) -> Correlation:
    """Spearman's rho across the groups with both values (scipy.stats.spearmanr), with its two-sided p-value."""
    both = frame[[x, y]].dropna()
    n = len(both)
    if n < MIN_GROUPS or both[x].nunique() < 2 or both[y].nunique() < 2:
        return Correlation(x, y, None, None, n)
    result = scipy_stats.spearmanr(both[x].astype(float), both[y].astype(float))
    rho, p_value = float(result.statistic), float(result.pvalue)
    if math.isnan(rho):
        return Correlation(x, y, None, None, n)
    return Correlation(x, y, rho, p_value, n)


def correlations(frame: pd.DataFrame) -> list[Correlation]:
    return [spearman(frame, x, y) for x in TRAINING_MEASURES for y in OUTCOMES]


def p_words(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.2f}" if p_value >= 0.01 else f"p = {p_value:.3f}"


def rho_text(rho: float) -> str:
    """'+0.42', '−0.87': two decimals, signed, with a true minus sign as every number isokpi writes."""
    return f"{rho:+.2f}".replace("-", "\u2212")


def association_words(corr: Correlation, group: str) -> str:
    """One or two plain sentences: which way the ranks go, how sure, and what that cannot tell."""
    x_label, y_label = TRAINING_MEASURES[corr.x][0].lower(), OUTCOMES[corr.y][0].lower()
    if corr.rho is None:
        if corr.n < MIN_GROUPS:
            return (
                f"Only {corr.n} {group}s have both values: too few to rank against each other "
                f"(at least {MIN_GROUPS} are needed)."
            )
        return f"The {group}s do not differ in {x_label} or in {y_label}, so there is nothing to rank."
    more, fewer = TENDENCIES[corr.y]
    measured = f"Spearman's rho {rho_text(corr.rho)}, {p_words(corr.p_value)}, n = {corr.n} {group}s"
    if corr.p_value < SIGNIFICANCE:
        first = (
            f"{group.capitalize()}s with higher {x_label} tend to have {more if corr.rho > 0 else fewer} ({measured})."
        )
    else:
        first = f"No clear association between {x_label} and {y_label} ({measured}): the ranks could be this far from random by chance."
    return first


def caveat_words(n: int, group: str) -> str:
    """What a rank correlation across groups cannot tell."""
    return (
        f"An association is not a cause: {group}s differ in their work, in how often they are audited and in how "
        f"readily they report findings, and with n = {n} one {group} can move the result. Findings are counted where "
        f"they were found, training where the people work."
    )


def correlation_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every training measure against every outcome: rho, p and n (the table under the scatter)."""
    return pd.DataFrame(
        [
            {
                "training": TRAINING_MEASURES[c.x][0],
                "outcome": OUTCOMES[c.y][0],
                "spearman_rho": c.rho,
                "p_value": c.p_value,
                "n": c.n,
            }
            for c in correlations(frame)
        ]
    )


def outcome_figure(frame: pd.DataFrame, x: str, y: str, group: str) -> go.Figure:
    """One dot per group, named, with the training measure across and the outcome up."""
    shown = frame.dropna(subset=[x, y])
    x_label, x_unit, _ = TRAINING_MEASURES[x]
    y_label, y_unit, _ = OUTCOMES[y]
    figure = go.Figure(
        go.Scatter(
            x=shown[x], y=shown[y], mode="markers+text", text=[plotly_text(name) for name in shown["group"]],
            textposition="top center", marker={"size": 11, "color": [NEUTRAL if p > 1 else GOOD for p in shown["pooled"]]},
            customdata=shown[["staff"]].to_numpy(),
            hovertemplate="%{text}<br>" + f"{x_label}: %{{x:.3~g}} {x_unit}<br>{y_label}: %{{y:.3~g}} {y_unit}"
            + "<br>staff on record: %{customdata[0]}<extra></extra>",
        )
    )  # fmt: skip
    theme(
        figure,
        title=scatter_title(x, y, group),
        x_title=f"{x_label} ({x_unit})",
        y_title=f"{y_label} ({y_unit})",
        height=420,
    )
    figure.update_layout(hovermode="closest", showlegend=False)
    return figure


def outcomes_chart(database: Database, filters: Filters, group: str, x: str, y: str) -> Chart:
    """The scatter of one training measure against one outcome, with the per-group table it was drawn from."""
    frame = pooled(group_counts(database, filters, group), group)
    drawable = frame.dropna(subset=[x, y])
    return Chart(frame, None if drawable.empty else outcome_figure(frame, x, y, group))


def window_words(filters: Filters) -> str:
    start, end = window(filters)
    return f"{start:%d %b %Y} to {end:%d %b %Y}"


def scatter_title(x: str, y: str, group: str) -> str:
    return f"{OUTCOMES[y][0]} against {TRAINING_MEASURES[x][0].lower()}, per {group}"


def method_words(filters: Filters, group: str) -> str:
    """How the scatter and its correlation are made, under it on the Training page and in the packs."""
    return (
        f"From {window_words(filters)}. One dot per {group}; {group}s with fewer than {MIN_STAFF} staff on record are "
        f"pooled into one (grey). Spearman's rank correlation across {group}s."
    )


def correlation_rows(frame: pd.DataFrame) -> list[list[str]]:
    """correlation_frame as people read it: training measure, outcome, rho, p and n (a dash where none)."""
    return [
        [
            TRAINING_MEASURES[c.x][0],
            OUTCOMES[c.y][0],
            "–" if c.rho is None else rho_text(c.rho),
            "–" if c.p_value is None else p_words(c.p_value),
            str(c.n),
        ]
        for c in correlations(frame)
    ]


CORRELATION_COLUMNS = ["Training", "Outcome", "Spearman's rho", "p", "n"]
# What the review packs show: the Training page's question in its own words, mandatory training against findings.
PACK_GROUP, PACK_X, PACK_Y = "department", "mandatory_on_time_pct", "findings_per_100"


def pack_outcomes(database: Database, filters: Filters) -> dict:
    """Training against outcomes for the review packs, JSON-ready: the Training page's section for these filters
    (per department, mandatory training on time against findings per 100 staff) with the very numbers and words
    that page shows: the named dots, Spearman's rho, p and n, and what they do and do not show."""
    group, x, y = PACK_GROUP, PACK_X, PACK_Y
    frame = pooled(group_counts(database, filters, group), group)
    correlation = spearman(frame, x, y)
    shown = frame.dropna(subset=[x, y])
    return {
        "group": group,
        "x": x,
        "y": y,
        "title": scatter_title(x, y, group),
        "x_title": f"{TRAINING_MEASURES[x][0]} ({TRAINING_MEASURES[x][1]})",
        "y_title": f"{OUTCOMES[y][0]} ({OUTCOMES[y][1]})",
        "points": [
            {
                "group": str(row["group"]),
                "pooled": int(row["pooled"]),
                "staff": int(row["staff"]),
                "x": float(row[x]),
                "y": float(row[y]),
            }
            for _, row in shown.iterrows()
        ],
        "rho": correlation.rho,
        "p_value": correlation.p_value,
        "n": correlation.n,
        "association": association_words(correlation, group),
        "method": method_words(filters, group),
        "caveat": caveat_words(correlation.n, group),
        "correlations": correlation_rows(frame),
    }


def pack_figure(outcomes: dict, *, width: int | None = None) -> go.Figure | None:
    """The packs' scatter, drawn from pack_outcomes() as the Training page draws its own (outcome_figure)."""
    if not outcomes["points"]:
        return None
    x, y = outcomes["x"], outcomes["y"]
    frame = pd.DataFrame(
        [
            {"group": p["group"], "pooled": p["pooled"], "staff": p["staff"], x: p["x"], y: p["y"]}
            for p in outcomes["points"]
        ]
    )
    figure = outcome_figure(frame, x, y, outcomes["group"])
    if width:
        figure.update_layout(width=width)
    return figure
