"""The review pack: PowerPoint with native charts carrying the scorecard's numbers, a self-contained HTML page with
every 9.3.2 input and nothing from a CDN, formulas neutralised everywhere, and `python -m isokpi review-pack`."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import shutil
import subprocess

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_MARKER_STYLE
from pptx.oxml.ns import qn

from isokpi import (
    actions,
    charts,
    cli,
    narrative,
    pack,
    pack_html,
    pack_pdf,
    pack_pptx,
    review,
    review_inputs,
    stats,
    words,
)
from isokpi.auth import QUALITY_LEAD, User
from isokpi.db import resolve_target
from isokpi.format import clamp
from isokpi.ingest import ingest_file
from isokpi.kpis import kpi_series, scorecard
from isokpi.opening import close_all, open_target
from isokpi.periods import period_name
from isokpi.pillars import PILLAR_NAMES
from isokpi.safety import FORMULA_STARTS

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
AS_OF = dt.date(2026, 11, 25)
HOSTILE_B = "=cmd|' /C calc'!A0\n<script>alert('b')</script> new site in Leeds"
HOSTILE_E = "@SUM(A1)\n-risk register reviewed & updated\n\x07pasted with a bell\x1b[0m"
PILLAR_TITLES = [name for name in PILLAR_NAMES.values()]


@pytest.fixture(scope="module")
def pack_db(demo_database):
    """Demo data with two reviews: #1 closed (hostile texts, actions), #2 open since #1's period ended."""
    path = demo_database(AS_OF)
    database = open_target(resolve_target(path))
    first = review.create_review(
        database,
        LEAD,
        review_date=dt.date(2026, 5, 29),
        period_from=dt.date(2025, 5, 1),
        period_to=dt.date(2026, 4, 30),
    )
    review.save_texts(database, LEAD, first, {"b": HOSTILE_B, "e": HOSTILE_E})
    actions.create_action(
        database,
        LEAD,
        title="=2+3 shorten days to close",
        kind="improvement",
        owner="+44 20 7946 0000",
        review_id=first,
    )
    actions.create_action(
        database, LEAD, title="<b>Hire</b> an auditor", kind="resource_need", owner="@ann", review_id=first
    )
    review.close_review(database, LEAD, first)
    second = review.create_review(database, LEAD, review_date=AS_OF)
    actions.create_action(
        database, LEAD, title="Add supplier audits", kind="system_change", pillar="stakeholders", review_id=second
    )
    database.close()
    return path


@pytest.fixture
def demo(pack_db):
    database = open_target(resolve_target(pack_db))
    yield database
    database.close()


def records(database) -> tuple[dict, dict]:
    return review.review_record(database, 1), review.review_record(database, 2)


def slide_texts(slide) -> list[str]:
    """Every paragraph of every text frame and table cell on a slide."""
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts += [p.text for p in shape.text_frame.paragraphs]
        if shape.has_table:
            texts += [p.text for row in shape.table.rows for cell in row.cells for p in cell.text_frame.paragraphs]
        if shape.has_chart and shape.chart.has_title:
            texts += [p.text for p in shape.chart.chart_title.text_frame.paragraphs]
    return texts


def drawn_lines(series) -> dict[str, list]:
    """The lines a KPI's process-behaviour chart draws, by name, from the engine: values unrounded, as the record
    keeps them; limits within what the unit allows."""
    unit = series.kpi.unit
    return {
        "Mean": [p.mean for p in series.points],
        "Upper limit": [None if p.upl is None else clamp(p.upl, unit) for p in series.points],
        "Lower limit": [None if p.lpl is None else clamp(p.lpl, unit) for p in series.points],
        "Target": [p.target for p in series.points],
        "Value": [p.value for p in series.points],
    }


