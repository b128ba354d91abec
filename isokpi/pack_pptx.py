"""The review pack as PowerPoint: title, pillar scorecard, a slide per pillar with native, editable line charts of
its KPIs and their verdicts, findings and audits, the 9.3.2 inputs, issues and risks, the comparison with the
previous review, the actions register. Every text is made export-safe."""

from __future__ import annotations

import io
import math

from isokpi import charts
from isokpi.narrative import record_pillar_texts, verdict_line
from isokpi.pack import (
    ACTION_COLUMNS,
    SCORECARD_COLUMNS,
    action_rows,
    changed_rows,
    chart_values,
    day_text,
    fact_value,
    period_text,
    pillar_kpis,
    register_rows,
    scorecard_rows,
    section_of,
    state_text,
)
from isokpi.review import compare
from isokpi.safety import export_text

ACTIONS_PER_SLIDE = 12


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
        f"ISO 9001 9.3 management review · period {period_text(record)} · held {day_text(record['review']['review_date'])}\n"
        f"{state_text(record)}"
    )


def _scorecard_slide(deck, record: dict) -> None:
    slide = _slide(deck, "Pillar scorecard", f"Period {period_text(record)}. {record['scorecard']['rule']}")
    _table(
        slide,
        SCORECARD_COLUMNS,
        scorecard_rows(record),
        0.5,
        1.7,
        12.3,
        size=14,
        widths=[0.3, 0.14, 0.14, 0.14, 0.14, 0.14],
    )


def _pillar_slide(deck, record: dict, pillar: dict) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Pt

    texts = record_pillar_texts(pillar)
    slide = _slide(deck, f"{pillar['name']}: {texts['status']}", f"{texts['sentence']} {texts['on_target']}.")
    kpis = pillar_kpis(record, pillar)
    columns = 2 if len(kpis) <= 4 else 3
    rows = math.ceil(len(kpis) / columns)
    cell_width, cell_height = 12.3 / columns, 5.9 / rows
    for index, kpi in enumerate(kpis):
        left = 0.5 + (index % columns) * cell_width
        top = 1.45 + (index // columns) * cell_height
        if kpi["latest"] is None or not kpi["points"]:
            # No value at all, or none inside the review period (an annual survey): words, no chart.
            _textbox(
                slide,
                [kpi["name"], "No data in the review period." if kpi["latest"] is None else verdict_line(kpi)],
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
        section = section_of(record, key)
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
