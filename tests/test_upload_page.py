"""The Upload page, driven through AppTest: upload, preview, mapping, report, load, re-upload, undo, saved mappings."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import auth
from isokpi.db import Database, resolve_target
from isokpi.ingest import ingest_file, list_batches, undo_batch
from isokpi.opening import open_database, open_target

from .apptest import app_page, as_read
from .conftest import csv_workbook

HEADER = "Finding ID,Audit Type,Standard,Clause,Site,Severity,Raised On,Due On,Closed On,Status\n"
GOOD = (
    HEADER + "F-001,Internal,ISO 9001,8.5.1,Leeds,Major NC,2025-02-03,2025-03-31,2025-02-20,Closed\n"
    "F-002,internal,9001,7.2,Leeds,Minor,2025-02-04,2025-03-31,,In progress\n"
).encode()
# The same data as another tool exports it: semicolons, day-first dates, Windows-1252.
GOOD_OTHER_TOOL = (
    "Finding ID;Audit Type;Standard;Clause;Site;Severity;Raised On;Due On;Closed On;Status\r\n"
    "F-001;internal;ISO 9001;8.5.1;Leeds;major_nc;03/02/2025;31/03/2025;20/02/2025;closed\r\n"
    "F-002;internal;ISO 9001;7.2;Leeds;minor_nc;04/02/2025;31/03/2025;;in_progress\r\n"
).encode("cp1252")
BAD = (
    HEADER + "F-003,internal,ISO 9001,8.5.1,Leeds,Huge,2025-02-03,2025-03-31,,open\n"
    "F-004,internal,ISO 9001,8.5.1,Leeds,minor,2025-02-31,2025-03-31,,open\n"
    "F-005,internal,ISO 9001,8.5.1,Leeds,minor,2025-02-05,2025-01-31,,open\n"
).encode()
WIDE = (
    b"Respondent,Submitted,Plant,I understand our quality objectives,I get the resources I need\n"
    b"R1,2025-03-03,Leeds,5,4\n"
    b"R2,2025-03-04,Porto,2,\n"
)
ACME_HEADER = "Ref,When,Grade,State,Plant\n"
ACME_JAN = (ACME_HEADER + "A-1,2025-01-05,Minor,Open,Leeds\nA-2,2025-01-06,Major NC,In progress,Porto\n").encode()
ACME_FEB = (ACME_HEADER + "A-3,2025-02-02,Observation,Open,Leeds\nA-4,2025-02-09,Minor,Open,Porto\n").encode()


@pytest.fixture
def app(tmp_path, use_database):
    """open_page(page) -> AppTest on a database of this test's own (prepared first with `prepare(db)`)."""
    path = tmp_path / "app.duckdb"
    use_database(path)

    class App:
        def prepare(self, work):
            database = open_target(resolve_target(path))
            work(database)
            database.close()

        def open(self, page: str = "upload", *, viewer: bool = False) -> AppTest:
            at = app_page(page, viewer=viewer).run()
            assert not at.exception, at.exception
            return at

        @property
        def db(self) -> Database:
            return open_database(str(path))  # the app's own connection (one per process)

    return App()


def run(what) -> AppTest:
    """Run the app after an interaction (`what` is the AppTest or the widget just changed); no exception."""
    at = what.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader(key="upload-file").set_value((name, content, mime))
    return run(at)


