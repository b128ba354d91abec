"""The review pack as PowerPoint: title, executive summary, pillar scorecard, a slide per pillar with a native,
editable process-behaviour chart of each KPI (value, mean, upper and lower process limits and target as named
series; special-cause points in the dashboard's colours, provisional points hollow) and its verdicts, findings and
audits, the 9.3.2 inputs, issues and risks, the comparison with the previous review, the actions register. Every
text is made export-safe."""

from __future__ import annotations

import io
import math

from isokpi import charts, stats
from isokpi.narrative import record_pillar_texts, verdict_line
from isokpi.outcomes_view import CORRELATION_COLUMNS as OUTCOME_COLUMNS
from isokpi.pack import (
    ACTION_COLUMNS,
    CHART_KEY,
    ETA_COLUMNS,
    LOWER,
    MEAN,
    NO_ETA,
    SCORECARD_COLUMNS,
    SUMMARY_COLUMNS,
    TARGET,
    UPPER,
    VALUE,
    action_rows,
    changed_rows,
    chart_series,
    day_text,
    decisions,
    eta_rows,
    fact_value,
    period_text,
    pillar_kpis,
    point_classes,
    recorded_text,
    register_rows,
    scorecard_rows,
    section_of,
    state_text,
    summary_rows,
)
from isokpi.review import compare
from isokpi.safety import export_text

ACTIONS_PER_SLIDE = 12
ETA_PER_SLIDE = 6  # sentences of three lines or so at 10 pt


