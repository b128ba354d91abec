"""One plotly look for every chart, and the charts the KPI pages share. No streamlit here.

Colours carry one meaning everywhere and stay apart for colour-blind readers (blue/orange/grey, as in the
NHS "Making Data Count" icons): improvement or good is blue, concern or bad is orange, common cause or
neutral is grey. Charts receive aggregates (a few hundred points at most), never raw rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from isokpi import stats, words
from isokpi.format import clamp, hover
from isokpi.kpis import Series, series_dict
from isokpi.narrative import record_texts
from isokpi.periods import period_from_label, period_last_day, period_name
from isokpi.safety import plotly_text

GOOD = "#1f6fb4"  # blue
BAD = "#e07000"  # orange
NEUTRAL = "#8a8f98"  # grey
TARGET = "#2b2b2b"
LIMIT = "#9aa3ad"
GRID = "#e8ebef"
FONT = "Source Sans Pro, sans-serif"  # Streamlit's bundled font: nothing is fetched from a CDN

TITLE_WIDTH = 110  # characters per title line of a full-width KPI chart before it wraps
TITLE_WRAP = 56  # characters per title line of the other charts: they may sit in a half-width column at 1280 px
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


def _props(element) -> dict:
    """What a trace or the layout holds, read in place: to_plotly_json() deep-copies it first, which cost the Sites
    page 1.05 s of its 24 charts on every run (the escaping only reads, and writes through plotly's own setters)."""
    return element._props or {}


def _sanitise_traces(figure: go.Figure) -> None:
    """Every text a trace carries may come from uploaded data (sites, departments, clauses, root causes, survey ids,
    courses): x, y, text, hovertext, customdata, labels, names, table cells, colour bar titles... all escaped,
    and what our code wrote into a hover template around them too."""
    for trace in figure.data:
        for name, value in list(_props(trace).items()):
            escaped = _escaped(value, name)
            if escaped is not value:
                trace[name] = escaped


def _sanitise_layout(figure: go.Figure) -> None:
    """Titles, axis tick texts and category orders, annotations (subplot titles: a department's name; notes),
    legend titles: escaped as the traces are, so that a category order still names the escaped categories."""
    for name, value in list(_props(figure.layout).items()):
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


def theme(
    figure: go.Figure, *, title: str, y_title: str = "", x_title: str = "", height: int = 360,
    wrap: int | None = TITLE_WRAP,
) -> go.Figure:  # fmt: skip
    """The house style: the finding as the title (wrapped at `wrap` characters a line; None when the caller
    wrapped it), units on the axes, quiet grid, no legend clutter. Every text that can hold uploaded data is
    escaped here, the one place every chart passes through."""
    title, lines = (plotly_text(title), title.count("<br>") + 1) if wrap is None else _wrapped_title(title, wrap)
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        font={"family": FONT, "size": 12, "color": "#262730"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height + 18 * (lines - 1),
        margin={"l": 56, "r": 16, "t": 36 + 20 * lines, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="x unified",
    )
    figure.update_xaxes(title=plotly_text(x_title), showgrid=False, linecolor=GRID)
    figure.update_yaxes(title=plotly_text(y_title), gridcolor=GRID, zeroline=False)
    return sanitise(figure)


def small_multiples(titles: Sequence[str], spacing: float = 0.12) -> tuple[go.Figure, int, int]:
    """An empty grid of panels, at most four a row, on shared axes: (the figure, its columns, its rows)."""
    columns = min(4, len(titles))
    rows = math.ceil(len(titles) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=list(titles),
        horizontal_spacing=0.03,
        vertical_spacing=spacing if rows > 1 else 0.0,
    )
    return figure, columns, rows


def share_line(x, y, name: str, marker_size: int = 5, **options) -> go.Scatter:
    """A percentage drawn as a thin dark line on the right-hand axis (share_axis), over the bars of its counts."""
    return go.Scatter(
        x=x, y=y, name=name, mode="lines+markers", yaxis="y2", line={"color": TARGET, "width": 1.5},
        marker={"size": marker_size}, **options,
    )  # fmt: skip


def share_axis(figure: go.Figure, title: str, **options) -> go.Figure:
    """The right-hand axis of a share_line: a percentage, no grid of its own."""
    axis = {"title": {"text": title}, "overlaying": "y", "side": "right", "showgrid": False, **options}
    figure.update_layout(yaxis2=axis, margin={"r": 56})
    return figure


def sparkline(x: Sequence, values: Sequence[float | None], label: str) -> go.Figure:
    """A tile's sparkline: the latest values as a thin grey line, no axes, no title. (Streamlit's own metric
    sparkline draws marks that screen readers and axe-core find without a text alternative.) Kept while its values
    are as they were (8 figures built again on every overview run cost 0.25 s); shared, so read-only."""
    return _sparkline(tuple(x), tuple(values), label)


@functools.lru_cache(maxsize=256)
def _sparkline(x: tuple, values: tuple[float | None, ...], label: str) -> go.Figure:
    figure = go.Figure(
        go.Scatter(x=list(x), y=list(values), mode="lines", line={"color": NEUTRAL, "width": 1.5}, name=label,
                   hoverinfo="skip")
    )  # fmt: skip
    figure.update_layout(
        height=48, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False, paper_bgcolor="white",
        plot_bgcolor="white", xaxis={"visible": False}, yaxis={"visible": False},
    )  # fmt: skip
    return sanitise(figure)


def period_axis(figure: go.Figure, grain: str) -> go.Figure:
    """A time axis read as the series' periods: 'Nov 2026' for months; for quarters and years one tick per period,
    labelled 'Q3 2026' or '2026' (plotly would label them as months)."""
    if grain == "month":
        figure.update_xaxes(tickformat="%b %Y")
        return figure
    days = set()
    for trace in figure.data:
        for x in trace.x if trace.x is not None else ():
            if x is not None and not isinstance(x, str):
                days.add(pd.Timestamp(x).date())
    ticks = sorted(days)
    figure.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[period_name(day, grain) for day in ticks])
    return figure


def _wrapped_title(title: str, width: int = TITLE_WRAP) -> tuple[str, int]:
    """The title broken into lines that fit the chart, and how many lines it took."""
    lines = textwrap.wrap(plotly_text(title), width=width) or [""]
    return "<br>".join(lines), len(lines)


# --- a KPI's process-behaviour chart: one builder for the pages, the review and the packs ------------------------


def point_start(point: dict, grain: str) -> dt.date:
    """The first day of a point's period, from a series' JSON (kpis.series_dict, or a review record's KPI)."""
    if point.get("start"):
        return dt.date.fromisoformat(point["start"])
    return period_from_label(point["period"], grain)  # a record frozen before points carried their start


def point_limits(kpi: dict, point: dict) -> tuple[float | None, float | None, float | None]:
    """(mean, lower, upper) process limits of a point as the chart draws them: the point's own rebase group's,
    within what the unit allows."""
    if "mean" in point:
        mean, lpl, upl = point["mean"], point["lpl"], point["upl"]
    else:  # a record frozen before points carried their limits: one set for the series
        mean, lpl, upl = kpi.get("mean"), kpi.get("lcl"), kpi.get("ucl")
    unit = kpi["unit"]
    return mean, None if lpl is None else clamp(lpl, unit), None if upl is None else clamp(upl, unit)


def special_cause_of(kpi: dict, point: dict) -> str | None:
    if "special_cause" in point:
        return point["special_cause"]
    signal = next((s for s in kpi.get("signals", []) if s["period"] == point["period"]), None)
    if signal is None:
        return None
    return stats.IMPROVEMENT if (signal["side"] == stats.HIGH) == (kpi["direction"] == stats.HIGHER) else stats.CONCERN


def kpi_figure(
    kpi: dict, *, title: str, notes: Sequence[tuple[dt.date, str]] = (), height: int = 380, width: int | None = None
) -> go.Figure:
    """Values, mean, process limits and target over time; special causes marked in the colour of their class,
    provisional points hollow; notes as dotted lines with their text (user text, escaped). `kpi` is a series as
    JSON (kpis.series_dict, or a review record's KPI): the Pillar page, the review page and the HTML pack draw
    the same chart from the same numbers."""
    grain, unit = kpi["period"], kpi["unit"]
    points = kpi["points"]
    x = [point_start(p, grain) for p in points]
    values = [None if p.get("suppressed") else p["value"] for p in points]
    limits = [point_limits(kpi, p) for p in points]
    hover_template = hover(unit)
    figure = go.Figure()
    if any(p.get("ci") for p in points):
        for bound, fill in ((1, None), (0, "tonexty")):
            figure.add_trace(
                go.Scatter(
                    x=x, y=[p["ci"][bound] if p.get("ci") else None for p in points], mode="lines",
                    line={"width": 0}, fill=fill, fillcolor="rgba(138,143,152,0.15)", name="95% interval",
                    showlegend=False, hoverinfo="skip",
                )
            )  # fmt: skip
    lines = ((words.MEAN_LINE, "solid"), (words.LOWER_LINE, "dot"), (words.UPPER_LINE, "dot"))
    for position, (name, dash) in enumerate(lines):
        line = [limit[position] for limit in limits]
        if any(value is not None for value in line):
            figure.add_trace(
                go.Scatter(
                    x=x, y=line, mode="lines", name=name, line={"color": LIMIT, "dash": dash, "width": 1},
                    hoverinfo="skip", connectgaps=False,
                )
            )  # fmt: skip
    targets = [p["target"] for p in points]
    if any(t is not None for t in targets):
        figure.add_trace(
            go.Scatter(
                x=x, y=targets, mode="lines", name=words.TARGET_LINE, line={"color": TARGET, "dash": "dash", "width": 1.5},
                line_shape="hv", hovertemplate=hover_template,
            )
        )  # fmt: skip
    # Every period of the series, so that a period without a value breaks the line as it breaks the rules.
    figure.add_trace(
        go.Scatter(
            x=x, y=values, mode="lines+markers", name=words.VALUE_LINE, line={"color": NEUTRAL, "width": 2}, marker={"size": 6},
            hovertemplate=hover_template, connectgaps=False,
        )
    )  # fmt: skip
    _mark_points(figure, kpi, x, values)
    _draw_notes(figure, x, grain, notes)
    if not any(v is not None for v in values):
        figure.add_annotation(
            text="No values for these filters", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
            font={"size": 13, "color": NEUTRAL},
        )  # fmt: skip
    wrapped, lines = _wrapped_title(title, TITLE_WIDTH if width is None else max(40, width // 9))
    theme(figure, title=wrapped, y_title=unit, height=height, wrap=None)
    figure.update_layout(margin={"t": 40 + 20 * lines}, width=width)
    more = LEGEND_ROW * (_legend_rows(figure, width) - 1)
    if more:  # a narrow chart's legend wraps: its rows go between the title, moved to the top, and the plot
        figure.update_layout(
            margin={"t": 40 + 20 * lines + more}, height=figure.layout.height + more,
            title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 10}},
        )  # fmt: skip
    return period_axis(figure, grain)


LEGEND_ROW = 22  # px a row of legend takes


def _legend_rows(figure: go.Figure, width: int | None) -> int:
    """About how many rows the horizontal legend takes on a chart `width` px wide (one on a page's full-width
    chart): each entry is its symbol and ~7 px a character."""
    if width is None:
        return 1
    room, rows, used = width - 72, 1, 0  # the margins: 56 left, 16 right
    for trace in figure.data:
        if trace.showlegend is False or not trace.name:
            continue
        entry = 40 + 7 * len(trace.name)
        if used and used + entry > room:
            rows, used = rows + 1, 0
        used += entry
    return rows


def _mark_points(figure: go.Figure, kpi: dict, x: list[dt.date], values: list[float | None]) -> None:
    """Special-cause points in the colour of their class with the rule that set it; provisional points hollow."""
    grain = kpi["period"]
    rules = {s["period"]: words.RULES.get((s["rule"], s["side"]), s["rule"]) for s in kpi.get("signals", [])}
    special, provisional = [], []
    for day, value, point in zip(x, values, kpi["points"], strict=True):
        if value is None:
            continue
        name = period_name(day, grain)
        if point.get("provisional"):
            provisional.append((day, value, f"{name}: provisional, data still arriving"))
        elif special_cause_of(kpi, point) in (stats.IMPROVEMENT, stats.CONCERN):
            colour = GOOD if special_cause_of(kpi, point) == stats.IMPROVEMENT else BAD
            special.append((day, value, colour, f"{name}: {rules.get(point['period'], 'special cause')}"))
    if provisional:
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in provisional], y=[p[1] for p in provisional], mode="markers", name=words.PROVISIONAL_MARKS,
                marker={"size": 10, "color": "white", "line": {"width": 2, "color": NEUTRAL}},
                text=[p[2] for p in provisional], hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    if special:
        figure.add_trace(
            go.Scatter(
                x=[m[0] for m in special], y=[m[1] for m in special], mode="markers", name=words.SPECIAL_CAUSE_MARKS,
                marker={"size": 10, "color": [m[2] for m in special], "line": {"width": 1, "color": "white"}},
                text=[m[3] for m in special], hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip


def _draw_notes(figure: go.Figure, x: list[dt.date], grain: str, notes: Sequence[tuple[dt.date, str]]) -> None:
    """Notes within the chart's periods as dotted lines with their text, running into the chart, never past its
    edge (which would stretch the time axis)."""
    if not x:
        return
    first, last, middle = x[0], period_last_day(x[-1], grain), x[len(x) // 2]
    shown = sorted(((period, text) for period, text in notes if first <= period <= last), key=lambda note: note[0])
    for number, (period, text) in enumerate(shown):
        brief = text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1].rstrip() + "…"
        figure.add_vline(x=period, line={"color": "#b0b7c3", "width": 1, "dash": "dot"})
        figure.add_annotation(
            x=period, y=1 - 0.09 * (number % 4), yref="paper", text=plotly_text(brief), hovertext=plotly_text(text),
            showarrow=False, xanchor="left" if period < middle else "right", yanchor="top",
            font={"size": 11, "color": "#56606e"}, bgcolor="rgba(255,255,255,0.85)",
        )  # fmt: skip


def xmr_chart(series: Series, *, title: str, notes: Sequence[tuple[dt.date, str]] = (), height: int = 380) -> go.Figure:
    """A KPI series as its process-behaviour chart (kpi_figure of its JSON)."""
    return kpi_figure(series_dict(series), title=title, notes=notes, height=height)


def record_chart(kpi: dict, *, height: int = 320, width: int | None = None) -> go.Figure:
    """A review record's KPI as its process-behaviour chart, titled with the sentence it was presented with."""
    return kpi_figure(kpi, title=record_texts(kpi)["sentence"], height=height, width=width)


FRAME_COLUMNS = [
    "period", "value", "n", "target", "mean", "lcl", "ucl", "ci_low", "ci_high", "special_cause", "provisional", "signal"
]  # fmt: skip


def xmr_frame(series: Series) -> pd.DataFrame:
    """The data an XmR chart is drawn from, one row per period, for its CSV download."""
    kpi = series_dict(series)
    rules: dict[int, list[str]] = {}
    for mark in series.marks:
        rules.setdefault(mark.index, []).append(words.RULE_NAMES[mark.rule])
    rows = []
    for index, (point, shown) in enumerate(zip(series.points, kpi["points"], strict=True)):
        mean, lcl, ucl = point_limits(kpi, shown)
        rows.append(
            {
                "period": point.period,
                "value": point.value,
                "n": None if point.suppressed else point.n,
                "target": point.target,
                "mean": mean,
                "lcl": lcl,
                "ucl": ucl,
                "ci_low": point.ci[0] if point.ci else None,
                "ci_high": point.ci[1] if point.ci else None,
                "special_cause": point.special_cause,
                "provisional": point.provisional,
                "signal": "; ".join(rules.get(index, [])),
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)
