"""isokpi.uploads: the page's private copy, dataset detection, suggestions, preview, saved mappings."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat

import openpyxl
import pytest

from isokpi import cli
from isokpi.auth import QUALITY_LEAD, User
from isokpi.datasets import DATASETS
from isokpi.ingest import ingest_file, list_batches
from isokpi.mapping import (
    Mapping,
    MappingError,
    delete_mapping,
    find_saved_mapping,
    list_mappings,
    parse_mapping,
    save_mapping,
)
from isokpi.opening import close_all
from isokpi.sources import SourceError
from isokpi.templates import template_csv
from isokpi.uploads import (
    UploadStage,
    build_mapping,
    check_file,
    detect_dataset,
    id_candidates,
    inspect_upload,
    load_upload,
    needs_mapping,
    private_upload,
    question_like,
    suggest_mapping,
    unmatched_headers,
    validate_upload,
)

from .conftest import csv_workbook


def lead(email: str) -> User:
    return User(email, email, QUALITY_LEAD)


FINDINGS = (
    b"Finding ID,Audit Type,Standard,Clause,Site,Severity,Raised On,Due On,Closed On,Status\n"
    b"F-001,Internal,ISO 9001:2015,8.5.1,Leeds,Major NC,03/02/2025,31/03/2025,20/02/2025,Closed\n"
    b"F-002,internal audit,9001,7.2, Leeds ,Minor,04/02/2025,31/03/2025,,In progress\n"
)
ACME = b"Ref,When,Grade,State,Plant\nA-1,2025-01-05,Minor,Open,Leeds\nA-2,2025-01-06,Major NC,In progress,Porto\n"
ACME_MAPPING = Mapping(
    columns={"finding_id": "Ref", "raised_on": "When", "severity": "Grade", "status": "State", "site": "Plant"},
    constants={"audit_type": "internal", "standard": "ISO 9001"},
)
WIDE = (
    b"Respondent,Submitted,Plant,I understand our quality objectives,I get the resources I need\n"
    b"R1,2025-03-03,Leeds,5,4\n"
    b"R2,2025-03-04,Porto,2,\n"
)
WIDE_MAPPING = Mapping(
    columns={"response_id": "Respondent", "responded_on": "Submitted", "site": "Plant"},
    constants={"survey_id": "ENG-2025Q1", "survey_type": "engagement"},
    questions={"I understand our quality objectives": "vision_strategy", "I get the resources I need": "resources"},
    scale="likert5",
)


def files_under(root) -> list[str]:
    """What is in the upload directory, but for the extensions the DuckLake backend keeps there."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.relative_to(root).parts[0] != "extensions")


@pytest.fixture
def cli_db(tmp_path):
    """A database file of its own for the CLI run in this process (closed afterwards)."""
    yield str(tmp_path / "cli.duckdb")
    close_all()


# --- the private copy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"%PDF-1.7", "only .csv and .xlsx files can be uploaded"),
        ("data.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "only .csv and .xlsx files can be uploaded"),
        ("book.xlsx", b"a,b\n1,2\n", "this is not an Excel .xlsx workbook"),
        ("data.csv", b"PK\x03\x04rest", "the content is a zip archive"),
        ("data.csv", b"\x1f\x8b\x08\x00", "the content is gzip-compressed data"),
        ("data.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "the content is an old Excel .xls"),
    ],
)
def test_the_type_is_checked_by_name_and_magic_bytes(name, content, message):
    with pytest.raises(SourceError, match=message):
        check_file(name, len(content), content[:8])


def test_a_file_over_the_limit_is_refused_before_anything_is_written(db):
    before = files_under(db.upload_root)
    with (
        pytest.raises(SourceError, match=r"big\.csv: 2\.0 MB is over the 1 MB upload limit"),
        private_upload(db, b"a,b\n" + b"x" * (2 * 1024 * 1024), "big.csv", max_bytes=1024 * 1024),
    ):
        pytest.fail("the block must not run")
    assert files_under(db.upload_root) == before