def test_pptx_holds_the_expected_slides(demo):
    first, second = records(demo)
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(second, first)))
    titles = [slide.shapes.title.text for slide in deck.slides]
    pillars = {p["name"]: p["text"]["status"] for p in second["scorecard"]["pillars"]}
    assert titles == [
        second["review"]["title"],
        "Executive summary",
        "Pillar scorecard",
        *[f"{name}: {pillars[name]}" for name in PILLAR_TITLES],
        *eta_titles(second),
        "Findings and audits",
        "Training against outcomes",
        "ISO 9001 9.3.2 inputs",
        "Issues, risks and opportunities",
        "Compared with the previous review",
        "Actions register",
    ]
    register = deck.slides[-1].shapes
    table = next(shape.table for shape in register if shape.has_table)
    assert [table.cell(r, 1).text for r in range(1, len(table.rows))] == [
        "'=2+3 shorten days to close",
        "<b>Hire</b> an auditor",
        "Add supplier audits",
    ]


def eta_titles(record: dict) -> list[str]:
    """The "When will we hit target?" slides: one per ETA_PER_SLIDE KPIs with a date to give, one when none."""
    pages = max(1, math.ceil(len(pack.eta_rows(record)) / pack_pptx.ETA_PER_SLIDE))
    title = "When will we hit target?"
    return [title] if pages == 1 else [f"{title} ({n} of {pages})" for n in range(1, pages + 1)]


def chart_shapes(slide) -> dict:
    return {shape.name.removeprefix("chart "): shape.chart for shape in slide.shapes if shape.has_chart}


def test_pptx_charts_are_native_process_behaviour_charts_with_the_scorecards_numbers(demo):
    _, second = records(demo)
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(second)))
    filters = review_inputs.review_filters(dt.date(2026, 5, 1), AS_OF)
    cards = scorecard(demo, filters)
    checked = 0
    for card, slide in zip(cards, list(deck.slides)[3:11], strict=True):
        assert slide.shapes.title.text == f"{card.name}: {words.status(card.status)}"
        drawn = chart_shapes(slide)
        assert sorted(drawn) == sorted(s.kpi.id for s in card.series if s.latest is not None and s.points)
        for series in card.series:
            if series.latest is None or not series.points:
                continue
            chart = drawn[series.kpi.id]
            # A line chart: markers on the values only (python-pptx calls a line chart with any marker-less series LINE).
            assert chart.chart_type == XL_CHART_TYPE.LINE
            assert chart.part.chart_workbook.xlsx_part is not None  # data embedded: editable in PowerPoint
            plot = chart.plots[0]
            assert list(plot.categories) == [period_name(p.period, "month") for p in series.points]
            lines = {line.name: list(line.values) for line in plot.series}
            assert {line.name: line.marker.style for line in plot.series} == {
                name: XL_MARKER_STYLE.CIRCLE if name == "Value" else XL_MARKER_STYLE.NONE for name in lines
            }
            assert {line.name: f"#{line.format.line.color.rgb}".lower() for line in plot.series} == {
                name: {"Value": charts.NEUTRAL, "Target": charts.TARGET}.get(name, charts.LIMIT) for name in lines
            }
            expected = drawn_lines(series)
            assert set(lines) == {name for name, line in expected.items() if any(v is not None for v in line)}
            assert {"Value", "Mean", "Upper limit", "Lower limit"} <= set(lines), series.kpi.id
            for name, line in lines.items():
                assert line == pytest.approx(expected[name], rel=1e-12, abs=1e-12), (series.kpi.id, name)
            fresh = kpi_series(demo, series.kpi.id, filters)  # the same numbers as the engine's own call
            # DuckDB sums doubles in parallel: a recomputation may differ in the last bit, never in a printed digit.
            latest = lines["Value"][series.points.index(series.latest)]
            assert latest == pytest.approx(fresh.latest.value, rel=1e-12)
            checked += 1
    assert checked >= 20
    scorecard_table = next(shape.table for shape in deck.slides[2].shapes if shape.has_table)
    assert [[scorecard_table.cell(r, c).text for c in range(3)] for r in range(1, 9)] == [
        [card.name, words.status(card.status), words.PILLAR_VARIATION[card.variation]] for card in cards
    ]


