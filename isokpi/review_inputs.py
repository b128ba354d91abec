"""The ISO 9001 9.3.2 inputs a) to f), c) 1-7, filled from the data: what the review presents and its completeness.

The data part (every KPI's series and verdicts, the scorecard, the period's counts) is aggregated in DuckDB
(the review_* views in isokpi/sql/views/) and kept JSON-ready, so that a closed review's frozen record reads the
same as a live one. No streamlit here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from isokpi import actions as register
from isokpi import stats, words
from isokpi.catalog import KPI_BY_ID, KPIS
from isokpi.datasets import STAKEHOLDERS
from isokpi.db import Database
from isokpi.eta import eta_dict
from isokpi.kpis import MIN_POINTS_FOR_LIMITS, Filters, Series, scorecard, series_dict
from isokpi.narrative import kpi_texts, record_texts, scorecard_json
from isokpi.outcomes_view import pack_outcomes
from isokpi.periods import period_label
from isokpi.pillars import PILLAR_NAMES
from isokpi.views import view_rows


@dataclass(frozen=True)
class SectionSpec:
    key: str
    clause: str
    title: str
    kpis: tuple[str, ...] = ()
    text_only: bool = False  # the data cannot speak (b, e): evidence is the text written for the meeting


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("a", "9.3.2 a)", "Status of actions from previous management reviews"),
    SectionSpec("b", "9.3.2 b)", "Changes in external and internal issues", text_only=True),
    SectionSpec(
        "c1",
        "9.3.2 c) 1",
        "Customer satisfaction and feedback from interested parties",
        ("customer_nps", "customer_csat_pct", "supplier_favourable_pct", "investor_favourable_pct"),
    ),
    SectionSpec("c2", "9.3.2 c) 2", "Extent to which quality objectives have been met", ("kpis_on_target_pct",)),
    SectionSpec(
        "c3",
        "9.3.2 c) 3",
        "Process performance and conformity",
        (
            "findings_closed_on_time_pct",
            "median_days_to_close",
            "mandatory_training_completion_pct",
            "training_effectiveness_pct",
            "standards_awareness_coverage_pct",
        ),
    ),
    SectionSpec(
        "c4",
        "9.3.2 c) 4",
        "Nonconformities and corrective actions",
        ("overdue_open_findings", "repeat_finding_rate_pct", "corrective_action_effectiveness_pct"),
    ),
    SectionSpec("c5", "9.3.2 c) 5", "Monitoring and measurement results"),
    SectionSpec("c6", "9.3.2 c) 6", "Audit results", ("major_ncs_per_audit", "external_audit_ncs_per_audit")),
    SectionSpec("c7", "9.3.2 c) 7", "Performance of external providers", ("supplier_favourable_pct",)),
    SectionSpec(
        "d",
        "9.3.2 d)",
        "Adequacy of resources",
        ("overdue_actions_per_100_staff", "training_hours_per_employee", "survey_favourable_resources_pct"),
    ),
    SectionSpec("e", "9.3.2 e)", "Effectiveness of actions taken to address risks and opportunities", text_only=True),
    SectionSpec("f", "9.3.2 f)", "Opportunities for improvement", ("improvement_opportunities_per_100_staff",)),
)
SECTION_KEYS: tuple[str, ...] = tuple(spec.key for spec in SECTIONS)
SPEC_BY_KEY = {spec.key: spec for spec in SECTIONS}
MISSING_TEXT = {
    "a": "No actions from earlier reviews are in the register: record them, or write a note saying why there are "
    "none (for example, this is the first review).",
    "b": "Write the changes in external and internal issues since the last review (context, interested parties, "
    "scope, risks).",
    "e": "Write how effective the actions on risks and opportunities were; the register's figures are shown beside it.",
}
SEVERITIES = ("major_nc", "minor_nc", "observation", "ofi")  # the per-severity counts period_facts' SQL returns


def review_filters(period_from: dt.date, period_to: dt.date) -> Filters:
    """The KPI engine's filters for a review period: the whole organisation, by month, as of the period's end.

    The same as `python -m isokpi scorecard --from FROM --to TO`: the period chooses what is presented; the
    statistics are the KPIs' whole history up to its end, as on the dashboard."""
    return Filters(date_from=period_from, date_to=period_to)


