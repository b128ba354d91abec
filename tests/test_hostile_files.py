"""Files made to hurt: a 2 KB workbook that asks the Excel reader for 512 GB, a header of 200,000 columns,
control characters and NULs, a full disk. Each is refused with a plain message naming the file, the database
stays as it was, and the process that read the file (the CLI, the app) carries on."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import workbooks
from isokpi.datasets import MAX_FILE_COLUMNS
from isokpi.db import Database, resolve_target
from isokpi.ingest import ingest_file
from isokpi.mapping import parse_mapping
from isokpi.opening import open_database
from isokpi.sources import SourceError, list_sheets, stage_file

from .apptest import as_read
from .conftest import ROOT
from .workbook_xml import cell, row, sheet, table, write_workbook

HEADER = "finding_id,audit_type,standard,site,severity,raised_on,status,description\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def finding(number: int, site: str = "Leeds", description: str = "Calibration overdue") -> str:
    return f"F-{number:03d},internal,ISO 9001,{site},minor_nc,2025-02-03,open,{description}\n"


GOOD = HEADER + finding(1) + finding(2)


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def state(path: Path) -> tuple:
    """What the database file holds: its batches, row versions and audit entries (read by a new connection)."""
    database = Database(resolve_target(path))
    try:
        return (
            database.query("SELECT batch_id, dataset, file_name, inserted, status FROM batches ORDER BY 1"),
            database.query("SELECT finding_id, site, description FROM findings_versions ORDER BY 1"),
            database.query("SELECT action, subject FROM audit_log ORDER BY event_id"),
        )
    finally:
        database.close()


def loaded_once(tmp_path: Path) -> Path:
    """A database file holding one batch of two findings, written by the CLI."""
    path = tmp_path / "isokpi.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert cli("ingest", "findings", str(good), "--db", str(path)).returncode == 0
    return path


def no_crash(result: subprocess.CompletedProcess) -> None:
    for sign in ("Traceback", "memory allocation", "panicked", "stack backtrace"):
        assert sign not in result.stderr, result.stderr


def problems(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.value) for p in result.errors]


# --- 4. a sparse workbook --------------------------------------------------------------------------------


def sparse_workbook(path: Path, *, declared: bool = True) -> Path:
    """The attacker's file: a header, a row, and one cell at the last position Excel has (XFD1048576)."""
    rows = (
        row(1, cell("A1", "finding_id"), cell("B1", "site"))
        + row(2, cell("A2", "F-1"), cell("B2", "Leeds"))
        + row(1048576, cell("XFD1048576", "x"))
    )
    return write_workbook(path, {"Findings": sheet(rows, "A1:XFD1048576" if declared else None)})


@pytest.mark.parametrize(
    ("declared", "said"),
    [
        (True, "sheet 'Findings' declares its used range as A1:XFD1048576: 16,384 columns by 1,048,576 rows"),
        (False, "sheet 'Findings' has cells from A1 to XFD1048576: 16,384 columns by 1,048,576 rows"),
    ],
    ids=["declared", "cells-only"],
)
def test_a_sparse_workbook_is_refused_by_the_cli_with_exit_2_naming_the_file(tmp_path, declared, said):
    database = loaded_once(tmp_path)
    before = state(database)
    attack = sparse_workbook(tmp_path / "sparse.xlsx", declared=declared)
    assert attack.stat().st_size < 2048
    result = cli("ingest", "findings", str(attack), "--db", str(database))
    assert result.returncode == 2, result.stderr[-2000:]
    no_crash(result)
    assert f"sparse.xlsx: {said}, more than a load reads (519 columns, 1,048,576 rows" in result.stderr
    assert "Ctrl+End goes to the last cell" in result.stderr
    assert state(database) == before


