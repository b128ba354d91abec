"""Excel workbooks, read without trusting them.

python-calamine, which reads .xlsx, allocates one cell for every position between the first and the last cell
a sheet names, and reserves as many texts as the shared-string table declares: one cell at XFD1048576 in a
2 KB file asks for 512 GB and aborts the process. That is not an exception: in the app every session dies.
So workbooks are read in a child process (`python -m isokpi.workbooks`: a JSON request on stdin, a JSON answer
on stdout) under a memory and a CPU-time limit, and there, before the reader sees a sheet, the sheet's XML is
scanned as a stream: its declared <dimension> and the reference of every cell (<c r="...">) must stay within
MAX_ROWS rows, the caller's column limit and MAX_CELLS cells. A refusal, or a child stopped by a limit, comes
back as WorkbookError, whose message says what to do; the caller names the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import json
import logging
import os
import re
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

MB = 1024 * 1024
MAX_ROWS = 1_048_576  # Excel's own limit
# The rectangle one sheet may span: 32 columns of every row Excel allows (about 1 GB while it is read).
MAX_CELLS = 32 * MAX_ROWS
# What one child may use; a workbook that needs more is refused, and the server or the CLI carries on.
MEMORY_BYTES = int(os.environ.get("ISOKPI_WORKBOOK_MEMORY_MB", "3072")) * MB
SECONDS = int(os.environ.get("ISOKPI_WORKBOOK_SECONDS", "300"))
CHUNK = 4 * MB
PACKAGE_PARENT = Path(__file__).resolve().parent.parent
SAVE_AS_CSV = "save the sheet as CSV (in Excel: File > Save As > CSV UTF-8) and load that"

log = logging.getLogger(__name__)


class WorkbookError(Exception):
    """The workbook is refused or cannot be read; the message says why and what to do (the file is not named)."""


@dataclass(frozen=True)
class Table:
    """A sheet written out as CSV: which sheet, its header and the sheet row (1-based) the header is on."""

    sheet: str
    headers: tuple[str, ...]
    header_row: int


# --- the parent's side ------------------------------------------------------------------------------


def sheet_names(path: Path) -> list[str]:
    """The sheet names of the workbook at `path`, in workbook order."""
    return _run_child({"action": "names", "path": str(Path(path).resolve())})["sheets"]


def write_csv(path: Path, target: Path, sheet: str | None, max_columns: int) -> Table:
    """Write `sheet` (default: the first with data) of the workbook at `path` as a UTF-8 CSV to `target`."""
    request = {
        "action": "csv",
        "path": str(Path(path).resolve()),
        "target": str(Path(target).resolve()),
        "sheet": sheet,
        "max_columns": max_columns,
    }
    answer = _run_child(request)
    return Table(answer["sheet"], tuple(answer["headers"]), int(answer["header_row"]))


def _run_child(request: dict[str, object]) -> dict:
    request = {**request, "memory": MEMORY_BYTES, "seconds": SECONDS}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "isokpi.workbooks"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=SECONDS + 10,
            cwd=PACKAGE_PARENT,
            env={**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": _python_path()},
        )
    except subprocess.TimeoutExpired:
        raise WorkbookError(_too_slow()) from None
    answer = None
    if done.returncode == 0:
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            answer = None
    if isinstance(answer, dict) and "ok" in answer:
        return answer["ok"]
    if isinstance(answer, dict) and "refused" in answer:
        raise WorkbookError(answer["refused"])
    if isinstance(answer, dict) and "disk_full" in answer:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), answer["disk_full"])
    # Stopped by a limit or crashed: the reader's own output (a Rust backtrace) is for the log, not for people.
    first_line = (done.stderr or "").strip().splitlines()[:1]
    log.info("workbook reader ended with %s: %s", done.returncode, first_line)
    # The reader aborts when an allocation fails (SIGABRT); the kernel's OOM killer sends SIGKILL.
    if (isinstance(answer, dict) and answer.get("limit") == "memory") or done.returncode in (
        -signal.SIGABRT,
        -signal.SIGKILL,
    ):
        raise WorkbookError(
            f"reading it needs more than {MEMORY_BYTES // MB:,} MB of memory, the limit for one workbook: {SAVE_AS_CSV}."
        )
    if done.returncode == -signal.SIGXCPU:
        raise WorkbookError(_too_slow())
    raise WorkbookError(
        f"the Excel reader stopped (exit status {done.returncode}) without reading it: save it again from Excel, "
        f"or {SAVE_AS_CSV}."
    )


def _python_path() -> str:
    """The child imports isokpi from where this process did, whatever its working directory or settings."""
    return os.pathsep.join(filter(None, (str(PACKAGE_PARENT), os.environ.get("PYTHONPATH"))))


def _too_slow() -> str:
    return f"reading it takes longer than {SECONDS} s, the limit for one workbook: {SAVE_AS_CSV}."


# --- the size of a sheet, from its XML ---------------------------------------------------------------------

_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ATTRIBUTE = rb"""\s+[\w:.\-]+\s*=\s*(?:"[^"<]*"|'[^'<]*')"""
# A cell's start tag and, when it has one, the `r` attribute that gives its position (as the reader reads it).
_CELL = re.compile(
    rb"<" + _PREFIX + rb"c(?=[\s/>])(?:(?:" + _ATTRIBUTE + rb""")*?\s+r\s*=\s*["']([A-Za-z]*)([0-9]*)["'])?"""
)
_DIMENSION = re.compile(rb"<" + _PREFIX + rb"""dimension(?:""" + _ATTRIBUTE + rb""")*?\s+ref\s*=\s*["']([^"'<]*)["']""")
_UNIQUE_COUNT = re.compile(
    rb"""<""" + _PREFIX + rb"""sst(?:""" + _ATTRIBUTE + rb""")*?\s+uniqueCount\s*=\s*["']([0-9]+)["']"""
)
_POSITION = re.compile(r"([A-Za-z]+)([0-9]+)")
MAX_TAIL = 4096  # a start tag cut by a chunk boundary is carried over; a longer run is text, not a tag
# Beyond these a reference is refused anyway (XFD, row 1,048,576); longer ones count as one far beyond.
FAR_COLUMN, FAR_ROW = 26**4, 10**8


