"""Training against outcomes in the review packs: the PowerPoint slide and the HTML (and so PDF) section carry the
Training page's scatter, Spearman's rho, p and n and its words, from the same outcomes_view functions, on the
hand-made departments of test_outcomes."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import shutil
import struct
import subprocess

import pytest
from pptx import Presentation
from scipy import stats as scipy_stats

from isokpi import pack_html, pack_pdf, pack_pptx, review
from isokpi.db import resolve_target
from isokpi.opening import open_target
from isokpi.safety import html_text

from .apptest import app_page, as_read
from .test_outcomes import AS_OF, load

PERIOD_FROM = dt.date(2024, 7, 2)  # the Training page's window without a start: the year up to AS_OF
NAMES = ["A", "B", "C", "D", "E", "Smaller departments pooled (2)"]
ON_TIME = [100.0, 80.0, 60.0, 40.0, 20.0, 100.0]
FINDINGS_PER_100 = [10.0, 30.0, 20.0, 50.0, 40.0, 0.0]
SENTENCE = (
    "Departments with higher mandatory training on time tend to have fewer findings per 100 staff "
    "(Spearman's rho −0.87, p = 0.02, n = 6 departments)."
)


@pytest.fixture
def record(db, write):
    load(db, write)
    return review.build_record(db, review.adhoc_review(PERIOD_FROM, AS_OF))


def test_the_record_carries_the_departments_and_the_correlation(record):
    outcomes = record["outcomes"]
    assert [p["group"] for p in outcomes["points"]] == NAMES
    assert [p["x"] for p in outcomes["points"]] == ON_TIME
    assert [p["y"] for p in outcomes["points"]] == FINDINGS_PER_100
    assert [p["pooled"] for p in outcomes["points"]] == [1, 1, 1, 1, 1, 2]
    expected = scipy_stats.spearmanr(ON_TIME, FINDINGS_PER_100)
    assert outcomes["rho"] == pytest.approx(expected.statistic) and outcomes["n"] == 6
    assert outcomes["p_value"] == pytest.approx(expected.pvalue)
    assert outcomes["association"] == SENTENCE
    assert outcomes["method"].startswith("From 02 Jul 2024 to 01 Jul 2025. One dot per department;")
    assert "An association is not a cause" in outcomes["caveat"] and "with n = 6 one department" in outcomes["caveat"]
    assert outcomes["correlations"][0] == [
        "Mandatory training on time",
        "Findings raised per 100 staff",
        "−0.87",
        "p = 0.02",
        "6",
    ]
    assert json.loads(json.dumps(record))["outcomes"] == outcomes  # it freezes with the record


def test_the_powerpoint_slide_names_every_department_with_rho_p_and_n(record):
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(record)))
    (slide,) = [
        s for s in deck.slides if s.shapes.title is not None and s.shapes.title.text == "Training against outcomes"
    ]
    texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
    assert SENTENCE in texts
    assert any("An association is not a cause" in text for text in texts)
    (frame,) = [shape for shape in slide.shapes if shape.has_chart]
    (series,) = frame.chart.plots[0].series
    assert list(series.values) == FINDINGS_PER_100
    xs = [float(v.text) for v in series._element.xpath("./c:xVal//c:v")]
    assert xs == ON_TIME
    assert [series.points[i].data_label.text_frame.text for i in range(len(NAMES))] == NAMES
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    assert [cell.text for cell in table.rows[1].cells] == [
        "Mandatory training on time", "Findings raised per 100 staff", "−0.87", "p = 0.02", "6"
    ]  # fmt: skip


def test_the_html_pack_has_the_same_section(record):
    page = pack_html.html_page(record)
    section = page[page.index('<section id="outcomes">') :]
    section = section[: section.index("</section>")]
    assert html_text(SENTENCE) in section
    assert "An association is not a cause" in section
    (spec,) = re.findall(r'Plotly\.newPlot\(\s*"chart-outcomes",\s*(\[.*?\]),\s*\{', section, flags=re.S)
    (trace,) = json.loads(spec)
    assert trace["text"] == NAMES and numbers(trace["x"]) == ON_TIME and numbers(trace["y"]) == FINDINGS_PER_100


def numbers(array) -> list[float]:
    """A plotly array as the page holds it: a list, or binary (base64 of float64)."""
    if isinstance(array, dict):
        return list(struct.unpack(f"<{len(base64.b64decode(array['bdata'])) // 8}d", base64.b64decode(array["bdata"])))
    return list(array)


def test_a_record_frozen_before_the_packs_carried_it_has_no_such_slide(record):
    old = {key: value for key, value in record.items() if key != "outcomes"}
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(old)))
    assert "Training against outcomes" not in [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert 'id="outcomes"' not in pack_html.html_page(old)


def test_the_training_page_says_the_very_same(tmp_path, write, use_database):
    # The Training page over the review's period (the pack's own filters) shows the sentence and caption the pack does.
    path = tmp_path / "app.duckdb"
    database = open_target(resolve_target(path))
    load(database, write)
    outcomes = review.build_record(database, review.adhoc_review(PERIOD_FROM, AS_OF))["outcomes"]
    database.close()
    use_database(path)
    at = app_page("training")
    at.query_params.update({"from": PERIOD_FROM.isoformat(), "to": AS_OF.isoformat()})
    at = at.run()
    assert not at.exception, at.exception
    assert SENTENCE in [as_read(m.value) for m in at.markdown]
    assert f"{outcomes['method']} {outcomes['caveat']}" in [as_read(c.value) for c in at.caption]


def test_the_pdf_pack_prints_the_section(record, tmp_path):
    if not shutil.which("pdftotext") or pack_pdf.chromium() is None:
        pytest.skip("the PDF needs Debian chromium and poppler-utils (apt-get install chromium poppler-utils)")
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack_pdf.pdf_bytes(record))
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(out.split())
    assert "Training against outcomes" in text and SENTENCE in text
    assert " ".join(record["outcomes"]["caveat"].split()) in text