def test_the_upload_limit_in_code_holds_whatever_the_server_allows():
    size = 100 * 1024 * 1024 + 1
    with pytest.raises(SourceError, match=r"huge\.csv: 100\.0 MB is over the 100 MB upload limit"):
        check_file("huge.csv", size, b"a,b\n1,2", max_bytes=200 * 1024 * 1024)
    with pytest.raises(SourceError, match="over the 100 MB upload limit"):
        check_file("huge.csv", size, b"a,b\n1,2")
    check_file("fits.csv", 100 * 1024 * 1024, b"a,b\n1,2")


def test_the_upload_is_a_private_file_inside_upload_root_deleted_afterwards(db):
    with private_upload(db, io.BytesIO(b"a,b\n1,2\n"), "../../etc/evil name.csv") as path:
        assert path.parent.parent == db.upload_root
        assert path.name == "upload.csv"
        assert path.read_bytes() == b"a,b\n1,2\n"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not path.exists() and not path.parent.exists()
    assert files_under(db.upload_root) == []


def test_inspect_reads_headers_and_lists_sheets(db, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["just a note"])
    data = workbook.create_sheet("Findings")
    data.append(["Finding ID", "Raised On"])
    data.append(["F-1", dt.date(2025, 1, 5)])
    other = workbook.create_sheet("Training")
    other.append(["Record ID", "Employee", "Course"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()

    first = inspect_upload(db, content, "book.xlsx")
    assert (first.sheets, first.sheet, first.headers) == (
        ("Notes", "Findings", "Training"),
        "Findings",
        ("Finding ID", "Raised On"),
    )
    chosen = inspect_upload(db, content, "book.xlsx", sheet="Training")
    assert (chosen.sheet, chosen.headers) == ("Training", ("Record ID", "Employee", "Course"))
    with pytest.raises(SourceError, match="no sheet named 'Nope'"):
        inspect_upload(db, content, "book.xlsx", sheet="Nope")
    csv = inspect_upload(db, FINDINGS, "f.csv")
    assert (csv.sheets, csv.sheet, csv.headers[:2]) == ((), None, ("Finding ID", "Audit Type"))
    assert files_under(db.upload_root) == []


# --- detection and suggestions --------------------------------------------------------------------------------


def test_each_template_is_detected_as_its_own_dataset():
    for dataset in DATASETS.values():
        headers = template_csv(dataset).decode("utf-8-sig").splitlines()[0].split(",")
        assert detect_dataset(headers) == dataset.name


def test_detection_returns_none_for_no_match_or_a_tie():
    assert detect_dataset(["Finding ID", "Raised On", "Severity"]) == "findings"
    assert detect_dataset(["Colour", "Weight"]) is None
    assert detect_dataset([]) is None
    # "site" is a column of every dataset: a tie.
    assert detect_dataset(["Site"]) is None


HR_HEADERS = ["Employee ID", "Department", "Site", "Submitted", "I understand our quality objectives",
              "My manager recognises good work", "Do I have the tools?", "Q4"]  # fmt: skip


def test_a_wide_survey_export_is_told_from_training_by_its_question_columns():
    # Employee, department and site are training's columns too; no dataset has every required column named.
    assert detect_dataset(HR_HEADERS) == "survey"
    assert detect_dataset(HR_HEADERS[:6]) == "training"  # two question-like headers are not enough
    # A complete training export with extra long headers stays training.
    complete = ["record_id", "employee_id", "department", "course", "hours"]
    assert detect_dataset([*complete, *HR_HEADERS[4:]]) == "training"
    assert [question_like(h) for h in HR_HEADERS] == [False, False, False, False, True, True, True, True]


def test_respondent_candidates_are_named_like_a_persons_id_best_word_first():
    headers = ["Email", "Respondent", "Employee number", "Department", "Valid", "user_id"]
    assert id_candidates(headers) == ["Respondent", "Employee number", "Email", "user_id"]
    assert id_candidates(["Department", "Score"]) == []


def test_suggestions_are_the_clis_own_header_matches():
    headers = ["NCR", "Finding", "Raised On", "Plant", "Unknown"]  # NCR and Finding both look like finding_id
    assert suggest_mapping("findings", headers) == {"raised_on": "Raised On", "site": "Plant"}
    assert suggest_mapping("findings", [*headers, "Finding ID"])["finding_id"] == "Finding ID"  # named exactly
    assert suggest_mapping("findings", ["Finding ID", "Raised On"]) == {
        "finding_id": "Finding ID",
        "raised_on": "Raised On",
    }
    survey = ["Respondent", "Submitted", "I understand our quality objectives"]
    assert suggest_mapping("survey", survey) == {"response_id": "Respondent", "responded_on": "Submitted"}
    assert unmatched_headers("survey", survey) == ["I understand our quality objectives"]


def test_build_mapping_drops_empty_choices_and_is_checked():
    mapping = build_mapping(
        "survey",
        {"response_id": "Respondent", "site": None, "score": "Ignored in a wide export"},
        {"survey_id": " ENG-1 ", "survey_type": "", "stakeholder": None},
        {"Q1": "culture"},
        "likert4",
        "DMY",
    )
    assert mapping == Mapping(
        columns={"response_id": "Respondent"},
        constants={"survey_id": "ENG-1"},
        questions={"Q1": "culture"},
        scale="likert4",
        date_format="DMY",
        dataset="survey",
    )
    with pytest.raises(MappingError, match="pillar 'happiness'"):
        build_mapping("survey", {}, {}, {"Q1": "happiness"}, "likert5")
    with pytest.raises(MappingError, match="'nope' is not a column of findings"):
        build_mapping("findings", {"nope": "X"})


def test_a_mapping_that_restates_the_headers_is_not_needed():
    headers = ["Finding ID", "Raised On", "Status"]
    same = build_mapping("findings", suggest_mapping("findings", headers))
    assert not needs_mapping(same, headers)
    assert needs_mapping(build_mapping("findings", {"finding_id": "Status"}), headers)
    assert needs_mapping(build_mapping("findings", {}, {"audit_type": "internal"}), headers)


# --- preview and report -----------------------------------------------------------------------------------------


def test_the_preview_is_exactly_what_a_load_stores(db, write):
    shown = validate_upload(db, FINDINGS, "f.csv", "findings").preview
    assert shown.columns == [
        "row", "finding_id", "audit_type", "standard", "clause", "site", "severity", "raised_on", "due_on", "closed_on", "status",
    ]  # fmt: skip
    assert shown.rows == [
        (2, "F-001", "internal", "ISO 9001", "8.5.1", "Leeds", "major_nc", dt.date(2025, 2, 3), dt.date(2025, 3, 31), dt.date(2025, 2, 20), "closed"),
        (3, "F-002", "internal", "ISO 9001", "7.2", "Leeds", "minor_nc", dt.date(2025, 2, 4), dt.date(2025, 3, 31), None, "in_progress"),
    ]  # fmt: skip
    assert ingest_file(db, "findings", write("f.csv", FINDINGS)).inserted == 2
    stored = db.query(f"SELECT {', '.join(shown.columns[1:])} FROM findings ORDER BY finding_id")
    assert stored == [row[1:] for row in shown.rows]


def test_the_preview_shows_the_first_rows_of_a_bad_file_and_of_a_wide_survey_as_long_rows(db):
    header = b"finding_id,raised_on,severity,status\n"
    rows = b"".join(b"F-%03d,2025-01-%02d,minor,open\n" % (i, 1 + i % 28) for i in range(1, 41))
    bad = header + rows.replace(b"F-003,2025-01-04", b"F-003,2025-02-31")
    shown = validate_upload(db, bad, "f.csv", "findings", limit=5).preview
    assert shown.columns == ["row", "finding_id", "audit_type", "standard", "severity", "raised_on", "status"]
    assert [(row[0], row[1], row[5]) for row in shown.rows] == [
        (2, "F-001", dt.date(2025, 1, 2)),
        (3, "F-002", dt.date(2025, 1, 3)),
        (4, "F-003", None),  # the impossible date: empty here, named in the report
        (5, "F-004", dt.date(2025, 1, 5)),
        (6, "F-005", dt.date(2025, 1, 6)),
    ]
    wide = validate_upload(db, WIDE, "wide.csv", "survey", mapping=WIDE_MAPPING).preview
    index = {name: i for i, name in enumerate(wide.columns)}
    assert [(r[index["row"]], r[index["response_id"]], r[index["question_id"]], r[index["pillar"]], r[index["score"]]) for r in wide.rows] == [
        (2, "R1", "I get the resources I need", "resources", 4.0),
        (2, "R1", "I understand our quality objectives", "vision_strategy", 5.0),
        (3, "R2", "I understand our quality objectives", "vision_strategy", 2.0),
    ]  # fmt: skip
    assert {r[index["survey_id"]] for r in wide.rows} == {"ENG-2025Q1"}
    assert {r[index["stakeholder"]] for r in wide.rows} == {"employee"}


def test_the_report_counts_without_writing_and_matches_the_cli(db, write, capsys, cli_db):
    report = validate_upload(db, FINDINGS, "f.csv", "findings")
    assert (report.result.ok, report.result.rows_read, report.result.inserted, report.can_load) == (True, 2, 2, True)
    assert list_batches(db) == [] and db.query("SELECT count(*) FROM findings") == [(0,)]

    bad = FINDINGS.replace(b"Major NC", b"Huge").replace(b"04/02/2025", b"31/02/2025")
    report = validate_upload(db, bad, "bad.csv", "findings")
    path = write("bad.csv", bad)
    assert cli.main(["ingest", "findings", str(path), "--db", cli_db, "--json", "--check"]) == 2
    from_cli = json.loads(capsys.readouterr().out)
    assert [p.as_dict() for p in report.result.errors] == from_cli["errors"]
    assert [(e["row"], e["column"], e["value"]) for e in from_cli["errors"]] == [
        (2, "Severity", "Huge"),
        (3, "Raised On", "31/02/2025"),
    ]
    assert not report.can_load


UPDATED = (
    FINDINGS.replace(b",,In progress", b",28/02/2025,Closed")
    + b"F-003,internal,9001,7.2,Leeds,Minor,05/02/2025,,,Open\n"
)


@pytest.mark.parametrize(
    ("dataset", "content", "mapping", "counts"),
    [
        ("findings", UPDATED, None, (1, 1, 1, 0)),
        ("findings", FINDINGS + FINDINGS.splitlines(keepends=True)[1], None, (0, 0, 2, 0)),  # a row twice
        ("findings", FINDINGS.replace(b"Major NC", b"Huge"), None, (0, 0, 0, 1)),
        ("findings", b"\x00\x01\x02binary", None, (0, 0, 0, 1)),
        ("survey", WIDE, WIDE_MAPPING, (3, 0, 0, 0)),
    ],
    ids=["insert-update-unchanged", "duplicate", "bad-value", "unreadable", "wide-survey"],
)
def test_the_report_is_exactly_ingest_files_check(db, write, dataset, content, mapping, counts):
    """(inserted, updated, unchanged, problems) and everything else as ingest_file(check_only=True) says."""
    assert ingest_file(db, "findings", write("loaded.csv", FINDINGS)).inserted == 2
    result = validate_upload(db, content, "f.csv", dataset, mapping=mapping).result
    assert (result.inserted, result.updated, result.unchanged, result.error_count) == counts
    path = write("f.csv", content)
    assert result == ingest_file(db, dataset, path, mapping=mapping, source="upload", check_only=True)


def test_an_unreadable_upload_reports_the_sources_message(db):
    report = validate_upload(db, b"\x00\x01\x02binary", "x.csv", "findings")
    assert report.preview.rows == []
    assert [p.message for p in report.result.errors] == [
        "x.csv: this is a binary file, not a CSV table. Upload a .csv export or an Excel .xlsx workbook."
    ]


def test_load_reports_its_steps_and_records_the_user(db):
    steps: list[str] = []
    result = load_upload(db, FINDINGS, "f.csv", "findings", actor=lead("ana@example.com"), progress=steps.append)
    assert steps == ["staging", "validating", "writing"]
    assert (result.batch_id, result.inserted) == (1, 2)
    batch = list_batches(db)[0]
    assert (batch["loaded_by"], batch["source"], batch["file_name"]) == ("ana@example.com", "upload", "f.csv")
    again = validate_upload(db, FINDINGS, "f.csv", "findings")
    assert (again.result.unchanged, again.result.inserted, again.can_load) == (2, 0, False)
    assert files_under(db.upload_root) == []


def findings_workbook() -> bytes:
    """A workbook whose first sheet is a note and whose second holds the FINDINGS rows."""
    return csv_workbook(FINDINGS, note=("Notes", "just a note"))


def test_a_kept_upload_converts_its_workbook_once_for_headers_report_and_load(db):
    stage = UploadStage(db, io.BytesIO(findings_workbook()), "export.xlsx")
    assert stage.directory.parent == db.upload_root and stat.S_IMODE(os.stat(stage.path).st_mode) == 0o600
    inspection = inspect_upload(db, stage, "export.xlsx")
    assert (inspection.sheets, inspection.sheet, inspection.headers[0]) == (
        ("Notes", "Findings"),
        "Findings",
        "Finding ID",
    )
    csv = stage.staged("Findings").csv_path
    written = os.stat(csv).st_mtime_ns
    report = validate_upload(db, stage, "export.xlsx", "findings", sheet="Findings")
    assert (report.result.inserted, report.result.sha256) == (2, inspection.sha256)
    steps: list[str] = []
    loaded = load_upload(
        db, stage, "export.xlsx", "findings", sheet="Findings", actor=lead("ana@example.com"), progress=steps.append
    )
    assert (loaded.batch_id, loaded.inserted, loaded.sha256) == (1, 2, inspection.sha256)
    assert steps == ["validating", "writing"]
    again = validate_upload(db, stage, "export.xlsx", "findings", sheet="Findings")
    assert (again.result.unchanged, again.can_load) == (2, False)
    assert stage.conversions == 1 and os.stat(csv).st_mtime_ns == written  # one CSV, never written again
    batch = list_batches(db)[0]
    assert (batch["file_name"], batch["source"], batch["rows_read"]) == ("export.xlsx", "upload", 2)
    stage.close()
    assert stage.closed and files_under(db.upload_root) == []


def test_a_kept_upload_stages_each_sheet_once_and_keeps_a_sheets_refusal(db):
    stage = UploadStage(db, findings_workbook(), "export.xlsx")
    for _ in range(2):
        assert inspect_upload(db, stage, "export.xlsx", sheet="Findings").sheet == "Findings"
        with pytest.raises(SourceError, match="export.xlsx: sheet 'Notes' has fewer than two columns"):
            inspect_upload(db, stage, "export.xlsx", sheet="Notes")
        report = validate_upload(db, stage, "export.xlsx", "findings", sheet="Notes")
        assert "sheet 'Notes' has fewer than two columns" in report.result.errors[0].message
    assert stage.conversions == 2
    del stage  # the page replaced the file, or the session ended
    assert files_under(db.upload_root) == []


def test_a_kept_upload_refused_at_once_leaves_no_file(db):
    with pytest.raises(SourceError, match="book.xlsx: this is not an Excel .xlsx workbook"):
        UploadStage(db, b"a,b\n1,2\n", "book.xlsx")
    with pytest.raises(SourceError, match="bad.xlsx: "):
        UploadStage(db, b"PK\x03\x04 not really a zip", "bad.xlsx")
    assert files_under(db.upload_root) == []


# --- saved mappings ------------------------------------------------------------------------------------------------


def test_a_saved_mapping_is_found_for_a_file_with_the_same_headers(db):
    headers = ("Ref", "When", "Grade", "State", "Plant")
    saved = save_mapping(db, lead("ana@example.com"), "  Acme   QMS ", "findings", ACME_MAPPING, headers)
    assert (saved.mapping_id, saved.name, saved.headers) == (1, "Acme QMS", ("grade", "plant", "ref", "state", "when"))
    assert saved.mapping == Mapping(**{**ACME_MAPPING.__dict__, "dataset": "findings"})
    assert db.query("SELECT name, dataset, headers, created_by, deleted_at FROM mappings") == [
        ("Acme QMS", "findings", ["grade", "plant", "ref", "state", "when"], "ana@example.com", None)
    ]
    assert db.query("SELECT actor, action, subject FROM audit_log WHERE action = 'save_mapping'") == [
        ("ana@example.com", "save_mapping", "mapping 1")
    ]

    assert find_saved_mapping(db, "findings", ["plant", "STATE", "grade", "When", "ref"]) == saved  # order, case
    assert find_saved_mapping(db, None, [*headers, "Auditor"]) == saved  # the export gained a column
    assert find_saved_mapping(db, "findings", headers[:-1]) is None  # a header is missing
    assert find_saved_mapping(db, "training", headers) is None

    exact = save_mapping(
        db, lead("ana@example.com"), "Acme with auditor", "findings", ACME_MAPPING, [*headers, "Auditor"]
    )
    assert find_saved_mapping(db, "findings", [*headers, "Auditor"]) == exact
    assert find_saved_mapping(db, "findings", headers) == saved


def test_saving_under_the_same_name_replaces_and_delete_hides(db):
    first = save_mapping(db, lead("ana"), "Acme", "findings", ACME_MAPPING, ["Ref", "When"])
    second = save_mapping(db, lead("ben"), "ACME", "findings", ACME_MAPPING, ["Ref", "When", "Grade"])
    assert [m.mapping_id for m in list_mappings(db)] == [second.mapping_id]
    assert db.query("SELECT mapping_id, deleted_at IS NOT NULL FROM mappings ORDER BY 1") == [(first.mapping_id, True), (second.mapping_id, False)]  # fmt: skip
    other = save_mapping(db, lead("ana"), "Acme", "survey", WIDE_MAPPING, ["Respondent"])
    assert [m.dataset for m in list_mappings(db)] == ["survey", "findings"]
    assert delete_mapping(db, lead("ana"), second.mapping_id).name == "ACME"
    assert [m.mapping_id for m in list_mappings(db)] == [other.mapping_id]
    assert find_saved_mapping(db, "findings", ["Ref", "When", "Grade"]) is None
    with pytest.raises(MappingError, match="there is no saved mapping"):
        delete_mapping(db, lead("ana"), second.mapping_id)
    assert [row[0] for row in db.query("SELECT action FROM audit_log ORDER BY event_id")] == [
        "save_mapping", "save_mapping", "save_mapping", "delete_mapping"
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "message"), [("  ", "give the mapping a name"), ("x" * 101, "at most 100")])
def test_a_mapping_needs_a_name(db, name, message):
    with pytest.raises(MappingError, match=message):
        save_mapping(db, lead("ana"), name, "findings", ACME_MAPPING, ["Ref"])
    assert list_mappings(db) == []


def test_a_saved_mapping_downloads_as_the_clis_mapping_file(db, tmp_path, capsys, cli_db):
    saved = save_mapping(db, lead("ana"), "Pulse survey (HR)", "survey", WIDE_MAPPING, ["Respondent"])
    assert saved.file_name == "pulse-survey-hr.toml"
    mapping_file = tmp_path / saved.file_name
    mapping_file.write_text(saved.toml, encoding="utf-8")
    assert parse_mapping(saved.toml).questions == WIDE_MAPPING.questions
    data = tmp_path / "wide.csv"
    data.write_bytes(WIDE)
    code = cli.main(["ingest", "survey", str(data), "--db", cli_db, "--mapping", str(mapping_file), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 3


def test_the_acme_export_loads_through_its_saved_mapping(db):
    saved = save_mapping(db, lead("ana"), "Acme", "findings", ACME_MAPPING, ["Ref", "When", "Grade", "State", "Plant"])
    report = validate_upload(db, ACME, "acme.csv", "findings", mapping=saved.mapping)
    assert report.result.ok, report.result.errors
    assert [row[:3] for row in report.preview.rows] == [(2, "A-1", "internal"), (3, "A-2", "internal")]
    assert load_upload(db, ACME, "acme.csv", "findings", actor=lead("ana"), mapping=saved.mapping).inserted == 2
    assert db.query("SELECT finding_id, severity, status, site FROM findings ORDER BY 1") == [
        ("A-1", "minor_nc", "open", "Leeds"),
        ("A-2", "major_nc", "in_progress", "Porto"),
    ]