def marker_colours(line) -> dict[int, tuple[str, str]]:
    """Per point formatted on its own: (fill, outline) of its marker, as PowerPoint draws it."""
    colours = {}
    for point in line._element.findall(qn("c:dPt")):
        index = int(point.find(qn("c:idx")).get("val"))
        fill, outline = point.find(qn("c:marker")).find(qn("c:spPr")).findall(f".//{qn('a:srgbClr')}")
        colours[index] = (f"#{fill.get('val').lower()}", f"#{outline.get('val').lower()}")
    return colours


def test_pptx_colours_special_causes_as_the_dashboard_and_marks_provisional_points_hollow(demo):
    _, second = records(demo)
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(second)))
    cards = scorecard(demo, review_inputs.review_filters(dt.date(2026, 5, 1), AS_OF))
    seen = {"improvement": 0, "concern": 0, "provisional": 0}
    for card, slide in zip(cards, list(deck.slides)[3:11], strict=True):
        shown = chart_shapes(slide)
        for series in card.series:
            if series.kpi.id not in shown:
                continue
            value_line = next(line for line in shown[series.kpi.id].plots[0].series if line.name == "Value")
            expected = {}
            for index, point in enumerate(series.points):
                if point.value is None:
                    continue
                if point.provisional:
                    expected[index] = ("#ffffff", charts.NEUTRAL)
                    seen["provisional"] += 1
                elif point.special_cause in (stats.IMPROVEMENT, stats.CONCERN):
                    colour = charts.GOOD if point.special_cause == stats.IMPROVEMENT else charts.BAD
                    expected[index] = (colour, colour)
                    seen[point.special_cause] += 1
            assert marker_colours(value_line) == expected, series.kpi.id
    assert all(seen.values()), seen  # the demo has all three kinds


def test_pptx_summary_slide_lists_the_pillars_and_the_decisions_asked_for(demo):
    first, second = records(demo)
    slide = Presentation(io.BytesIO(pack_pptx.pptx_bytes(second, first))).slides[1]
    assert slide.shapes.title.text == "Executive summary"
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [[table.cell(r, c).text for c in range(4)] for r in range(len(table.rows))]
    assert rows[0] == ["Pillar", "Status", "Headline KPI: latest value against target", "Finding"]
    cards = scorecard(demo, review_inputs.review_filters(dt.date(2026, 5, 1), AS_OF))
    assert len(rows) == 9
    for card, (name, status, headline, finding) in zip(cards, rows[1:], strict=True):
        assert (name, status, finding) == (card.name, words.status(card.status), narrative.pillar_sentence(card))
        kpi = narrative.headline(card)
        texts = narrative.kpi_texts(kpi)
        assert headline == (
            f"{kpi.kpi.name}: {texts['value']} in {texts['period']}, "
            + (f"target {texts['target']} ({texts['gap']})" if texts["target"] else "no target")
        )
    asked = [p.text for shape in slide.shapes if shape.has_text_frame for p in shape.text_frame.paragraphs]
    decisions = second["summary"]["decisions"]
    start = asked.index("Decisions asked for")
    assert asked[start + 1 : start + 1 + len(decisions)] == [f"{n}. {d}" for n, d in enumerate(decisions, start=1)]
    assert decisions[-1].startswith("Conclude whether the management system remains suitable")
    off_track = [card.name for card in cards if card.status == "off_track"]
    assert [d.split(" is ")[0] for d in decisions[: len(off_track)]] == off_track  # most pressing first
    assert (
        asked[start + 1 + len(decisions)]
        == "1 decision(s) and action(s) recorded at this review: see the actions register."
    )


def test_pptx_cover_names_the_period_and_who_closed_the_review_by_name(demo):
    first, _ = records(demo)
    cover = Presentation(io.BytesIO(pack_pptx.pptx_bytes(first))).slides[0]
    closed = dt.datetime.fromisoformat(first["review"]["closed_at"])
    assert cover.shapes.title.text == "Management review 29 May 2026"
    assert cover.placeholders[1].text_frame.text.split("\n") == [
        "ISO 9001 9.3 management review · period 01 May 2025 to 30 Apr 2026 · held 29 May 2026",
        f"Closed and frozen on {closed:%d %b %Y} at {closed:%H:%M} UTC by Lead",
    ]