def evidence(database: Database, period_from: dt.date, period_to: dt.date) -> dict:
    """Everything the data says about a period, JSON-ready: every KPI's series and verdicts, the scorecard, and
    the counts the inputs quote (findings, audits, surveys, training). Aggregated in DuckDB."""
    filters = review_filters(period_from, period_to)
    cards = scorecard(database, filters)
    series = {s.kpi.id: kpi_summary(s) for card in cards for s in card.series}
    return jsonable(
        {
            "as_of": filters.today,
            "series": {kpi.id: series[kpi.id] for kpi in KPIS},
            "scorecard": scorecard_json(cards),
            "facts": dataclasses.asdict(period_facts(database, filters)),
            "outcomes": pack_outcomes(database, filters),
        }
    )


def kpi_summary(series: Series) -> dict:
    """series_dict plus what the review quotes: pillar, clause, the latest settled value (the one the verdicts speak
    for, as on the dashboard), on target, status, and every text a person reads about it (narrative.kpi_texts)."""
    latest = series.latest
    return series_dict(series) | {
        "pillar": series.kpi.pillar,
        "clause": series.kpi.clause,
        "latest": None if latest is None else latest.value,
        "latest_period": None if latest is None else period_label(latest.period, series.grain),
        "target_latest": series.target,
        "on_target": series.on_target(),
        "status": series.status,
        "text": kpi_texts(series),
        "eta": eta_dict(series),  # when will it hit target (None without a real trend)
    }


@dataclass(frozen=True)
class PeriodFacts:
    """The counts the inputs quote for a period, aggregated by the review_* views (isokpi/sql/views/)."""

    audits: list[dict]  # per audit type: audits, findings, and findings per severity
    findings: dict[str, int]  # raised per severity; repeats marked; open, overdue at the end; closed in the period
    ofi_processes: list[dict]  # the five processes with the most OFIs
    respondents: dict[str, int]  # survey respondents per stakeholder
    training_hours: float
    trained_people: int


def period_facts(database: Database, filters: Filters) -> PeriodFacts:
    """Findings raised in the period by audit type and severity, open and overdue at its end, OFIs by process,
    survey respondents by stakeholder, training hours completed: from the date range's start to its state day."""
    audits = view_rows(database, "review_audits", filters)
    state = view_rows(database, "review_findings_state", filters)[0]
    respondents = {
        row["stakeholder"]: int(row["respondents"]) for row in view_rows(database, "review_respondents", filters)
    }
    training = view_rows(database, "review_training", filters)[0]
    return PeriodFacts(
        audits=[{key: int(value) if key != "audit_type" else value for key, value in row.items()} for row in audits],
        findings={
            **{severity: sum(int(row[severity]) for row in audits) for severity in SEVERITIES},
            **{key: int(value) for key, value in state.items()},
        },
        ofi_processes=[
            {"process": row["process"], "ofis": int(row["ofis"])}
            for row in view_rows(database, "review_ofi_processes", filters)
        ],
        respondents={stakeholder: respondents.get(stakeholder, 0) for stakeholder in STAKEHOLDERS},
        training_hours=round(float(training["hours"]), 1),
        trained_people=int(training["people"]),
    )


# --- the inputs --------------------------------------------------------------------------------------------


def build_inputs(database: Database, review: dict, data: dict | None = None) -> list[dict]:
    """The 9.3.2 sections a) to f), c) 1-7, each filled from the data where it can speak and from the review's text."""
    data = data or evidence(database, review["period_from"], review["period_to"])
    texts = review.get("inputs") or {}
    carried = register.carried_actions(database, review)
    unlinked = register.unlinked_actions(database)
    everything = register.list_actions(database)
    day = register.review_day(review)
    builders = {
        "a": lambda: _actions_input(carried, unlinked, day),
        "b": lambda: {},
        "c1": lambda: _feedback_input(data),
        "c2": lambda: _objectives_input(data),
        "c3": lambda: _process_input(data),
        "c4": lambda: _nonconformity_input(data),
        "c5": lambda: _monitoring_input(data),
        "c6": lambda: _audit_input(data),
        "c7": lambda: _provider_input(data),
        "d": lambda: _resources_input(data),
        "e": lambda: _risks_input(everything, day),
        "f": lambda: _improvement_input(data),
    }
    sections = []
    for spec in SECTIONS:
        section = {
            "key": spec.key,
            "clause": spec.clause,
            "title": spec.title,
            "text_only": spec.text_only,
            "text": texts.get(spec.key, ""),
            "kpis": [data["series"][kpi_id] for kpi_id in spec.kpis],
            "facts": [],
            "tables": [],
            "has_data": False,
        } | builders[spec.key]()
        if spec.kpis and any(kpi["latest"] is not None for kpi in section["kpis"]):
            section["has_data"] = True
        if spec.text_only:
            section["evidence"] = bool(section["text"].strip())
        elif spec.key == "a":
            section["evidence"] = section["has_data"] or bool(section["text"].strip())
        else:
            section["evidence"] = section["has_data"]
        section["missing"] = None if section["evidence"] else _missing_reason(spec, data)
        if spec.text_only:
            first_line = section["text"].strip().split("\n")[0]
            section["summary"] = (first_line[:157] + "…" if len(first_line) > 160 else first_line) or "Not written yet."
        section.setdefault("summary", _kpi_summary_sentence(section["kpis"]))
        sections.append(section)
    return sections


