"""When will we hit target, beyond the Pillar page: `scorecard --json` carries an `eta` object per KPI (null without a
real trend) and its text output the sentence; the review record keeps it, and the PowerPoint and HTML packs show it,
in one wording (eta.eta_sentence). Hand-made training: mandatory completion on time 50%, 52%, ... 72% in 2025."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys

import pytest
from pptx import Presentation

from isokpi import pack_html, pack_pdf, pack_pptx, review
from isokpi.db import resolve_target
from isokpi.ingest import ingest_file
from isokpi.opening import open_target
from isokpi.safety import html_text

from .conftest import ROOT

DUE = 50  # mandatory records due each month of 2025; 25 + m of them completed on time in month m (0-11)
# 50 + 2x reaches the default target of 95% at x = 22.5 months after Jan 2025: the first whole month is Dec 2026.
SENTENCE = (
    "When will it hit target? On its present trend (Sen's slope +2.0 pts a month, Mann-Kendall p < 0.001) the target "
    "of 95.0% is reached around Dec 2026; Dec 2026 by the slope's 95% interval too. A trend can change: this says "
    "where the line goes, not what will happen."
)
KPI = "mandatory_training_completion_pct"


@pytest.fixture
def path(tmp_path, write):
    rows = ["record_id,employee_id,department,site,course,hours,status,due_date,completed_on,is_mandatory"]
    for month in range(12):
        for i in range(DUE):
            done = i < 25 + month
            due = dt.date(2025, month + 1, 20)
            rows.append(
                f"T-{month}-{i},E-{i},Quality,Leeds,Safety,1,{'completed' if done else 'overdue'},{due},"
                f"{due - dt.timedelta(days=5) if done else ''},yes"
            )
    path = tmp_path / "eta.duckdb"
    database = open_target(resolve_target(path))
    assert ingest_file(database, "training", write("training.csv", "\n".join(rows) + "\n")).ok
    database.close()
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_scorecard_json_has_an_eta_per_kpi_and_its_text_the_sentence(path):
    done = run("scorecard", "--to", "2025-12-31", "--db", str(path), "--json")
    assert done.returncode == 0, done.stderr
    kpis = {kpi["id"]: kpi for pillar in json.loads(done.stdout)["pillars"] for kpi in pillar["kpis"]}
    assert all("eta" in kpi for kpi in kpis.values())
    eta = kpis[KPI]["eta"]
    assert eta.pop("p_value") < 0.001
    assert eta == {
        "reaches": True,
        "period": "2026-12",
        "earliest": "2026-12",
        "latest": "2026-12",
        "slope_per_period": 2.0,
        "target": 95.0,
        "sentence": SENTENCE,
    }
    assert kpis["overdue_open_findings"]["eta"] is None  # no data, no trend
    text = run("scorecard", "--to", "2025-12-31", "--db", str(path))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    (row,) = [n for n, line in enumerate(lines) if line.strip().startswith("Mandatory training completed on time")]
    assert lines[row + 1] == f"    {SENTENCE}"


def test_the_record_and_both_packs_say_it_in_the_same_words(path):
    database = open_target(resolve_target(path))
    record = review.build_record(database, review.adhoc_review(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    database.close()
    assert record["series"][KPI]["eta"]["sentence"] == SENTENCE
    deck = Presentation(io.BytesIO(pack_pptx.pptx_bytes(record)))
    (slide,) = [
        s for s in deck.slides if s.shapes.title is not None and s.shapes.title.text == "When will we hit target?"
    ]
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["KPI", "When will it hit target?"]
    assert ["Mandatory training completed on time", SENTENCE] in rows[1:]
    page = pack_html.html_page(record)
    chart = page[page.index('id="chart-c3-mandatory_training_completion_pct"') :]
    chart = chart[: chart.index('<div class="chart">')]  # up to the next chart
    assert chart.count(f'<p class="kpi-line eta">{html_text(SENTENCE)}</p>') == 1


def test_the_pdf_pack_prints_the_sentence(path, tmp_path):
    if not shutil.which("pdftotext") or pack_pdf.chromium() is None:
        pytest.skip("the PDF needs Debian chromium and poppler-utils (apt-get install chromium poppler-utils)")
    database = open_target(resolve_target(path))
    record = review.build_record(database, review.adhoc_review(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    database.close()
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(pack_pdf.pdf_bytes(record))
    out = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert SENTENCE in " ".join(out.split())