def pptx_bytes(record: dict, previous: dict | None = None) -> bytes:
    """The pack as PowerPoint: title; executive summary; pillar scorecard; a slide per pillar with a native
    process-behaviour chart per KPI and its verdicts; findings and audits; 9.3.2 inputs; issues and risks; the
    comparison; the actions register."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    _title_slide(deck, record)
    _summary_slide(deck, record)
    _scorecard_slide(deck, record)
    for pillar in record["scorecard"]["pillars"]:
        _pillar_slide(deck, record, pillar)
    _eta_slide(deck, record)
    _findings_slide(deck, record)
    _outcomes_slide(deck, record)
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
        f"ISO 9001 9.3 management review · period {period_text(record)} · held {day_text(record['review']['review_date'])}\n"
        f"{state_text(record)}"
    )


SUMMARY_WIDTHS = [0.14, 0.08, 0.33, 0.45]


def _summary_slide(deck, record: dict) -> None:
    """The 8 pillars (status, headline value against target, the finding), then the decisions asked for: in the
    largest type that fits the slide."""
    slide = _slide(deck, "Executive summary", f"Period {period_text(record)}. {state_text(record)}.")
    rows = summary_rows(record)
    asks = [
        "Decisions asked for",
        *[f"{number}. {text}" for number, text in enumerate(decisions(record), start=1)],
        recorded_text(record),
    ]
    top, width, room = 1.4, 12.5, 7.35 - 1.4
    for size in (11, 10, 9, 8, 7):
        table = _table_height([SUMMARY_COLUMNS, *rows], [width * share for share in SUMMARY_WIDTHS], size)
        below = sum(_text_lines(line, width, size + 1) for line in asks) * (size + 1) * 1.2 / 72 + 0.1
        if table + 0.15 + below <= room:
            break
    _table(slide, SUMMARY_COLUMNS, rows, 0.4, top, width, size=size, widths=SUMMARY_WIDTHS)
    _textbox(slide, asks, 0.4, top + table + 0.15, width, below, size=size + 1, bold_first=True)


def _text_lines(text: object, width: float, size: int) -> int:
    """About how many lines `text` takes in a box `width` inches wide (0.1 inch margins) at `size` points: an
    average glyph is half an em wide."""
    per_line = max(1, int((width - 0.2) * 72 / (size * 0.55)))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in export_text(text).split("\n"))


def _table_height(rows: list[list[object]], widths: list[float], size: int) -> float:
    """About how tall a table of `rows` is once PowerPoint has grown its rows to fit their text."""
    line = size * 1.2 / 72
    return sum(max(_text_lines(v, w, size) for v, w in zip(row, widths, strict=True)) * line + 0.12 for row in rows)


def _scorecard_slide(deck, record: dict) -> None:
    slide = _slide(deck, "Pillar scorecard", f"Period {period_text(record)}. {record['scorecard']['rule']}")
    rows = scorecard_rows(record)
    _table(slide, SCORECARD_COLUMNS, rows, 0.5, 1.7, 12.3, size=14, widths=[0.3, 0.14, 0.14, 0.14, 0.14, 0.14])


def _pillar_slide(deck, record: dict, pillar: dict) -> None:
    texts = record_pillar_texts(pillar)
    sentence = texts["sentence"]  # it names how many KPIs are on target; a record frozen before says it apart
    if texts["on_target"] not in sentence:
        sentence = f"{sentence} {texts['on_target']}."
    slide = _slide(deck, f"{pillar['name']}: {texts['status']}", sentence)
    kpis = pillar_kpis(record, pillar)
    columns = 2 if len(kpis) <= 4 else 3
    rows = math.ceil(len(kpis) / columns)
    cell_width, cell_height = 12.3 / columns, 5.6 / rows
    for index, kpi in enumerate(kpis):
        left = 0.5 + (index % columns) * cell_width
        top = 1.45 + (index // columns) * cell_height
        if kpi["latest"] is None or not kpi["points"]:
            # No value at all, or none inside the review period (an annual survey): words, no chart.
            lines = [kpi["name"], "No data in the review period." if kpi["latest"] is None else verdict_line(kpi)]
            _textbox(slide, lines, left, top, cell_width - 0.2, 1.0, size=12, bold_first=True)
            continue
        frame = _kpi_chart(slide, kpi, left, top, cell_width - 0.2, cell_height - 0.6)
        frame.name = f"chart {kpi['id']}"
        _textbox(slide, [verdict_line(kpi)], left, top + cell_height - 0.6, cell_width - 0.2, 0.5, size=10)
    _textbox(slide, [CHART_KEY], 0.5, 7.1, 12.3, 0.3, size=8)


# How each series of a KPI's chart is drawn: colour, width (pt), dash, and whether it has markers.
SERIES_STYLE = {
    VALUE: (charts.NEUTRAL, 2.0, None, True),
    MEAN: (charts.LIMIT, 1.0, None, False),
    UPPER: (charts.LIMIT, 1.0, "dash", False),
    LOWER: (charts.LIMIT, 1.0, "dash", False),
    TARGET: (charts.TARGET, 1.5, "long_dash", False),
}
POINT_COLOURS = {stats.IMPROVEMENT: charts.GOOD, stats.CONCERN: charts.BAD}


def _rgb(colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(colour.lstrip("#"))


def _kpi_chart(slide, kpi: dict, left: float, top: float, width: float, height: float):
    """A KPI's process-behaviour chart as a native line chart: its data embedded, so it stays editable."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Pt

    periods, lines = chart_series(kpi)
    data = CategoryChartData()
    data.categories = periods
    for name, values in lines.items():
        data.add_series(name, values)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.LINE_MARKERS, _inches(left), _inches(top), _inches(width), _inches(height), data
    )
    chart = frame.chart
    chart.has_title = True
    chart.chart_title.text_frame.text = export_text(f"{kpi['name']} ({kpi['unit']})")
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(8)
    chart.font.size = Pt(9)
    chart.value_axis.major_gridlines.format.line.color.rgb = _rgb(charts.GRID)
    chart.value_axis.format.line.color.rgb = _rgb(charts.GRID)
    dashes = {"dash": MSO_LINE_DASH_STYLE.DASH, "long_dash": MSO_LINE_DASH_STYLE.LONG_DASH}
    for series in chart.plots[0].series:
        colour, width_pt, dash, markers = SERIES_STYLE[series.name]
        series.smooth = False
        series.format.line.color.rgb = _rgb(colour)
        series.format.line.width = Pt(width_pt)
        if dash:
            series.format.line.dash_style = dashes[dash]
        if not markers:
            series.marker.style = XL_MARKER_STYLE.NONE
            continue
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.size = 5
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(colour)
        series.marker.format.line.color.rgb = _rgb(colour)
        _mark_points(series, point_classes(kpi))
    return frame


def _mark_points(series, classes: list[str | None]) -> None:
    """Special-cause points in the colour of their class, larger; provisional points hollow."""
    for index, kind in enumerate(classes):
        if kind is None:
            continue
        fill, line = ("#ffffff", charts.NEUTRAL) if kind == "provisional" else (POINT_COLOURS[kind],) * 2
        _circle(series.points[index], 8, fill, line)


def _circle(point, size: int, fill: str, line: str) -> None:
    """A chart point's marker: a circle `size` points across, filled and outlined in these colours."""
    from pptx.enum.chart import XL_MARKER_STYLE

    point.marker.style = XL_MARKER_STYLE.CIRCLE
    point.marker.size = size
    point.marker.format.fill.solid()
    point.marker.format.fill.fore_color.rgb = _rgb(fill)
    point.marker.format.line.color.rgb = _rgb(line)


def _findings_slide(deck, record: dict) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

    nonconformities, audits = section_of(record, "c4"), section_of(record, "c6")
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


