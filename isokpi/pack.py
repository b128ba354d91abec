"""The review pack: PowerPoint with native charts that stay editable, a self-contained HTML page, the actions
register in Excel. Each is drawn from a review record (isokpi.review), so a closed review exports exactly as it was
presented. Text that a spreadsheet could run as a formula is neutralised everywhere; HTML escapes every text.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import textwrap
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from isokpi import charts
from isokpi import format as fmt
from isokpi.narrative import kpi_finding, verdict_line
from isokpi.review import STATUS_LABELS, compare
from isokpi.safety import export_text, html_text

FORMATS = ("pptx", "html")
MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHART_WIDTH = 480  # px: two fit side by side in the HTML pack's sections on screen, one fits an A4 page when printed
ACTIONS_PER_SLIDE = 12


def _period(record: dict) -> str:
    review = record["review"]
    return f"{_day(review['period_from'])} to {_day(review['period_to'])}"


def _day(iso: str | None) -> str:
    return "" if not iso else f"{dt.date.fromisoformat(iso[:10]):%d %b %Y}"


def _state(record: dict) -> str:
    review = record["review"]
    label = STATUS_LABELS.get(review["status"], review["status"])
    if review["status"] == "closed":
        return f"{label} on {_day(review['closed_at'])} by {review['closed_by']}"
    return label


def pillar_kpis(record: dict, pillar: dict) -> list[dict]:
    return [record["series"][kpi["id"]] for kpi in pillar["kpis"]]


def _section(record: dict, key: str) -> dict:
    return next(s for s in record["sections"] if s["key"] == key)


def register_rows(record: dict) -> list[dict]:
    """The actions the pack lists: those carried in as input a), then the decisions of this review."""
    carried = _section(record, "a").get("actions", [])
    seen = {a["id"] for a in carried}
    return carried + [a for a in record["actions"] if a["id"] not in seen]


SCORECARD_COLUMNS = ["Pillar", "Status", "KPIs on target", "Improving signals", "Concerning signals"]
ACTION_COLUMNS = ["ID", "Action", "Type", "Pillar", "Owner", "Due", "Status"]


def _scorecard_rows(record: dict) -> list[list[object]]:
    return [
        [p["name"], p["status"], f"{p['on_target']} of {p['with_target']}", p["improving"], p["concerning"]]
        for p in record["scorecard"]["pillars"]
    ]


def _action_rows(actions: list[dict]) -> list[list[object]]:
    return [
        [a["id"], a["title"], a["kind_label"], a["pillar_name"], a["owner"], a["due_on"] or "", a["status_label"]]
        for a in actions
    ]


def fact_value(fact: dict) -> str:
    """A fact of a 9.3.2 input as text: numbers in words with their unit, text made safe."""
    value = fact["value"]
    return fmt.value(value, fact.get("unit", "")) if isinstance(value, int | float) else export_text(value)


def chart_values(kpi: dict) -> tuple[list[str], list[float | None], list[float | None]]:
    """Categories, values (None where suppressed or missing) and targets of a KPI, as its charts plot them."""
    points = kpi["points"]
    return [p["period"] for p in points], [p["value"] for p in points], [p["target"] for p in points]


# --- the interactive chart (page and HTML pack) ------------------------------------------------------------


def trend_figure(kpi: dict, *, height: int = 300, width: int | None = None) -> go.Figure:
    """A KPI's trend from its record: values, mean and process limits, target; special causes coloured.
    Months are categories, so a single month reads as that month rather than as a time axis."""
    periods, values, targets = chart_values(kpi)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=periods,
            y=values,
            mode="lines+markers",
            name=kpi["unit"],
            line={"color": charts.NEUTRAL, "width": 2},
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
                    line={"color": charts.LIMIT, "dash": dash, "width": 1},
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
                line={"color": charts.TARGET, "dash": "dash", "width": 1.5},
            )
        )
    flagged = _signal_points(kpi)
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
    charts.theme(figure, title="<br>".join(lines), y_title=kpi["unit"], height=height)
    figure.update_layout(
        title={"font": {"size": 13}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0},
        margin={"l": 56, "r": 16, "t": 30 + 17 * len(lines), "b": 64},
        width=width,
        xaxis={"type": "category", "tickangle": 0, "nticks": 6},
    )
    return figure


def _signal_points(kpi: dict) -> list[tuple[str, float, str]]:
    values = {p["period"]: p["value"] for p in kpi["points"]}
    flagged = {}
    for signal in kpi.get("signals", []):
        good = (signal["side"] == "high") == (kpi["direction"] == "higher")
        if values.get(signal["period"]) is not None:
            flagged[signal["period"]] = (
                signal["period"],
                values[signal["period"]],
                charts.GOOD if good else charts.BAD,
            )
    return list(flagged.values())


def points_frame(kpi: dict) -> pd.DataFrame:
    """The aggregate a trend chart is drawn from, for its CSV download."""
    return pd.DataFrame(
        [
            {"kpi": kpi["id"], "period": p["period"], "value": p["value"], "target": p["target"], "n": p["n"]}
            for p in kpi["points"]
        ]
    )


# --- PowerPoint ------------------------------------------------------------------------------------------------


def pptx_bytes(record: dict, previous: dict | None = None) -> bytes:
    """The pack as PowerPoint: title; pillar scorecard; a slide per pillar with native line charts of its KPIs and
    their verdicts; findings and audits; 9.3.2 inputs; issues and risks; the comparison; the actions register."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    _title_slide(deck, record)
    _scorecard_slide(deck, record)
    for pillar in record["scorecard"]["pillars"]:
        _pillar_slide(deck, record, pillar)
    _findings_slide(deck, record)
    _inputs_slide(deck, record)
    _texts_slide(deck, record)
    if previous is not None:
        _comparison_slide(deck, compare(previous, record))
    _actions_slides(deck, register_rows(record))
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _inches(value: float):
    from pptx.util import Inches

    return Inches(value)


