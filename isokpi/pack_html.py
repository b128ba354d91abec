"""The review pack as one self-contained HTML page: the executive summary first, inline CSS and plotly.js,
interactive process-behaviour charts, every 9.3.2 input. It prints to PDF on A4 landscape with the review's title and
period, who closed it and when, and page numbers in every page's margins (pack_pdf prints it so). Every text is
escaped."""

from __future__ import annotations

import re

from isokpi.charts import PLOTLY_CONFIG, record_chart
from isokpi.narrative import verdict_line
from isokpi.outcomes_view import CORRELATION_COLUMNS, pack_figure
from isokpi.pack import (
    ACTION_COLUMNS,
    SCORECARD_COLUMNS,
    SUMMARY_COLUMNS,
    action_rows,
    changed_rows,
    day_text,
    decisions,
    eta_line,
    fact_value,
    period_text,
    recorded_text,
    register_rows,
    scorecard_rows,
    state_text,
    summary_rows,
)
from isokpi.review import compare
from isokpi.safety import css_string, html_text

CHART_WIDTH = 480  # px: two fit side by side in the HTML pack's sections on screen, one fits an A4 page when printed
# Hosts plotly.js would only contact for map charts (tiles, icons, topojson); the pack draws none, and stripping
# the addresses keeps the file free of any CDN reference (nothing may leave the reader's machine).
_EXTERNAL_HOSTS = re.compile(r"https?://[A-Za-z0-9.-]*cdn[A-Za-z0-9.-]*", re.IGNORECASE)

