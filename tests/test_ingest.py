"""Ingest: exact outcomes for each validation rule, atomic and idempotent loads, undo."""

from __future__ import annotations

import datetime as dt
import gzip

import openpyxl
import pytest

from isokpi.auth import QUALITY_LEAD, User, os_user
from isokpi.ingest import UndoError, ingest_file, list_batches, undo_batch

pytestmark = pytest.mark.both_backends  # every test here runs on the DuckDB file and on DuckLake

FINDINGS_HEADER = "finding_id,audit_type,standard,clause,site,severity,raised_on,due_on,closed_on,status\n"

ANA = User("ana", "Ana", QUALITY_LEAD)


def findings_rows(n: int, *, start: int = 1, status: str = "open") -> str:
    lines = []
    for i in range(start, start + n):
        closed = "2025-02-20" if status == "closed" else ""
        lines.append(
            f"F-{i:04d},internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-{1 + i % 27:02d},2025-03-31,{closed},{status}"
        )
    return "\n".join(lines) + "\n"


def table(db, sql: str, params=None) -> list[tuple]:
    return db.query(sql, params)


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.value) for p in result.errors]


# --- loading, idempotence, undo ---------------------------------------------------------------------


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_a_clean_file_loads_every_row_with_canonical_values(db, write):
    path = write(
        "findings.csv",
        "Finding ID,Audit Type,Standard,Clause,Site,Severity,Raised On,Due On,Closed On,Status,Root cause\n"
        "F-001,Internal,ISO 9001:2015,8.5.1,Leeds,Major NC,2025-01-10,2025-02-10,2025-02-01,Closed,Procedure\n"
        "F-002,internal audit,9001,7.2, Leeds ,Minor,2025-01-12,2025-02-12,,In progress,Training\n",
    )
    result = ingest_file(db, "findings", path, actor=ANA)
    assert (result.ok, result.batch_id, result.rows_read, result.inserted) == (True, 1, 2, 2)
    assert table(
        db,
        "SELECT finding_id, audit_type, standard, site, severity, raised_on, closed_on, status FROM findings ORDER BY 1",
    ) == [
        ("F-001", "internal", "ISO 9001", "Leeds", "major_nc", dt.date(2025, 1, 10), dt.date(2025, 2, 1), "closed"),
        ("F-002", "internal", "ISO 9001", "Leeds", "minor_nc", dt.date(2025, 1, 12), None, "in_progress"),
    ]
    batch = list_batches(db)[0]
    assert (batch["dataset"], batch["file_name"], batch["inserted"], batch["loaded_by"], batch["status"]) == (
        "findings",
        "findings.csv",
        2,
        "ana",
        "loaded",
    )
    assert len(batch["sha256"]) == 64


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_the_same_file_twice_changes_nothing_the_second_time(db, write):
    path = write("findings.csv", FINDINGS_HEADER + findings_rows(20))
    first = ingest_file(db, "findings", path)
    before = table(db, "SELECT * FROM findings_versions ORDER BY finding_id")
    second = ingest_file(db, "findings", path)
    assert (first.inserted, second.inserted, second.updated, second.unchanged, second.batch_id) == (20, 0, 0, 20, None)
    assert table(db, "SELECT * FROM findings_versions ORDER BY finding_id") == before
    assert len(list_batches(db)) == 1


