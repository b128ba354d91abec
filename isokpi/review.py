"""ISO 9001 9.3 management reviews: inputs a) to f) filled from the data, a completeness check, and a frozen record.

A review covers a period (by default, since the previous review's period ended). While it is open its inputs are
built from the data on demand; closing it stores everything presented (values, verdicts, texts, the scorecard,
the sections, the actions) as JSON in `reviews.record`, and from then on the review is read from that record,
never recomputed, so a later upload cannot change what the meeting saw.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from isokpi import actions as register
from isokpi import stats
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.catalog import HIGHER, KPI_BY_ID, KPIS
from isokpi.datasets import STAKEHOLDERS
from isokpi.db import Database, next_id
from isokpi.ingest import now_utc, record_event
from isokpi.kpis import (
    MIN_POINTS_FOR_LIMITS,
    Filters,
    Series,
    add_months,
    period_label,
    period_start,
    scorecard,
    scorecard_dict,
    series_dict,
)
from isokpi.pillars import PILLAR_NAMES

RECORD_VERSION = 1


class ReviewError(ValueError):
    """A review that cannot be created, edited or closed as asked; the message says why and what to do."""


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

REVIEW_COLUMNS = (
    "review_id, title, review_date, period_from, period_to, status, inputs, "
    "created_by, created_at, closed_by, closed_at"
)


# --- reviews -----------------------------------------------------------------------------------------


def _review(row: dict) -> dict:
    review = dict(row)
    review["inputs"] = json.loads(review.get("inputs") or "{}")
    return review


def get_review(database: Database, review_id: int) -> dict | None:
    """The review row with its inputs (free texts) parsed, or None."""
    rows = database.query_dicts(f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE review_id = $id", {"id": review_id})
    return _review(rows[0]) if rows else None


def list_reviews(database: Database) -> list[dict]:
    """Every review, newest first."""
    return [
        _review(row)
        for row in database.query_dicts(
            f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY review_date DESC, review_id DESC"
        )
    ]


def previous_review(database: Database, review: dict | None = None, *, before: dt.date | None = None) -> dict | None:
    """The review held before `review` (or before the date `before`), or None for the first one."""
    date = review["review_date"] if review else before
    if date is None:
        raise ValueError("previous_review needs a review or a date")
    rows = database.query_dicts(
        f"""
        SELECT {REVIEW_COLUMNS} FROM reviews
        WHERE review_date < $date OR (review_date = $date AND review_id < $id)
        ORDER BY review_date DESC, review_id DESC LIMIT 1
        """,
        {"date": date, "id": (review or {}).get("review_id") or 0},
    )
    return _review(rows[0]) if rows else None


def default_period(database: Database, review_date: dt.date) -> tuple[dt.date, dt.date]:
    """Since the previous review's period ended, up to the review date; the first review looks back 12 months."""
    previous = previous_review(database, before=review_date + dt.timedelta(days=1))
    start = previous["period_to"] + dt.timedelta(days=1) if previous else None
    if start is None or start > review_date:
        start = add_months(period_start(review_date, "month"), -12)
    return start, review_date


def create_review(
    database: Database,
    actor: User,
    *,
    review_date: dt.date,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    title: str | None = None,
) -> int:
    """Open a new review (quality leads); the period defaults to since the previous review. Returns its id."""
    require(actor, QUALITY_LEAD)
    default_from, default_to = default_period(database, review_date)
    period_from = period_from or default_from
    period_to = period_to or default_to
    if period_from > period_to:
        raise ReviewError(f"the period starts ({period_from}) after it ends ({period_to}): swap the dates")
    title = (title or "").strip() or f"Management review {review_date:%d %B %Y}"

    def work(cursor) -> int:
        review_id = next_id(cursor, "review")
        at = now_utc()
        cursor.execute(
            """
            INSERT INTO reviews (review_id, title, review_date, period_from, period_to, status, inputs, created_by,
                                 created_at)
            VALUES ($id, $title, $date, $from, $to, 'open', '{}', $by, $at)
            """,
            {
                "id": review_id,
                "title": title,
                "date": review_date,
                "from": period_from,
                "to": period_to,
                "by": actor.email,
                "at": at,
            },
        )
        record_event(
            cursor,
            actor.email,
            "review_create",
            f"review {review_id}",
            {"title": title, "review_date": review_date, "period": [period_from, period_to]},
            at,
        )
        return review_id

    return database.write(work)


