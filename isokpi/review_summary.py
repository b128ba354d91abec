"""A review's executive summary: each pillar's status, its headline KPI's value against target and the one-sentence
finding, then the decisions the review is asked for. Built from the review record and kept in it, so the summary
slide of the PowerPoint, the first page of the HTML and PDF packs and the Review page read the same words.
No streamlit here.
"""

from __future__ import annotations

from isokpi import words
from isokpi.kpis import AT_RISK, OFF_TRACK
from isokpi.narrative import record_pillar_texts, record_texts

MOST_NAMED = 3  # KPIs named in one decision before "and N more"
CONCLUSION = (
    "Conclude whether the management system remains suitable, adequate and effective and aligned with the "
    "strategic direction (9.3.1)."
)
ATTENTION = (words.STATUS[OFF_TRACK], words.STATUS[AT_RISK])


def build_summary(record: dict) -> dict:
    """The summary of a record (JSON-ready): per pillar its status, headline and finding; the decisions asked for;
    how many actions this review has recorded."""
    return {
        "pillars": [pillar_line(record, pillar) for pillar in record["scorecard"]["pillars"]],
        "decisions": decisions_asked(record),
        "recorded": len(record["actions"]),
    }


def record_summary(record: dict) -> dict:
    """The summary a record was presented with, or, for a record frozen before it kept one, built from it."""
    return record.get("summary") or build_summary(record)


def headline_kpi(record: dict, pillar: dict) -> dict | None:
    """The pillar's headline KPI, as on its tile: the first in catalog order that has a value."""
    return next(
        (record["series"][kpi["id"]] for kpi in pillar["kpis"] if record["series"][kpi["id"]]["latest"] is not None),
        None,
    )


def headline_text(kpi: dict) -> str:
    """'Findings closed on time: 78.0% in Oct 2026, target 90.0% (12.0 pts below target)'; a KPI without a target:
    '…: 4.2 in Oct 2026, no target'. It starts with the KPI's name, never with a sign a spreadsheet would run."""
    texts = record_texts(kpi)
    latest = f"{kpi['name']}: {texts['value']} in {texts['period']}"
    if not texts["target"]:
        return f"{latest}, {words.NO_TARGET.lower()}"
    gap = f" ({texts['gap']})" if texts.get("gap") else ""
    return f"{latest}, target {texts['target']}{gap}"


def pillar_line(record: dict, pillar: dict) -> dict:
    texts = record_pillar_texts(pillar)
    kpi = headline_kpi(record, pillar)
    return {
        "id": pillar["id"],
        "name": pillar["name"],
        "status": texts["status"],
        "headline": kpi["id"] if kpi else None,
        "headline_text": headline_text(kpi) if kpi else words.NO_DATA,
        "finding": texts["sentence"],
    }


def _names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 2 more'."""
    if len(names) > MOST_NAMED:
        return f"{', '.join(names[:MOST_NAMED])} and {len(names) - MOST_NAMED} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def decisions_asked(record: dict) -> list[str]:
    """What the review is asked to decide, most pressing first: the pillars off track, then at risk, each with the
    KPIs that put it there; the overdue actions of earlier reviews; the inputs without evidence; the conclusion
    9.3.1 asks of every review."""
    asks = []
    for status in ATTENTION:
        for pillar in record["scorecard"]["pillars"]:
            if record_pillar_texts(pillar)["status"] != status:
                continue
            kpis = [record["series"][kpi["id"]] for kpi in pillar["kpis"]]
            named = [kpi["name"] for kpi in kpis if record_texts(kpi)["status"] in ATTENTION]
            about = f"decide actions on {_names(named)}" if named else "decide what it needs"
            asks.append(f"{pillar['name']} is {status.lower()}: {about} (9.3.3).")
    carried = next((s for s in record["sections"] if s["key"] == "a"), None)
    overdue = next((f["value"] for f in (carried or {}).get("facts", []) if f["label"] == "Overdue"), 0)
    if overdue:
        asks.append(
            f"{overdue} action(s) from earlier reviews are overdue: renew their due dates, reassign or escalate them."
        )
    missing = record["completeness"]["missing"]
    if missing:
        clauses = [m["clause"] for m in missing]
        listed = clauses[0] if len(clauses) == 1 else f"{', '.join(clauses[:-1])} and {clauses[-1]}"
        asks.append(f"{len(missing)} input(s) without evidence, {listed}: supply them, or minute why they are missing.")
    return [*asks, CONCLUSION]