def _missing_reason(spec: SectionSpec, data: dict) -> str:
    if spec.key in MISSING_TEXT:
        return MISSING_TEXT[spec.key]
    datasets = sorted({dataset for kpi_id in spec.kpis for dataset in KPI_BY_ID[kpi_id].datasets} - {"targets"})
    needs = f" (needs {', '.join(datasets)} data)" if datasets else ""
    return f"No data in the review period{needs}: load the exports on the Upload page, or widen the period."


def _fact(label: str, value: object, unit: str = "") -> dict:
    return {"label": label, "value": value, "unit": unit}


def _table(title: str, columns: list[str], rows: list[list[object]]) -> dict:
    return {"title": title, "columns": columns, "rows": rows}


def _actions_input(carried: list[dict], unlinked: list[dict], day: dt.date) -> dict:
    """Input a) from the register rows of register.carried_actions, judged on the review's day; the register's own
    open actions (linked to no review) are listed beside them, never counted as actions from earlier reviews."""
    counts = register.register_effectiveness(carried, day)
    still_open = counts["open"] + counts["in_progress"]
    finished = counts["total"] - still_open
    summary = (
        f"{len(carried)} action(s) from earlier reviews: {still_open} still open ({counts['overdue']} overdue), "
        f"{finished} done or verified."
        if carried
        else "No actions from earlier reviews in the register."
    )
    if unlinked:
        summary += f" {len(unlinked)} open action(s) in the register belong to no review."
    described = [register.describe(a, day) for a in carried]
    tables = [_actions_table("Actions from earlier reviews", described)] if carried else []
    if unlinked:
        tables.append(
            _actions_table(
                "Open actions in the register that belong to no review (link them on the Actions page)",
                [register.describe(a, day) for a in unlinked],
            )
        )
    return {
        "actions": described,
        "has_data": bool(carried),
        "summary": summary,
        "facts": [
            _fact("Actions from earlier reviews", len(carried)),
            _fact("Still open", still_open),
            _fact("Overdue", counts["overdue"]),
            _fact("Done or verified", finished),
        ],
        "tables": tables,
    }


def _actions_table(title: str, actions: list[dict]) -> dict:
    return _table(
        title,
        ["ID", "Action", "Type", "Pillar", "Owner", "Due", "Status"],
        [
            [
                a["id"],
                a["title"],
                a["kind_label"],
                a["pillar_name"],
                a["owner"] or "",
                a["due_on"] or "",
                a["status_label"],
            ]
            for a in actions
        ],
    )


def _feedback_input(data: dict) -> dict:
    respondents = data["facts"]["respondents"]
    return {
        "facts": [
            _fact(f"{who.capitalize()} respondents", respondents[who]) for who in ("customer", "supplier", "investor")
        ],
        "has_data": any(respondents[who] for who in ("customer", "supplier", "investor")),
    }


def _objectives_input(data: dict) -> dict:
    rows = []
    for kpi in data["series"].values():
        if KPI_BY_ID[kpi["id"]].derived or kpi["latest"] is None:
            continue
        met = None if kpi["on_target"] is None else ("yes" if kpi["on_target"] else "no")
        texts = record_texts(kpi)
        rows.append([kpi["name"], texts["value"], texts["target"] or "–", met or "no target", texts["assurance"]])
    with_target = [row for row in rows if row[3] != "no target"]
    met = sum(1 for row in with_target if row[3] == "yes")
    return {
        "facts": [_fact("KPIs meeting their target at the latest month", f"{met} of {len(with_target)}")],
        "tables": [_table("Each KPI against its target", ["KPI", "Latest", "Target", "Met", "Assurance"], rows)],
        "has_data": bool(with_target),
        "summary": f"{met} of {len(with_target)} KPIs with a target met it at the latest month."
        if with_target
        else "No KPI has both a value and a target in the period.",
    }