@dataclass
class Extent:
    """The rectangle a sheet's cells span (1-based, inclusive), and the <dimension> it declares."""

    declared: str | None = None
    first_row: int | None = None
    last_row: int = 0
    first_column: int | None = None
    last_column: int = 0

    def add(self, row: int, column: int) -> None:
        self.first_row = row if self.first_row is None else min(self.first_row, row)
        self.first_column = column if self.first_column is None else min(self.first_column, column)
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)

    def merge(self, other: Extent) -> None:
        if other.first_row is not None and other.first_column is not None:
            self.add(other.first_row, other.first_column)
            self.add(other.last_row, other.last_column)
        self.declared = self.declared or other.declared


def column_number(letters: str) -> int:
    """Spreadsheet column letters as a number: A is 1, Z 26, AA 27, XFD 16,384."""
    if len(letters) > 4:
        return FAR_COLUMN
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return max(number, 1)


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def row_number(digits: str) -> int:
    return int(digits) if 0 < len(digits) <= 8 else (FAR_ROW if digits else 1)


def scan_sheet(archive: zipfile.ZipFile, member: str) -> Extent:
    """The extent of the sheet stored as `member`, read as a stream (never the whole part in memory).

    Cells that all carry their position (every writer we know of) are matched by a regular expression, chunk by
    chunk; a sheet with a cell that does not is parsed again with expat, counting positions as the reader does.
    """
    extent = Extent()
    tail = b""
    in_data = False
    with archive.open(member) as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            window = tail + block
            cut = window.rfind(b"<")
            if cut >= 0 and len(window) - cut <= MAX_TAIL:
                complete, tail = window[:cut], window[cut:]
            else:  # a tag this long is hostile: a cut one shows as a cell without position, parsed exactly
                complete, tail = window, b""
            if not in_data:
                found = _DIMENSION.search(complete)
                if found and extent.declared is None:
                    extent.declared = found.group(1).decode("ascii", "replace")
                in_data = b"sheetData" in complete
            cells = _CELL.findall(complete)
            if cells:
                letters, digits = (set(part) for part in zip(*cells, strict=True))
                if b"" in digits:  # a cell without a position: it goes where the reader's counters say
                    return _exact_extent(archive, member, extent.declared)
                columns = [column_number(text.decode("ascii")) for text in letters]
                rows = [row_number(text.decode("ascii")) for text in digits]
                extent.add(min(rows), min(columns))
                extent.add(max(rows), max(columns))
    return extent


def _exact_extent(archive: zipfile.ZipFile, member: str, declared: str | None) -> Extent:
    """The extent as the reader counts it: a cell without `r` is at the next column of the current row."""
    extent = Extent(declared)
    position = {"row": 1, "column": 1}

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "row" and attributes.get("r", "").isdigit():
            position["row"] = row_number(attributes["r"])
        elif local == "c":
            row, column = position["row"], position["column"]
            found = _POSITION.fullmatch(attributes.get("r", ""))
            if found:
                row, column = row_number(found.group(2)), column_number(found.group(1))
            extent.add(row, column)
            position["column"] = column + 1

    def end(name: str) -> None:
        if name.rsplit(":", 1)[-1] == "row":
            position["row"] += 1
            position["column"] = 1

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with archive.open(member) as stream:
            for block in iter(lambda: stream.read(CHUNK), b""):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise WorkbookError(f"the sheet's XML is damaged ({error}): save the workbook again from Excel.") from None
    return extent