def _eta_slide(deck, record: dict) -> None:
    """When will we hit target? Each KPI with a real trend that misses its target, in the sentence of its chart."""
    rows = eta_rows(record)
    if rows is None:  # a record frozen before records carried it
        return
    subtitle = "Where the Sen line of each real trend meets the target."
    if not rows:
        _textbox(_slide(deck, "When will we hit target?", subtitle), [NO_ETA], 0.5, 1.6, 12.3, 0.6, size=14)
        return
    pages = math.ceil(len(rows) / ETA_PER_SLIDE)
    for page in range(pages):
        title = "When will we hit target?" + (f" ({page + 1} of {pages})" if pages > 1 else "")
        chunk = rows[page * ETA_PER_SLIDE : (page + 1) * ETA_PER_SLIDE]
        _table(_slide(deck, title, subtitle), ETA_COLUMNS, chunk, 0.5, 1.6, 12.3, size=10, widths=[0.22, 0.78])


def _outcomes_slide(deck, record: dict) -> None:
    """Training against outcomes (the Training page's section): the departments as a native scatter, each dot
    labelled with its name (smaller ones pooled, grey), with Spearman's rho, p and n and what they do not show."""
    outcomes = record.get("outcomes")
    if outcomes is None:  # a record frozen before the packs carried it
        return
    from pptx.chart.data import XyChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.util import Pt

    slide = _slide(deck, "Training against outcomes", outcomes["association"])
    _textbox(slide, [outcomes["method"], outcomes["caveat"]], 8.6, 1.6, 4.3, 2.6, size=11)
    _table(slide, OUTCOME_COLUMNS, outcomes["correlations"], 8.6, 4.3, 4.3, size=8)
    if not outcomes["points"]:
        _textbox(slide, [f"No {outcomes['group']} has both values in the period."], 0.5, 1.6, 7.8, 0.5, size=14)
        return
    data = XyChartData()
    dots = data.add_series(outcomes["title"])
    for point in outcomes["points"]:
        dots.add_data_point(point["x"], point["y"])
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER, _inches(0.5), _inches(1.6), _inches(7.9), _inches(5.5), data
    )
    frame.name = "chart training against outcomes"
    chart = frame.chart
    chart.has_title = True
    chart.chart_title.text_frame.text = export_text(outcomes["title"])
    chart.has_legend = False
    chart.font.size = Pt(9)
    for axis, title in ((chart.category_axis, outcomes["x_title"]), (chart.value_axis, outcomes["y_title"])):
        axis.has_title = True
        axis.axis_title.text_frame.text = export_text(title)
    series = chart.plots[0].series[0]
    series.format.line.fill.background()  # dots, no line between them
    for index, point in enumerate(outcomes["points"]):
        colour = charts.NEUTRAL if point["pooled"] > 1 else charts.GOOD
        dot = series.points[index]
        _circle(dot, 9, colour, colour)
        dot.data_label.text_frame.text = export_text(point["group"])
        dot.data_label.position = XL_LABEL_POSITION.ABOVE


def _inputs_slide(deck, record: dict) -> None:
    done = len(record["completeness"]["with_evidence"])
    total = done + len(record["completeness"]["missing"])
    slide = _slide(deck, "ISO 9001 9.3.2 inputs", f"{done} of {total} inputs have evidence.")
    rows = [[s["clause"], s["title"], "yes" if s["evidence"] else "MISSING", s["summary"]] for s in record["sections"]]
    columns = ["Input", "Topic", "Evidence", "What it shows"]
    _table(slide, columns, rows, 0.5, 1.5, 12.3, size=10, widths=[0.09, 0.3, 0.09, 0.52])


def _texts_slide(deck, record: dict) -> None:
    slide = _slide(deck, "Issues, risks and opportunities", "Written for the meeting (9.3.2 b and e).")
    for index, key in enumerate(("b", "e")):
        section = section_of(record, key)
        left = 0.5 + index * 6.2
        lines = [f"{section['clause']} {section['title']}", *(section["text"].strip() or "Not written.").split("\n")]
        _textbox(slide, lines, left, 1.6, 5.9, 5.5, size=13, bold_first=True)


def _comparison_slide(deck, comparison: dict) -> None:
    previous = comparison["previous"]
    slide = _slide(
        deck,
        "Compared with the previous review",
        f"Previous: {previous['title']} ({day_text(previous['review_date'])}). "
        f"{len(comparison['improved'])} KPI(s) improved, {len(comparison['worse'])} got worse.",
    )
    rows = changed_rows(comparison)[:16]
    if rows:
        columns = ["KPI", "Previous review", "This review", "Change"]
        _table(slide, columns, rows, 0.5, 1.6, 12.3, size=11, widths=[0.5, 0.17, 0.17, 0.16])
    else:
        _textbox(slide, ["No KPI changed between the two reviews."], 0.5, 1.6, 12.3, 1.0, size=14)


def _actions_slides(deck, actions: list[dict]) -> None:
    rows = action_rows(actions)
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
