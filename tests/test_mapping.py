"""Mappings: renamed columns, constants, and wide survey exports (one column per question)."""

import datetime as dt

import pytest

from isokpi.ingest import ingest_file
from isokpi.mapping import MappingError, parse_mapping

pytestmark = pytest.mark.both_backends  # every test here runs on the DuckDB file and on DuckLake

WIDE = """Respondent,Submitted,Plant,I understand our quality objectives,I get the resources I need,How likely are you to recommend us?
R1,2025-03-03,Leeds,5,4,
R2,2025-03-04,Porto,2,,
R3,2025-03-04,Porto,,,
"""

MAPPING = """
dataset = "survey"
scale = "likert5"

[columns]
response_id = "Respondent"
responded_on = "Submitted"
site = "Plant"

[constants]
survey_id = "ENG-2025Q1"
survey_type = "engagement"

[questions]
"I understand our quality objectives" = "vision_strategy"
"I get the resources I need" = "resources"
"""


def test_a_wide_survey_export_becomes_one_row_per_answer(db, write):
    result = ingest_file(db, "survey", write("wide.csv", WIDE), mapping=parse_mapping(MAPPING))
    assert result.ok, result.errors
    assert (result.rows_read, result.inserted) == (3, 3)
    assert "column 'How likely are you to recommend us?' is not a column of survey and was ignored" in result.warnings
    assert db.query(
        "SELECT response_id, survey_id, stakeholder, responded_on, site, question_id, pillar, scale, score FROM survey ORDER BY 1, 6"
    ) == [
        (
            "R1",
            "ENG-2025Q1",
            "employee",
            dt.date(2025, 3, 3),
            "Leeds",
            "I get the resources I need",
            "resources",
            "likert5",
            4.0,
        ),
        (
            "R1",
            "ENG-2025Q1",
            "employee",
            dt.date(2025, 3, 3),
            "Leeds",
            "I understand our quality objectives",
            "vision_strategy",
            "likert5",
            5.0,
        ),
        (
            "R2",
            "ENG-2025Q1",
            "employee",
            dt.date(2025, 3, 4),
            "Porto",
            "I understand our quality objectives",
            "vision_strategy",
            "likert5",
            2.0,
        ),
    ]
    again = ingest_file(db, "survey", write("wide.csv", WIDE), mapping=parse_mapping(MAPPING))
    assert (again.inserted, again.unchanged) == (0, 3)


def test_a_bad_answer_in_a_wide_export_names_its_question_column_and_row(db, write):
    result = ingest_file(
        db,
        "survey",
        write("wide.csv", WIDE.replace("R2,2025-03-04,Porto,2", "R2,2025-03-04,Porto,9")),
        mapping=parse_mapping(MAPPING),
    )
    assert [(p.row, p.column, p.value) for p in result.errors] == [(3, "I understand our quality objectives", "9")]


def test_renamed_columns_through_a_mapping(db, write):
    mapping = parse_mapping(
        '[columns]\nfinding_id = "Ref"\nraised_on = "When"\n[constants]\naudit_type = "internal"\nstandard = "ISO 9001"\n'
    )
    result = ingest_file(
        db, "findings", write("f.csv", "Ref,When,Severity,Status\nX-1,2025-01-05,Minor,Open\n"), mapping=mapping
    )
    assert result.ok, result.errors
    assert db.query("SELECT finding_id, audit_type, standard, raised_on FROM findings") == [
        ("X-1", "internal", "ISO 9001", dt.date(2025, 1, 5))
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dataset = ", "not valid TOML"),
        ('dataset = "findings"\n[columns]\nnope = "x"', "'nope' is not a column of findings"),
        ('[questions]\n"Q1" = "happiness"', "pillar 'happiness'"),
        ('[questions]\n"Q1" = "culture"', "needs scale"),
        ('scale = "likert9"\n[questions]\n"Q1" = "culture"', "scale 'likert9'"),
        ('colour = "red"', "unknown key"),
    ],
)
def test_a_bad_mapping_is_refused_with_the_reason(text, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(text)


def test_a_mapping_round_trips_through_toml():
    mapping = parse_mapping(MAPPING)
    assert parse_mapping(mapping.to_toml()) == mapping