def test_pptx_text_is_neutralised_everywhere(demo):
    first, _ = records(demo)
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(first)))
    texts = [text for slide in deck.slides for text in slide_texts(slide)]
    assert "'=cmd|' /C calc'!A0" in texts and "'@SUM(A1)" in texts and "'-risk register reviewed & updated" in texts
    assert "'+44 20 7946 0000" in texts and "'@ann" in texts
    assert "pasted with a bell[0m" in texts  # control characters XML cannot hold are dropped, not fatal
    assert not [text for text in texts if text.startswith(FORMULA_STARTS)]


def test_html_has_every_input_embeds_plotly_once_and_fetches_nothing(demo):
    first, second = records(demo)
    page = pack_html.html_page(second, first)
    for key in ["a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f"]:
        assert f'<section id="input-{key}"' in page
    headings = re.findall(r'<h2><span class="clause">([^<]+)</span>', page)
    assert headings == [
        "9.3.2 a)",
        "9.3.2 b)",
        *[f"9.3.2 c) {n}" for n in range(1, 8)],
        "9.3.2 d)",
        "9.3.2 e)",
        "9.3.2 f)",
    ]
    assert "cdn" not in page.lower()
    plotly_js = pack_html.offline_plotlyjs()
    assert page.count(plotly_js) == 1 and len(plotly_js) > 1_000_000  # inline, once
    ours = page.replace(plotly_js, "")  # the links inside plotly.js are only for its own logo and map charts
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", ours)
    assert "<link" not in ours and "@import" not in ours and "url(" not in ours
    assert ours.count("<script>") - ours.count("Plotly.newPlot") == 1  # the bundle's tag, then one per chart
    assert page.count('class="plotly-graph-div"') == sum(
        1 for s in second["sections"] for k in s["kpis"] if k["latest"] is not None and k["points"]
    ) + bool(second["outcomes"]["points"])  # and training against outcomes
    assert "@media print" in page and "@page" in page
    assert 'id="comparison"' in page and 'id="actions"' in page


def page_traces(page: str) -> dict[str, list[dict]]:
    """The traces of every chart of an HTML pack, by the id of its element, as the page hands them to plotly.js."""
    decoder = json.JSONDecoder()
    return {
        match.group(1): decoder.raw_decode(page, match.end())[0]
        for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page)
    }


def test_html_charts_are_the_same_process_behaviour_charts_with_special_causes_coloured(demo):
    _, second = records(demo)
    traces = page_traces(pack_html.html_page(second))
    cards = scorecard(demo, review_inputs.review_filters(dt.date(2026, 5, 1), AS_OF))
    engine = {series.kpi.id: series for card in cards for series in card.series}
    seen, with_limits = {stats.IMPROVEMENT: 0, stats.CONCERN: 0}, 0
    drawn = [
        (s["key"], k["id"]) for s in second["sections"] for k in s["kpis"] if k["latest"] is not None and k["points"]
    ]
    assert sorted(traces) == sorted([*(f"chart-{key}-{kpi_id}" for key, kpi_id in drawn), "chart-outcomes"])
    for key, kpi_id in drawn:
        lines = {trace["name"]: trace for trace in traces[f"chart-{key}-{kpi_id}"]}
        series = engine[kpi_id]
        expected_lines = drawn_lines(series)
        for name, line in expected_lines.items():
            if any(v is not None for v in line):
                assert lines[name]["y"] == pytest.approx(line, rel=1e-12, abs=1e-12), (kpi_id, name)
            else:
                assert name not in lines, (kpi_id, name)
        with_limits += "Upper limit" in lines and "Lower limit" in lines
        special = [p for p in series.points if not p.provisional and p.special_cause in seen and p.value is not None]
        expected = [charts.GOOD if p.special_cause == stats.IMPROVEMENT else charts.BAD for p in special]
        assert lines.get("Special cause", {}).get("marker", {}).get("color", []) == expected, kpi_id
        assert lines.get("Special cause", {}).get("y", []) == pytest.approx([p.value for p in special], rel=1e-12)
        for point in special:
            seen[point.special_cause] += 1
    assert all(seen.values()), seen  # the demo has both kinds
    assert with_limits >= 15  # most charts: every KPI with enough points has its limits