def _slide(deck, title: str, subtitle: str | None = None):
    from pptx.util import Pt

    slide = deck.slides.add_slide(deck.slide_layouts[5])  # "Title Only"
    heading = slide.shapes.title
    heading.left, heading.top, heading.width, heading.height = _inches(0.5), _inches(0.25), _inches(12.3), _inches(0.8)
    heading.text = export_text(title)
    for paragraph in heading.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(28)
    if subtitle:
        _textbox(slide, [subtitle], 0.5, 1.0, 12.3, 0.4, size=13)
    return slide


def _textbox(
    slide,
    lines: list[str],
    left: float,
    top: float,
    width: float,
    height: float,
    *,
    size: int = 12,
    bold_first: bool = False,
):
    from pptx.util import Pt

    box = slide.shapes.add_textbox(_inches(left), _inches(top), _inches(width), _inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = export_text(line)
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold_first and index == 0
    return box


def _table(
    slide,
    columns: list[str],
    rows: list[list[object]],
    left: float,
    top: float,
    width: float,
    *,
    size: int = 11,
    widths: list[float] | None = None,
):
    from pptx.util import Pt

    row_height = 0.22 + size / 72 * 1.1
    shape = slide.shapes.add_table(
        len(rows) + 1, len(columns), _inches(left), _inches(top), _inches(width), _inches(row_height * (len(rows) + 1))
    )
    table = shape.table
    if widths:
        for index, share in enumerate(widths):
            table.columns[index].width = _inches(width * share)
    for column, name in enumerate(columns):
        table.cell(0, column).text = export_text(name)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            table.cell(r, c).text = export_text(value)
    for cell_row in table.rows:
        for cell in cell_row.cells:
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    return shape


def _title_slide(deck, record: dict) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = _inches(0.8), _inches(1.8), _inches(11.7), _inches(1.8)
    title.text = export_text(record["review"]["title"])
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (
        _inches(0.8),
        _inches(3.9),
        _inches(11.7),
        _inches(1.6),
    )
    subtitle.text = export_text(
        f"ISO 9001 9.3 management review · period {_period(record)} · held {_day(record['review']['review_date'])}\n"
        f"{_state(record)}"
    )


def _scorecard_slide(deck, record: dict) -> None:
    slide = _slide(deck, "Pillar scorecard", f"Period {_period(record)}. {record['scorecard']['rule']}")
    _table(
        slide,
        SCORECARD_COLUMNS,
        _scorecard_rows(record),
        0.5,
        1.7,
        12.3,
        size=14,
        widths=[0.36, 0.16, 0.16, 0.16, 0.16],
    )


def _pillar_slide(deck, record: dict, pillar: dict) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Pt

    slide = _slide(
        deck,
        f"{pillar['name']}: {pillar['status']}",
        f"{pillar['on_target']} of {pillar['with_target']} KPIs on target; {pillar['improving']} improving and "
        f"{pillar['concerning']} concerning signal(s).",
    )
    kpis = pillar_kpis(record, pillar)
    columns = 2 if len(kpis) <= 4 else 3
    rows = math.ceil(len(kpis) / columns)
    cell_width, cell_height = 12.3 / columns, 5.9 / rows
    for index, kpi in enumerate(kpis):
        left = 0.5 + (index % columns) * cell_width
        top = 1.45 + (index // columns) * cell_height
        if kpi["latest"] is None:
            _textbox(
                slide,
                [kpi["name"], "No data in the review period."],
                left,
                top,
                cell_width - 0.2,
                1.0,
                size=12,
                bold_first=True,
            )
            continue
        periods, values, targets = chart_values(kpi)
        data = CategoryChartData()
        data.categories = periods
        data.add_series("Value", values)
        if any(target is not None for target in targets):
            data.add_series("Target", targets)
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.LINE_MARKERS,
            _inches(left),
            _inches(top),
            _inches(cell_width - 0.2),
            _inches(cell_height - 0.6),
            data,
        )
        frame.name = f"chart {kpi['id']}"
        chart = frame.chart
        chart.has_title = True
        chart.chart_title.text_frame.text = export_text(f"{kpi['name']} ({kpi['unit']})")
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(9)
        chart.font.size = Pt(9)
        plot = chart.plots[0]
        for series, colour in zip(plot.series, (charts.NEUTRAL, charts.TARGET), strict=False):
            series.smooth = False
            series.format.line.color.rgb = RGBColor.from_string(colour.lstrip("#"))
        _textbox(slide, [verdict_line(kpi)], left, top + cell_height - 0.6, cell_width - 0.2, 0.5, size=10)


def _findings_slide(deck, record: dict) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

    nonconformities, audits = _section(record, "c4"), _section(record, "c6")
    slide = _slide(deck, "Findings and audits", nonconformities["summary"])
    lines = [f"{fact['label']}: {fact_value(fact)}" for fact in nonconformities["facts"] + audits["facts"]]
    _textbox(slide, lines, 0.5, 1.6, 4.8, 5.5, size=14)
    table = next(iter(audits["tables"]), None)
    if table and table["rows"]:
        data = CategoryChartData()
        data.categories = [row[0] for row in table["rows"]]
        for index, name in enumerate(table["columns"][2:], start=2):
            data.add_series(name, [row[index] for row in table["rows"]])
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.COLUMN_CLUSTERED, _inches(5.6), _inches(1.6), _inches(7.2), _inches(5.4), data
        )
        frame.name = "chart findings by audit type"
        chart = frame.chart
        chart.has_title = True
        chart.chart_title.text_frame.text = "Findings raised in the period by audit type and severity"
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def _inputs_slide(deck, record: dict) -> None:
    done = len(record["completeness"]["with_evidence"])
    total = done + len(record["completeness"]["missing"])
    slide = _slide(deck, "ISO 9001 9.3.2 inputs", f"{done} of {total} inputs have evidence.")
    rows = [[s["clause"], s["title"], "yes" if s["evidence"] else "MISSING", s["summary"]] for s in record["sections"]]
    _table(
        slide,
        ["Input", "Topic", "Evidence", "What it shows"],
        rows,
        0.5,
        1.5,
        12.3,
        size=10,
        widths=[0.09, 0.3, 0.09, 0.52],
    )


