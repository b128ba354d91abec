"""The Upload page recognises a survey tool's export from its headers and fills the settings its source implies."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from isokpi.mapping import list_mappings
from isokpi.opening import open_database

from .apptest import app_page
from .test_survey_tools import RATE, SURVEYMONKEY, csv_text, qualtrics_rows


@pytest.fixture
def open_upload(tmp_path, use_database):
    path = tmp_path / "app.duckdb"
    use_database(path)

    def open_page() -> AppTest:
        at = app_page("upload").run()
        assert not at.exception, at.exception
        return at

    open_page.db = lambda: open_database(str(path))
    return open_page


def labelled(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, (label, [w.label for w in widgets])
    return found[0]


def text(elements) -> str:
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


def run(at: AppTest) -> AppTest:
    at = at.run()
    assert not at.exception, at.exception
    return at


def test_a_qualtrics_export_is_recognised_and_loads_as_its_source_reads_it(open_upload):
    at = open_upload()
    at.file_uploader(key="upload-file").set_value(("pulse.csv", csv_text(qualtrics_rows()).encode(), "text/csv"))
    at = run(at)
    assert "Recognised a Qualtrics export" in text(at.caption)
    assert labelled(at.toggle, "One row per respondent (a wide export: one column per question)").value
    assert labelled(at.selectbox, "Respondent id column (response_id)").value == "ResponseId"
    assert labelled(at.multiselect, "Question columns").value == []  # nothing preselected as a question
    labelled(at.multiselect, "Question columns").set_value(["Q1_1", "Q1_2"])
    at = run(at)
    labelled(at.selectbox, "Pillar of Q1\\_1").set_value("vision_strategy")
    labelled(at.selectbox, "Pillar of Q1\\_2").set_value("resources")
    at = run(at)
    assert labelled(at.selectbox, "responded_on (required)").value == "RecordedDate"
    labelled(at.text_input, "survey_id: value for every row").input("pulse-2025-11")
    labelled(at.text_input, "survey_type: value for every row").input("engagement")
    at = run(at)
    assert {m.label: m.value for m in at.metric} == {
        "Rows read": "2",
        "To insert": "3",
        "To update": "0",
        "Unchanged": "0",
    }
    labelled(at.text_input, "Save this mapping as").input("Qualtrics pulse")
    at = run(at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("save-"))).click())
    at = run(at.button(key="load").click())
    assert "as batch 1: 3 rows inserted" in text(at.success)
    db = open_upload.db()
    assert db.query(
        "SELECT response_id, responded_on, question_id, question_text, score FROM survey ORDER BY 1, 3"
    ) == [
        ("R_1a2B3c4D5e6F7g8", dt.date(2025, 11, 3), "Q1_1", f"{RATE} - I understand our quality objectives", 4.0),
        ("R_1a2B3c4D5e6F7g8", dt.date(2025, 11, 3), "Q1_2", f"{RATE} - I get the resources I need", 5.0),
        ("R_9z8Y7x6W5v4U3t2", dt.date(2025, 11, 5), "Q1_1", f"{RATE} - I understand our quality objectives", 2.0),
    ]
    saved = list_mappings(db)[0]
    assert 'source = "qualtrics"' in saved.toml and "[columns]" not in saved.toml


def test_a_surveymonkey_export_is_detected_as_a_survey_not_as_training(open_upload):
    at = open_upload()
    at.file_uploader(key="upload-file").set_value(("hr-survey.csv", SURVEYMONKEY.encode(), "text/csv"))
    at = run(at)
    assert "Recognised a SurveyMonkey export" in text(at.caption)
    assert "Dataset detected from the headers: Survey results (survey)." in text(at.caption)
    assert labelled(at.selectbox, "Respondent id column (response_id)").value == "Respondent ID"
    assert (
        "How much do you agree with the following statements? - I get the resources I need"
        in labelled(at.multiselect, "Question columns").options
    )