def _process_input(data: dict) -> dict:
    facts = data["facts"]
    trained = _fact("People who completed training", facts["trained_people"])
    closed = _fact("Findings closed in the period", facts["findings"]["closed_in_period"])
    return {"facts": [_training_hours(facts), trained, closed]}


def _training_hours(facts: dict) -> dict:
    return _fact("Training hours completed", facts["training_hours"], "hours")


def _nonconformity_input(data: dict) -> dict:
    findings = data["facts"]["findings"]
    raised = findings["major_nc"] + findings["minor_nc"]
    return {
        "facts": [
            _fact("Major nonconformities raised", findings["major_nc"]),
            _fact("Minor nonconformities raised", findings["minor_nc"]),
            _fact("Observations raised", findings["observation"]),
            _fact("Nonconformities marked as repeats", findings["repeats_marked"]),
            _fact("Open at the end of the period", findings["open_at_end"]),
            _fact("Overdue at the end of the period", findings["overdue_at_end"]),
        ],
        "has_data": raised + findings["observation"] + findings["open_at_end"] > 0,
        "summary": f"{findings['major_nc']} major and {findings['minor_nc']} minor nonconformities raised in the period; "
        f"{findings['open_at_end']} findings open at its end, {findings['overdue_at_end']} of them overdue.",
    }


def _monitoring_input(data: dict) -> dict:
    rows = []
    counts = {stats.IMPROVEMENT: 0, stats.CONCERN: 0, stats.COMMON_CAUSE: 0, None: 0}
    for kpi in data["series"].values():
        if kpi["mean"] is None:
            continue
        texts = record_texts(kpi)
        counts[None if texts["variation"] == words.NO_VERDICT else kpi["variation"]] += 1
        special = sum(1 for p in kpi["points"] if p.get("special_cause") in (stats.IMPROVEMENT, stats.CONCERN))
        rows.append([kpi["name"], PILLAR_NAMES[kpi["pillar"]], texts["variation"], texts["assurance"], special])
    changed = (words.VARIATION[stats.IMPROVEMENT], words.VARIATION[stats.CONCERN])
    rows.sort(key=lambda row: (row[2] not in changed, row[0]))
    return {
        "facts": [
            _fact("KPIs improving", counts[stats.IMPROVEMENT]),
            _fact("KPIs deteriorating", counts[stats.CONCERN]),
            _fact("KPIs in normal variation", counts[stats.COMMON_CAUSE]),
            _fact(f"KPIs with no verdict yet (limits on fewer than {MIN_POINTS_FOR_LIMITS} points)", counts[None]),
        ],
        "tables": [
            _table(
                "Variation and assurance per KPI",
                ["KPI", "Pillar", "Variation", "Assurance", "Special-cause points shown"],
                rows,
            )
        ],
        "has_data": bool(rows),
        "summary": (
            f"{counts[stats.IMPROVEMENT]} KPI(s) improving and {counts[stats.CONCERN]} deteriorating; "
            f"{counts[stats.COMMON_CAUSE]} in normal variation; {counts[None]} with no verdict yet."
            if rows
            else "No KPI has enough points in the period for process limits."
        ),
    }


def _audit_input(data: dict) -> dict:
    audits = data["facts"]["audits"]
    rows = [
        [row["audit_type"], row["audits"], row["major_nc"], row["minor_nc"], row["observation"], row["ofi"]]
        for row in audits
    ]
    external = sum(row["audits"] for row in audits if row["audit_type"] in ("external", "certification"))
    internal = sum(row["audits"] for row in audits if row["audit_type"] == "internal")
    return {
        "facts": [_fact("Internal audits", internal), _fact("External and certification audits", external)],
        "tables": [
            _table(
                "Findings by audit type", ["Audit type", "Audits", "Major NC", "Minor NC", "Observations", "OFIs"], rows
            )
        ]
        if rows
        else [],
        "has_data": bool(rows),
        "summary": f"{internal} internal and {external} external or certification audit(s) raised findings in the period; "
        f"{sum(row['major_nc'] for row in audits)} major nonconformities in all.",
    }