def _texts_slide(deck, record: dict) -> None:
    slide = _slide(deck, "Issues, risks and opportunities", "Written for the meeting (9.3.2 b and e).")
    for index, key in enumerate(("b", "e")):
        section = _section(record, key)
        left = 0.5 + index * 6.2
        text = section["text"].strip() or "Not written."
        _textbox(
            slide,
            [f"{section['clause']} {section['title']}", *text.split("\n")],
            left,
            1.6,
            5.9,
            5.5,
            size=13,
            bold_first=True,
        )


def changed_rows(comparison: dict) -> list[list[str]]:
    """KPI, previous, this review, change: the KPIs that got worse first, then those that improved."""
    changed = [row for row in comparison["kpis"] if row["change"] in ("improved", "worse")]
    changed.sort(key=lambda row: (row["change"] != "worse", row["name"]))
    return [
        [row["name"], fmt.value(row["before"], row["unit"]), fmt.value(row["after"], row["unit"]), row["change"]]
        for row in changed
    ]


def _comparison_slide(deck, comparison: dict) -> None:
    previous = comparison["previous"]
    slide = _slide(
        deck,
        "Compared with the previous review",
        f"Previous: {previous['title']} ({_day(previous['review_date'])}). "
        f"{len(comparison['improved'])} KPI(s) improved, {len(comparison['worse'])} got worse.",
    )
    rows = changed_rows(comparison)[:16]
    if rows:
        _table(
            slide,
            ["KPI", "Previous review", "This review", "Change"],
            rows,
            0.5,
            1.6,
            12.3,
            size=11,
            widths=[0.5, 0.17, 0.17, 0.16],
        )
    else:
        _textbox(slide, ["No KPI changed between the two reviews."], 0.5, 1.6, 12.3, 1.0, size=14)