def labelled(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, (label, [w.label for w in widgets])
    return found[0]


def choose(widgets, label: str, option_text: str):
    """Pick an option of a selectbox by the text the user sees."""
    box = labelled(widgets, label)
    return box.select_index(box.options.index(option_text))


def table(at: AppTest, column: str):
    """The one dataframe on the page with `column` (the preview: the one starting with row and a dataset column)."""
    frames = [d.value for d in at.dataframe]
    if column == "_key_preview":
        found = [f for f in frames if list(f.columns[:1]) == ["row"] and "message" not in f.columns]
    else:
        found = [f for f in frames if column in f.columns]
    assert len(found) == 1, [list(f.columns) for f in frames]
    return found[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(elements) -> str:
    """The text of elements (or a column of a table), with markdown escapes removed."""
    return as_read("\n".join(str(getattr(e, "value", e)) for e in elements))


def count(db: Database, table: str) -> int:
    return db.query(f"SELECT count(*) FROM {table}")[0][0]


def test_a_good_file_shows_its_counts_loads_and_the_data_page_shows_it(app):
    data = app.open("data")
    assert metrics(data)["Audit findings"] == "0 rows"

    at = upload(app.open(), "findings.csv", GOOD)
    assert "Dataset detected from the headers: Audit findings (findings)." in texts(at.caption)
    assert metrics(at) == {"Rows read": "2", "To insert": "2", "To update": "0", "Unchanged": "0"}
    shown = table(at, "_key_preview")
    assert list(shown["finding_id"]) == ["F-001", "F-002"]
    assert list(shown["severity"]) == ["major_nc", "minor_nc"]  # normalised as stored
    assert [str(d) for d in shown["raised_on"]] == ["2025-02-03", "2025-02-04"]
    assert list(shown["row"]) == [2, 3]
    assert not at.button(key="load").disabled
    assert count(app.db, "findings") == 0  # nothing written before Load

    run(at.button(key="load").click())
    assert "as batch 1: 2 rows inserted, 0 updated, 0 unchanged" in texts(at.success)
    assert count(app.db, "findings") == 2
    batch = list_batches(app.db)[0]
    assert (batch["loaded_by"], batch["source"], batch["file_name"]) == ("local", "upload", "findings.csv")
    # The same session now reports the file as loaded, and the history lists the batch.
    assert metrics(at)["Unchanged"] == "2" and at.button(key="load").disabled
    assert list(table(at, "File")["File"]) == ["findings.csv"]

    data.switch_page("pages/data.py")
    assert metrics(run(data))["Audit findings"] == "2 rows"


def test_a_bad_file_lists_its_errors_keeps_load_disabled_and_writes_nothing(app):
    app.prepare(lambda db: ingest_file(db, "findings", write_to(db, "good.csv", GOOD)))
    before = (count(app.db, "findings_versions"), count(app.db, "batches"), count(app.db, "audit_log"))

    at = upload(app.open(), "bad.csv", BAD)
    assert "3 problems in bad.csv: nothing is loaded until they are fixed" in texts(at.error)
    problems = table(at, "message")
    assert [tuple(row) for row in problems[["row", "column", "value"]].itertuples(index=False)] == [
        (2, "Severity", "Huge"),
        (3, "Raised On", "2025-02-31"),
        (4, "Due On", "2025-01-31"),
    ]
    assert "is not an allowed severity" in problems["message"][0]
    assert at.button(key="load").disabled
    assert metrics(at)["To insert"] == "–"
    assert at.download_button(key="download-problems").label == "Download the problems (CSV)"
    assert (count(app.db, "findings_versions"), count(app.db, "batches"), count(app.db, "audit_log")) == before


def test_what_the_cli_refuses_the_page_refuses_with_the_same_message_and_no_traceback(app):
    at = upload(app.open(), "blob.csv", b"\x00\x01\x02\x03binary")
    assert "blob.csv: this is a binary file, not a CSV table" in texts(at.error)
    at = upload(at, "empty.csv", b"")
    assert "empty.csv: the file is empty. Export it again with a header row and at least one data row." in texts(
        at.error
    )
    at = upload(at, "book.csv", b"PK\x03\x04" + b"\x00" * 40)
    assert "the name ends in .csv but the content is a zip archive" in texts(at.error)
    at = upload(at, "book.xlsx", b"not,a,workbook\n")
    assert "this is not an Excel .xlsx workbook" in texts(at.error)
    assert not at.get("metric")
    assert count(app.db, "batches") == 0


def test_ambiguous_dates_ask_for_the_date_order_and_the_choice_is_applied(app):
    content = (HEADER + "F-1,internal,ISO 9001,8.5.1,Leeds,minor,03/04/2025,05/06/2025,,open\n").encode()
    at = upload(app.open(), "f.csv", content)
    assert "cannot tell whether 03/04/2025 is day-first or month-first" in texts(table(at, "message")["message"])
    assert at.button(key="load").disabled
    labelled(at.radio, "Date order").set_value("DMY")
    run(at)
    assert metrics(at)["To insert"] == "1"
    assert [str(d) for d in table(at, "_key_preview")["raised_on"]] == ["2025-04-03"]


def test_a_wide_survey_export_is_mapped_previewed_as_long_rows_and_loaded(app):
    at = app.open()
    labelled(at.selectbox, "Dataset").set_value("survey")
    at = upload(run(at), "pulse.csv", WIDE)
    assert labelled(at.toggle, "One row per respondent (a wide export: one column per question)").value
    assert labelled(at.selectbox, "Respondent id column (response_id)").value == "Respondent"
    assert labelled(at.multiselect, "Question columns").value == []  # nothing guessed: the user says which
    assert "Choose the question columns of the export." in texts(at.warning)
    questions = ["I understand our quality objectives", "I get the resources I need"]
    at = run(labelled(at.multiselect, "Question columns").set_value(questions))
    assert "Choose a pillar for every question column" in texts(at.warning)
    labelled(at.selectbox, "Pillar of I understand our quality objectives").set_value("vision_strategy")
    labelled(at.selectbox, "Pillar of I get the resources I need").set_value("resources")
    labelled(at.selectbox, "Scale of every question").set_value("likert5")
    at = run(at)
    # Survey id and type are one value for the whole export.
    assert "required column survey_id is missing" in texts(table(at, "message")["message"])
    labelled(at.text_input, "survey_id: value for every row").input("ENG-2025Q1")
    labelled(at.text_input, "survey_type: value for every row").input("engagement")
    at = run(at)
    assert metrics(at) == {"Rows read": "2", "To insert": "3", "To update": "0", "Unchanged": "0"}
    preview = table(at, "_key_preview")
    assert [
        tuple(r) for r in preview[["row", "response_id", "question_id", "pillar", "score"]].itertuples(index=False)
    ] == [
        (2, "R1", "I get the resources I need", "resources", 4.0),
        (2, "R1", "I understand our quality objectives", "vision_strategy", 5.0),
        (3, "R2", "I understand our quality objectives", "vision_strategy", 2.0),
    ]
    run(at.button(key="load").click())
    assert "as batch 1: 3 rows inserted" in texts(at.success)
    assert app.db.query("SELECT survey_id, survey_type, stakeholder, scale, count(*) FROM survey GROUP BY ALL") == [
        ("ENG-2025Q1", "engagement", "employee", "likert5", 3)
    ]


HR_EXPORT = (
    b"Employee ID,Department,Site,Team,Submitted,I understand our quality objectives,My manager recognises good work,"
    b"I have the training I need for my job,Q4\n"
    b"E-101,Production,Leeds,Day,2025-03-03,5,4,4,3\n"
    b"E-102,Production,Leeds,Night,2025-03-03,4,2,5,4\n"
    b"E-103,Quality,Porto,Day,2025-03-04,3,5,4,5\n"
)


def test_a_wide_hr_export_is_a_survey_its_respondent_found_and_one_pillar_set_for_several_questions(app):
    at = upload(app.open(), "hr-pulse.csv", HR_EXPORT)
    # Department and site name a person as in a training export; the question columns make it a survey.
    assert any(
        c.value.startswith("Dataset detected from the headers: ") and c.value.endswith("(survey).") for c in at.caption
    )
    assert labelled(at.toggle, "One row per respondent (a wide export: one column per question)").value
    # No header says "respondent": the one named like a person's id whose every row differs.
    assert labelled(at.selectbox, "Respondent id column (response_id)").value == "Employee ID"
    assert labelled(at.multiselect, "Question columns").value == []
    questions = [
        "I understand our quality objectives",
        "My manager recognises good work",
        "I have the training I need for my job",
        "Q4",
    ]
    at = run(labelled(at.multiselect, "Question columns").set_value(questions))
    assert "4 question columns, 0 with a pillar (4 to go); respondent id from Employee ID." in texts(at.info)
    at = run(labelled(at.multiselect, "Questions").set_value(questions[1:]))
    at = run(labelled(at.selectbox, "Their pillar").set_value("culture"))
    at = run(at.button(key=next(b.key for b in at.button if b.key.startswith("group-apply-"))).click())
    pillars = {q: labelled(at.selectbox, f"Pillar of {q}").value for q in questions}
    assert pillars == {questions[0]: None, questions[1]: "culture", questions[2]: "culture", questions[3]: "culture"}
    assert "4 question columns, 3 with a pillar (1 to go); respondent id from Employee ID." in texts(at.info)
    at = run(labelled(at.selectbox, f"Pillar of {questions[0]}").set_value("vision_strategy"))
    assert "4 question columns, all with a pillar; respondent id from Employee ID." in texts(at.info)
    labelled(at.text_input, "survey_id: value for every row").input("HR-2025Q1")
    labelled(at.text_input, "survey_type: value for every row").input("engagement")
    at = run(at)
    assert metrics(at) == {"Rows read": "3", "To insert": "12", "To update": "0", "Unchanged": "0"}


def test_a_re_upload_from_another_tool_is_all_unchanged_and_makes_no_batch(app):
    app.prepare(lambda db: ingest_file(db, "findings", write_to(db, "good.csv", GOOD)))
    at = upload(app.open(), "findings-export.csv", GOOD_OTHER_TOOL)
    assert metrics(at) == {"Rows read": "2", "To insert": "0", "To update": "0", "Unchanged": "2"}
    assert "Every row is already loaded with these values" in texts(at.info)
    assert at.button(key="load").disabled
    assert count(app.db, "batches") == 1


def test_right_after_a_load_the_report_says_the_file_is_loaded_not_only_that_loading_changes_nothing(app):
    at = upload(app.open(), "findings.csv", GOOD)
    at = run(at.button(key="load").click())
    batch = app.db.query("SELECT max(batch_id) FROM batches")[0][0]
    assert f"findings.csv is loaded now (batch {batch}): loading it again would change nothing" in texts(at.info)
    assert at.button(key="load").disabled


def test_undo_restores_the_rows_and_explains_a_refused_undo(app):
    at = upload(app.open(), "findings.csv", GOOD)
    run(at.button(key="load").click())
    updated = GOOD.replace(b"In progress", b"Closed").replace(b"2025-03-31,,", b"2025-03-31,2025-03-01,")
    at = upload(at, "findings-march.csv", updated)
    assert metrics(at) == {"Rows read": "2", "To insert": "0", "To update": "1", "Unchanged": "1"}
    run(at.button(key="load").click())
    assert app.db.query("SELECT status FROM findings WHERE finding_id = 'F-002'") == [("closed",)]

    labelled(at.selectbox, "Batch").set_value(1)
    at = run(at)
    assert at.button(key="undo").disabled  # not before the confirmation
    at = run(at.checkbox(key="undo-confirm").check())
    run(at.button(key="undo").click())
    assert "Batch 1 was not undone: batch 2 changed rows that batch 1 wrote: undo batch 2 first, then batch 1" in texts(
        at.error
    )
    assert count(app.db, "findings") == 2

    labelled(at.selectbox, "Batch").set_value(2)
    at = run(at.checkbox(key="undo-confirm").check())
    run(at.button(key="undo").click())
    assert "Batch 2 (findings) undone: 1 row versions removed, 1 previous versions restored" in texts(at.success)
    assert app.db.query("SELECT finding_id, status, closed_on FROM findings ORDER BY 1") == [
        ("F-001", "closed", dt.date(2025, 2, 20)),
        ("F-002", "in_progress", None),
    ]
    assert [b["status"] for b in list_batches(app.db)] == ["undone", "loaded"]
    assert not at.checkbox(key="undo-confirm").value


def test_a_saved_mapping_maps_the_next_file_with_the_same_headers(app):
    at = app.open()
    labelled(at.selectbox, "Dataset").set_value("findings")
    at = upload(run(at), "acme-jan.csv", ACME_JAN)
    assert "Column mapping: 4 required column(s) not found by name" in [e.label for e in at.expander]
    assert "required column finding_id is missing" in texts(table(at, "message")["message"])
    labelled(at.selectbox, "finding_id (required)").set_value("Ref")
    labelled(at.selectbox, "raised_on (required)").set_value("When")
    labelled(at.selectbox, "severity (required)").set_value("Grade")
    choose(at.selectbox, "audit_type (required)", "Same value for every row…")
    choose(at.selectbox, "standard (required)", "Same value for every row…")
    at = run(at)
    labelled(at.selectbox, "audit_type: value for every row").set_value("internal")
    labelled(at.selectbox, "standard: value for every row").set_value("ISO 9001")
    labelled(at.text_input, "Save this mapping as").input("Acme QMS")
    at = run(at)
    assert metrics(at)["To insert"] == "2"
    run(labelled(at.button, "Save mapping").click())
    assert "Saved as **Acme QMS**" in texts(at.success)
    run(at.button(key="load").click())
    assert count(app.db, "findings") == 2

    # Next month: a new file from the same system, dataset left to detection.
    at = app.open()
    at = upload(at, "acme-feb.csv", ACME_FEB)
    assert "Applied the saved mapping **Acme QMS**" in texts(at.info)
    assert "Dataset detected from the headers: Audit findings (findings)." in texts(at.caption)
    assert metrics(at) == {"Rows read": "2", "To insert": "2", "To update": "0", "Unchanged": "0"}
    run(at.button(key="load").click())
    assert app.db.query("SELECT finding_id, audit_type, standard, severity FROM findings ORDER BY 1")[2:] == [
        ("A-3", "internal", "ISO 9001", "observation"),
        ("A-4", "internal", "ISO 9001", "minor_nc"),
    ]
    # The Saved mappings tab offers it as the CLI's TOML file.
    download = at.download_button(key=f"download-mapping-{app.db.query('SELECT max(mapping_id) FROM mappings')[0][0]}")
    assert download.label == "Download .toml"


def test_an_xlsx_upload_picks_its_sheet(app):
    content = csv_workbook(GOOD, note=("Read me", "Exported from Acme"))
    at = upload(
        app.open(),
        "findings.xlsx",
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert labelled(at.selectbox, "Sheet").value == "Findings"
    assert metrics(at)["To insert"] == "2"
    labelled(at.selectbox, "Sheet").set_value("Read me")
    at = run(at)
    assert "sheet 'Read me' has fewer than two columns" in texts(at.error)


def test_an_xlsx_upload_is_converted_once_for_its_headers_report_load_and_next_report(app):
    at = upload(app.open(), "findings.xlsx", csv_workbook(GOOD), "application/vnd.ms-excel")
    assert metrics(at)["To insert"] == "2"
    stage = at.session_state["upload-stage"][-1]
    run(at.button(key="load").click())
    assert "as batch 1: 2 rows inserted, 0 updated, 0 unchanged" in texts(at.success)
    assert metrics(at)["Unchanged"] == "2"  # the report after the load, from the same CSV
    assert at.session_state["upload-stage"][-1] is stage and stage.conversions == 1
    assert count(app.db, "findings") == 2
    at.file_uploader(key="upload-file").set_value(None)
    run(at)
    assert stage.closed and "upload-stage" not in at.session_state
    assert not [p for p in app.db.upload_root.rglob("*") if p.relative_to(app.db.upload_root).parts[0] != "extensions"]


def test_a_viewer_cannot_use_the_page(app):
    at = app.open(viewer=True)
    assert "This page needs the Quality lead role" in texts(at.warning)
    assert not at.get("file_uploader")


def write_to(db: Database, name: str, content: bytes):
    path = db.upload_root / name
    path.write_bytes(content)
    return path


def test_the_undo_box_offers_your_own_batch_before_the_demos(demo_database, use_database, tmp_path):
    path = demo_database(dt.date(2026, 11, 25))
    database = open_target(resolve_target(path))
    own = tmp_path / "findings.csv"
    own.write_text(
        "finding_id,audit_type,standard,site,severity,raised_on,status\nOWN-1,internal,ISO 9001,Leeds,minor_nc,"
        "2026-11-02,open\n",
        encoding="utf-8",
    )
    local = auth.User(auth.LOCAL_USER, "Lee Local", auth.QUALITY_LEAD)  # who loads through the app without sign-in
    mine = ingest_file(database, "findings", own, actor=local).batch_id
    database.close()
    use_database(path)
    at = app_page("upload").run()
    assert not at.exception, at.exception
    box = at.selectbox(key="undo-batch")
    assert box.value == mine  # not the newest demo batch, whatever the order they were loaded in
    assert [o for o in box.options if "(demo data)" in o] and "(demo data)" not in box.options[0]
    (ledger,) = [frame.value for frame in at.dataframe if "Undone by" in frame.value.columns]
    assert set(ledger.loc[ledger["Status"] == "loaded", "Undone by"]) == {""}
    assert ledger.loc[ledger["Batch"] == mine, "Loaded by"].tolist() == ["Local user"]  # as the packs name them
    assert box.options[0].endswith("by Local user)")
    # Once your own batch is undone, only demo batches are left: the box offers none of them by itself.
    use_database(path)  # the app's connection closed, so this process opens the file anew
    database = open_target(resolve_target(path))
    undo_batch(database, mine)
    database.close()
    use_database(path)
    at = app_page("upload").run()
    assert at.selectbox(key="undo-batch").value is None and not [b for b in at.button if b.label == "Undo batch"]


def test_the_kept_upload_goes_when_the_user_moves_to_another_page(app):
    at = upload(app.open(), "findings.csv", GOOD, "text/csv")
    stage = at.session_state["upload-stage"][-1]
    assert stage.path.exists() and not stage.closed
    at.switch_page("pages/data.py")
    run(at)
    assert stage.closed and not stage.path.exists() and "upload-stage" not in at.session_state