def test_the_same_data_from_another_tool_is_unchanged(db, write):
    ingest_file(
        db,
        "findings",
        write("a.csv", FINDINGS_HEADER + "F-1,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-13,2025-03-31,,open\n"),
    )
    other = write(
        "b.csv",
        "Finding Id;Audit type;Standard;Clause;Site;Severity;Raised on;Due on;Closed on;Status\r\n"
        "F-1;Internal Audit;ISO 9001:2015;8.5.1;Leeds;Minor NC;13.02.2025;31.03.2025;;Open\r\n",
        encoding="utf-8-sig",
    )
    result = ingest_file(db, "findings", other)
    assert (result.ok, result.inserted, result.updated, result.unchanged) == (True, 0, 0, 1)


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_an_updated_export_updates_rows_and_undo_restores_the_previous_statuses(db, write):
    ingest_file(db, "findings", write("jan.csv", FINDINGS_HEADER + findings_rows(3)))
    later = FINDINGS_HEADER + findings_rows(2, status="closed") + findings_rows(1, start=3) + findings_rows(1, start=4)
    result = ingest_file(db, "findings", write("feb.csv", later))
    assert (result.inserted, result.updated, result.unchanged) == (1, 2, 1)
    assert table(db, "SELECT finding_id, status FROM findings ORDER BY 1") == [
        ("F-0001", "closed"),
        ("F-0002", "closed"),
        ("F-0003", "open"),
        ("F-0004", "open"),
    ]
    outcome = undo_batch(db, result.batch_id, actor=ANA)
    assert (outcome["removed"], outcome["restored"]) == (3, 2)
    assert table(db, "SELECT finding_id, status FROM findings ORDER BY 1") == [
        ("F-0001", "open"),
        ("F-0002", "open"),
        ("F-0003", "open"),
    ]
    assert [b["status"] for b in list_batches(db)] == ["undone", "loaded"]
    assert table(db, "SELECT actor, action FROM audit_log ORDER BY event_id") == [
        (os_user(), "load"),
        (os_user(), "load"),
        ("ana", "undo"),
    ]


def test_undo_refuses_a_batch_whose_rows_a_later_batch_changed(db, write):
    first = ingest_file(db, "findings", write("a.csv", FINDINGS_HEADER + findings_rows(2)))
    second = ingest_file(db, "findings", write("b.csv", FINDINGS_HEADER + findings_rows(2, status="closed")))
    with pytest.raises(UndoError, match=f"undo batch {second.batch_id} first"):
        undo_batch(db, first.batch_id)
    undo_batch(db, second.batch_id)
    undo_batch(db, first.batch_id)
    assert table(db, "SELECT count(*) FROM findings") == [(0,)]
    with pytest.raises(UndoError, match="already undone"):
        undo_batch(db, first.batch_id)
    with pytest.raises(UndoError, match="no batch 99"):
        undo_batch(db, 99)


# --- every problem, with row, column, value and what to do -------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_blank_lines_keep_the_row_numbers_a_spreadsheet_shows(db, write, encoding):
    content = (
        FINDINGS_HEADER
        + "\n"
        + findings_rows(1)
        + findings_rows(1, start=2).replace("2025-03-31", "1800-01-01")
        + "\n\n"
        + findings_rows(1, start=3).replace("minor_nc", "nope")
    ).replace("Leeds", "Malmö")
    result = ingest_file(db, "findings", write("f.csv", content, encoding=encoding))
    assert [(p.row, p.column) for p in result.errors] == [(4, "due_on"), (7, "severity")]
    assert "outside the years 1900-2100" in result.errors[0].message  # DuckDB alone would have taken 1800


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_a_500_row_file_with_one_impossible_date_at_row_378_loads_nothing(db, write):
    lines = findings_rows(499).splitlines()
    lines[376] = lines[376].replace(",2025-03-31,", ",2025-02-30,")  # data line 377 is spreadsheet row 378
    result = ingest_file(db, "findings", write("f.csv", FINDINGS_HEADER + "\n".join(lines) + "\n"))
    assert result.rows_read == 499 and not result.ok and result.batch_id is None
    assert [(p.row, p.column, p.value) for p in result.errors] == [(378, "due_on", "2025-02-30")]
    assert result.errors[0].message.endswith("'2025-02-30' is not a date: February 2025 has 28 days; correct the day")
    assert table(db, "SELECT count(*) FROM findings_versions") == [(0,)]
    assert table(db, "SELECT count(*) FROM batches") == [(0,)]