def test_a_workbook_declaring_billions_of_texts_is_refused_when_its_sheets_are_listed(tmp_path):
    # python-calamine reserves room for the declared count when it opens the workbook: 96 GB for a 2 KB file.
    attack = write_workbook(
        tmp_path / "texts.xlsx",
        {"Findings": sheet(table([["finding_id", "site"], ["F-1", "Leeds"]]))},
        shared_strings=f'<sst xmlns="{"http://schemas.openxmlformats.org/spreadsheetml/2006/main"}" '
        'count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>',
    )
    with pytest.raises(SourceError) as refused:
        list_sheets(attack, "findings export.xlsx")
    assert str(refused.value).startswith(
        "findings export.xlsx: its shared-string table declares 4,000,000,000 distinct texts, more than the "
        "33,554,432 cells a load reads"
    )
    with pytest.raises(SourceError, match="declares 4,000,000,000 distinct texts"):
        stage_file(attack, tmp_path, "findings export.xlsx")


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        # Cells without a position sit one after the other: 600 of them make a row 600 columns wide.
        (row(1, *(f'<c t="inlineStr"><is><t>h{n}</t></is></c>' for n in range(600))), "from A1 to WB1: 600 columns"),
        # A namespace prefix, lower-case letters, and the position after other attributes in single quotes.
        (row(1, cell("A1", "a"), cell("B1", "b")) + '<x:c r="xfd9"><x:v>1</x:v></x:c>', "from A1 to XFD9: 16,384"),
        (row(1, cell("A1", "a"), cell("B1", "b")) + "<c s='1' t='n' r='B2000000'><v>1</v></c>", "2,000,000 rows"),
        (row(1, cell("A1", "a"), cell("B1", "b"), cell("ZZ1", "c")), "from A1 to ZZ1: 702 columns by 1 rows"),
    ],
    ids=["no-positions", "prefixed", "attribute-order", "too-wide"],
)
def test_every_way_of_writing_a_cell_position_is_counted_as_the_reader_counts_it(tmp_path, rows, said):
    xml = sheet(rows).replace(
        "<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    )
    attack = write_workbook(tmp_path / "cells.xlsx", {"Data": xml})
    with pytest.raises(SourceError) as refused:
        stage_file(attack, tmp_path, "cells.xlsx")
    assert "cells.xlsx: sheet 'Data' has cells " in str(refused.value)
    assert said in str(refused.value)


def test_the_sheet_a_load_would_read_is_checked_and_another_can_be_chosen(tmp_path):
    notes = sheet(row(1, cell("A1", "Exported by Acme")) + row(900000, cell("XFD900000", "x")))
    findings = sheet(table([HEADER.strip().split(","), finding(1).strip().split(",")]))
    attack = write_workbook(tmp_path / "export.xlsx", {"Notes": notes, "Findings": findings})
    database = tmp_path / "isokpi.duckdb"
    refused = cli("ingest", "findings", str(attack), "--db", str(database))
    assert refused.returncode == 2
    no_crash(refused)
    assert "export.xlsx: sheet 'Notes' has cells from A1 to XFD900000" in refused.stderr
    chosen = cli("ingest", "findings", str(attack), "--db", str(database), "--sheet", "Findings")
    assert chosen.returncode == 0, chosen.stderr
    assert "loaded as batch 1. 1 rows read: 1 inserted" in chosen.stdout


def test_a_workbook_that_needs_more_memory_than_the_limit_is_refused_and_the_process_goes_on(tmp_path, monkeypatch):
    # 26 columns by 400,000 rows passes the checks (10.4M cells) but the reader wants about 330 MB for it.
    monkeypatch.setattr(workbooks, "MEMORY_BYTES", 120 * workbooks.MB)
    small = write_workbook(tmp_path / "small.xlsx", {"Findings": sheet(table([["finding_id", "site"], ["F-1", "x"]]))})
    assert stage_file(small, tmp_path, "small.xlsx").headers == ("finding_id", "site")
    rows = row(1, cell("A1", "finding_id"), cell("B1", "site")) + row(400000, cell("Z400000", "x"))
    big = write_workbook(tmp_path / "big.xlsx", {"Findings": sheet(rows)})
    with pytest.raises(SourceError) as refused:
        stage_file(big, tmp_path, "big.xlsx")
    assert str(refused.value) == (
        "big.xlsx: reading it needs more than 120 MB of memory, the limit for one workbook: save the sheet as CSV "
        "(in Excel: File > Save As > CSV UTF-8) and load that."
    )


def test_a_workbook_that_takes_longer_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(workbooks, "SECONDS", 1)  # of CPU time in the reader; this one needs several
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>{n}</v></c><c r="C{n}"><v>{n}</v></c></row>'
        for n in range(1, 500_001)
    )
    slow = write_workbook(tmp_path / "slow.xlsx", {"Findings": sheet(rows)})
    with pytest.raises(SourceError) as refused:
        stage_file(slow, tmp_path, "slow.xlsx")
    assert str(refused.value).startswith("slow.xlsx: reading it takes longer than 1 s, the limit for one workbook")


# --- 5. a header of 200,000 columns -----------------------------------------------------------------------


def wide_csv(path: Path, columns: int) -> Path:
    path.write_text(",".join(f"q{n}" for n in range(columns)) + "\n" + ",".join("4" for _ in range(columns)) + "\n")
    return path


