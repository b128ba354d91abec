"""One truth: for one as-of date and filters, every KPI reads the same on the Overview, the Pillar page, the review
page, in the HTML pack and in the PowerPoint, with the value text and the verdict words the library gives it; and
moving the From date changes what is shown, never a limit or a verdict."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess

import pytest
from pptx import Presentation

from isokpi import narrative, pack, pack_pdf, review, words
from isokpi.auth import QUALITY_LEAD, User
from isokpi.db import resolve_target
from isokpi.kpis import Filters, scorecard
from isokpi.opening import open_database, open_target
from isokpi.pack_html import html_page
from isokpi.pack_pptx import pptx_bytes
from isokpi.periods import add_months, period_start
from isokpi.pillars import PILLAR_IDS
from isokpi.review_inputs import SECTION_KEYS

from .apptest import app_page, as_read
from .test_records_page import selected

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
BADGE = re.compile(r"badge\[:material/[a-z_]+: ([^\]]+)\]")


@pytest.fixture(scope="module")
def period():
    """The last twelve complete months before today: what a review would cover, and the sidebar's From and To."""
    this_month = period_start(dt.date.today(), "month")
    return add_months(this_month, -12), this_month - dt.timedelta(days=1)


@pytest.fixture
def app(demo_database, tmp_path, use_database):
    path = tmp_path / "truth.duckdb"
    shutil.copy(demo_database(), path)
    use_database(path)
    return path


def expected_texts(database, filters: Filters) -> tuple[dict[str, dict], dict[str, dict]]:
    cards = scorecard(database, filters)
    kpis = {s.kpi.id: narrative.kpi_texts(s) for card in cards for s in card.series}
    pillars = {card.id: narrative.pillar_texts(card) for card in cards}
    return kpis, pillars


def test_every_kpi_reads_the_same_on_every_page_and_in_every_pack(app, period):
    date_from, date_to = period
    query = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    database = open_database()
    kpis, pillars = expected_texts(database, Filters(date_from=date_from, date_to=date_to))

    overview = app_page("overview")
    for key, value in query.items():
        overview.query_params[key] = value
    overview.run()
    assert not overview.exception
    tiles = {b.key.removeprefix("tile-"): b for b in overview.container if (b.key or "").startswith("tile-")}
    for card in scorecard(database, Filters(date_from=date_from, date_to=date_to)):
        tile = tiles[card.id]
        assert BADGE.search(tile.markdown[0].value).group(1) == pillars[card.id]["status"]
        headline = narrative.headline(card)
        assert tile.metric[0].value == kpis[headline.kpi.id]["value"]

    shown_on_pillar_pages: dict[str, tuple[str, ...]] = {}
    for pillar in PILLAR_IDS:
        page = app_page("pillar")
        for key, value in {**query, "pillar": pillar}.items():
            page.query_params[key] = value
        page.run()
        assert not page.exception
        for block in page.container:
            if not (block.key or "").startswith("kpi-") or not block.get("plotly_chart"):
                continue
            kpi_id = block.key.removeprefix("kpi-")
            badges = [BADGE.search(m.value).group(1) for m in block.markdown if BADGE.search(m.value)]
            title = block.get("plotly_chart")[0].proto.spec
            shown_on_pillar_pages[kpi_id] = (*badges, title)
    assert shown_on_pillar_pages, "no KPI chart on any Pillar page"
    for kpi_id, (state, variation, assurance, spec) in shown_on_pillar_pages.items():
        texts = kpis[kpi_id]
        assert (state, variation, assurance) == (texts["status"], texts["variation"], texts["assurance"]), kpi_id
        assert html.escape(texts["sentence"], quote=False).split(" ")[0] in spec

    review_id = review.create_review(database, LEAD, review_date=date_to, period_from=date_from, period_to=date_to)
    record = review.review_record(database, review_id)
    assert record["scorecard"]["pillars"] == [
        {**p, "text": pillars[p["id"]]} for p in record["scorecard"]["pillars"]
    ]  # the review's pillars read as the tiles
    for kpi_id, texts in kpis.items():
        assert record["series"][kpi_id]["text"] == texts, kpi_id

    page = app_page("review")
    page.run()
    page.session_state["step"] = "Inputs (9.3.2)"  # the page in steps: the inputs, one at a time
    page.run()
    captions = []
    for key in SECTION_KEYS:
        page.segmented_control(key="input").set_value(key).run()
        assert not page.exception, page.exception
        captions += [c.value for c in page.caption]
    deck = Presentation(io.BytesIO(pptx_bytes(record)))
    slide_text = "\n".join(
        shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
    )
    page_html = html.unescape(html_page(record))
    in_sections = {kpi["id"] for section in record["sections"] for kpi in section["kpis"] if kpi["latest"] is not None}
    assert len(in_sections) >= 15
    for kpi_id in in_sections:
        line = narrative.verdict_line(record["series"][kpi_id])
        texts = kpis[kpi_id]
        for word in (texts["value"], texts["status"], texts["variation"], texts["assurance"]):
            assert word in line, (kpi_id, word, line)
        assert line in captions, kpi_id
        assert line in page_html, kpi_id
    for kpi_id, texts in kpis.items():
        if texts["value"] is not None:
            assert narrative.verdict_line(record["series"][kpi_id]) in slide_text, kpi_id
    for pillar in pillars.values():
        assert pillar["status"] in slide_text and pillar["sentence"] in slide_text