def _actions_slides(deck, actions: list[dict]) -> None:
    rows = _action_rows(actions)
    pages = [rows[i : i + ACTIONS_PER_SLIDE] for i in range(0, len(rows), ACTIONS_PER_SLIDE)] or [[]]
    for number, page in enumerate(pages, start=1):
        suffix = f" ({number} of {len(pages)})" if len(pages) > 1 else ""
        slide = _slide(
            deck, "Actions register" + suffix, "Decisions and actions (9.3.3) and those carried from earlier reviews."
        )
        if page:
            _table(
                slide, ACTION_COLUMNS, page, 0.5, 1.5, 12.3, size=11, widths=[0.05, 0.37, 0.14, 0.14, 0.12, 0.09, 0.09]
            )
        else:
            _textbox(slide, ["No actions recorded yet."], 0.5, 1.6, 12.3, 1.0, size=14)


# --- HTML ---------------------------------------------------------------------------------------------------------

# Hosts plotly.js would only contact for map charts (tiles, icons, topojson); the pack draws none, and stripping
# the addresses keeps the file free of any CDN reference (nothing may leave the reader's machine).
_EXTERNAL_HOSTS = re.compile(r"https?://[A-Za-z0-9.-]*cdn[A-Za-z0-9.-]*", re.IGNORECASE)

