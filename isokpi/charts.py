"""One plotly look for every chart, and the charts the KPI pages share. No streamlit here.

Colours carry one meaning everywhere and stay apart for colour-blind readers (blue/orange/grey, as in the
NHS "Making Data Count" icons): improvement or good is blue, concern or bad is orange, common cause or
neutral is grey. Charts receive aggregates (a few hundred points at most), never raw rows.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from isokpi import stats
from isokpi.format import clamp, hover
from isokpi.kpis import Series
from isokpi.narrative import kpi_finding
from isokpi.periods import period_last_day, period_name
from isokpi.safety import plotly_text

GOOD = "#1f6fb4"  # blue
BAD = "#e07000"  # orange
NEUTRAL = "#8a8f98"  # grey
TARGET = "#2b2b2b"
LIMIT = "#9aa3ad"
GRID = "#e8ebef"
FONT = "Source Sans Pro, sans-serif"  # Streamlit's bundled font: nothing is fetched from a CDN

TITLE_WIDTH = 110  # characters per title line before it wraps
NOTE_WIDTH = 40  # characters of a note shown on the chart; the whole note shows on hover

# Plotly's own toolbar would offer a PNG export; the page offers the data as CSV instead.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"], "responsive": True}


def _escaped(value: object, key: str = "") -> object:
    """`value` with every string in it escaped for plotly, however deep (lists, tuples, numpy arrays, dicts such
    as a table's header); the very same object when it holds no text to change. `key` is the property holding it:
    a hover or text template keeps plotly's own <extra> around what it escapes."""
    if isinstance(value, str):
        escaped = plotly_text(value)
        if key.endswith("template"):
            escaped = escaped.replace("&lt;extra&gt;", "<extra>").replace("&lt;/extra&gt;", "</extra>")
        return value if escaped == value else escaped
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "OUS":  # numbers and dates carry no text
            return value
        items = value.tolist()
        escaped_items = _escaped(items, key)
        return value if escaped_items is items else escaped_items
    if isinstance(value, dict):
        escaped_dict = {name: _escaped(item, name) for name, item in value.items()}
        same = all(escaped_dict[name] is item for name, item in value.items())
        return value if same else escaped_dict
    if isinstance(value, list | tuple):
        escaped_list = [_escaped(item, key) for item in value]
        return value if all(new is old for new, old in zip(escaped_list, value, strict=True)) else escaped_list
    return value


def _sanitise_traces(figure: go.Figure) -> None:
    """Every text a trace carries may come from uploaded data (sites, departments, clauses, root causes, survey ids,
    courses): x, y, text, hovertext, customdata, labels, names, table cells, colour bar titles... all escaped,
    and what our code wrote into a hover template around them too."""
    for trace in figure.data:
        for name, value in trace.to_plotly_json().items():
            escaped = _escaped(value, name)
            if escaped is not value:
                trace[name] = escaped


def _sanitise_layout(figure: go.Figure) -> None:
    """Titles, axis tick texts and category orders, annotations (subplot titles: a department's name; notes),
    legend titles: escaped as the traces are, so that a category order still names the escaped categories."""
    for name, value in figure.layout.to_plotly_json().items():
        if name == "template":  # plotly's own look, no user text
            continue
        escaped = _escaped(value, name)
        if escaped is not value:
            figure.layout[name] = escaped


def sanitise(figure: go.Figure) -> go.Figure:
    """Every string `figure` draws escaped for plotly, which reads <tags> in any of them as markup (bold, styles,
    links). Escaping twice changes nothing, so a figure changed after theme() can pass through again."""
    _sanitise_traces(figure)
    _sanitise_layout(figure)
    return figure


def theme(figure: go.Figure, *, title: str, y_title: str = "", x_title: str = "", height: int = 360) -> go.Figure:
    """The house style: the finding as the title, units on the axes, quiet grid, no legend clutter. Every text
    that can hold uploaded data is escaped here, the one place every chart passes through."""
    figure.update_layout(
        title={"text": plotly_text(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        font={"family": FONT, "size": 12, "color": "#262730"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
        margin={"l": 56, "r": 16, "t": 56, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="x unified",
    )
    figure.update_xaxes(title=plotly_text(x_title), showgrid=False, linecolor=GRID)
    figure.update_yaxes(title=plotly_text(y_title), gridcolor=GRID, zeroline=False)
    return sanitise(figure)


def axis_title(series: Series) -> str:
    return series.kpi.unit


def _wrapped_title(title: str, width: int = TITLE_WIDTH) -> tuple[str, int]:
    """The title broken into lines that fit the chart, and how many lines it took."""
    lines = textwrap.wrap(plotly_text(title), width=width) or [""]
    return "<br>".join(lines), len(lines)


def _visible_notes(series: Series, notes) -> list[tuple[dt.date, str]]:
    """The notes that fall within the chart's periods, in date order."""
    if not series.points:
        return []
    first = series.points[0].period
    last = period_last_day(series.points[-1].period, series.grain)
    return sorted(((period, text) for period, text in notes if first <= period <= last), key=lambda note: note[0])


def xmr_chart(series: Series, *, title: str, notes: Sequence[tuple[dt.date, str]] = (), height: int = 380) -> go.Figure:
    """Values, mean, process limits and target over time; special causes marked in the verdict colour; notes as
    dotted lines with their text (user text, escaped)."""
    kpi = series.kpi
    hover_template = hover(kpi.unit)
    shown = series.shown
    x = [p.period for p in shown]
    figure = go.Figure()
    if any(p.ci for p in shown):
        lower = [p.ci[0] if p.ci else None for p in shown]
        upper = [p.ci[1] if p.ci else None for p in shown]
        figure.add_trace(
            go.Scatter(
                x=x, y=upper, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip", name="95% interval"
            )
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=lower,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(138,143,152,0.15)",
                name="95% interval",
                hoverinfo="skip",
            )
        )
    for start, end, limits in _segment_spans(series):
        span = [series.points[i].period for i in range(start, end)]
        if not span:
            continue
        lines = (
            (limits.mean, "mean", "solid"),
            (clamp(limits.ucl, kpi.unit), "process limits", "dot"),
            (clamp(limits.lcl, kpi.unit), "process limits", "dot"),
        )
        for number, (value, name, dash) in enumerate(lines):
            figure.add_trace(
                go.Scatter(
                    x=span, y=[value] * len(span), mode="lines", name=name, line={"color": LIMIT, "dash": dash, "width": 1},
                    showlegend=start == 0 and number < 2, legendgroup=name, hoverinfo="skip",
                )
            )  # fmt: skip
    targets = [p.target for p in shown]
    if any(t is not None for t in targets):
        figure.add_trace(
            go.Scatter(
                x=x, y=targets, mode="lines", name="target", line={"color": TARGET, "dash": "dash", "width": 1.5},
                line_shape="hv", hovertemplate=hover_template,
            )
        )  # fmt: skip
    # Every period of the series, so that a period without a value breaks the line as it breaks the rules.
    figure.add_trace(
        go.Scatter(
            x=[p.period for p in series.points], y=[None if p.suppressed else p.value for p in series.points],
            mode="lines+markers", name="value", line={"color": NEUTRAL, "width": 2}, marker={"size": 6},
            hovertemplate=hover_template, connectgaps=False,
        )
    )  # fmt: skip
    provisional = [p for p in shown if p.provisional]
    if provisional:
        figure.add_trace(
            go.Scatter(
                x=[p.period for p in provisional], y=[p.value for p in provisional], mode="markers",
                name="provisional", marker={"size": 10, "color": "white", "line": {"width": 2, "color": NEUTRAL}},
                text=[f"{period_name(p.period, series.grain)}: provisional, data still arriving" for p in provisional],
                hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    marked = _signal_points(series)
    if marked:
        figure.add_trace(
            go.Scatter(
                x=[m[0] for m in marked], y=[m[1] for m in marked], mode="markers", name="special cause",
                marker={"size": 10, "color": [m[2] for m in marked], "line": {"width": 1, "color": "white"}},
                text=[m[3] for m in marked], hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    middle = series.points[len(series.points) // 2].period if series.points else None
    for number, (period, text) in enumerate(_visible_notes(series, notes)):
        short = text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1].rstrip() + "…"
        figure.add_vline(x=period, line={"color": "#b0b7c3", "width": 1, "dash": "dot"})
        # Text runs into the chart, never past its edge (which would stretch the time axis).
        figure.add_annotation(
            x=period, y=1 - 0.09 * (number % 4), yref="paper", text=plotly_text(short), hovertext=plotly_text(text),
            showarrow=False, xanchor="left" if period < middle else "right", yanchor="top",
            font={"size": 11, "color": "#56606e"}, bgcolor="rgba(255,255,255,0.85)",
        )  # fmt: skip
    if not shown:
        figure.add_annotation(
            text="No values for these filters", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
            font={"size": 13, "color": NEUTRAL},
        )  # fmt: skip
    wrapped, lines = _wrapped_title(title)
    theme(figure, title=wrapped, y_title=axis_title(series), height=height + 18 * (lines - 1))
    figure.update_layout(margin={"t": 40 + 20 * lines})
    if series.grain == "month":
        figure.update_xaxes(tickformat="%b %Y")
    return figure


def xmr_frame(series: Series) -> pd.DataFrame:
    """The data an XmR chart is drawn from, one row per period, for its CSV download."""
    limits_at: dict[int, stats.XmR] = {}
    for start, end, limits in _segment_spans(series):
        for index in range(start, end):
            limits_at[index] = limits
    rules: dict[int, list[str]] = {}
    for mark in series.marks:
        rules.setdefault(mark.index, []).append(RULE_TEXT[mark.rule])
    rows = []
    for index, point in enumerate(series.points):
        limits = limits_at.get(index)
        rows.append(
            {
                "period": point.period,
                "value": point.value,
                "n": None if point.suppressed else point.n,
                "target": point.target,
                "mean": limits.mean if limits else None,
                "lcl": clamp(limits.lcl, series.kpi.unit) if limits else None,
                "ucl": clamp(limits.ucl, series.kpi.unit) if limits else None,
                "ci_low": point.ci[0] if point.ci else None,
                "ci_high": point.ci[1] if point.ci else None,
                "special_cause": point.special_cause,
                "provisional": point.provisional,
                "signal": "; ".join(rules.get(index, [])),
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


FRAME_COLUMNS = [
    "period", "value", "n", "target", "mean", "lcl", "ucl", "ci_low", "ci_high", "special_cause", "provisional", "signal"
]  # fmt: skip


def _segment_spans(series: Series) -> list[tuple[int, int, stats.XmR]]:
    """Each rebase group's rows [start, end) with its limits (a group without limits has no span)."""
    return [(limits.span[0], limits.span[1], limits) for limits in series.segments]


RULE_TEXT = {
    stats.OUTSIDE_LIMITS: "outside the process limits",
    stats.TREND_OF_7: "7 or more rising or falling in a row",
    stats.TWO_OF_THREE: "2 of 3 beyond two sigma on one side of the mean",
    stats.RUN_OF_7: "7 or more in a row on one side of the mean",
}


def _signal_points(series: Series) -> list[tuple[dt.date, float, str, str]]:
    """Special-cause points in the colour of their class, with every rule that marks them."""
    rules: dict[int, list[str]] = {}
    for mark in series.marks:
        rules.setdefault(mark.index, []).append(RULE_TEXT[mark.rule])
    marked = []
    for signal in series.signals:
        point = series.points[signal.index]
        if point.value is None:
            continue
        colour = GOOD if point.special_cause == stats.IMPROVEMENT else BAD
        label = period_name(point.period, series.grain)
        marked.append((point.period, point.value, colour, f"{label}: {'; '.join(rules.get(signal.index, []))}"))
    return marked


# --- a KPI chart from a review record (the Review page and the HTML pack) ---------------------------------------


def record_chart(kpi: dict, *, height: int = 300, width: int | None = None) -> go.Figure:
    """A KPI's trend from its record: values, mean and process limits, target; special causes coloured.
    Months are categories, so a single month reads as that month rather than as a time axis."""
    periods = [p["period"] for p in kpi["points"]]
    values = [p["value"] for p in kpi["points"]]
    targets = [p["target"] for p in kpi["points"]]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=periods,
            y=values,
            mode="lines+markers",
            name=kpi["unit"],
            line={"color": NEUTRAL, "width": 2},
            marker={"size": 6},
            connectgaps=False,
        )
    )
    if kpi.get("mean") is not None:
        for value, name, dash in (
            (kpi["mean"], "mean", "solid"),
            (kpi["ucl"], "process limits", "dot"),
            (kpi["lcl"], "", "dot"),
        ):
            figure.add_trace(
                go.Scatter(
                    x=periods,
                    y=[value] * len(periods),
                    mode="lines",
                    name=name or "process limits",
                    showlegend=bool(name),
                    line={"color": LIMIT, "dash": dash, "width": 1},
                    hoverinfo="skip",
                )
            )
    if any(target is not None for target in targets):
        figure.add_trace(
            go.Scatter(
                x=periods,
                y=targets,
                mode="lines",
                name="target",
                line={"color": TARGET, "dash": "dash", "width": 1.5},
            )
        )
    flagged = _record_signals(kpi)
    if flagged:
        figure.add_trace(
            go.Scatter(
                x=[period for period, _, _ in flagged],
                y=[value for _, value, _ in flagged],
                mode="markers",
                name="special cause",
                marker={"size": 10, "color": [colour for _, _, colour in flagged]},
            )
        )
    # The finding is the title; its period goes on a second line so it fits beside another chart.
    finding = kpi_finding(kpi)
    span = re.search(r" (\([^()]* to [^()]*\))$", finding)  # "(2025-11 to 2026-10)" goes on its own line
    lines = [*textwrap.wrap(finding[: span.start()], 52), span.group(1)] if span else textwrap.wrap(finding, 52)
    theme(figure, title="<br>".join(lines), y_title=kpi["unit"], height=height)
    figure.update_layout(
        title={"font": {"size": 13}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0},
        margin={"l": 56, "r": 16, "t": 30 + 17 * len(lines), "b": 64},
        width=width,
        xaxis={"type": "category", "tickangle": 0, "nticks": 6},
    )
    return figure


def _record_signals(kpi: dict) -> list[tuple[str, float, str]]:
    values = {p["period"]: p["value"] for p in kpi["points"]}
    flagged = {}
    for signal in kpi.get("signals", []):
        good = (signal["side"] == "high") == (kpi["direction"] == "higher")
        if values.get(signal["period"]) is not None:
            flagged[signal["period"]] = (
                signal["period"],
                values[signal["period"]],
                GOOD if good else BAD,
            )
    return list(flagged.values())