def save_texts(database: Database, actor: User, review_id: int, texts: dict[str, str]) -> list[str]:
    """Store the free texts of an open review (b, e, and notes on any input); returns the keys that changed."""
    require(actor, QUALITY_LEAD)
    unknown = sorted(set(texts) - set(SECTION_KEYS))
    if unknown:
        raise ReviewError(f"no input called {', '.join(unknown)}: use {', '.join(SECTION_KEYS)}")

    def work(cursor) -> list[str]:
        row = cursor.execute("SELECT status, inputs FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
        if row is None:
            raise ReviewError(f"review {review_id} does not exist")
        if row[0] == "closed":
            raise ReviewError(f"review {review_id} is closed: its record is frozen and cannot be edited")
        inputs = json.loads(row[1] or "{}")
        changed = [key for key, text in texts.items() if (text or "").strip() != inputs.get(key, "")]
        if not changed:
            return []
        inputs.update({key: (texts[key] or "").strip() for key in changed})
        cursor.execute(
            "UPDATE reviews SET inputs = $inputs WHERE review_id = $id", {"inputs": json.dumps(inputs), "id": review_id}
        )
        record_event(cursor, actor.email, "review_inputs", f"review {review_id}", {k: inputs[k] for k in changed})
        return changed

    return database.write(work)


def close_review(database: Database, actor: User, review_id: int) -> dict:
    """Freeze everything the review presents into its record and close it (quality leads); returns the record."""
    require(actor, QUALITY_LEAD)
    review = get_review(database, review_id)
    if review is None:
        raise ReviewError(f"review {review_id} does not exist")
    if review["status"] == "closed":
        raise ReviewError(
            f"review {review_id} was already closed on {review['closed_at']:%d %b %Y} by {review['closed_by']}"
        )
    for _attempt in range(3):
        at = now_utc()
        # What the record is built from: on DuckLake the snapshot (kept with the review, so what was presented
        # can be queried again exactly), on a file the load counter. If a load lands while the record is being
        # built, it is built again: the record and its snapshot must agree.
        version = database.data_version()
        record = build_record(database, review | {"status": "closed", "closed_by": actor.email, "closed_at": at})
        record["lake_snapshot"] = database.snapshot_id()
        text = json.dumps(record, sort_keys=True)
        try:
            database.write(
                functools.partial(
                    _close,
                    database=database,
                    review_id=review_id,
                    version=version,
                    record=record,
                    text=text,
                    actor=actor,
                    at=at,
                )
            )
        except _DataMoved:
            continue
        return json.loads(text)
    raise ReviewError("new data kept arriving while the review was being closed; close it again in a moment")


class _DataMoved(Exception):
    """A load landed between building a review's record and writing it."""


def _close(cursor, database: Database, review_id: int, version: int, record: dict, text: str, actor: User, at) -> None:
    snapshot = database.snapshot_id(cursor)
    now = (
        snapshot
        if snapshot is not None
        else cursor.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()[0]
    )
    if now != version:
        raise _DataMoved
    status = cursor.execute("SELECT status FROM reviews WHERE review_id = $id", {"id": review_id}).fetchone()
    if status[0] == "closed":
        raise ReviewError(f"review {review_id} was closed by someone else a moment ago")
    cursor.execute(
        """
        UPDATE reviews SET status = 'closed', record = $record, closed_by = $by, closed_at = $at,
            lake_snapshot = $snapshot
        WHERE review_id = $id
        """,
        {"record": text, "by": actor.email, "at": at, "id": review_id, "snapshot": record["lake_snapshot"]},
    )
    record_event(
        cursor,
        actor.email,
        "review_close",
        f"review {review_id}",
        {"missing_inputs": [m["key"] for m in record["completeness"]["missing"]], "actions": len(record["actions"])},
        at,
    )


def review_record(database: Database, review_id: int, *, evidence_of: Callable[..., dict] | None = None) -> dict:
    """What the review presents: the frozen record of a closed review, or a fresh build of an open one.

    `evidence_of(database, period_from, period_to)` computes the data part (default `evidence`; pages pass a cached one).
    """
    rows = database.query_dicts(
        f"SELECT {REVIEW_COLUMNS}, record FROM reviews WHERE review_id = $id", {"id": review_id}
    )
    if not rows:
        raise ReviewError(f"review {review_id} does not exist")
    review = _review(rows[0])
    stored = review.pop("record")
    if review["status"] == "closed" and stored:
        return json.loads(stored)
    data = (evidence_of or evidence)(database, review["period_from"], review["period_to"])
    return build_record(database, review, data)


def adhoc_review(period_from: dt.date, period_to: dt.date) -> dict:
    """A review that is not stored (the CLI's --from/--to): the same record shape, without texts or decisions."""
    if period_from > period_to:
        raise ReviewError(f"the period starts ({period_from}) after it ends ({period_to}): swap the dates")
    return {
        "review_id": None,
        "title": f"Management review pack {period_from:%d %b %Y} to {period_to:%d %b %Y}",
        "review_date": period_to,
        "period_from": period_from,
        "period_to": period_to,
        "status": "draft",
        "inputs": {},
        "created_by": None,
        "created_at": None,
        "closed_by": None,
        "closed_at": None,
    }


# --- the data part --------------------------------------------------------------------------------------


def review_filters(period_from: dt.date, period_to: dt.date) -> Filters:
    """The KPI engine's filters for a review period: the whole organisation, by month, up to the period's end."""
    return Filters(date_from=period_from, date_to=period_to, as_of=min(period_to, dt.date.today()))


def evidence(database: Database, period_from: dt.date, period_to: dt.date) -> dict:
    """Everything the data says about a period, JSON-ready: every KPI's series and verdicts, the scorecard, and
    the counts the inputs quote (findings, audits, surveys, training). Aggregated in DuckDB."""
    filters = review_filters(period_from, period_to)
    cards = scorecard(database, filters)
    series = {s.kpi.id: kpi_summary(s) for card in cards for s in card.series}
    return _jsonable(
        {
            "as_of": filters.as_of,
            "series": {kpi.id: series[kpi.id] for kpi in KPIS},
            "scorecard": scorecard_dict(cards),
            "facts": period_facts(database, period_from, filters.as_of),
        }
    )


def kpi_summary(series: Series) -> dict:
    """series_dict plus what the review quotes: pillar, clause, first and latest shown values, on target."""
    shown = series.shown
    first, latest = (shown[0], shown[-1]) if shown else (None, None)
    return series_dict(series) | {
        "pillar": series.kpi.pillar,
        "clause": series.kpi.clause,
        "first": None if first is None else round(first.value, 2),
        "first_period": None if first is None else period_label(first.period, series.grain),
        "latest": None if latest is None else round(latest.value, 2),
        "latest_period": None if latest is None else period_label(latest.period, series.grain),
        "target_latest": series.target,
        "on_target": series.on_target(),
    }


def period_facts(database: Database, date_from: dt.date, date_to: dt.date) -> dict:
    """Counts for the inputs: findings raised in the period by audit type and severity, open and overdue at its end,
    OFIs by process, survey respondents by stakeholder, training hours completed."""
    params = {"from": date_from, "to": date_to}
    by_type = database.query_dicts(
        """
        SELECT audit_type,
               count(DISTINCT coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)) AS audits,
               count(*) AS findings,
               count(*) FILTER (WHERE severity = 'major_nc') AS major_nc,
               count(*) FILTER (WHERE severity = 'minor_nc') AS minor_nc,
               count(*) FILTER (WHERE severity = 'observation') AS observation,
               count(*) FILTER (WHERE severity = 'ofi') AS ofi
        FROM findings
        WHERE status <> 'cancelled' AND raised_on BETWEEN $from AND $to
        GROUP BY audit_type ORDER BY audit_type
        """,
        params,
    )
    state = database.query_dicts(
        """
        SELECT count(*) FILTER (WHERE raised_on BETWEEN $from AND $to AND severity IN ('major_nc', 'minor_nc')
                                AND repeat_of IS NOT NULL) AS repeats_marked,
               count(*) FILTER (WHERE still_open) AS open_at_end,
               count(*) FILTER (WHERE still_open AND due_on < $to) AS overdue_at_end,
               count(*) FILTER (WHERE closed_on BETWEEN $from AND $to) AS closed_in_period
        FROM (
            SELECT *, severity <> 'ofi' AND raised_on <= $to AND (closed_on IS NULL OR closed_on > $to)
                      AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress')) AS still_open
            FROM findings WHERE status <> 'cancelled'
        )
        """,
        params,
    )[0]
    ofi_processes = database.query(
        """
        SELECT coalesce(process, '(process not stated)') AS process, count(*) AS ofis
        FROM findings
        WHERE status <> 'cancelled' AND severity = 'ofi' AND raised_on BETWEEN $from AND $to
        GROUP BY ALL ORDER BY ofis DESC, process LIMIT 5
        """,
        params,
    )
    respondents = dict(
        database.query(
            """
            SELECT stakeholder, count(DISTINCT survey_id || '|' || response_id)
            FROM survey WHERE responded_on BETWEEN $from AND $to AND stakeholder IS NOT NULL
            GROUP BY stakeholder
            """,
            params,
        )
    )
    hours = database.query(
        """
        SELECT coalesce(sum("hours"), 0), count(DISTINCT employee_id) FROM training
        WHERE status = 'completed' AND completed_on BETWEEN $from AND $to
        """,
        params,
    )[0]
    return {
        "audits": by_type,
        "findings": {
            **{severity: sum(int(row[severity]) for row in by_type) for severity in SEVERITIES},
            **{key: int(value) for key, value in state.items()},
        },
        "ofi_processes": [{"process": process, "ofis": int(count)} for process, count in ofi_processes],
        "respondents": {stakeholder: int(respondents.get(stakeholder, 0)) for stakeholder in STAKEHOLDERS},
        "training_hours": round(float(hours[0]), 1),
        "trained_people": int(hours[1]),
    }


# --- the inputs --------------------------------------------------------------------------------------------


def build_inputs(database: Database, review: dict, data: dict | None = None) -> list[dict]:
    """The 9.3.2 sections a) to f), c) 1-7, each filled from the data where it can speak and from the review's text."""
    data = data or evidence(database, review["period_from"], review["period_to"])
    texts = review.get("inputs") or {}
    carried = register.carried_actions(database, review)
    everything = register.list_actions(database)
    builders = {
        "a": lambda: _actions_input(carried, data),
        "b": lambda: {},
        "c1": lambda: _feedback_input(data),
        "c2": lambda: _objectives_input(data),
        "c3": lambda: _process_input(data),
        "c4": lambda: _nonconformity_input(data),
        "c5": lambda: _monitoring_input(data),
        "c6": lambda: _audit_input(data),
        "c7": lambda: _provider_input(data),
        "d": lambda: _resources_input(data),
        "e": lambda: _risks_input(everything, data),
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


def _actions_input(carried: list[dict], data: dict) -> dict:
    """Input a) from the register rows of register.carried_actions."""
    counts = register.register_effectiveness(carried, dt.date.fromisoformat(data["as_of"]))
    still_open = counts["open"] + counts["in_progress"]
    finished = counts["total"] - still_open
    summary = (
        f"{len(carried)} action(s) from earlier reviews: {still_open} still open ({counts['overdue']} overdue), "
        f"{finished} done or verified."
        if carried
        else "No actions from earlier reviews in the register."
    )
    described = [register.describe(a) for a in carried]
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
        "tables": [_actions_table("Actions from earlier reviews", described)] if carried else [],
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
        rows.append(
            [
                kpi["name"],
                format_value(kpi["latest"], kpi["unit"]),
                format_value(kpi["target_latest"], kpi["unit"]),
                met or "no target",
                assurance_label(kpi),
            ]
        )
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
    return {
        "facts": [
            _fact("Training hours completed", facts["training_hours"], "hours"),
            _fact("People who completed training", facts["trained_people"]),
            _fact("Findings closed in the period", facts["findings"]["closed_in_period"]),
        ]
    }


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
    counts = {stats.IMPROVEMENT: 0, stats.CONCERN: 0, stats.COMMON_CAUSE: 0, "too_few": 0}
    for kpi in data["series"].values():
        if kpi["mean"] is None:
            continue
        counts["too_few" if _too_few(kpi) else kpi["variation"]] += 1
        rows.append(
            [kpi["name"], PILLAR_NAMES[kpi["pillar"]], variation_label(kpi), assurance_label(kpi), len(kpi["signals"])]
        )
    rows.sort(
        key=lambda row: (row[2] not in (VARIATION_LABELS[stats.IMPROVEMENT], VARIATION_LABELS[stats.CONCERN]), row[0])
    )
    return {
        "facts": [
            _fact("KPIs showing improvement", counts[stats.IMPROVEMENT]),
            _fact("KPIs showing concern", counts[stats.CONCERN]),
            _fact("KPIs with only common-cause variation", counts[stats.COMMON_CAUSE]),
            _fact(f"KPIs with fewer than {MIN_POINTS_FOR_LIMITS} months", counts["too_few"]),
        ],
        "tables": [
            _table("Variation and assurance per KPI", ["KPI", "Pillar", "Variation", "Assurance", "Signals"], rows)
        ],
        "has_data": bool(rows),
        "summary": (
            f"{counts[stats.IMPROVEMENT]} KPI(s) show an improving signal and {counts[stats.CONCERN]} a concerning one; "
            f"{counts[stats.COMMON_CAUSE]} vary within their limits; {counts['too_few']} have too few months to tell."
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
    return {
        "facts": [
            _fact("Training hours completed", facts["training_hours"], "hours"),
            _fact("Overdue findings at the end of the period", facts["findings"]["overdue_at_end"]),
        ]
    }


def _risks_input(everything: list[dict], data: dict) -> dict:
    counts = register.register_effectiveness(everything, dt.date.fromisoformat(data["as_of"]))
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
        [kpi["name"], VARIATION_LABELS[kpi["variation"]]]
        for kpi in data["series"].values()
        if kpi["variation"] in (stats.IMPROVEMENT, stats.CONCERN) and not _too_few(kpi)
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
        tables.append(_table("KPIs with a special-cause signal", ["KPI", "Signal"], signals))
    return {
        "facts": [_fact("Opportunities for improvement (OFIs) raised", facts["findings"]["ofi"])],
        "tables": tables,
        "has_data": facts["findings"]["ofi"] > 0 or bool(signals),
        "summary": f"{facts['findings']['ofi']} opportunities for improvement raised in the period; "
        f"{sum(1 for s in signals if s[1] == VARIATION_LABELS[stats.IMPROVEMENT])} KPI(s) with an improving signal, "
        f"{sum(1 for s in signals if s[1] == VARIATION_LABELS[stats.CONCERN])} with a concerning one.",
    }


def _kpi_summary_sentence(kpis: list[dict]) -> str:
    shown = [kpi for kpi in kpis if kpi["latest"] is not None]
    if not shown:
        return "No KPI of this input has data in the period."
    with_target = [kpi for kpi in shown if kpi["on_target"] is not None]
    on = sum(1 for kpi in with_target if kpi["on_target"])
    improving = sum(1 for kpi in shown if kpi["variation"] == stats.IMPROVEMENT)
    concerning = sum(1 for kpi in shown if kpi["variation"] == stats.CONCERN)
    return (
        f"{on} of {len(with_target)} KPI(s) on target at the latest month; "
        f"{improving} improving and {concerning} concerning signal(s)."
    )


def completeness(sections: list[dict]) -> dict:
    """Which 9.3.2 inputs have evidence and which are missing (with what to do about it)."""
    with_evidence = [{"key": s["key"], "clause": s["clause"], "title": s["title"]} for s in sections if s["evidence"]]
    missing = [
        {"key": s["key"], "clause": s["clause"], "title": s["title"], "reason": s["missing"]}
        for s in sections
        if not s["evidence"]
    ]
    return {"complete": not missing, "with_evidence": with_evidence, "missing": missing}


# --- the record ------------------------------------------------------------------------------------------------


def build_record(database: Database, review: dict, data: dict | None = None) -> dict:
    """Everything the review presents, JSON-ready: what is shown live for an open review and frozen on close."""
    data = data or evidence(database, review["period_from"], review["period_to"])
    sections = build_inputs(database, review, data)
    outputs = (
        [register.describe(a) for a in register.list_actions(database, review_id=review["review_id"])]
        if review.get("review_id") is not None
        else []
    )
    record = {
        "version": RECORD_VERSION,
        "review": {
            "id": review.get("review_id"),
            "title": review["title"],
            "review_date": review["review_date"],
            "period_from": review["period_from"],
            "period_to": review["period_to"],
            "status": review["status"],
            "created_by": review.get("created_by"),
            "closed_by": review.get("closed_by"),
            "closed_at": review.get("closed_at"),
        },
        "as_of": data["as_of"],
        "built_at": now_utc(),
        "scorecard": data["scorecard"],
        "series": data["series"],
        "sections": sections,
        "completeness": completeness(sections),
        "actions": outputs,
    }
    return _jsonable(record)


def _jsonable(value: object) -> object:
    """Dates and times as ISO text, so a live record and a frozen one read the same."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def compare(previous: dict, current: dict) -> dict:
    """Per KPI, the latest value at the previous review and at this one, and whether it improved or got worse
    (by the KPI's direction); per pillar, the status then and now."""
    rows = []
    for kpi_id, now in current["series"].items():
        before = previous.get("series", {}).get(kpi_id, {})
        old, new = before.get("latest"), now["latest"]
        if old is None or new is None:
            change = "no data"
        elif abs(new - old) < 1e-9:
            change = "unchanged"
        else:
            better = new > old if now["direction"] == HIGHER else new < old
            change = "improved" if better else "worse"
        rows.append(
            {
                "id": kpi_id,
                "name": now["name"],
                "unit": now["unit"],
                "before": old,
                "before_period": before.get("latest_period"),
                "after": new,
                "after_period": now["latest_period"],
                "change": change,
                "variation_before": before.get("variation"),
                "variation_after": now["variation"],
                "on_target_before": before.get("on_target"),
                "on_target_after": now["on_target"],
            }
        )
    before_status = {p["id"]: p["status"] for p in previous.get("scorecard", {}).get("pillars", [])}
    pillars = [
        {"id": p["id"], "name": p["name"], "before": before_status.get(p["id"]), "after": p["status"]}
        for p in current["scorecard"]["pillars"]
    ]
    return {
        "previous": previous["review"],
        "current": current["review"],
        "kpis": rows,
        "improved": [row["name"] for row in rows if row["change"] == "improved"],
        "worse": [row["name"] for row in rows if row["change"] == "worse"],
        "pillars": pillars,
        "missing_before": len(previous["completeness"]["missing"]),
        "missing_after": len(current["completeness"]["missing"]),
    }


# --- words and numbers, shared by the page and the packs ---------------------------------------------------------

VARIATION_LABELS = {
    stats.IMPROVEMENT: "improving signal",
    stats.CONCERN: "concerning signal",
    stats.COMMON_CAUSE: "common cause (noise)",
}
ASSURANCE_LABELS = {
    stats.PASS: "will meet target",
    stats.FAIL: "will miss target",
    stats.INCONSISTENT: "may or may not meet target",
    None: "no target",
}
STATUS_LABELS = {"open": "Open (draft)", "closed": "Closed and frozen", "draft": "Not stored (ad hoc)"}


def format_value(value: float | int | None, unit: str = "") -> str:
    """82.1%, 20.3 NPS points, 0.25 per audit, 1,204 hours. Negative numbers take a true minus sign (U+2212), so
    no exported cell starts with '-' (which spreadsheets would read as a formula)."""
    if value is None:
        return "–"
    number = float(value)
    if isinstance(value, int) or abs(number) >= 1000:
        text = f"{abs(number):,.0f}"
    elif abs(number) < 1:
        text = f"{abs(number):.2f}"
    else:
        text = f"{abs(number):,.1f}"
    sign = "\u2212" if number < 0 and text.strip("0.,") else ""
    if unit == "%":
        return f"{sign}{text}%"
    return f"{sign}{text}" + (f" {unit}" if unit else "")


def kpi_finding(kpi: dict) -> str:
    """The finding in words, for a chart title: 'Customer NPS rose from 12 to 20.3 NPS points (2025-11 to 2026-10)'."""
    name, unit = kpi["name"], kpi["unit"]
    if kpi["latest"] is None:
        return f"{name}: no data in the period"
    if kpi["first_period"] == kpi["latest_period"]:
        return f"{name} was {format_value(kpi['latest'], unit)} in {kpi['latest_period']}"
    first, latest = kpi["first"], kpi["latest"]
    verb = "held at" if abs(latest - first) < 1e-9 else ("rose from" if latest > first else "fell from")
    span = f"({kpi['first_period']} to {kpi['latest_period']})"
    if verb == "held at":
        return f"{name} held at {format_value(latest, unit)} {span}"
    start = format_value(first, "%" if unit == "%" else "")
    return f"{name} {verb} {start} to {format_value(latest, unit)} {span}"


def _too_few(kpi: dict) -> bool:
    """No verdict: withheld (variation None, under MIN_POINTS_FOR_LIMITS limit-setting points), or, in a record
    frozen before verdicts were withheld, fewer points with a value than that."""
    return kpi["variation"] is None or sum(1 for p in kpi["points"] if p["value"] is not None) < MIN_POINTS_FOR_LIMITS


def variation_label(kpi: dict) -> str:
    """The variation verdict in words; a series too short for signals says so instead of claiming noise."""
    if _too_few(kpi):
        return f"too few months for signals (needs {MIN_POINTS_FOR_LIMITS})"
    return VARIATION_LABELS.get(kpi["variation"], kpi["variation"])


def assurance_label(kpi: dict) -> str:
    if kpi["assurance"] is None:
        return "no target" if kpi["target_latest"] is None else "too few months to judge against the target"
    return ASSURANCE_LABELS[kpi["assurance"]]


def verdict_line(kpi: dict) -> str:
    """Latest value, target and the two verdicts in one line."""
    target = (
        "no target" if kpi["target_latest"] is None else f"target {format_value(kpi['target_latest'], kpi['unit'])}"
    )
    latest = format_value(kpi["latest"], kpi["unit"])
    when = f" ({kpi['latest_period']})" if kpi["latest_period"] else ""
    return f"Latest {latest}{when}, {target}; {variation_label(kpi)}; {assurance_label(kpi)}"
