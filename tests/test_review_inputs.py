"""The 9.3.2 inputs on a small hand-made database: exact counts for every fact the review quotes."""

from __future__ import annotations

import datetime as dt

import pytest

from isokpi import review, review_inputs
from isokpi.auth import QUALITY_LEAD, User
from isokpi.ingest import ingest_file

LEAD = User("lead@example.com", "Lead", QUALITY_LEAD)
FROM, TO = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
FINDINGS = """finding_id,audit_id,audit_type,standard,clause,site,process,severity,raised_on,due_on,closed_on,status,repeat_of
F-01,A-1,internal,ISO 9001,8.5,Leeds,Assembly,major_nc,2026-01-10,2026-02-10,2026-02-01,closed,
F-02,A-1,internal,ISO 9001,7.2,Leeds,Assembly,minor_nc,2026-01-10,2026-03-10,,open,F-00
F-03,A-2,external,ISO 9001,9.2,Porto,Welding,minor_nc,2026-03-05,2026-07-05,,in_progress,
F-04,A-2,external,ISO 9001,9.2,Porto,Welding,ofi,2026-03-05,,,open,
F-05,,internal,ISO 14001,6.1,Leeds,,ofi,2026-04-01,,,open,
F-06,A-3,supplier,ISO 9001,8.4,Leeds,Purchasing,observation,2026-05-20,2026-06-20,2026-06-15,closed,
F-07,A-4,internal,ISO 9001,8.5,Leeds,Assembly,major_nc,2025-12-01,2026-01-15,2026-03-01,closed,
F-08,A-5,internal,ISO 9001,8.5,Leeds,Assembly,minor_nc,2026-07-02,2026-08-01,,open,
F-09,A-1,internal,ISO 9001,8.5,Leeds,Assembly,minor_nc,2026-02-01,2026-03-01,,cancelled,
"""
TRAINING = """record_id,employee_id,department,site,course,hours,status,completed_on
T-1,E1,QA,Leeds,Audit,4,completed,2026-02-01
T-2,E2,QA,Leeds,Audit,3.5,completed,2026-06-30
T-3,E1,QA,Leeds,ISO 9001,2,completed,2025-12-31
T-4,E3,Ops,Porto,Safety,8,planned,
"""
SURVEY = """response_id,survey_id,survey_type,stakeholder,responded_on,question_id,scale,score
R1,C-1,customer_nps,customer,2026-03-01,nps,nps10,9
R2,C-1,customer_nps,customer,2026-03-01,nps,nps10,6
R1,S-1,supplier,supplier,2026-04-01,q1,likert5,4
R1,S-1,supplier,supplier,2026-04-01,q2,likert5,5
R9,C-0,customer_nps,customer,2025-11-01,nps,nps10,10
"""


@pytest.fixture
def db(db, write):
    for name, text in (("findings", FINDINGS), ("training", TRAINING), ("survey", SURVEY)):
        result = ingest_file(db, name, write(f"{name}.csv", text))
        assert result.ok and result.loaded, result.errors
    return db


def test_the_period_facts_count_exactly_what_the_period_holds(db):
    facts = review_inputs.period_facts(db, review_inputs.review_filters(FROM, TO))
    # F-07 raised before the period, F-08 after it, F-09 cancelled: none counted as raised in it.
    assert facts.audits == [
        {
            "audit_type": "external",
            "audits": 1,
            "findings": 2,
            "major_nc": 0,
            "minor_nc": 1,
            "observation": 0,
            "ofi": 1,
        },
        {
            "audit_type": "internal",
            "audits": 2,
            "findings": 3,
            "major_nc": 1,
            "minor_nc": 1,
            "observation": 0,
            "ofi": 1,
        },
        {
            "audit_type": "supplier",
            "audits": 1,
            "findings": 1,
            "major_nc": 0,
            "minor_nc": 0,
            "observation": 1,
            "ofi": 0,
        },
    ]
    assert facts.findings == {
        "major_nc": 1,
        "minor_nc": 2,
        "observation": 1,
        "ofi": 2,
        "repeats_marked": 1,  # F-02 repeats F-00
        "open_at_end": 2,  # F-02 and F-03 need an action and are open on 30 June; the OFIs need none
        "overdue_at_end": 1,  # F-02, due 10 March
        "closed_in_period": 3,  # F-01, F-06 and F-07
    }
    assert facts.ofi_processes == [{"process": "(process not stated)", "ofis": 1}, {"process": "Welding", "ofis": 1}]
    assert facts.respondents == {"employee": 0, "customer": 2, "supplier": 1, "investor": 0}
    assert (facts.training_hours, facts.trained_people) == (7.5, 2)


def test_the_inputs_quote_those_facts(db):
    review_id = review.create_review(db, LEAD, review_date=TO, period_from=FROM, period_to=TO)
    record = review.review_record(db, review_id)
    sections = {s["key"]: s for s in record["sections"]}
    assert sections["c4"]["summary"] == (
        "1 major and 2 minor nonconformities raised in the period; 2 findings open at its end, 1 of them overdue."
    )
    assert [(f["label"], f["value"]) for f in sections["c6"]["facts"]] == [
        ("Internal audits", 2),
        ("External and certification audits", 1),
    ]
    assert [(f["label"], f["value"]) for f in sections["c7"]["facts"]] == [
        ("Supplier audits", 1),
        ("Major NCs at suppliers", 0),
        ("Minor NCs at suppliers", 0),
        ("Supplier survey respondents", 1),
    ]
    assert [(f["label"], f["value"]) for f in sections["c3"]["facts"]] == [
        ("Training hours completed", 7.5),
        ("People who completed training", 2),
        ("Findings closed in the period", 3),
    ]
    assert [
        row for table in sections["f"]["tables"] if table["title"] == "Where OFIs were raised" for row in table["rows"]
    ] == [
        ["(process not stated)", 1],
        ["Welding", 1],
    ]