def check_extent(extent: Extent, sheet: str, max_columns: int) -> None:
    """Refuse a sheet that declares or spans more rows, columns or cells than a load reads."""
    spans = []
    if extent.declared:
        corners = [_POSITION.fullmatch(part.strip().replace("$", "")) for part in extent.declared.split(":")]
        if all(corners):
            declared = Extent()
            for corner in corners:
                declared.add(row_number(corner.group(2)), column_number(corner.group(1)))
            spans.append((f"declares its used range as {extent.declared}", declared))
    if extent.first_row is not None:
        spans.append(("has cells", extent))
    for what, span in spans:
        assert span.first_row is not None and span.first_column is not None
        rows = span.last_row - span.first_row + 1
        columns = span.last_column - span.first_column + 1
        if columns > max_columns or span.last_row > MAX_ROWS or rows * columns > MAX_CELLS:
            if what == "has cells":
                what += (
                    f" from {column_letters(span.first_column)}{span.first_row}"
                    f" to {column_letters(span.last_column)}{span.last_row}"
                )
            raise WorkbookError(
                f"sheet {sheet!r} {what}: {columns:,} columns by {rows:,} rows, more than a load reads "
                f"({max_columns:,} columns, {MAX_ROWS:,} rows, {MAX_CELLS:,} cells in all). Delete the rows and "
                f"columns beyond the table (in Excel, Ctrl+End goes to the last cell), or {SAVE_AS_CSV}."
            )


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str | None]:
    """Sheet name -> the zip member holding its cells, found as the reader finds it (None when not found)."""
    members = {name.replace("\\", "/").lower(): name for name in archive.namelist()}

    def member(path: str) -> str | None:
        return members.get(path.replace("\\", "/").lstrip("/").lower())

    def parsed(path: str) -> ElementTree.Element | None:
        name = member(path)
        if name is None:
            return None
        try:
            return ElementTree.fromstring(archive.read(name))
        except ElementTree.ParseError:
            return None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    office = "xl/workbook.xml"
    root_rels = parsed("_rels/.rels")
    for relation in root_rels.iter() if root_rels is not None else ():
        if local(relation.tag) == "Relationship" and relation.get("Type", "").endswith("/officeDocument"):
            office = relation.get("Target", office).lstrip("/")
    base = office.rsplit("/", 1)[0] + "/" if "/" in office else ""
    relations = parsed(f"{base}_rels/{office.rsplit('/', 1)[-1]}.rels")
    targets = {
        relation.get("Id"): relation.get("Target", "")
        for relation in (relations.iter() if relations is not None else ())
        if local(relation.tag) == "Relationship"
    }
    parts: dict[str, str | None] = {}
    workbook = parsed(office)
    for sheet in workbook.iter() if workbook is not None else ():
        if local(sheet.tag) != "sheet":
            continue
        relation_id = next((value for key, value in sheet.attrib.items() if local(key) == "id"), None)
        target = targets.get(relation_id, "")
        path = target[1:] if target.startswith("/") else base + target
        parts[sheet.get("name", "")] = member(path) if target else None
    return parts


def _declared_texts(archive: zipfile.ZipFile) -> int:
    """How many distinct texts the shared-string table declares (the reader reserves room for all of them)."""
    name = next((n for n in archive.namelist() if n.replace("\\", "/").lower().endswith("sharedstrings.xml")), None)
    if name is None:
        return 0
    with archive.open(name) as stream:
        found = _UNIQUE_COUNT.search(stream.read(64 * 1024))
    return int(found.group(1)) if found and len(found.group(1)) < 12 else (10**12 if found else 0)


# --- the child's side ---------------------------------------------------------------------------------


def _limit_resources(memory: int, seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))


def _open_workbook(path: str):
    from python_calamine import CalamineWorkbook

    with zipfile.ZipFile(path) as archive:
        texts = _declared_texts(archive)
    if texts > MAX_CELLS:
        raise WorkbookError(
            f"its shared-string table declares {texts:,} distinct texts, more than the {MAX_CELLS:,} cells a load "
            f"reads: the workbook is damaged. Save it again from Excel, or {SAVE_AS_CSV}."
        )
    try:
        return CalamineWorkbook.from_path(path)
    except Exception as error:  # calamine raises several unrelated types for broken or encrypted files
        raise WorkbookError(
            f"the workbook cannot be read ({type(error).__name__}). "
            "If it is password-protected, remove the password; otherwise save it again from Excel."
        ) from None