def test_a_header_of_200000_columns_is_refused_by_the_cli_in_seconds(tmp_path):
    database = loaded_once(tmp_path)
    before = state(database)
    attack = wide_csv(tmp_path / "wide.csv", 200_000)
    assert attack.stat().st_size < 2_500_000
    started = time.monotonic()
    result = cli("ingest", "survey", str(attack), "--db", str(database), timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    no_crash(result)
    assert "wide.csv: the header row has more than 3" in result.stderr  # the first 256 KB hold 3x,xxx of them
    assert "columns, more than the 519 a load reads" in result.stderr
    assert state(database) == before


@pytest.mark.parametrize(
    ("content", "found"),
    [
        # Short rows under a wide header: DuckDB's rejects log each once per missing column (90 s for 20 KB).
        (",".join(f"c{n}" for n in range(500)) + "\n" + "x\n" * 10_000, "Expected Number of Columns: 500 Found: 1"),
        # Rows of 501 values under a header of 8: once per extra value, each time with the whole line.
        (HEADER + ("1," * 500 + "\n") * 5_000, "Expected Number of Columns: 8 Found: 501"),
    ],
    ids=["short-rows", "long-rows"],
)
def test_rows_of_another_width_than_the_header_are_listed_in_seconds(tmp_path, content, found):
    attack = tmp_path / "rows.csv"
    attack.write_text(content)
    started = time.monotonic()
    result = cli("ingest", "findings", str(attack), "--db", str(tmp_path / "isokpi.duckdb"), "--json", timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["error_count"] == 1_000  # the first 1,000 are listed
    assert [e["row"] for e in report["errors"][:3]] == [2, 3, 4]
    assert report["errors"][0]["message"] == (
        f"this row does not have the header's {found.split()[4]} columns ({found}): a separator or quote inside a "
        "value is probably not quoted"
    )


def test_one_column_over_the_limit_is_refused_and_a_survey_export_at_the_limit_loads(db, write, tmp_path):
    assert MAX_FILE_COLUMNS == 519  # 19 findings columns + 300 questions + 200 other columns
    questions = [f"Q{n}" for n in range(MAX_FILE_COLUMNS - 3)]
    header = ["Respondent", "Submitted", "Plant", *questions]
    wide = write("wide.csv", ",".join(header) + "\n" + ",".join(["R1", "2025-03-03", "Leeds"] + ["4"] * len(questions)))
    mapping = parse_mapping(
        'dataset = "survey"\nscale = "likert5"\n[columns]\nresponse_id = "Respondent"\nresponded_on = "Submitted"\n'
        'site = "Plant"\n[constants]\nsurvey_id = "ENG"\nsurvey_type = "engagement"\n[questions]\n'
        + "".join(f'{q} = "culture"\n' for q in questions)
    )
    loaded = ingest_file(db, "survey", wide, mapping=mapping)
    assert loaded.ok, loaded.errors[:3]
    assert db.query("SELECT count(*), sum(score) FROM survey") == [(516, 2064.0)]

    over = write("over.csv", ",".join([*header, "Extra"]) + "\n" + ",".join(["R1"] * (len(header) + 1)) + "\n")
    refused = ingest_file(db, "survey", over, mapping=mapping)
    assert refused.errors[0].message.startswith(
        "over.csv: the header row has 520 columns, more than the 519 a load reads"
    )
    too_wide = write_workbook(
        tmp_path / "over.xlsx", {"Answers": sheet(table([[*header, "Extra"], ["R1"] * (len(header) + 1)]))}
    )
    refused = ingest_file(db, "survey", too_wide, mapping=mapping)
    assert "over.xlsx: sheet 'Answers' has cells from A1 to SZ2: 520 columns by 2 rows" in refused.errors[0].message
    assert db.query("SELECT count(*) FROM batches") == [(1,)]


# --- 7. control characters and NULs -----------------------------------------------------------------------


def test_a_nul_after_the_first_256_kb_or_in_utf16_is_refused_naming_its_line(db, write):
    ingest_file(db, "findings", write("good.csv", GOOD))
    before = db.query("SELECT count(*) FROM findings_versions"), db.query("SELECT count(*) FROM batches")
    rows = "".join(finding(n, description="x" * 80) for n in range(3, 3003))
    late = write("late.csv", HEADER + rows + finding(9999, site="Le\x00eds"))
    assert late.read_bytes().index(b"\x00") > 256 * 1024
    result = ingest_file(db, "findings", late)
    assert result.errors[0].message == (
        "late.csv: line 3,002 holds a NUL character (a zero byte, \\x00), which no text export contains: the file "
        "is damaged or not a CSV table. Export it again."
    )
    utf16 = write("utf16.csv", HEADER + finding(3) + finding(4, site="Le\x00eds"), encoding="utf-16")
    assert ingest_file(db, "findings", utf16).errors[0].message.startswith("utf16.csv: line 3 holds a NUL character")
    assert (db.query("SELECT count(*) FROM findings_versions"), db.query("SELECT count(*) FROM batches")) == before


def test_control_characters_in_text_are_refused_with_row_column_and_the_escaped_value(db, write, tmp_path):
    ingest_file(db, "findings", write("good.csv", GOOD))
    before = db.query("SELECT finding_id, site, description FROM findings ORDER BY 1")
    content = (
        HEADER
        + finding(3, site="Le\x07eds")
        + finding(4, description="Pump\x0bcheck")
        + finding(5, description="ok\tstill\x1b[31m red")
        + '"F-006",internal,ISO 9001,Leeds,minor_nc,2025-02-03,open,"two\r\nlines\tand a tab"\n'
    )
    result = ingest_file(db, "findings", write("controls.csv", content))
    assert problems(result) == [
        (2, "site", "Le\\x07eds"),
        (3, "description", "Pump\\x0bcheck"),
        (4, "description", "ok\tstill\\x1b[31m red"),
    ]
    assert result.errors[0].message == (
        "site holds the control character \\x07, which text must not hold (it is invisible, and terminals and other "
        "programs act on it): remove it. Tabs and line breaks are fine"
    )
    # The same in a workbook, where Excel writes a BEL as _x0007_; a NUL there is refused naming its cell.
    rows = [HEADER.strip().split(","), finding(7, site="Bel_x0007_fast").strip().split(",")]
    book = write_workbook(tmp_path / "controls.xlsx", {"Findings": sheet(table(rows))})
    assert problems(ingest_file(db, "findings", book)) == [(2, "site", "Bel\\x07fast")]
    rows[1][3] = "Nul_x0000_ton"
    book = write_workbook(tmp_path / "nul.xlsx", {"Findings": sheet(table(rows))})
    assert (
        ingest_file(db, "findings", book)
        .errors[0]
        .message.startswith("nul.xlsx: sheet 'Findings', cell D2 holds a NUL character (\\x00)")
    )
    assert db.query("SELECT finding_id, site, description FROM findings ORDER BY 1") == before


def test_a_direction_mark_in_an_identifier_is_refused_and_free_text_keeps_tabs_and_line_breaks(db, write):
    content = HEADER + finding(1).replace("F-001", "F-0\u202e01") + finding(2)
    result = ingest_file(db, "findings", write("ids.csv", content))
    assert problems(result) == [(2, "finding_id", "F-0\\u202e01")]
    assert result.errors[0].message.startswith("finding_id holds the direction mark \\u202e, which shows")
    text = HEADER + '"F-001",internal,ISO 9001,Leeds,minor_nc,2025-02-03,open,"two\r\nlines\tand a \u202etab"\n'
    assert ingest_file(db, "findings", write("text.csv", text)).ok
    assert db.query("SELECT description FROM findings") == [("two\r\nlines\tand a \u202etab",)]


def test_a_control_character_in_a_mapping_constant_is_refused(db, write):
    mapping = parse_mapping('[constants]\nowner = "Q\\u0007A team"\n')
    result = ingest_file(db, "findings", write("f.csv", GOOD), mapping=mapping)
    assert problems(result) == [(2, "owner", "Q\\x07A team"), (3, "owner", "Q\\x07A team")]
    assert db.query("SELECT count(*) FROM batches") == [(0,)]


# --- 9. a full disk -----------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs mounted for the test (skipped, with the reason, where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True
        )
    except FileNotFoundError:
        pytest.skip("disk-full tests need the mount command to mount a small tmpfs")
    if done.returncode != 0:
        pytest.skip(f"disk-full tests need to mount a small tmpfs (root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` until `leave` bytes are free; delete the returned file to free them again."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(stats.f_bavail * stats.f_frsize - leave, 0))
    return filler


def many_findings(path: Path, count: int, start: int = 100) -> Path:
    path.write_text(
        HEADER + "".join(finding(n, description=f"Finding {n} of the audit") for n in range(start, start + count))
    )
    return path


@pytest.mark.parametrize(
    ("leave", "rows"),
    [(48 * 1024, 2_000), (600 * 1024, 130_000)],
    ids=["full-at-commit", "full-while-writing"],
)
def test_a_full_disk_loads_nothing_says_so_and_the_load_works_once_there_is_space(small_disk, tmp_path, leave, rows):
    database = small_disk / "isokpi.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert cli("ingest", "findings", str(good), "--db", str(database)).returncode == 0
    before = state(database)
    export = many_findings(tmp_path / "export.csv", rows)
    filler = fill(small_disk, leave)
    started = time.monotonic()
    result = cli("ingest", "findings", str(export), "--db", str(database))
    assert time.monotonic() - started < 20  # not retried as a write conflict for half a minute
    assert result.returncode == 1
    no_crash(result)
    assert result.stderr == (
        f"isokpi: export.csv: the disk is full; nothing was loaded. Free some space on the disk that holds "
        f"{small_disk} and load the file again.\n"
    )
    assert state(database) == before
    filler.unlink()
    again = cli("ingest", "findings", str(export), "--db", str(database))
    assert again.returncode == 0, again.stderr
    assert f"{rows:,} inserted" in again.stdout


def test_a_full_temporary_folder_loads_nothing_and_says_so(small_disk, tmp_path):
    database = loaded_once(tmp_path)
    before = state(database)
    fill(small_disk, 8 * 1024)
    export = many_findings(tmp_path / "export.csv", 2_000)
    result = cli(
        "ingest", "findings", str(export), "--db", str(database), env={**os.environ, "TMPDIR": str(small_disk)}
    )
    assert result.returncode == 1
    no_crash(result)
    assert "export.csv: the disk is full; nothing was loaded. Free some space on the disk that holds" in result.stderr
    assert state(database) == before


# --- the Upload page ---------------------------------------------------------------------------------------


@pytest.fixture
def upload_page(tmp_path, use_database):
    """open(db_path) -> the Upload page (AppTest) of the local admin on that database."""

    def open_page(path: Path) -> AppTest:
        use_database(path)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page("pages/upload.py")
        at.run()
        assert not at.exception, at.exception
        return at

    return open_page


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader(key="upload-file").set_value((name, content, mime))
    at.run()
    assert not at.exception, at.exception
    return at


def shown(elements) -> str:
    """Messages as a reader sees them."""
    return as_read("\n".join(str(e.value) for e in elements))


def test_the_page_refuses_hostile_files_by_name_and_goes_on_serving(upload_page, tmp_path):
    database = tmp_path / "app.duckdb"
    at = upload_page(database)
    at = upload(at, "sparse.xlsx", sparse_workbook(tmp_path / "attack.xlsx", declared=False).read_bytes(), XLSX)
    assert "sparse.xlsx: sheet 'Findings' has cells from A1 to XFD1048576: 16,384 columns by 1,048,576 rows" in shown(
        at.error
    )
    at = upload(at, "wide.csv", wide_csv(tmp_path / "attack.csv", 200_000).read_bytes())
    assert "wide.csv: the header row has more than 3" in shown(at.error)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024 * 1024))
    at = upload(at, "Q3 findings.xlsx", bomb.read_bytes(), XLSX)
    assert "Q3 findings.xlsx: the workbook expands past 512 MB" in shown(at.error)
    assert "upload.xlsx" not in shown(at.error)
    # The same session, and a new one, are still served.
    at = upload(at, "findings.csv", GOOD.encode())
    assert {m.label: m.value for m in at.metric}["To insert"] == "2"
    assert upload_page(database).file_uploader(key="upload-file") is not None
    assert open_database(str(database)).query("SELECT count(*) FROM batches") == [(0,)]