def test_html_escapes_and_neutralises_user_text(demo):
    first, _ = records(demo)
    page = pack_html.html_page(first)
    assert "<script>alert" not in page and "<b>Hire</b>" not in page
    assert "&lt;script&gt;alert(&#x27;b&#x27;)&lt;/script&gt; new site in Leeds" in page
    assert "&lt;b&gt;Hire&lt;/b&gt; an auditor" in page
    assert "&#x27;=cmd|&#x27; /C calc&#x27;!A0" in page and "&#x27;-risk register reviewed &amp; updated" in page
    assert "&#x27;=2+3 shorten days to close" in page and "&#x27;@ann" in page
    assert "\x07" not in page and "\x1b" not in page


def test_a_frozen_review_exports_the_same_after_new_data(pack_db, tmp_path):
    shutil.copy(pack_db, tmp_path / "copy.duckdb")
    demo = open_target(resolve_target(tmp_path / "copy.duckdb"))
    before_html = pack_html.html_page(review.review_record(demo, 1))
    before_deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(review.review_record(demo, 1))))
    path = tmp_path / "more.csv"
    path.write_text(
        "finding_id,audit_type,standard,severity,raised_on,status\n"
        + "".join(f"LATE-{i},internal,ISO 9001,major_nc,2026-01-1{i},open\n" for i in range(5)),
        encoding="utf-8",
    )
    result = ingest_file(demo, "findings", path)
    assert result.ok and result.inserted == 5
    live = review.build_record(demo, review.adhoc_review(dt.date(2025, 5, 1), dt.date(2026, 4, 30)))
    assert live["series"]["major_ncs_per_audit"] != review.review_record(demo, 1)["series"]["major_ncs_per_audit"]
    assert pack_html.html_page(review.review_record(demo, 1)) == before_html
    after_deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(review.review_record(demo, 1))))
    assert [slide_texts(s) for s in after_deck.slides] == [slide_texts(s) for s in before_deck.slides]
    demo.close()


# --- the PDF: the HTML printed by headless Chromium, read back with poppler's pdfinfo and pdftotext --------------

HOSTILE_TITLE = 'Review "Q4"; } @page { margin: 0 } </style><script>alert(1)</script> \\ end'


@pytest.fixture(scope="module")
def pdf_tools() -> None:
    """Chromium to print with, poppler to read back with."""
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils); .ci/run installs it")
    if pack_pdf.chromium() is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def printed(pack_db, pdf_tools, tmp_path_factory):
    """Review #1 (closed by Lead) as its PDF pack, its title one a user could type to break out of the page's CSS:
    the record and the PDF's path."""
    database = open_target(resolve_target(pack_db))
    record = review.review_record(database, 1)
    database.close()
    record["review"]["title"] = HOSTILE_TITLE
    path = tmp_path_factory.mktemp("pdf") / "pack.pdf"
    path.write_bytes(pack_pdf.pdf_bytes(record))
    return record, path


def pdf_info(path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in out.splitlines())}