class _Sheets:
    """Sheets loaded on demand, each checked from its XML first."""

    def __init__(self, path: str, workbook, max_columns: int) -> None:
        self.archive = zipfile.ZipFile(path)
        self.parts = sheet_parts(self.archive)
        self.workbook = workbook
        self.max_columns = max_columns
        self.loaded: dict[str, object] = {}

    def load(self, name: str):
        if name not in self.loaded:
            member = self.parts.get(name)
            if member is not None:
                extent = scan_sheet(self.archive, member)
            else:  # not found as the reader finds it: every part that could be a sheet counts
                extent = Extent()
                for other in self.archive.namelist():
                    if other.lower().endswith(".xml"):
                        extent.merge(scan_sheet(self.archive, other))
            check_extent(extent, name, self.max_columns)
            try:
                self.loaded[name] = self.workbook.get_sheet_by_name(name)
            except Exception as error:
                raise WorkbookError(
                    f"sheet {name!r} cannot be read ({type(error).__name__}). Save it again from Excel."
                ) from None
        return self.loaded[name]


def _write_table(request: dict) -> dict:
    workbook = _open_workbook(request["path"])
    try:
        names = list(workbook.sheet_names)
        sheets = _Sheets(request["path"], workbook, int(request["max_columns"]))
        sheet = request.get("sheet")
        if sheet is None:
            sheet = next((name for name in names if sheets.load(name).height > 1), names[0] if names else None)
        elif sheet not in names:
            raise WorkbookError(f"no sheet named {sheet!r}. The workbook has: {', '.join(names)}.")
        if sheet is None:
            raise WorkbookError("the workbook has no sheets. Save it again from Excel.")
        try:
            loaded = sheets.load(sheet)
            first_column = (loaded.start or (0, 0))[1]  # None for an empty sheet
            return _write_rows(iter(loaded.iter_rows()), Path(request["target"]), sheet, first_column)
        except (WorkbookError, OSError):
            raise
        except Exception as error:
            raise WorkbookError(
                f"sheet {sheet!r} cannot be read ({type(error).__name__}). Save it again from Excel."
            ) from None
    finally:
        workbook.close()


def _write_rows(rows, target: Path, sheet: str, first_column: int) -> dict:
    """The rows as CSV from the header (the first row with a value) on. Rows keep the sheet's numbering; the
    reader's rows start at the sheet's first used column (`first_column`, 0-based)."""
    header_index, headers = None, []
    for index, row in enumerate(rows):
        texts = _texts(row, index, sheet, first_column)
        if any(texts):
            header_index, headers = index, texts
            break
    if header_index is None:
        raise WorkbookError(f"sheet {sheet!r} is empty. Pick the sheet that holds the table (--sheet NAME).")
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) < 2:
        raise WorkbookError(f"sheet {sheet!r} has fewer than two columns in its header row (row {header_index + 1}).")
    width = len(headers)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        for index, row in enumerate(rows, start=header_index + 1):
            texts = _texts(row[:width], index, sheet, first_column)
            writer.writerow(texts + [""] * (width - len(texts)))
    return {"sheet": sheet, "headers": headers, "header_row": header_index + 1}


def _texts(row: list, index: int, sheet: str, first_column: int) -> list[str]:
    texts = [_cell_text(cell) for cell in row]
    for column, text in enumerate(texts):
        if "\x00" in text:
            raise WorkbookError(
                f"sheet {sheet!r}, cell {column_letters(first_column + column + 1)}{index + 1} holds a NUL character "
                "(\\x00), which no text contains: the workbook is damaged. Remove the character, or save the workbook "
                "again."
            )
    return texts


def _cell_text(cell: object) -> str:
    """Excel cells as the text a CSV export would hold: dates in ISO form, whole numbers without '.0'."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, dt.timedelta | dt.time):
        return str(cell)
    return str(cell).strip()


def _answer(request: dict) -> dict:
    if request["action"] == "names":
        workbook = _open_workbook(request["path"])
        try:
            return {"sheets": list(workbook.sheet_names)}
        finally:
            workbook.close()
    return _write_table(request)


def main() -> None:
    request = json.loads(sys.stdin.read())
    _limit_resources(int(request["memory"]), int(request["seconds"]))
    try:
        answer: dict[str, object] = {"ok": _answer(request)}
    except WorkbookError as error:
        answer = {"refused": str(error)}
    except MemoryError:
        answer = {"limit": "memory"}
    except OSError as error:  # writing the CSV: the parent reports a full disk as every load does
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        answer = {"disk_full": str(error.filename or request.get("target"))}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