def test_validation_reports_every_problem_not_just_the_first(db, write):
    path = write(
        "f.csv",
        FINDINGS_HEADER
        + "F-1,internal,ISO 9001,8.5.1,Leeds,critical,2025-02-10,2025-03-31,,open\n"
        + ",internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-10,2025-03-31,,open\n"
        + "F-3,party,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-10,2025-03-31,2025-02-01,closed\n"
        + "F-4,internal,ISO 9999,8.5.1,Leeds,minor_nc,2025-02-10,2025-03-31,,done\n",
    )
    result = ingest_file(db, "findings", path)
    assert errors_of(result) == [
        (2, "severity", "critical"),
        (3, "finding_id", ""),
        (4, "audit_type", "party"),
        (4, "closed_on", "2025-02-01"),
        (5, "closed_on", ""),
        (5, "standard", "ISO 9999"),
    ]
    messages = {(p.row, p.column): p.message for p in result.errors}
    assert (
        messages[(2, "severity")]
        == "'critical' is not an allowed severity: use one of major_nc, minor_nc, observation, ofi"
    )
    assert "before raised_on" in messages[(4, "closed_on")]
    assert "closed or verified but closed_on is empty" in messages[(5, "closed_on")]
    assert table(db, "SELECT count(*) FROM findings_versions") == [(0,)]


def test_a_missing_required_column_is_reported_once_at_the_header(db, write):
    result = ingest_file(db, "findings", write("f.csv", "finding_id,site\nF-1,Leeds\n"))
    assert [(p.row, p.column) for p in result.errors] == [
        (1, "audit_type"),
        (1, "raised_on"),
        (1, "severity"),
        (1, "standard"),
        (1, "status"),
    ]
    assert "required column raised_on is missing" in result.errors[1].message
    assert "'date raised'" in result.errors[1].message


def test_training_hours_must_be_more_than_0_and_at_most_168(db, write):
    header = "record_id,employee_id,department,course,hours,status,completed_on\n"
    rows = "T1,007,QA,Audit,0,planned,\nT2,007,QA,Audit,168,completed,2025-01-05\nT3,007,QA,Audit,168.5,planned,\nT4,007,QA,Audit,two,planned,\n"
    result = ingest_file(db, "training", write("t.csv", header + rows))
    assert errors_of(result) == [(2, "hours", "0"), (4, "hours", "168.5"), (5, "hours", "two")]
    assert result.errors[0].message == "out of range: hours must be a number > 0 and <= 168"


def test_identifiers_keep_leading_zeros(db, write):
    result = ingest_file(
        db, "training", write("t.csv", "record_id,employee_id,department,course,hours\n0001,00417,QA,Audit,2\n")
    )
    assert result.ok
    assert table(db, "SELECT record_id, employee_id FROM training") == [("0001", "00417")]


def test_survey_scores_must_lie_inside_their_scale(db, write):
    header = "response_id,survey_id,survey_type,responded_on,question_id,scale,score\n"
    rows = "R1,S1,engagement,2025-03-01,Q1,likert5,6\nR2,S1,engagement,2025-03-01,Q1,likert5,4.5\nR3,S1,customer_nps,2025-03-01,NPS,nps10,0\nR4,S1,engagement,2025-03-01,Q1,likert4,0\n"
    result = ingest_file(db, "survey", write("s.csv", header + rows))
    assert errors_of(result) == [(2, "score", "6"), (3, "score", "4.5"), (5, "score", "0")]


def test_stakeholder_defaults_from_survey_type_else_employee(db, write):
    header = "response_id,survey_id,survey_type,responded_on,question_id,scale,score\n"
    rows = "R1,S1,customer_nps,2025-03-01,NPS,nps10,9\nR2,S2,engagement,2025-03-01,Q1,likert5,4\n"
    assert ingest_file(db, "survey", write("s.csv", header + rows)).ok
    assert table(db, "SELECT response_id, stakeholder FROM survey ORDER BY 1") == [
        ("R1", "customer"),
        ("R2", "employee"),
    ]


