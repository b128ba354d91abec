"""Survey tools' exports as they come, made here in each tool's own header shape, loaded through a mapping that
names its source: exact rows and scores, and the same export again changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from isokpi import uploads
from isokpi.ingest import ingest_file
from isokpi.mapping import Mapping, MappingError, parse_mapping
from isokpi.survey_tools import DERIVED_RESPONDENT, recognise

CONSTANTS = """
[constants]
survey_id = "pulse-2025-11"
survey_type = "engagement"
stakeholder = "employee"
"""


def source_mapping(source: str, questions: str, extra: str = "", scale: str = "likert5") -> str:
    return f'dataset = "survey"\nsource = "{source}"\nscale = "{scale}"\n{extra}\n{CONSTANTS}\n[questions]\n{questions}'


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def stored(db) -> list[tuple]:
    return db.query(
        "SELECT response_id, responded_on, site, question_id, question_text, pillar, scale, score FROM survey "
        "ORDER BY response_id, question_id"
    )


def load_twice(db, path, mapping_text: str):
    """Load the export, then load it again: the second load must change nothing."""
    mapping = parse_mapping(mapping_text)
    first = ingest_file(db, "survey", path, mapping=mapping)
    assert first.ok, first.errors
    again = ingest_file(db, "survey", path, mapping=mapping)
    assert (again.batch_id, again.inserted, again.updated, again.unchanged) == (None, 0, 0, first.inserted)
    return first


# --- SurveyMonkey: two header rows, a matrix question, US dates with AM/PM ---------------------------------------

MATRIX = "How much do you agree with the following statements?"
SURVEYMONKEY = csv_text(
    [
        ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
         "Last Name", "Custom Data 1", MATRIX, "", "Which site do you work at?",
         "How likely are you to recommend us as an employer?", "Anything else?"],
        ["", "", "", "", "", "", "", "", "", "I understand our quality objectives", "I get the resources I need",
         "Response", "Response", "Open-Ended Response"],
        ["114227000001", "431000001", "11/03/2025 09:10:02 AM", "11/03/2025 09:15:22 AM", "203.0.113.7", "", "", "",
         "", "Strongly agree", "Agree", "Leeds", "9", "More training please"],
        ["114227000002", "431000001", "11/03/2025 11:52:40 PM", "11/04/2025 12:03:10 AM", "203.0.113.8", "", "", "",
         "", "Neither agree nor disagree", "  strongly   DISAGREE ", "Porto", "6", ""],
        ["114227000003", "431000001", "11/05/2025 01:00:00 PM", "11/05/2025 01:04:59 PM", "203.0.113.9", "", "", "",
         "", "", "Agree", "Leeds", "10", ""],
    ]
)  # fmt: skip
SURVEYMONKEY_MAPPING = source_mapping(
    "surveymonkey",
    '"I understand our quality objectives" = "vision_strategy"\n"I get the resources I need" = "resources"\n',
    '[columns]\nsite = "Which site do you work at?"',
)


@pytest.mark.both_backends
def test_a_surveymonkey_export_loads_with_its_matrix_rows_scored_from_their_labels(db, write):
    result = load_twice(db, write("surveymonkey.csv", SURVEYMONKEY), SURVEYMONKEY_MAPPING)
    assert (result.rows_read, result.inserted) == (3, 5)
    understand, resources = f"{MATRIX} - I understand our quality objectives", f"{MATRIX} - I get the resources I need"
    nov = dt.date(2025, 11, 3)
    assert stored(db) == [
        ("114227000001", nov, "Leeds", resources, resources, "resources", "likert5", 4.0),
        ("114227000001", nov, "Leeds", understand, understand, "vision_strategy", "likert5", 5.0),
        # End Date: past midnight, so the next day (11/04 12:03:10 AM)
        ("114227000002", dt.date(2025, 11, 4), "Porto", resources, resources, "resources", "likert5", 1.0),
        ("114227000002", dt.date(2025, 11, 4), "Porto", understand, understand, "vision_strategy", "likert5", 3.0),
        ("114227000003", dt.date(2025, 11, 5), "Leeds", resources, resources, "resources", "likert5", 4.0),
    ]


@pytest.mark.both_backends
def test_an_unknown_label_names_its_row_column_and_value_and_labels_give_it_a_score(db, write):
    export = write("surveymonkey.csv", SURVEYMONKEY.replace("Strongly agree", "Tout à fait d'accord"))
    refused = ingest_file(db, "survey", export, mapping=parse_mapping(SURVEYMONKEY_MAPPING))
    assert refused.error_count == 1 and not refused.loaded
    problem = refused.errors[0]
    assert (problem.row, problem.column, problem.value) == (
        3,  # two header rows, then the first respondent
        f"{MATRIX} - I understand our quality objectives",
        "Tout à fait d'accord",
    )
    assert problem.message.startswith("not a score on likert5: answer with a whole number on the scale or one of")
    assert "the mapping's [labels]" in problem.message
    assert db.query("SELECT count(*) FROM batches") == [(0,)]
    labelled = SURVEYMONKEY_MAPPING.replace("[questions]", '[labels]\n"  TOUT À FAIT  d\'accord " = 5\n\n[questions]')
    loaded = ingest_file(db, "survey", export, mapping=parse_mapping(labelled))
    assert loaded.ok, loaded.errors
    assert db.query("SELECT score FROM survey WHERE response_id = '114227000001' AND pillar = 'vision_strategy'") == [
        (5.0,)
    ]


def test_a_surveymonkey_mapping_on_a_file_without_its_second_header_row_says_so(db, write):
    header_only = SURVEYMONKEY.split("\r\n")[0] + "\r\n"
    result = ingest_file(db, "survey", write("one-row.csv", header_only), mapping=parse_mapping(SURVEYMONKEY_MAPPING))
    assert [(p.row, p.message) for p in result.errors] == [
        (2, "a SurveyMonkey export has 2 header rows; this file ends at row 1: export all individual responses again")
    ]


def test_a_question_named_by_a_statement_two_matrices_share_is_ambiguous(db, write):
    twice = SURVEYMONKEY.replace("Which site do you work at?", "Another matrix").replace(
        "Response,Response", "I get the resources I need,Response", 1
    )
    result = ingest_file(db, "survey", write("twice.csv", twice), mapping=parse_mapping(SURVEYMONKEY_MAPPING))
    assert result.errors[0].message == (
        "question 'I get the resources I need' of the mapping matches 2 columns of the export "
        f"('{MATRIX} - I get the resources I need', 'Another matrix - I get the resources I need'): "
        "name it by the column's full header"
    )


# --- Qualtrics: three header rows (ids, texts, ImportId JSON), ResponseId, RecordedDate ----------------------------

QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]  # fmt: skip
QUALTRICS_TEXTS = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                   "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
                   "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
                   "Distribution Channel", "User Language"]  # fmt: skip
QUALTRICS_IDS = ['{"ImportId":"startDate","timeZone":"Europe/London"}', '{"ImportId":"endDate","timeZone":"Europe/London"}',
                 '{"ImportId":"status"}', '{"ImportId":"ipAddress"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}',
                 '{"ImportId":"finished"}', '{"ImportId":"recordedDate","timeZone":"Europe/London"}',
                 '{"ImportId":"_recordId"}', '{"ImportId":"recipientLastName"}', '{"ImportId":"recipientFirstName"}',
                 '{"ImportId":"recipientEmail"}', '{"ImportId":"externalDataReference"}', '{"ImportId":"locationLatitude"}',
                 '{"ImportId":"locationLongitude"}', '{"ImportId":"distributionChannel"}', '{"ImportId":"userLanguage"}']  # fmt: skip
RATE = "How much do you agree with each statement?"


def qualtrics_rows(with_import_ids: bool = True) -> list[list[str]]:
    def response(start: str, recorded: str, response_id: str, *answers: str) -> list[str]:
        return [start, recorded, "IP Address", "203.0.113.7", "100", "321", "True", recorded, response_id,
                "", "", "", "", "51.5", "-0.12", "anonymous", "EN", *answers]  # fmt: skip

    rows = [
        [*QUALTRICS_META, "Q1_1", "Q1_2", "Q2"],
        [*QUALTRICS_TEXTS, f"{RATE} - I understand our quality objectives", f"{RATE} - I get the resources I need",
         "What is your department?"],
        [*QUALTRICS_IDS, '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}', '{"ImportId":"QID2"}'],
        response("2025-11-03 09:10:02", "2025-11-03 09:15:23", "R_1a2B3c4D5e6F7g8", "Agree", "Strongly agree", "Sales"),
        response("2025-11-04 23:58:00", "2025-11-05 00:01:10", "R_9z8Y7x6W5v4U3t2", "Disagree", "", "Production"),
    ]  # fmt: skip
    return rows if with_import_ids else rows[:2] + rows[3:]


QUALTRICS_MAPPING = source_mapping(
    "qualtrics",
    '"I understand our quality objectives" = "vision_strategy"\nQID1_2 = "resources"\n',
    '[columns]\ndepartment = "Q2"',
)


@pytest.mark.both_backends
@pytest.mark.parametrize("with_import_ids", [True, False], ids=["three-header-rows", "older-two-rows"])
def test_a_qualtrics_export_loads_by_q_id_with_the_question_texts(db, write, with_import_ids):
    export = write("qualtrics.csv", csv_text(qualtrics_rows(with_import_ids)))
    # With the ImportId row a question may be named by its QID; the older export has its Q id only.
    result = load_twice(
        db, export, QUALTRICS_MAPPING if with_import_ids else QUALTRICS_MAPPING.replace("QID1_2", "Q1_2")
    )
    assert (result.rows_read, result.inserted) == (2, 3)
    assert db.query(
        "SELECT response_id, responded_on, department, question_id, question_text, pillar, score FROM survey "
        "ORDER BY 1, 4"
    ) == [
        ("R_1a2B3c4D5e6F7g8", dt.date(2025, 11, 3), "Sales", "Q1_1", f"{RATE} - I understand our quality objectives",
         "vision_strategy", 4.0),
        ("R_1a2B3c4D5e6F7g8", dt.date(2025, 11, 3), "Sales", "Q1_2", f"{RATE} - I get the resources I need",
         "resources", 5.0),
        ("R_9z8Y7x6W5v4U3t2", dt.date(2025, 11, 5), "Production", "Q1_1",
         f"{RATE} - I understand our quality objectives", "vision_strategy", 2.0),
    ]  # fmt: skip


def test_a_qualtrics_mapping_on_another_tools_export_names_the_missing_column(db, write):
    result = ingest_file(db, "survey", write("sm.csv", SURVEYMONKEY), mapping=parse_mapping(QUALTRICS_MAPPING))
    assert result.errors[0].row == 1 and result.errors[0].column == "ResponseId"
    assert result.errors[0].message.startswith(
        "a Qualtrics export has a 'ResponseId' column, which this file does not have (its headers: Respondent ID, "
    )


# --- Microsoft Forms: .xlsx, ID, Start time, Completion time as Excel date cells -----------------------------------


def microsoft_forms_workbook(path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Form1"
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                  "I understand our quality objectives", "I get the resources I need"])  # fmt: skip
    sheet.append([1, dt.datetime(2025, 11, 3, 9, 10, 2), dt.datetime(2025, 11, 3, 9, 15, 22), "anonymous", None, None,
                  "Strongly agree", "Neutral"])  # fmt: skip
    sheet.append([2, dt.datetime(2025, 11, 4, 23, 50), dt.datetime(2025, 11, 5, 0, 2, 9), "anonymous", None, None,
                  "disagree", None])  # fmt: skip
    sheet.append([4, dt.datetime(2025, 11, 6, 8), dt.datetime(2025, 11, 6, 8, 4), "anonymous", None, None, "4", "5"])
    workbook.save(path)


@pytest.mark.both_backends
def test_a_microsoft_forms_workbook_loads_with_its_ids_and_completion_dates(db, tmp_path):
    export = tmp_path / "forms.xlsx"
    microsoft_forms_workbook(export)
    mapping = source_mapping(
        "microsoft_forms",
        '"I understand our quality objectives" = "vision_strategy"\n"I get the resources I need" = "resources"\n',
    )
    result = load_twice(db, export, mapping)
    assert (result.rows_read, result.inserted) == (3, 5)
    understand, resources = "I understand our quality objectives", "I get the resources I need"
    assert [row[:4] + row[5:] for row in stored(db)] == [
        ("1", dt.date(2025, 11, 3), None, resources, "resources", "likert5", 3.0),
        ("1", dt.date(2025, 11, 3), None, understand, "vision_strategy", "likert5", 5.0),
        ("2", dt.date(2025, 11, 5), None, understand, "vision_strategy", "likert5", 2.0),
        ("4", dt.date(2025, 11, 6), None, resources, "resources", "likert5", 5.0),
        ("4", dt.date(2025, 11, 6), None, understand, "vision_strategy", "likert5", 4.0),
    ]


# --- Google Forms: Timestamp with its zone, no respondent id (derived), grid rows as "Question [Row]" ---------------

GOOGLE_HEADER = ["Timestamp", "Email Address", "I understand our quality objectives", "Please rate [Resources]"]
GOOGLE_ROWS = [
    ["2025/11/03 9:15:22 AM GMT+1", "ana@example.com", "Strongly agree", "Agree"],
    ["2025/11/03 11:59:59 PM GMT+1", "ben@example.com", "Disagree", "Neutral"],
    ["2025/11/04 12:00:01 AM CET", "", "Agree", ""],
]
GOOGLE_MAPPING = source_mapping(
    "google_forms", '"I understand our quality objectives" = "vision_strategy"\nResources = "resources"\n'
)


@pytest.mark.both_backends
def test_a_google_forms_export_gets_stable_respondent_ids_as_responses_and_questions_are_added(db, write):
    first = load_twice(db, write("google.csv", csv_text([GOOGLE_HEADER, *GOOGLE_ROWS])), GOOGLE_MAPPING)
    assert (first.rows_read, first.inserted) == (3, 5)
    rows = db.query("SELECT response_id, responded_on, question_id, score FROM survey ORDER BY 2, 1, 3")
    ids = {row[0] for row in rows}
    assert len(ids) == 3 and all(i.startswith("GF-") and len(i) == 15 for i in ids)
    assert sorted((row[1], row[2], row[3]) for row in rows) == [
        (dt.date(2025, 11, 3), "I understand our quality objectives", 2.0),
        (dt.date(2025, 11, 3), "I understand our quality objectives", 5.0),
        (dt.date(2025, 11, 3), "Please rate [Resources]", 3.0),
        (dt.date(2025, 11, 3), "Please rate [Resources]", 4.0),
        (dt.date(2025, 11, 4), "I understand our quality objectives", 4.0),
    ]
    # A month later: the form gained a question, one more response came in. The earlier responses keep their ids.
    later_header = [*GOOGLE_HEADER[:2], "Which site?", *GOOGLE_HEADER[2:]]
    later = [
        [*row[:2], "Leeds", *row[2:]] for row in [*GOOGLE_ROWS, ["2025/12/01 10:00:00 AM GMT+1", "", "Agree", "Agree"]]
    ]
    again = ingest_file(db, "survey", write("google-later.csv", csv_text([later_header, *later])),
                        mapping=parse_mapping(GOOGLE_MAPPING))  # fmt: skip
    assert (again.inserted, again.updated, again.unchanged) == (2, 0, 5), again.errors
    assert ids < {row[0] for row in db.query("SELECT response_id FROM survey")}


# --- recognising a tool from its headers; what a source mapping may say --------------------------------------------


@pytest.mark.parametrize(
    ("headers", "tool"),
    [
        (SURVEYMONKEY.split("\r\n")[0].split(","), "surveymonkey"),
        ([*QUALTRICS_META, "Q1_1"], "qualtrics"),
        (["Id", "Start time", "Completion time", "Email", "Name", "How do you rate us?"], "microsoft_forms"),
        (GOOGLE_HEADER, "google_forms"),
        (["Respondent", "Submitted", "Timestamp", "I understand our quality objectives"], None),
        (["record_id", "employee_id", "department", "course", "hours"], None),
    ],
)
def test_recognise_tells_each_tool_from_its_first_header_row(headers, tool):
    assert recognise(headers) == tool


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('source = "typeform"\nscale = "likert5"\n[questions]\nQ = "culture"',
         "mapping: source 'typeform' is unknown; use one of surveymonkey, qualtrics, microsoft_forms, google_forms"),
        ('source = "qualtrics"\nscale = "likert5"',
         'mapping: name the question columns of the Qualtrics export in [questions], as "question text as the '
         'export writes it" = "pillar"'),
        ('dataset = "findings"\nsource = "qualtrics"\nscale = "likert5"\n[questions]\nQ = "culture"',
         "mapping: source = 'qualtrics' only applies to the survey dataset, not findings"),
        ('source = "qualtrics"\nscale = "likert5"\n[questions]\nQ = "culture"\n[labels]\n"Top" = 6',
         "mapping: [labels] 'Top' = 6 is outside likert5 (1-5): give it a score on the scale"),
        ('source = "qualtrics"\nscale = "likert5"\n[questions]\nQ = "culture"\n[labels]\n"Top" = "5"',
         'mapping: [labels] must hold "answer wording" = whole-number score pairs'),
    ],
)  # fmt: skip
def test_a_source_mapping_that_cannot_work_is_refused_with_the_fix(toml, message):
    with pytest.raises(MappingError) as refused:
        parse_mapping(toml)
    assert str(refused.value) == message


def test_a_source_mapping_round_trips_through_its_toml():
    mapping = parse_mapping(SURVEYMONKEY_MAPPING.replace("[questions]", '[labels]\n"Top box" = 5\n\n[questions]'))
    assert (mapping.source, mapping.labels, mapping.is_wide) == ("surveymonkey", {"Top box": 5}, True)
    assert parse_mapping(mapping.to_toml()) == mapping
    assert DERIVED_RESPONDENT not in mapping.to_toml()


# --- the Upload page's library side: recognising the export and the settings it implies ----------------------------


@pytest.mark.parametrize(
    ("name", "content", "source", "first_headers"),
    [
        ("surveymonkey.csv", SURVEYMONKEY, "surveymonkey", ["Respondent ID", "Collector ID"]),
        ("qualtrics.csv", csv_text(qualtrics_rows()), "qualtrics", ["StartDate", "EndDate"]),
        ("google.csv", csv_text([GOOGLE_HEADER, *GOOGLE_ROWS]), "google_forms", [DERIVED_RESPONDENT, "Timestamp"]),
        ("plain.csv", "Respondent,Submitted,Q1\nR1,2025-03-03,5\n", None, ["Respondent", "Submitted"]),
    ],
)
def test_an_upload_is_recognised_with_the_headers_its_source_reads(db, name, content, source, first_headers):
    inspection = uploads.inspect_upload(db, content.encode(), name)
    assert inspection.source == source
    assert list(inspection.headers[:2]) == first_headers
    if source == "surveymonkey":
        assert inspection.headers[9:11] == (
            f"{MATRIX} - I understand our quality objectives",
            f"{MATRIX} - I get the resources I need",
        )


def test_a_microsoft_forms_workbook_upload_is_recognised(db, tmp_path):
    microsoft_forms_workbook(tmp_path / "forms.xlsx")
    inspection = uploads.inspect_upload(db, (tmp_path / "forms.xlsx").read_bytes(), "forms.xlsx")
    assert (inspection.source, inspection.sheet, inspection.headers[:3]) == (
        "microsoft_forms",
        "Form1",
        ("ID", "Start time", "Completion time"),
    )


def test_the_settings_a_tool_implies_and_the_mapping_the_page_saves():
    assert uploads.tool_mapping("qualtrics") == Mapping(
        columns={"response_id": "ResponseId", "responded_on": "RecordedDate"}, dataset="survey", source="qualtrics"
    )
    assert uploads.tool_mapping("google_forms").columns == {
        "response_id": DERIVED_RESPONDENT,
        "responded_on": "Timestamp",
    }
    # What the page builds from its widgets: the columns the tool supplies are left to the source to say.
    built = uploads.build_mapping(
        "survey",
        {"response_id": "ResponseId", "responded_on": "RecordedDate", "department": "Q2"},
        {"survey_id": "pulse-2025-11", "survey_type": "engagement", "stakeholder": "employee"},
        {"Q1_1": "vision_strategy"},
        "likert5",
        source="qualtrics",
    )
    assert built.to_toml() == (
        'dataset = "survey"\nsource = "qualtrics"\nscale = "likert5"\n\n[columns]\ndepartment = "Q2"\n\n'
        '[constants]\nsurvey_id = "pulse-2025-11"\nsurvey_type = "engagement"\nstakeholder = "employee"\n\n'
        '[questions]\nQ1_1 = "vision_strategy"\n'
    )