CSS = """
:root { --good: #1f6fb4; --bad: #e07000; --grey: #8a8f98; --line: #e1e4e8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #262730;
       margin: 0 auto; max-width: 1100px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.9rem; margin: 0 0 4px; } h2 { font-size: 1.35rem; margin: 0 0 6px; }
h3 { font-size: 1.05rem; margin: 16px 0 6px; }
.meta { color: #555; margin: 0 0 16px; }
nav { border: 1px solid var(--line); border-radius: 8px; padding: 8px 16px; margin: 16px 0; }
nav ol { margin: 4px 0; padding-left: 20px; columns: 2; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
.clause { color: var(--grey); font-weight: 600; margin-right: 6px; }
.summary { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f7f9; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px; margin: 8px 0; }
dl.facts div { background: #f6f7f9; border-radius: 6px; padding: 6px 10px; }
dt { font-size: 0.85rem; color: #555; } dd { margin: 0; font-size: 1.2rem; font-weight: 600; }
.text { white-space: pre-wrap; background: #fbfbfc; border-left: 3px solid var(--grey); padding: 6px 10px; }
.evidence-yes { color: var(--good); font-weight: 600; } .evidence-no { color: var(--bad); font-weight: 600; }
.improving, .improved { color: var(--good); } .concerning, .worse { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 8px 24px; }
.chart { break-inside: avoid; page-break-inside: avoid; margin: 8px 0; min-width: 0; }
.kpi-line { color: #444; font-size: 0.9rem; margin: 0 0 12px; }
footer { color: var(--grey); font-size: 0.85rem; margin-top: 24px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, .modebar, .modebar-container { display: none !important; }
  .charts { grid-template-columns: 1fr; }
  section { break-inside: avoid-page; page-break-inside: avoid; border: none; padding: 0; margin: 0 0 10mm; }
  section.long { break-inside: auto; page-break-inside: auto; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .chart, dl.facts div { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def offline_plotlyjs() -> str:
    """plotly.js, to embed inline once, without the CDN addresses it carries for map charts."""
    from plotly.offline import get_plotlyjs

    return _EXTERNAL_HOSTS.sub("", get_plotlyjs())


def html_page(record: dict, previous: dict | None = None) -> str:
    """The pack as one self-contained HTML file: inline CSS and plotly.js, interactive charts, every 9.3.2 input,
    prints cleanly to PDF."""
    review = record["review"]
    body = [
        f"<header><h1>{html_text(review['title'])}</h1>",
        f'<p class="meta">ISO 9001 9.3 management review · period {html_text(_period(record))} · held '
        f"{html_text(_day(review['review_date']))} · {html_text(_state(record))}</p></header>",
        _html_nav(record),
        _html_scorecard(record),
        _html_completeness(record),
        *(_html_section(record, section) for section in record["sections"]),
    ]
    if previous is not None:
        body.append(_html_comparison(compare(previous, record)))
    body.append(_html_actions(record))
    body.append(
        f"<footer>Built {html_text(_day(record['built_at']))} from the isokpi database; data up to {html_text(_day(record['as_of']))}."
        "</footer>"
    )
    # plotly.js goes in once, inline, and only when there is a chart to draw.
    script = (
        f"<script>{offline_plotlyjs()}</script>" if any('class="plotly-graph-div"' in part for part in body) else ""
    )
    head = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_text(review['title'])}</title>",
        f"<style>{CSS}</style>",
        script,
        "</head><body>",
    ]
    return "\n".join([*head, *body, "</body></html>"])


def _html_nav(record: dict) -> str:
    items = "".join(
        f'<li><a href="#input-{html_text(s["key"])}">{html_text(s["clause"])} {html_text(s["title"])}</a></li>'
        for s in record["sections"]
    )
    return f'<nav aria-label="Contents"><strong>Inputs</strong><ol>{items}</ol></nav>'


def _html_table(columns: list[str], rows: list[list[object]], caption: str | None = None) -> str:
    head = "".join(f"<th>{html_text(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{html_text(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_scorecard(record: dict) -> str:
    return (
        '<section id="scorecard"><h2>Pillar scorecard</h2>'
        + _html_table(SCORECARD_COLUMNS, _scorecard_rows(record))
        + f'<p class="meta">{html_text(record["scorecard"]["rule"])}</p></section>'
    )


def _html_completeness(record: dict) -> str:
    done = record["completeness"]["with_evidence"]
    missing = record["completeness"]["missing"]
    items = "".join(
        f'<li><span class="evidence-no">Missing</span> {html_text(m["clause"])} {html_text(m["title"])}: {html_text(m["reason"])}</li>'
        for m in missing
    )
    return (
        '<section id="completeness"><h2>Completeness of the inputs</h2>'
        f'<p class="summary">{len(done)} of {len(done) + len(missing)} inputs have evidence.</p>'
        + (f"<ul>{items}</ul>" if items else "<p>Every input of 9.3.2 has evidence.</p>")
        + "</section>"
    )


def _html_section(record: dict, section: dict) -> str:
    evidence = (
        '<span class="evidence-yes">Evidence</span>'
        if section["evidence"]
        else '<span class="evidence-no">Missing</span>'
    )
    parts = [
        f'<section id="input-{html_text(section["key"])}" class="input{" long" if len(section["kpis"]) > 2 else ""}">',
        f'<h2><span class="clause">{html_text(section["clause"])}</span>{html_text(section["title"])}</h2>',
        f'<p>{evidence} · <span class="summary">{html_text(section["summary"])}</span></p>',
    ]
    if section["missing"]:
        parts.append(f'<p class="evidence-no">{html_text(section["missing"])}</p>')
    if section["text"].strip():
        parts.append(f'<div class="text">{html_text(section["text"])}</div>')
    if section["facts"]:
        facts = "".join(
            f"<div><dt>{html_text(f['label'])}</dt><dd>{html_text(fact_value(f))}</dd></div>" for f in section["facts"]
        )
        parts.append(f'<dl class="facts">{facts}</dl>')
    for table in section["tables"]:
        parts.append(f"<h3>{html_text(table['title'])}</h3>" + _html_table(table["columns"], table["rows"]))
    if section["kpis"]:
        charts_html = "".join(_html_chart(kpi, f"chart-{section['key']}-{kpi['id']}") for kpi in section["kpis"])
        parts.append(f'<div class="charts">{charts_html}</div>')
    parts.append("</section>")
    return "\n".join(parts)


def _html_chart(kpi: dict, div_id: str) -> str:
    if kpi["latest"] is None:
        return f'<div class="chart"><h3>{html_text(kpi["name"])}</h3><p>No data in the review period.</p></div>'
    # A fixed width: two charts side by side on screen, one per row on paper, never clipped when printed.
    figure = trend_figure(kpi, height=320, width=CHART_WIDTH)
    config = charts.PLOTLY_CONFIG | {"responsive": False}
    plot = figure.to_html(full_html=False, include_plotlyjs=False, config=config, div_id=div_id)
    return f'<div class="chart">{plot}<p class="kpi-line">{html_text(verdict_line(kpi))}</p></div>'


def _html_comparison(comparison: dict) -> str:
    previous = comparison["previous"]
    rows = changed_rows(comparison)
    pillars = [[p["name"], p["before"] or "–", p["after"]] for p in comparison["pillars"]]
    return (
        '<section id="comparison"><h2>Compared with the previous review</h2>'
        f"<p>Previous: {html_text(previous['title'])} ({html_text(_day(previous['review_date']))}). "
        f'<span class="improved">{len(comparison["improved"])} KPI(s) improved</span>, '
        f'<span class="worse">{len(comparison["worse"])} got worse</span>.</p>'
        + _html_table(["KPI", "Previous review", "This review", "Change"], rows)
        + "<h3>Pillar status</h3>"
        + _html_table(["Pillar", "Previous review", "This review"], pillars)
        + "</section>"
    )


def _html_actions(record: dict) -> str:
    rows = _action_rows(register_rows(record))
    body = _html_table(ACTION_COLUMNS, rows) if rows else "<p>No actions recorded yet.</p>"
    return (
        '<section id="actions" class="long"><h2>Decisions and actions (9.3.3)</h2>'
        "<p>Improvement opportunities, changes to the system and resource needs, with those carried from earlier "
        f"reviews.</p>{body}</section>"
    )


# --- Excel ------------------------------------------------------------------------------------------------------


ACTION_HEADERS = ["ID", "Review", "Type", "Action", "Pillar", "Owner", "Due", "Status", "Notes", "Last changed by",
                  "Last changed at (UTC)"]  # fmt: skip
HISTORY_HEADERS = ["Action", "When (UTC)", "Who", "Field", "Old value", "New value"]


def actions_xlsx(actions: list[dict], history: list[dict] = ()) -> bytes:
    """The actions register as a workbook: the actions, and (when given) every recorded change."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions register"
    rows = [
        [a["id"], a["review_id"], a["kind_label"], a["title"], a["pillar_name"], a["owner"],
         dt.date.fromisoformat(a["due_on"]) if a["due_on"] else None, a["status_label"], a["notes"], a["updated_by"],
         dt.datetime.fromisoformat(a["updated_at"]) if a["updated_at"] else None]
        for a in actions
    ]  # fmt: skip
    _fill(sheet, ACTION_HEADERS, rows)
    if history:
        changes = [
            [row["action_id"], row["changed_at"], row["changed_by"], row["field"], row["old_value"], row["new_value"]]
            for row in history
        ]
        _fill(workbook.create_sheet("History"), HISTORY_HEADERS, changes)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet, headers: list[str], rows: list[list[object]]) -> None:
    """Headers in bold, then the rows with text made safe (neutralised, no control characters) and dates typed."""
    from openpyxl.styles import Font

    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([export_text(value) if isinstance(value, str) else value for value in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.columns:
        longest = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, longest + 2))


# --- files ------------------------------------------------------------------------------------------------------


def write_pack(record: dict, format_: str, path: str | Path, previous: dict | None = None) -> Path:
    """Write the pack as `format_` (pptx or html) to `path`."""
    if format_ not in FORMATS:
        raise ValueError(f"format {format_!r} is unknown: use pptx or html")
    path = Path(path)
    if format_ == "pptx":
        path.write_bytes(pptx_bytes(record, previous))
    else:
        path.write_text(html_page(record, previous), encoding="utf-8")
    return path


def file_name(record: dict, suffix: str) -> str:
    """management-review-3-2026-11-25.pptx; the register of review 3 is actions-register-3-2026-11-25.xlsx."""
    review = record["review"]
    number = f"-{review['id']}" if review["id"] is not None else ""
    stem = "actions-register" if suffix == "xlsx" else "management-review"
    return f"{stem}{number}-{review['review_date'][:10]}.{suffix}"