def _provider_input(data: dict) -> dict:
    supplier = next((row for row in data["facts"]["audits"] if row["audit_type"] == "supplier"), None)
    respondents = data["facts"]["respondents"]["supplier"]
    facts = [
        _fact("Supplier audits", supplier["audits"] if supplier else 0),
        _fact("Major NCs at suppliers", supplier["major_nc"] if supplier else 0),
        _fact("Minor NCs at suppliers", supplier["minor_nc"] if supplier else 0),
        _fact("Supplier survey respondents", respondents),
    ]
    audits = supplier["audits"] if supplier else 0
    return {
        "facts": facts,
        "has_data": bool(supplier) or respondents > 0,
        "summary": f"{audits} supplier audit(s) with findings, {supplier['major_nc'] if supplier else 0} major NC(s); "
        f"{respondents} supplier survey respondent(s).",
    }


def _resources_input(data: dict) -> dict:
    facts = data["facts"]
    overdue = _fact("Overdue findings at the end of the period", facts["findings"]["overdue_at_end"])
    return {"facts": [_training_hours(facts), overdue]}


def _risks_input(everything: list[dict], day: dt.date) -> dict:
    counts = register.register_effectiveness(everything, day)
    return {
        "facts": [
            _fact("Actions in the register", counts["total"]),
            _fact("Open or in progress", counts["open"] + counts["in_progress"]),
            _fact("Overdue", counts["overdue"]),
            _fact("Done", counts["done"]),
            _fact("Verified effective", counts["verified"]),
        ],
        "has_data": counts["total"] > 0,
    }


def _improvement_input(data: dict) -> dict:
    facts = data["facts"]
    signals = [
        [kpi["name"], record_texts(kpi)["variation"]]
        for kpi in data["series"].values()
        if record_texts(kpi)["variation"] in (words.VARIATION[stats.IMPROVEMENT], words.VARIATION[stats.CONCERN])
    ]
    tables = []
    if facts["ofi_processes"]:
        tables.append(
            _table(
                "Where OFIs were raised",
                ["Process", "OFIs"],
                [[r["process"], r["ofis"]] for r in facts["ofi_processes"]],
            )
        )
    if signals:
        tables.append(_table("KPIs whose latest point is a special cause", ["KPI", "Variation"], signals))
    return {
        "facts": [_fact("Opportunities for improvement (OFIs) raised", facts["findings"]["ofi"])],
        "tables": tables,
        "has_data": facts["findings"]["ofi"] > 0 or bool(signals),
        "summary": f"{facts['findings']['ofi']} opportunities for improvement raised in the period; "
        f"{sum(1 for s in signals if s[1] == words.VARIATION[stats.IMPROVEMENT])} KPI(s) improving, "
        f"{sum(1 for s in signals if s[1] == words.VARIATION[stats.CONCERN])} deteriorating.",
    }


def _kpi_summary_sentence(kpis: list[dict]) -> str:
    shown = [kpi for kpi in kpis if kpi["latest"] is not None]
    if not shown:
        return "No KPI of this input has data in the period."
    with_target = [kpi for kpi in shown if kpi["on_target"] is not None]
    on = sum(1 for kpi in with_target if kpi["on_target"])
    improving = sum(1 for kpi in shown if kpi["variation"] == stats.IMPROVEMENT)
    concerning = sum(1 for kpi in shown if kpi["variation"] == stats.CONCERN)
    return f"{on} of {len(with_target)} KPI(s) on target at the latest month; {improving} improving, {concerning} deteriorating."


def completeness(sections: list[dict]) -> dict:
    """Which 9.3.2 inputs have evidence and which are missing (with what to do about it)."""
    with_evidence = [{"key": s["key"], "clause": s["clause"], "title": s["title"]} for s in sections if s["evidence"]]
    missing = [
        {"key": s["key"], "clause": s["clause"], "title": s["title"], "reason": s["missing"]}
        for s in sections
        if not s["evidence"]
    ]
    return {"complete": not missing, "with_evidence": with_evidence, "missing": missing}


def jsonable(value: object) -> object:
    """Dates and times as ISO text, so a live record and a frozen one read the same."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
