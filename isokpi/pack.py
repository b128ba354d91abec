"""What the review packs share: the rows and words each format lays out, read from a review record.

The packs are pack_pptx (PowerPoint with native charts that stay editable), pack_html (one self-contained HTML
page), pack_pdf (that page printed by headless Chromium) and pack_xlsx (the actions register). Each opens with the
executive summary of isokpi.review_summary. Each is drawn from a review record (isokpi.review), so a closed review
exports exactly as it was presented. Text that a spreadsheet could run as a formula is neutralised everywhere;
HTML escapes every text.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from isokpi import format as fmt
from isokpi import stats, words
from isokpi.auth import shown_user
from isokpi.charts import point_limits, point_start, special_cause_of
from isokpi.narrative import record_pillar_texts
from isokpi.periods import period_name
from isokpi.review import STATUS_LABELS
from isokpi.review_summary import record_summary
from isokpi.safety import export_text

FORMATS = ("pptx", "html", "pdf")
MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def period_text(record: dict) -> str:
    review = record["review"]
    return f"{day_text(review['period_from'])} to {day_text(review['period_to'])}"


def day_text(iso: str | None) -> str:
    return "" if not iso else f"{dt.date.fromisoformat(iso[:10]):%d %b %Y}"


def state_text(record: dict) -> str:
    """'Closed and frozen on 01 Dec 2026 at 14:05 UTC by Ann Smith', 'Open (draft)'."""
    review = record["review"]
    label = STATUS_LABELS.get(review["status"], review["status"])
    if review["status"] == "closed":
        at = dt.datetime.fromisoformat(review["closed_at"])
        return f"{label} on {at:%d %b %Y} at {at:%H:%M} UTC by {closer(review)}"
    return label


def closer(review: dict) -> str:
    """Who closed a review, by name; a record frozen before names were kept shows its identifier, the local user
    as 'Local user'."""
    return shown_user(review.get("closed_by_name") or review["closed_by"])


def pillar_kpis(record: dict, pillar: dict) -> list[dict]:
    return [record["series"][kpi["id"]] for kpi in pillar["kpis"]]


def section_of(record: dict, key: str) -> dict:
    return next(s for s in record["sections"] if s["key"] == key)


def register_rows(record: dict) -> list[dict]:
    """The actions the pack lists: those carried in as input a), then the decisions of this review."""
    carried = section_of(record, "a").get("actions", [])
    seen = {a["id"] for a in carried}
    return carried + [a for a in record["actions"] if a["id"] not in seen]


SCORECARD_COLUMNS = ["Pillar", "Status", "Trend", "KPIs on target", "KPIs improving", "KPIs deteriorating"]
ACTION_COLUMNS = ["ID", "Action", "Type", "Pillar", "Owner", "Due", "Status"]


def scorecard_rows(record: dict) -> list[list[object]]:
    rows = []
    for pillar in record["scorecard"]["pillars"]:
        texts = record_pillar_texts(pillar)
        rows.append(
            [pillar["name"], texts["status"], texts["variation"], f"{pillar['on_target']} of {pillar['with_target']}"]
            + [pillar["improving"], pillar["concerning"]]
        )
    return rows


def action_rows(actions: list[dict]) -> list[list[object]]:
    return [
        [a["id"], a["title"], a["kind_label"], a["pillar_name"], a["owner"], a["due_on"] or "", a["status_label"]]
        for a in actions
    ]


def fact_value(fact: dict) -> str:
    """A fact of a 9.3.2 input as text: numbers in words with their unit, text made safe."""
    value = fact["value"]
    return fmt.value(value, fact.get("unit", "")) if isinstance(value, int | float) else export_text(value)


def chart_values(kpi: dict) -> tuple[list[str], list[float | None], list[float | None]]:
    """Categories (periods as people read them: 'Nov 2026'), values (None where suppressed or missing) and
    targets of a KPI, as its charts plot them."""
    points = kpi["points"]
    periods = [period_name(point_start(p, kpi["period"]), kpi["period"]) for p in points]
    return periods, [None if p.get("suppressed") else p["value"] for p in points], [p["target"] for p in points]


# The series of a KPI's process-behaviour chart in the PowerPoint, by the names every chart's legend shows.
VALUE, MEAN, UPPER, LOWER, TARGET = (
    words.VALUE_LINE,
    words.MEAN_LINE,
    words.UPPER_LINE,
    words.LOWER_LINE,
    words.TARGET_LINE,
)
CHART_KEY = (
    "Blue points: special cause, improvement. Orange points: special cause, concern. Hollow points: provisional, "
    "data still arriving (not judged). Mean and process limits as on the dashboard."
)


def chart_series(kpi: dict) -> tuple[list[str], dict[str, list[float | None]]]:
    """Categories and the named series of a KPI's process-behaviour chart, as the dashboard draws it: the values,
    the mean and process limits of each point's own limits (within what the unit allows), the target in force.
    A series with no value at all is left out."""
    periods, values, targets = chart_values(kpi)
    limits = [point_limits(kpi, p) for p in kpi["points"]]
    series = {
        MEAN: [limit[0] for limit in limits],
        UPPER: [limit[2] for limit in limits],
        LOWER: [limit[1] for limit in limits],
        TARGET: targets,
        VALUE: values,  # last: drawn on top of the lines it is read against
    }
    return periods, {name: line for name, line in series.items() if any(v is not None for v in line)}


def point_classes(kpi: dict) -> list[str | None]:
    """Per point, how its marker reads: 'provisional', a special cause's class (stats.IMPROVEMENT or
    stats.CONCERN), or None (common cause, or no value)."""
    classes = []
    for value, point in zip(chart_values(kpi)[1], kpi["points"], strict=True):
        special = special_cause_of(kpi, point)
        if value is None:
            classes.append(None)
        elif point.get("provisional"):
            classes.append("provisional")
        else:
            classes.append(special if special in (stats.IMPROVEMENT, stats.CONCERN) else None)
    return classes


# --- the executive summary ------------------------------------------------------------------------------------

SUMMARY_COLUMNS = ["Pillar", "Status", "Headline KPI: latest value against target", "Finding"]


def summary_rows(record: dict) -> list[list[str]]:
    """One row per pillar: name, status, its headline KPI's latest value against target, the one-sentence finding."""
    return [
        [line["name"], line["status"], line["headline_text"], line["finding"]]
        for line in record_summary(record)["pillars"]
    ]