def limits(series) -> tuple | None:
    """The latest limits and how many points set them (their row indexes shift with the crop)."""
    lim = series.limits
    return None if lim is None else (lim.mean, lim.mean_moving_range, lim.lcl, lim.ucl, lim.points)


def test_moving_from_changes_no_value_limit_or_verdict(demo_database, period):
    database = open_target(resolve_target(demo_database()))
    date_from, date_to = period
    everything = {s.kpi.id: s for card in scorecard(database, Filters(date_to=date_to)) for s in card.series}
    for start in (date_from, add_months(date_from, 6), add_months(date_from, 11)):
        cropped = {
            s.kpi.id: s for card in scorecard(database, Filters(date_from=start, date_to=date_to)) for s in card.series
        }
        for kpi_id, whole in everything.items():
            shown = cropped[kpi_id]
            assert all(p.period >= start for p in shown.points)
            assert (shown.variation, shown.assurance, shown.status) == (whole.variation, whole.assurance, whole.status)
            assert (limits(shown), shown.trend, shown.earlier) == (limits(whole), whole.trend, whole.earlier), kpi_id
            assert narrative.kpi_texts(shown) == narrative.kpi_texts(whole), kpi_id
    database.close()


def test_the_words_table_covers_every_verdict():
    assert set(words.VARIATION) == {"improvement", "concern", "common_cause"}
    assert set(words.ASSURANCE) == {"pass", "fail", "inconsistent"}
    assert set(words.STATUS) == {"on_track", "at_risk", "off_track"}
    assert words.variation(None) == "No verdict yet" and words.variation("concern", has_value=False) == "No data"
    assert words.assurance("pass", has_target=False) == "No target"


def test_the_records_panel_reads_each_kpis_latest_value_as_every_page_does(app, period):
    date_from, date_to = period
    query = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    filters = Filters(date_from=date_from, date_to=date_to)
    database = open_database()
    kpis, _ = expected_texts(database, filters)
    checked = 0
    for card in scorecard(database, filters):
        page = app_page("pillar")
        for key, value in {**query, "pillar": card.id}.items():
            page.query_params[key] = value
        page.run()
        assert not page.exception, page.exception
        charts = {c.key for c in page.get("plotly_chart")}
        drawn = [s for s in card.series if f"chart-{s.kpi.id}" in charts and s.latest is not None]
        for series in drawn:  # each chart's latest settled point, clicked: its panel stays open beside the others
            page = selected(page, f"chart-{series.kpi.id}", series.latest.period.isoformat())
            assert not page.exception, page.exception
        panels = {b.key: b for b in page.container if (b.key or "").startswith("records-chart-")}
        for series in drawn:
            heading = as_read(panels[f"records-chart-{series.kpi.id}"].markdown[0].value)
            value = kpis[series.kpi.id]["value"]
            assert heading.endswith(f": {value}**") and series.kpi.name in heading, (series.kpi.id, heading, value)
            checked += 1
    assert checked >= 15


def test_the_pdf_pack_reads_as_the_html_pack(app, period, tmp_path):
    # The PDF is the HTML page printed: each KPI's verdict line and the executive summary's words in its text.
    if not shutil.which("pdftotext") or pack_pdf.chromium() is None:
        pytest.skip("the PDF needs Debian chromium and poppler-utils (apt-get install chromium poppler-utils)")
    date_from, date_to = period
    database = open_database()
    kpis, pillars = expected_texts(database, Filters(date_from=date_from, date_to=date_to))
    review_id = review.create_review(database, LEAD, review_date=date_to, period_from=date_from, period_to=date_to)
    record = review.review_record(database, review_id)
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack_pdf.pdf_bytes(record))
    # In the order Chromium wrote it (-raw): a table's cells one after the other, as the HTML has them.
    text = " ".join(
        subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    in_sections = {kpi["id"] for section in record["sections"] for kpi in section["kpis"] if kpi["latest"] is not None}
    assert len(in_sections) >= 15
    for kpi_id in in_sections:
        line = narrative.verdict_line(record["series"][kpi_id])
        assert kpis[kpi_id]["value"] in line and " ".join(line.split()) in text, (kpi_id, line)
    summary = pack.summary_rows(record)
    assert [row[1] for row in summary] == [pillars[p["id"]]["status"] for p in record["scorecard"]["pillars"]]
    for row in summary:
        for cell in row:
            assert " ".join(cell.split()) in text, cell