def test_one_key_twice_with_different_content_is_an_error_and_exact_repeats_count_once(db, write):
    different = FINDINGS_HEADER + findings_rows(2) + findings_rows(1, start=1, status="closed")
    result = ingest_file(db, "findings", write("d.csv", different))
    assert errors_of(result) == [(4, "finding_id", "F-0001")]
    assert "also at row 2 with different values" in result.errors[0].message
    same = FINDINGS_HEADER + findings_rows(2) + findings_rows(1, start=1)
    result = ingest_file(db, "findings", write("s.csv", same))
    assert (result.ok, result.rows_read, result.inserted, result.duplicate_rows) == (True, 3, 2, 1)


# --- dates ----------------------------------------------------------------------------------------


def test_a_windows_1252_semicolon_file_with_day_first_dates(db, write):
    content = (
        "Record ID;Employee;Department;Course;Hours;Status;Completed On;Due Date\r\n"
        "T1;00417;Qualité;Sécurité – base;1,5;Completed;25/03/2025;31/03/2025\r\n"
        "T2;00418;Qualité;Sécurité – base;2;Completed;04/03/2025;31/03/2025\r\n"
    )
    result = ingest_file(db, "training", write("t.csv", content, encoding="cp1252"))
    assert result.ok, result.errors
    assert table(db, "SELECT record_id, department, course, hours, completed_on FROM training ORDER BY 1") == [
        ("T1", "Qualité", "Sécurité – base", 1.5, dt.date(2025, 3, 25)),
        ("T2", "Qualité", "Sécurité – base", 2.0, dt.date(2025, 3, 4)),
    ]


def test_month_first_dates_are_read_from_the_values(db, write):
    result = ingest_file(
        db,
        "findings",
        write(
            "f.csv",
            FINDINGS_HEADER + "F-1,internal,ISO 9001,8.5.1,Leeds,minor_nc,03/25/2025,04/02/2025,,open\n",
        ),
    )
    assert result.ok
    assert table(db, "SELECT raised_on, due_on FROM findings") == [(dt.date(2025, 3, 25), dt.date(2025, 4, 2))]


def test_ambiguous_dates_are_an_error_that_asks_for_date_format(db, write):
    path = write("f.csv", FINDINGS_HEADER + "F-1,internal,ISO 9001,8.5.1,Leeds,minor_nc,03/04/2025,05/06/2025,,open\n")
    result = ingest_file(db, "findings", path)
    assert [(p.row, p.column, p.value) for p in result.errors] == [
        (1, "due_on", "05/06/2025"),
        (1, "raised_on", "03/04/2025"),
    ]
    assert "--date-format DMY" in result.errors[0].message
    result = ingest_file(db, "findings", path, date_format="DMY")
    assert result.ok
    assert table(db, "SELECT raised_on FROM findings") == [(dt.date(2025, 4, 3),)]


def test_mixed_day_first_and_month_first_dates_are_refused(db, write):
    rows = "F-1,internal,ISO 9001,8.5.1,Leeds,minor_nc,25/03/2025,,,open\nF-2,internal,ISO 9001,8.5.1,Leeds,minor_nc,03/25/2025,,,open\n"
    result = ingest_file(db, "findings", write("f.csv", FINDINGS_HEADER + rows))
    assert not result.ok
    assert "mix day-first (25/03/2025) and month-first (03/25/2025)" in result.errors[0].message


def test_an_xlsx_with_excel_date_cells(db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Export"
    sheet.append(["Finding ID", "Audit type", "Standard", "Severity", "Raised on", "Due on", "Status", "Employee"])
    sheet.append(
        ["F-1", "Internal", "ISO 45001", "Observation", dt.datetime(2025, 3, 4), dt.date(2025, 4, 3), "Open", "x"]
    )
    sheet.append([None] * 8)
    sheet.append(["F-2", "External", "ISO 14001", "OFI", dt.date(2025, 1, 31), None, "Open", "y"])
    path = tmp_path / "findings.xlsx"
    workbook.save(path)
    result = ingest_file(db, "findings", path)
    assert result.ok, result.errors
    assert result.rows_read == 2
    assert "column 'Employee' is not a column of findings and was ignored" in result.warnings
    assert table(db, "SELECT finding_id, severity, raised_on, due_on FROM findings ORDER BY 1") == [
        ("F-1", "observation", dt.date(2025, 3, 4), dt.date(2025, 4, 3)),
        ("F-2", "ofi", dt.date(2025, 1, 31), None),
    ]


def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A3"], sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = (
        "record_id",
        "employee_id",
        "department",
        "course",
        "hours",
    )
    sheet.append(["T1", "1", "QA", "Audit", 2])
    sheet.append(["T2", "1", "QA", "Audit", 500])
    path = tmp_path / "training.xlsx"
    workbook.save(path)
    result = ingest_file(db, "training", path)
    assert errors_of(result) == [(5, "hours", "500")]