CSS = """
:root { --good: #1f6fb4; --bad: #e07000; --off: #c62828; --grey: #8a8f98; --line: #e1e4e8; }
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
.status-on-track { color: var(--good); font-weight: 600; } .status-at-risk { color: var(--bad); font-weight: 600; }
.status-off-track { color: var(--off); font-weight: 600; }  /* red, as the app's Off track badge */
table.exec td:nth-child(1) { font-weight: 600; } table.exec td:nth-child(2) { white-space: nowrap; }
ol.decisions { margin: 4px 0 8px; padding-left: 22px; } ol.decisions li { margin: 2px 0; }
footer { color: var(--grey); font-size: 0.85rem; margin-top: 24px; }
@page { size: A4 landscape; margin: 14mm 12mm 13mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav, .modebar, .modebar-container { display: none !important; }
  .charts { grid-template-columns: repeat(2, 480px); gap: 4mm 10mm; }
  section { break-inside: avoid-page; page-break-inside: avoid; border: none; padding: 0; margin: 0 0 8mm; }
  section.long { break-inside: auto; page-break-inside: auto; }
  section#summary { break-inside: auto; page-break-inside: auto; break-after: page; page-break-after: always; margin: 0; }
  #summary table { font-size: 7.5pt; margin: 3px 0; } #summary td, #summary th { padding: 1px 5px; }
  #summary h2 { font-size: 1.1rem; } #summary h3 { margin: 5px 0 2px; } #summary ol, #summary p { font-size: 8pt; }
  header h1 { font-size: 1.5rem; } header .meta { margin-bottom: 6px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .chart, dl.facts div { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
# What every printed page carries in its margins: the review and its period, its state (who closed it and when),
# and the page number. CSS margin boxes, so a browser printing the page itself shows them too.
PAGE_MARGINS = """
@page {{
  @top-left {{ content: {title}; font: 8pt system-ui, sans-serif; color: #555; }}
  @bottom-left {{ content: {state}; font: 8pt system-ui, sans-serif; color: #555; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font: 8pt system-ui, sans-serif; color: #555; }}
}}
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
        f'<p class="meta">ISO 9001 9.3 management review · period {html_text(period_text(record))} · held '
        f"{html_text(day_text(review['review_date']))} · {html_text(state_text(record))}</p></header>",
        _html_summary(record),
        _html_nav(record),
        _html_scorecard(record),
        _html_completeness(record),
        *(_htmlsection_of(record, section) for section in record["sections"]),
        _html_outcomes(record),
    ]
    if previous is not None:
        body.append(_html_comparison(compare(previous, record)))
    body.append(_html_actions(record))
    body.append(
        f"<footer>Built {html_text(day_text(record['built_at']))} from the isokpi database; data up to {html_text(day_text(record['as_of']))}."
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
        f"<style>{CSS}{_page_margins(record)}</style>",
        script,
        "</head><body>",
    ]
    return "\n".join([*head, *body, "</body></html>"])


def _page_margins(record: dict) -> str:
    review = record["review"]
    return PAGE_MARGINS.format(
        title=css_string(f"{review['title']} · period {period_text(record)}"), state=css_string(state_text(record))
    )


def _html_summary(record: dict) -> str:
    """Page 1: the 8 pillars with status, headline value against target and the finding, then the decisions."""
    head = "".join(f"<th>{html_text(c)}</th>" for c in SUMMARY_COLUMNS)
    rows = "".join(
        f'<tr><td>{html_text(name)}</td><td class="status-{_slug(status)}">{html_text(status)}</td>'
        f"<td>{html_text(headline)}</td><td>{html_text(finding)}</td></tr>"
        for name, status, headline, finding in summary_rows(record)
    )
    asks = "".join(f"<li>{html_text(text)}</li>" for text in decisions(record))
    return (
        '<section id="summary"><h2>Executive summary</h2>'
        f'<table class="exec"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f'<h3>Decisions asked for</h3><ol class="decisions">{asks}</ol>'
        f'<p class="meta">{html_text(recorded_text(record))}</p></section>'
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
        + _html_table(SCORECARD_COLUMNS, scorecard_rows(record))
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


def _htmlsection_of(record: dict, section: dict) -> str:
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
    if not kpi["points"]:  # a value from before the period only (an annual survey): its words, as on the slide
        return f'<div class="chart"><h3>{html_text(kpi["name"])}</h3><p class="kpi-line">{html_text(verdict_line(kpi))}</p></div>'
    # A fixed width: two charts side by side on screen, one per row on paper, never clipped when printed.
    figure = record_chart(kpi, height=320, width=CHART_WIDTH)
    config = PLOTLY_CONFIG | {"responsive": False}
    plot = figure.to_html(full_html=False, include_plotlyjs=False, config=config, div_id=div_id)
    when = eta_line(kpi)
    eta = f'<p class="kpi-line eta">{html_text(when)}</p>' if when else ""
    return f'<div class="chart">{plot}<p class="kpi-line">{html_text(verdict_line(kpi))}</p>{eta}</div>'


def _html_comparison(comparison: dict) -> str:
    previous = comparison["previous"]
    rows = changed_rows(comparison)
    pillars = [[p["name"], p["before"] or "–", p["after"]] for p in comparison["pillars"]]
    return (
        '<section id="comparison"><h2>Compared with the previous review</h2>'
        f"<p>Previous: {html_text(previous['title'])} ({html_text(day_text(previous['review_date']))}). "
        f'<span class="improved">{len(comparison["improved"])} KPI(s) improved</span>, '
        f'<span class="worse">{len(comparison["worse"])} got worse</span>.</p>'
        + _html_table(["KPI", "Previous review", "This review", "Change"], rows)
        + "<h3>Pillar status</h3>"
        + _html_table(["Pillar", "Previous review", "This review"], pillars)
        + "</section>"
    )


def _html_actions(record: dict) -> str:
    rows = action_rows(register_rows(record))
    body = _html_table(ACTION_COLUMNS, rows) if rows else "<p>No actions recorded yet.</p>"
    return (
        '<section id="actions" class="long"><h2>Decisions and actions (9.3.3)</h2>'
        "<p>Improvement opportunities, changes to the system and resource needs, with those carried from earlier "
        f"reviews.</p>{body}</section>"
    )


def _html_outcomes(record: dict) -> str:
    """Training against outcomes (the Training page's section): the named scatter, Spearman's rho, p and n, and
    what they do not show. Nothing for a record frozen before the packs carried it."""
    outcomes = record.get("outcomes")
    if outcomes is None:
        return ""
    figure = pack_figure(outcomes, width=CHART_WIDTH + 160)
    plot = (
        figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=PLOTLY_CONFIG | {"responsive": False},
            div_id="chart-outcomes",
        )
        if figure is not None
        else f"<p>No {html_text(outcomes['group'])} has both values in the period.</p>"
    )
    return (
        '<section id="outcomes"><h2>Training against outcomes</h2>'
        f'<p class="summary">{html_text(outcomes["association"])}</p>'
        f'<div class="chart">{plot}</div>'
        f'<p class="kpi-line">{html_text(outcomes["method"])} {html_text(outcomes["caveat"])}</p>'
        + _html_table(CORRELATION_COLUMNS, outcomes["correlations"])
        + "</section>"
    )