def decisions(record: dict) -> list[str]:
    """The decisions the review is asked for, in the order the summary lists them."""
    return record_summary(record)["decisions"]


def recorded_text(record: dict) -> str:
    """What this review has recorded so far, under the decisions asked for."""
    count = record_summary(record)["recorded"]
    if not count:
        return "No decision or action recorded at this review yet."
    return f"{count} decision(s) and action(s) recorded at this review: see the actions register."


def points_frame(kpi: dict) -> pd.DataFrame:
    """The aggregate a trend chart is drawn from, for its CSV download."""
    return pd.DataFrame(
        [
            {"kpi": kpi["id"], "period": p["period"], "value": p["value"], "target": p["target"], "n": p["n"]}
            for p in kpi["points"]
        ]
    )


ETA_COLUMNS = ["KPI", "When will it hit target?"]
NO_ETA = "No KPI with a real trend (Mann-Kendall p < 0.05) misses its target: there is no date to give."


def eta_line(kpi: dict) -> str | None:
    """A KPI's "when will it hit target?" sentence as its record holds it (eta.eta_sentence), or None."""
    return (kpi.get("eta") or {}).get("sentence")


def eta_rows(record: dict) -> list[list[str]] | None:
    """Per KPI with a real trend that misses its target, in the scorecard's order: its name and the sentence.
    None for a record frozen before records carried it."""
    every = [record["series"][kpi["id"]] for pillar in record["scorecard"]["pillars"] for kpi in pillar["kpis"]]
    if not all("eta" in kpi for kpi in every):
        return None
    return [[kpi["name"], eta_line(kpi)] for kpi in every if eta_line(kpi)]


def changed_rows(comparison: dict) -> list[list[str]]:
    """KPI, previous, this review, change: the KPIs that got worse first, then those that improved."""
    changed = [row for row in comparison["kpis"] if row["change"] in ("improved", "worse")]
    changed.sort(key=lambda row: (row["change"] != "worse", row["name"]))
    return [
        [row["name"], fmt.value(row["before"], row["unit"]), fmt.value(row["after"], row["unit"]), row["change"]]
        for row in changed
    ]


# --- files ------------------------------------------------------------------------------------------------------


def file_name(record: dict, suffix: str) -> str:
    """management-review-3-2026-11-25.pptx; the register of review 3 is actions-register-3-2026-11-25.xlsx."""
    review = record["review"]
    number = f"-{review['id']}" if review["id"] is not None else ""
    stem = "actions-register" if suffix == "xlsx" else "management-review"
    return f"{stem}{number}-{review['review_date'][:10]}.{suffix}"