def pdf_pages(path) -> list[str]:
    """The text of each page, its whitespace made single spaces (a table cell's lines run on)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in out.split("\f")[:-1]]  # pdftotext ends every page with a form feed


def test_pdf_is_a4_landscape_and_every_page_names_the_review_its_period_its_closer_and_its_number(printed):
    record, path = printed
    info = pdf_info(path)
    width, height = (float(v) for v in info["Page size"].split(" pts")[0].split(" x "))
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)  # A4 landscape, in mm
    pages = pdf_pages(path)
    assert len(pages) == int(info["Pages"]) > 10
    closed = dt.datetime.fromisoformat(record["review"]["closed_at"])
    state = f"Closed and frozen on {closed:%d %b %Y} at {closed:%H:%M} UTC by Lead"
    heading = f"{' '.join(HOSTILE_TITLE.split())} · period 01 May 2025 to 30 Apr 2026"
    for number, page in enumerate(pages, start=1):
        assert page.startswith(heading), (number, page[:200])  # the title shown as typed, the CSS intact
        assert page.endswith(f"Page {number} of {len(pages)}") and state in page, (number, page[-200:])
    assert "by local" not in " ".join(pages)


def test_pdf_opens_with_the_executive_summary_of_the_pillars_figures_and_decisions(printed, demo):
    record, path = printed
    first, second = pdf_pages(path)[:2]
    assert "Executive summary" in first and "Pillar scorecard" not in first  # the summary alone on page 1
    assert second.startswith(f"{' '.join(HOSTILE_TITLE.split())} · period 01 May 2025 to 30 Apr 2026 Pillar scorecard")
    cards = scorecard(demo, review_inputs.review_filters(dt.date(2025, 5, 1), dt.date(2026, 4, 30)))
    assert [p["name"] for p in record["scorecard"]["pillars"]] == [card.name for card in cards]
    for card in cards:
        texts = narrative.kpi_texts(narrative.headline(card))
        for shown in (card.name, words.status(card.status), texts["value"], texts["period"], texts["target"]):
            assert shown in first, (card.name, shown)
    decisions = record["summary"]["decisions"]
    assert f"Decisions asked for 1. {decisions[0]}" in first
    assert " ".join(f"{n}. {d}" for n, d in enumerate(decisions, start=1)) in first
    assert "2 decision(s) and action(s) recorded at this review: see the actions register." in first


def test_pdf_shows_user_text_as_typed_with_formulas_neutralised(printed):
    _, path = printed
    text = " ".join(pdf_pages(path))
    assert "<script>alert('b')</script> new site in Leeds" in text  # shown as text, never run
    for neutralised in ("'=cmd|' /C calc'!A0", "'@SUM(A1)", "'=2+3 shorten days to close", "'+44 20 7946 0000"):
        assert neutralised in text
    assert "<b>Hire</b> an auditor" in text
    assert "\x07" not in text and "\x1b" not in text


def test_the_cover_names_who_closed_a_review_never_its_identifier():
    closed = {"status": "closed", "closed_at": "2026-12-01T14:05:00", "closed_by": "local"}
    assert pack.state_text({"review": closed | {"closed_by_name": "Ann Chair"}}) == (
        "Closed and frozen on 01 Dec 2026 at 14:05 UTC by Ann Chair"
    )
    assert pack.state_text({"review": closed}) == "Closed and frozen on 01 Dec 2026 at 14:05 UTC by Local user"
    by_mail = closed | {"closed_by": "lead@example.com"}  # a record frozen before names were kept
    assert pack.state_text({"review": by_mail}).endswith(" by lead@example.com")
    assert pack.state_text({"review": {"status": "open"}}) == "Open (draft)"


# --- the command line ------------------------------------------------------------------------------------------


@pytest.fixture
def run_cli(pack_db, tmp_path):
    """`python -m isokpi ...` in-process on a copy of the pack database."""
    copy = tmp_path / "cli.duckdb"
    shutil.copy(pack_db, copy)
    close_all()
    yield lambda *argv: cli.main([*argv, "--db", str(copy)])
    close_all()


def test_cli_writes_the_pptx_of_a_stored_review(run_cli, tmp_path, capsys):
    out = tmp_path / "pack.pptx"
    assert run_cli("review-pack", "--format", "pptx", "--out", str(out), "--review", "1") == 0
    deck = Presentation(str(out))
    assert [s.shapes.title.text for s in deck.slides][:3] == [
        "Management review 29 May 2026",
        "Executive summary",
        "Pillar scorecard",
    ]
    assert sum(1 for s in deck.slides for shape in s.shapes if shape.has_chart) > 20
    assert f"{out}: Management review 29 May 2026 (Closed and frozen)" in capsys.readouterr().out


def test_cli_writes_the_html_of_an_ad_hoc_period(run_cli, tmp_path):
    out = tmp_path / "pack.html"
    assert (
        run_cli("review-pack", "--format", "html", "--out", str(out), "--from", "2026-01-01", "--to", "2026-10-31") == 0
    )
    page = out.read_text(encoding="utf-8")
    assert "Management review pack 01 Jan 2026 to 31 Oct 2026" in page and "cdn" not in page.lower()


def test_cli_writes_the_pdf_of_a_stored_review(run_cli, pdf_tools, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    assert run_cli("review-pack", "--format", "pdf", "--out", str(out), "--review", "1") == 0
    pages = pdf_pages(out)
    assert pages[0].startswith("Management review 29 May 2026 · period 01 May 2025 to 30 Apr 2026")
    assert "Executive summary" in pages[0] and pages[0].endswith(f"Page 1 of {len(pages)}")
    assert f"{out}: Management review 29 May 2026 (Closed and frozen)" in capsys.readouterr().out


def test_cli_without_chromium_says_what_the_pdf_needs_and_writes_nothing(run_cli, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ISOKPI_CHROMIUM", str(tmp_path / "nowhere"))
    out = tmp_path / "pack.pdf"
    assert run_cli("review-pack", "--format", "pdf", "--out", str(out), "--review", "1") == 1
    assert f"ISOKPI_CHROMIUM={tmp_path / 'nowhere'} is not an executable file" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--review", "99"], "review 99 does not exist (stored reviews: 2, 1)"),
        (["--from", "2026-01-01"], "give both --from and --to"),
        (["--from", "2026-05-01", "--to", "2026-01-01"], "after it ends"),
        (["--format", "docx"], "invalid choice: 'docx'"),
    ],
)
def test_cli_rejects_bad_input_with_exit_code_2(run_cli, tmp_path, capsys, argv, message):
    arguments = ["review-pack", "--out", str(tmp_path / "x.pptx")]
    arguments += argv if "--format" in argv else ["--format", "pptx", *argv]
    assert run_cli(*arguments) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test_cli_rejects_an_output_directory_that_does_not_exist(run_cli, tmp_path, capsys):
    assert run_cli("review-pack", "--format", "html", "--out", str(tmp_path / "nowhere" / "p.html")) == 2
    assert "no such directory for --out" in capsys.readouterr().err


@pytest.mark.browser
def test_html_pack_draws_its_charts_offline_and_prints_to_pdf(demo, tmp_path, playwright_browser):
    """In a real Chromium: no request leaves the file, every chart is drawn, and it prints to a multi-page PDF."""
    first, second = records(demo)
    path = tmp_path / "pack.html"
    path.write_text(pack_html.html_page(second, first), encoding="utf-8")
    page = playwright_browser.new_page(viewport={"width": 1200, "height": 900})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    drawn = page.evaluate("document.querySelectorAll('.plotly-graph-div .main-svg').length")
    # Where a narrow chart's legend wraps, it sits below the title, never over it.
    overlaps = page.evaluate(
        """[...document.querySelectorAll('.plotly-graph-div')].filter(chart => {
            const title = chart.querySelector('.gtitle'), legend = chart.querySelector('.legend');
            return title && legend && title.getBoundingClientRect().bottom > legend.getBoundingClientRect().top;
        }).map(chart => chart.id)"""
    )
    pdf = page.pdf(format="A4")
    page.close()
    assert [url for url in requests if not url.startswith(("file:", "data:", "blob:"))] == []
    assert errors == []
    assert drawn >= page_charts(second)
    assert overlaps == []
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 5


def page_charts(record: dict) -> int:
    return sum(1 for s in record["sections"] for k in s["kpis"] if k["latest"] is not None and k["points"])
