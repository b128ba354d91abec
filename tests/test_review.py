"""Management reviews on the demo data: the 9.3.2 inputs from the data, completeness, the default period, the frozen
record that later uploads never change, and the comparison with the previous review."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from isokpi import actions, review, review_inputs
from isokpi.auth import QUALITY_LEAD, VIEWER, AccessError, User
from isokpi.db import resolve_target
from isokpi.ingest import ingest_file
from isokpi.kpis import kpi_series
from isokpi.opening import open_target
from isokpi.periods import period_label

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
AS_OF = dt.date(2026, 11, 25)
KEYS = ["a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f"]
# Twenty major nonconformities from one new audit in September 2026: changes several KPIs of the period.
NEW_FINDINGS = "finding_id,audit_id,audit_type,standard,site,severity,raised_on,due_on,status\n" + "".join(
    f"NEW-{i},AUD-NEW,internal,ISO 9001,Leeds,major_nc,2026-09-15,2026-10-15,open\n" for i in range(20)
)


@pytest.fixture
def demo(demo_database):
    database = open_target(resolve_target(demo_database(AS_OF)))
    yield database
    database.close()


def section(record: dict, key: str) -> dict:
    return next(s for s in record["sections"] if s["key"] == key)


def upload_new_findings(database, tmp_path) -> None:
    path = tmp_path / "new-findings.csv"
    path.write_text(NEW_FINDINGS, encoding="utf-8")
    result = ingest_file(database, "findings", path)
    assert result.ok and result.inserted == 20, result.errors


def test_first_review_looks_back_12_months_and_the_next_starts_where_it_ended(demo):
    assert review.default_period(demo, AS_OF) == (dt.date(2025, 11, 1), AS_OF)
    first = review.create_review(
        demo, LEAD, review_date=dt.date(2026, 6, 5), period_from=dt.date(2025, 6, 1), period_to=dt.date(2026, 5, 31)
    )
    assert review.default_period(demo, AS_OF) == (dt.date(2026, 6, 1), AS_OF)
    second = review.create_review(demo, LEAD, review_date=AS_OF)
    stored = review.get_review(demo, second)
    assert (stored["period_from"], stored["period_to"], stored["title"]) == (
        dt.date(2026, 6, 1),
        AS_OF,
        "Management review 25 November 2026",
    )
    assert review.previous_review(demo, stored)["review_id"] == first
    assert [r["review_id"] for r in review.list_reviews(demo)] == [second, first]


def test_a_period_that_ends_before_it_starts_is_refused(demo):
    with pytest.raises(review.ReviewError, match="starts .2026-06-01. after it ends .2026-01-31.: swap the dates"):
        review.create_review(
            demo, LEAD, review_date=AS_OF, period_from=dt.date(2026, 6, 1), period_to=dt.date(2026, 1, 31)
        )


def test_viewers_cannot_open_edit_or_close_reviews(demo):
    viewer = User("v@example.com", "V", VIEWER)
    with pytest.raises(AccessError):
        review.create_review(demo, viewer, review_date=AS_OF)
    review_id = review.create_review(demo, LEAD, review_date=AS_OF)
    with pytest.raises(AccessError):
        review.save_texts(demo, viewer, review_id, {"b": "x"})
    with pytest.raises(AccessError):
        review.close_review(demo, viewer, review_id)
    assert review.get_review(demo, review_id)["status"] == "open"


def test_every_932_input_is_filled_from_the_kpi_engine(demo):
    review_id = review.create_review(demo, LEAD, review_date=AS_OF)
    record = review.review_record(demo, review_id)
    assert [s["key"] for s in record["sections"]] == KEYS
    assert [s["clause"] for s in record["sections"]][2:9] == [f"9.3.2 c) {n}" for n in range(1, 8)]
    filters = review_inputs.review_filters(dt.date(2025, 11, 1), AS_OF)
    for key, kpi_ids in [("c1", ["customer_nps", "customer_csat_pct"]), ("c4", ["overdue_open_findings"])]:
        shown = {kpi["id"]: kpi for kpi in section(record, key)["kpis"]}
        for kpi_id in kpi_ids:
            series = kpi_series(demo, kpi_id, filters)
            assert [(p["period"], p["value"]) for p in shown[kpi_id]["points"]] == [
                (period_label(p.period, "month"), p.value) for p in series.points
            ]
            assert shown[kpi_id]["latest"] == pytest.approx(series.latest.value, rel=1e-12)
            assert shown[kpi_id]["variation"] == series.variation and shown[kpi_id]["assurance"] == series.assurance
    majors = demo.query(
        "SELECT count(*) FROM findings WHERE severity = 'major_nc' AND status <> 'cancelled' "
        "AND raised_on BETWEEN DATE '2025-11-01' AND DATE '2026-11-25'"
    )[0][0]
    facts = {f["label"]: f["value"] for f in section(record, "c4")["facts"]}
    assert facts["Major nonconformities raised"] == majors > 0
    supplier = {f["label"]: f["value"] for f in section(record, "c7")["facts"]}
    assert supplier["Supplier audits"] > 0 and supplier["Supplier survey respondents"] > 0
    on_target = section(record, "c2")["tables"][0]
    assert on_target["columns"] == ["KPI", "Latest", "Target", "Met", "Assurance"]
    assert {row[3] for row in on_target["rows"]} <= {"yes", "no", "no target"}


def test_completeness_lists_the_inputs_without_evidence_until_they_are_written(demo):
    review_id = review.create_review(demo, LEAD, review_date=AS_OF)
    record = review.review_record(demo, review_id)
    assert [m["key"] for m in record["completeness"]["missing"]] == ["a", "b", "e"]
    assert record["completeness"]["complete"] is False
    assert [e["key"] for e in record["completeness"]["with_evidence"]] == [k for k in KEYS if k not in "abe"]
    assert "Write the changes in external and internal issues" in section(record, "b")["missing"]

    assert review.save_texts(demo, LEAD, review_id, {"b": "New customer contract in Leeds.", "e": "Risk register"}) == [
        "b",
        "e",
    ]
    assert review.save_texts(demo, LEAD, review_id, {"b": "New customer contract in Leeds."}) == []
    assert [m["key"] for m in review.review_record(demo, review_id)["completeness"]["missing"]] == ["a"]
    review.save_texts(demo, LEAD, review_id, {"a": "First review: no earlier actions."})
    after = review.review_record(demo, review_id)
    assert after["completeness"] == review_inputs.completeness(after["sections"])
    assert after["completeness"]["complete"] is True
    assert section(after, "b")["summary"] == "New customer contract in Leeds."


def test_an_empty_period_says_which_data_is_missing(demo):
    record = review.build_record(demo, review.adhoc_review(dt.date(2019, 1, 1), dt.date(2019, 12, 31)))
    missing = {m["key"]: m["reason"] for m in record["completeness"]["missing"]}
    assert set(missing) == set(KEYS)
    assert missing["c1"] == (
        "No data in the review period (needs survey data): load the exports on the Upload page, or widen the period."
    )


def test_closing_freezes_the_record_and_a_later_upload_changes_nothing(demo, tmp_path):
    review_id = review.create_review(demo, LEAD, review_date=AS_OF)
    review.save_texts(demo, LEAD, review_id, {"b": "New customer contract.", "e": "Risks reviewed."})
    action_id = actions.create_action(demo, LEAD, title="Cut days to close", kind="improvement", review_id=review_id)
    closed = review.close_review(demo, LEAD, review_id)
    stored = json.loads(demo.query("SELECT record FROM reviews WHERE review_id = $id", {"id": review_id})[0][0])
    assert closed == stored
    assert closed["review"]["status"] == "closed" and closed["review"]["closed_by"] == "lead@example.com"
    assert [a["id"] for a in closed["actions"]] == [action_id]
    majors_before = {f["label"]: f["value"] for f in section(closed, "c4")["facts"]}["Major nonconformities raised"]

    upload_new_findings(demo, tmp_path)
    actions.update_action(demo, LEAD, action_id, status="done", title="Cut days to close to 20")

    live = review_inputs.evidence(demo, dt.date(2025, 11, 1), AS_OF)
    assert live["facts"]["findings"]["major_nc"] == majors_before + 20  # the data did change...
    assert live["series"]["major_ncs_per_audit"] != closed["series"]["major_ncs_per_audit"]
    assert review.review_record(demo, review_id) == closed  # ...the closed review did not
    assert review.review_record(demo, review_id)["actions"][0]["status"] == "open"
    with pytest.raises(review.ReviewError, match="closed: its record is frozen"):
        review.save_texts(demo, LEAD, review_id, {"b": "rewritten"})
    with pytest.raises(review.ReviewError, match="already closed"):
        review.close_review(demo, LEAD, review_id)
    trail = demo.query("SELECT actor, action, subject FROM audit_log WHERE action LIKE 'review%' ORDER BY event_id")
    assert trail == [
        ("lead@example.com", "review_create", f"review {review_id}"),
        ("lead@example.com", "review_inputs", f"review {review_id}"),
        ("lead@example.com", "review_close", f"review {review_id}"),
    ]


def test_compare_says_what_improved_and_what_got_worse_by_direction(demo):
    previous = review.build_record(demo, review.adhoc_review(dt.date(2025, 11, 1), AS_OF))
    current = copy.deepcopy(previous)
    current["series"]["customer_nps"]["latest"] = previous["series"]["customer_nps"]["latest"] + 5  # higher is better
    current["series"]["overdue_open_findings"]["latest"] = previous["series"]["overdue_open_findings"]["latest"] + 3
    current["series"]["median_days_to_close"]["latest"] = previous["series"]["median_days_to_close"]["latest"] - 4
    current["series"]["investor_favourable_pct"]["latest"] = None
    comparison = review.compare(previous, current)
    assert comparison["improved"] == ["Median days to close a finding", "Customer Net Promoter Score"]
    assert comparison["worse"] == ["Overdue open findings"]
    rows = {row["id"]: row for row in comparison["kpis"]}
    assert rows["investor_favourable_pct"]["change"] == "no data"
    assert rows["customer_csat_pct"]["change"] == "unchanged"
    assert rows["customer_nps"]["after"] - rows["customer_nps"]["before"] == pytest.approx(5)
    assert [p["before"] == p["after"] for p in comparison["pillars"]] == [True] * 8