# --- refusing what is not a table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"finding_id,audit_type,standard,severity,raised_on,status\n", "header but no data rows"),
        (b"\x00\x01\x02binary\xff\xfe\x00", "binary file"),
        (b"just one column\nand another line\n", "no column separator"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls"),
        (b"PK\x03\x04not really a zip", "damaged"),
    ],
)
def test_what_is_not_a_table_is_refused_with_a_reason(db, write, content, expected):
    result = ingest_file(db, "findings", write("upload.csv", content))
    assert not result.ok and result.batch_id is None
    assert expected in result.errors[0].message
    assert table(db, "SELECT count(*) FROM batches") == [(0,)]


def test_a_gzip_bomb_is_refused_without_expanding_it(db, write):
    # The example: a couple of MB of gzip holding hundreds of MB of CSV; refused at the ratio limit.
    bomb = gzip.compress(b"finding_id,site\n" + b"F,Leeds\n" * (80 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 2_000_000
    result = ingest_file(db, "findings", write("bomb.csv", bomb))
    assert "expands past 512 MB (or more than 100 times its size)" in result.errors[0].message
    assert db.query("SELECT count(*) FROM batches") == [(0,)]


def test_a_zip_bomb_workbook_is_refused_before_it_is_parsed(db, tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024 * 1024))
    assert path.stat().st_size < 1_000_000
    result = ingest_file(db, "findings", path)
    assert "the workbook expands past" in result.errors[0].message


def test_a_gzipped_csv_under_the_limit_loads(db, write):
    result = ingest_file(
        db, "findings", write("f.csv.gz", gzip.compress((FINDINGS_HEADER + findings_rows(3)).encode()))
    )
    assert (result.ok, result.inserted) == (True, 3)


def test_a_giant_field_is_refused(db, write):
    giant = "x" * 40_000
    result = ingest_file(
        db,
        "findings",
        write("f.csv", FINDINGS_HEADER.strip() + ",description\n" + findings_rows(1).strip() + f",{giant}\n"),
    )
    assert [(p.row, p.column) for p in result.errors] == [(2, "description")]
    assert "longer than 32,767 characters" in result.errors[0].message


def test_a_row_with_too_many_columns_is_a_structural_error(db, write):
    rows = findings_rows(2).splitlines()
    rows[1] += ",extra"
    result = ingest_file(db, "findings", write("f.csv", FINDINGS_HEADER + "\n".join(rows) + "\n"))
    assert [(p.row, p.column) for p in result.errors] == [(3, "")]
    assert "does not have the header's 10 columns" in result.errors[0].message
    # Text and numbers only (nothing to look up) are refused the same way; a short row is one problem, not one a column.
    plain = "record_id,employee_id,department,course,hours\nT1,1,QA,Audit,2\nT2,1,QA,Audit,2,extra\nT3,1,QA\n"
    result = ingest_file(db, "training", write("t.csv", plain))
    assert [(p.row, p.value) for p in result.errors] == [(3, "T2,1,QA,Audit,2,extra"), (4, "T3,1,QA")]
    assert "does not have the header's 5 columns (Expected Number of Columns: 5 Found: 3)" in result.errors[1].message
    assert table(db, "SELECT count(*) FROM batches") == [(0,)]


def test_quoted_newlines_stay_inside_their_value(db, write):
    content = 'finding_id,audit_type,standard,severity,raised_on,status,description\nF-1,internal,ISO 9001,ofi,2025-01-01,open,"two\nlines, one value"\nF-2,internal,ISO 9001,ofi,2025-01-01,open,plain\n'
    result = ingest_file(db, "findings", write("f.csv", content))
    assert result.ok and result.rows_read == 2
    assert table(db, "SELECT description FROM findings ORDER BY finding_id") == [("two\nlines, one value",), ("plain",)]


def test_check_only_counts_without_writing(db, write):
    path = write("f.csv", FINDINGS_HEADER + findings_rows(4))
    result = ingest_file(db, "findings", path, check_only=True)
    assert (result.ok, result.inserted, result.batch_id) == (True, 4, None)
    assert table(db, "SELECT count(*) FROM findings_versions") == [(0,)]


def test_row_numbers_stay_exact_in_a_large_file_read_in_parallel(db, write):
    # Day-first dates take the dictionary-join path, where rows are numbered before the joins.
    header = "record_id,employee_id,department,course,hours,status,completed_on\n"
    rows = [
        f"T{i},{i % 700:05d},Production,Course {i % 30},1.5,completed,{1 + i % 28:02d}/0{1 + i % 9}/2025"
        for i in range(150_000)
    ]
    rows[149_321] = rows[149_321].replace(",completed,", ",finished early,")
    rows[7] = rows[7].replace("1.5", "-3")
    result = ingest_file(db, "training", write("t.csv", header + "\n".join(rows) + "\n"))
    assert [(p.row, p.column, p.value) for p in result.errors] == [
        (9, "hours", "-3"),
        (149_323, "status", "finished early"),
    ]


def test_a_named_sheet_of_a_workbook(db, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["exported by", "HR system"])
    data = workbook.create_sheet("Records")
    data.append(["record_id", "employee_id", "department", "course", "hours"])
    data.append(["T1", "0042", "QA", "Audit", 3])
    path = tmp_path / "training.xlsx"
    workbook.save(path)
    assert ingest_file(db, "training", path, sheet="Records").inserted == 1
    missing = ingest_file(db, "training", path, sheet="Nope")
    assert "no sheet named 'Nope'. The workbook has: Notes, Records." in missing.errors[0].message


def test_an_export_without_an_optional_column_keeps_its_stored_values(db, write):
    ingest_file(
        db,
        "findings",
        write(
            "full.csv",
            FINDINGS_HEADER.strip() + ",description\n" + findings_rows(2).replace("\n", ",Gauge not calibrated\n"),
        ),
    )
    # Next month's export from another system: no due_on, no description; F-0001 is now closed.
    later = "finding_id,audit_type,standard,clause,site,severity,raised_on,closed_on,status\n"
    later += "F-0001,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-02,2025-02-20,closed\nF-0002,internal,ISO 9001,8.5.1,Leeds,minor_nc,2025-02-03,,open\n"
    result = ingest_file(db, "findings", write("later.csv", later))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert table(db, "SELECT finding_id, status, due_on, description FROM findings ORDER BY 1") == [
        ("F-0001", "closed", dt.date(2025, 3, 31), "Gauge not calibrated"),
        ("F-0002", "open", dt.date(2025, 3, 31), "Gauge not calibrated"),
    ]
    undo_batch(db, result.batch_id)
    assert table(db, "SELECT finding_id, status FROM findings ORDER BY 1") == [("F-0001", "open"), ("F-0002", "open")]


def test_a_giant_field_after_a_blank_line_is_reported_not_raised(db, write):
    # Blank lines make isokpi rewrite the file with Python's csv module, whose default field limit is 128 KB.
    content = "record_id;employee_id;department;course;hours\nT1;1;QA;" + "z" * 200_000 + ";2\n\nT2;1;QA;Audit;2\n"
    result = ingest_file(db, "training", write("giant.csv", content))
    assert not result.ok
    assert [(p.row, p.column) for p in result.errors] == [(2, "course")]
    assert "longer than 32,767 characters" in result.errors[0].message
    assert db.query("SELECT count(*) FROM batches") == [(0,)]