def test_the_page_says_the_disk_is_full_and_loads_nothing(upload_page, small_disk):
    database = small_disk / "app.duckdb"
    at = upload_page(database)
    at = upload(at, "first.csv", GOOD.encode())
    at.button(key="load").click().run()
    db = open_database(str(database))
    before = db.query("SELECT count(*) FROM findings_versions"), db.query("SELECT count(*) FROM batches")
    export = many_findings(small_disk.parent / "export.csv", 2_000).read_bytes()
    at = upload(at, "export.csv", export)
    assert {m.label: m.value for m in at.metric}["To insert"] == "2,000"
    filler = fill(small_disk, 48 * 1024)
    at.button(key="load").click().run()
    assert not at.exception, at.exception
    assert (
        f"export.csv: the disk is full; nothing was loaded. Free some space on the disk that holds {small_disk} and "
        "load the file again." in shown(at.error)
    )
    assert (db.query("SELECT count(*) FROM findings_versions"), db.query("SELECT count(*) FROM batches")) == before
    filler.unlink()
    at.button(key="load").click().run()
    assert "Loaded export.csv as batch 2: 2,000 rows inserted" in shown(at.success)
    assert db.query("SELECT count(*) FROM findings") == [(2_002,)]
    with contextlib.suppress(Exception):
        db.close()
