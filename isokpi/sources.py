"""Turn an uploaded file into a UTF-8 CSV in a private directory, or refuse it with a clear reason.

Everything that reaches DuckDB is a plain UTF-8 CSV with a header row: Excel sheets are written out as
CSV (by a child process with memory and time limits, see isokpi.workbooks), Windows-1252 and UTF-16 text is
re-encoded, gzip is expanded under a size limit. Refusals are fast and never parse more than they must: a
header wider than any load reads and a NUL byte anywhere are refused before DuckDB sees the file.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from isokpi import workbooks
from isokpi.datasets import MAX_FILE_COLUMNS, MAX_SURVEY_QUESTIONS
from isokpi.errors import InputError

MB = 1024 * 1024
# A file bigger than this is refused before it is read (the upload page sets the same in config.toml).
MAX_FILE_BYTES = int(os.environ.get("ISOKPI_MAX_FILE_MB", "1024")) * MB
# Compressed input (gzip CSV, the zip inside .xlsx) may not expand past this, nor by more than MAX_RATIO
# once past RATIO_FROM: 2 MB of gzip can hold 600 MB, while real exports compress 5 to 20 times.
MAX_EXPANDED_BYTES = int(os.environ.get("ISOKPI_MAX_EXPANDED_MB", "512")) * MB
MAX_RATIO = 100
RATIO_FROM = 32 * MB
# DuckDB's CSV reader refuses longer lines (its default, which we keep: a larger max_line_size makes DuckDB
# keep strings in its read buffers and rewrite them all at the next checkpoint). The validator separately
# limits each field to Excel's 32,767 characters.
MAX_LINE_BYTES = 2 * MB

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 256 * 1024
CHUNK = 4 * MB
# Python's csv module (sniffing, blank-row rewriting) reads a field as long as a line may be (DuckDB's limit),
# not only its default 128 KB: a long field is then reported at its row, not as "no separator".
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls and other Office 97 files


class SourceError(InputError):
    """The file is not a table we can read; the message says why and what to do."""


@dataclass(frozen=True)
class StagedFile:
    """A UTF-8 CSV ready for DuckDB, and what we learned about the original file."""

    csv_path: Path
    file_name: str
    sha256: str
    headers: tuple[str, ...]
    # Spreadsheet row number of the header: data row i (0-based) is row header_row + 1 + i.
    header_row: int
    delimiter: str
    encoding: str
    sheet: str | None = None
    # Whether the text may hold a control character or a direction mark (False: a scan of it found none), so
    # that validation looks for them only in the files that have one.
    controls: bool = True

    @property
    def column_count(self) -> int:
        return len(self.headers)


def stage_file(path: str | Path, work_dir: Path, file_name: str | None = None, sheet: str | None = None) -> StagedFile:
    """Check `path` and write it as a UTF-8 CSV into `work_dir` (a private directory DuckDB may read)."""
    path = Path(path)
    file_name = file_name or path.name
    if not path.is_file():
        raise SourceError(f"{file_name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise SourceError(
            f"{file_name}: the file is empty. Export it again with a header row and at least one data row."
        )
    if size > MAX_FILE_BYTES:
        raise SourceError(
            f"{file_name}: {size / MB:,.0f} MB is over the {MAX_FILE_BYTES / MB:,.0f} MB limit. "
            "Split the export (for example one file per year) and load the parts one after another."
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower() if file_name == path.name else Path(file_name).suffix.lower()

    if head.startswith(ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        if not head.startswith(ZIP_MAGIC):
            raise SourceError(
                f"{file_name}: this is not an Excel .xlsx workbook. Save it from Excel as .xlsx or as CSV."
            )
        return _stage_xlsx(path, work_dir, file_name, sheet)
    if head.startswith(OLE_MAGIC) or suffix == ".xls":
        raise SourceError(
            f"{file_name}: old Excel .xls files are not read. Open it in Excel and save it as .xlsx or CSV."
        )
    if sheet:
        raise SourceError(f"{file_name}: --sheet applies to Excel .xlsx files only; this is a text file.")
    return _stage_text(path, work_dir, file_name)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Text files -------------------------------------------------------------------------------------


def _stage_text(path: Path, work_dir: Path, file_name: str) -> StagedFile:
    raw_path = path
    if _starts_with(path, GZIP_MAGIC):
        raw_path = work_dir / "expanded.bin"
        _gunzip_with_limit(path, raw_path, file_name)
        sha256 = sha256_of(path)
        scan = _scan(raw_path)
    else:
        scan = _scan(path)  # one read of a large file, not three
        sha256 = scan.sha256
    sample = _read_head(raw_path, SNIFF_BYTES)
    encoding = _detect_encoding(sample, scan.is_utf8, file_name)
    target = work_dir / "staged.csv"
    scanned = raw_path
    if encoding == "utf-8":
        _link_or_copy(raw_path, target)
    else:
        _transcode(raw_path, target, encoding)
        if encoding == "utf-16":  # its newlines, NULs and controls are two bytes each: look at the UTF-8 text
            scan, scanned = _scan(target), target
    if scan.nul_at is not None:
        raise SourceError(
            f"{file_name}: line {_line_at(scanned, scan.nul_at):,} holds a NUL character (a zero byte, \\x00), which "
            "no text export contains: the file is damaged or not a CSV table. Export it again."
        )
    text_sample = _read_head(target, SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
    delimiter, headers = _sniff(text_sample, file_name)
    _check_width(file_name, len(headers), complete="\n" in text_sample or target.stat().st_size <= SNIFF_BYTES)
    if scan.blank:
        # Written to a new file and renamed over the staged name: a hard-linked original stays untouched.
        _keep_blank_rows(target, delimiter, len(headers), file_name)
    return StagedFile(target, file_name, sha256, tuple(headers), 1, delimiter, encoding, controls=scan.controls)


def _check_width(file_name: str, width: int, *, complete: bool) -> None:
    """Refuse a header wider than any load reads, from the first line alone: DuckDB would take minutes over it."""
    if width > MAX_FILE_COLUMNS:
        count = f"{width:,}" if complete else f"more than {width:,}"
        raise SourceError(
            f"{file_name}: the header row has {count} columns, more than the {MAX_FILE_COLUMNS} a load reads (the "
            f"columns of a dataset, up to {MAX_SURVEY_QUESTIONS} question columns of a wide survey export, and other "
            "columns an export carries along). Check the column separator, or export only the columns the data needs."
        )
    if not complete:
        raise SourceError(
            f"{file_name}: the first line is longer than {SNIFF_BYTES // 1024} KB, which is no header row. Export the "
            "file again as a table with one header row."
        )


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(magic)) == magic


def _read_head(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _too_expanded(expanded: int, packed: int) -> bool:
    return expanded > MAX_EXPANDED_BYTES or (expanded > RATIO_FROM and expanded > MAX_RATIO * max(packed, 1))


def _gunzip_with_limit(source: Path, target: Path, file_name: str) -> None:
    written = 0
    packed_size = source.stat().st_size
    try:
        with gzip.open(source, "rb") as packed, target.open("wb") as out:
            for block in iter(lambda: packed.read(CHUNK), b""):
                written += len(block)
                if _too_expanded(written, packed_size):
                    raise SourceError(
                        f"{file_name}: the compressed file expands past {MAX_EXPANDED_BYTES / MB:,.0f} MB (or more than "
                        f"{MAX_RATIO} times its size) and was refused. Upload the plain CSV, or split it."
                    )
                out.write(block)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        target.unlink(missing_ok=True)
        raise SourceError(f"{file_name}: the gzip data is damaged ({error}). Export the file again.") from None
    except SourceError:
        target.unlink(missing_ok=True)
        raise


def _detect_encoding(sample: bytes, is_utf8: bool, file_name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252; binary data is refused."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise SourceError(
            f"{file_name}: this is a binary file, not a CSV table. Upload a .csv export or an Excel .xlsx workbook."
        )
    return "utf-8" if is_utf8 else "cp1252"


class _Scan(NamedTuple):
    sha256: str
    is_utf8: bool
    blank: bool  # a line is empty: DuckDB's reader skips those, which would shift the row numbers after them
    nul_at: int | None  # the offset of the first NUL byte
    controls: bool  # a C0 control other than tab, CR and LF, or the UTF-8 of a direction mark, occurs


_CONTROL_BYTES = bytes(code for code in range(32) if code not in (9, 10, 13))
_DIRECTION_MARK = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")  # U+202A-202E, U+2066-2069 in UTF-8


def _scan(path: Path) -> _Scan:
    """In one read of a large file: its sha256, whether it decodes as UTF-8, whether a line is empty, where its
    first NUL byte is, and whether it holds another control character or a direction mark."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8, blank, tail, offset, nul_at, controls = True, False, b"", 0, None, False
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
            edge = tail + block[:2]  # what the block boundary cuts: "\n" + "\n", or a mark's three bytes
            if not blank:
                blank = any(pair in part for pair in (b"\n\n", b"\n\r\n") for part in (block, edge))
            if nul_at is None and b"\x00" in block:
                nul_at = offset + block.index(b"\x00")
            if not controls:
                controls = len(block.translate(None, _CONTROL_BYTES)) != len(block) or any(
                    b"\xe2" in part and _DIRECTION_MARK.search(part) is not None for part in (block, edge)
                )
            tail = block[-2:]
            offset += len(block)
            if is_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return _Scan(digest.hexdigest(), is_utf8, blank, nul_at, controls)


def _line_at(path: Path, offset: int) -> int:
    """The line (1-based) that byte `offset` of the file is on."""
    lines, done = 1, 0
    with path.open("rb") as handle:
        while done < offset:
            block = handle.read(min(CHUNK, offset - done))
            if not block:
                break
            lines += block.count(b"\n")
            done += len(block)
    return lines


def _keep_blank_rows(path: Path, delimiter: str, width: int, file_name: str) -> None:
    """Rewrite empty lines as rows of empty cells, so every record keeps its line's row number."""
    rewritten = path.with_suffix(".rows.csv")
    with path.open(encoding="utf-8", newline="") as text, rewritten.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        try:
            for row in csv.reader(text, delimiter=delimiter):
                writer.writerow(row if row else [""] * width)
        except csv.Error as error:
            raise SourceError(
                f"{file_name}: the file cannot be read as a table ({error}): a value is far too long or a quote is "
                "not closed. Export it again as CSV (or .xlsx)."
            ) from None
    rewritten.replace(path)


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    # Five bytes are undefined in Windows-1252; Windows itself maps them to the same code points (as Latin-1).
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("isokpi-cp1252", _cp1252_fallback)


def _transcode(source: Path, target: Path, encoding: str) -> None:
    errors = "isokpi-cp1252" if encoding == "cp1252" else "replace"
    with (
        source.open("r", encoding=encoding, errors=errors, newline="") as text,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        shutil.copyfileobj(text, out, CHUNK)


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _sniff(sample: str, file_name: str) -> tuple[str, list[str]]:
    """Pick the delimiter that splits the first records into the most, consistent columns."""
    if not sample.strip():
        raise SourceError(f"{file_name}: the file holds no text. Export it again with a header row.")
    # Drop a possibly cut-off last line so a half record does not skew the column counts.
    cut = sample.rfind("\n")
    text = sample[: cut + 1] if 0 < cut < len(sample) - 1 else sample
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        try:
            records = [
                row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)
            ][:50]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        consistent = sum(1 for row in records[1:] if len(row) == width)
        score = (consistent, width)
        if width > 1 and (best is None or score > best[:2]):
            best = (consistent, width, delimiter, records[0])
    if best is None:
        raise SourceError(
            f"{file_name}: no column separator found in the first line. A CSV export separates columns with "
            "comma, semicolon, tab or |; check that the file is a table with a header row."
        )
    _, _, delimiter, headers = best
    return delimiter, [header.strip().lstrip("\ufeff") for header in headers]


# --- Excel workbooks --------------------------------------------------------------------------------


def list_sheets(path: str | Path, file_name: str | None = None) -> list[str]:
    """The sheet names of an .xlsx workbook, in workbook order (read in a child process, see isokpi.workbooks)."""
    path = Path(path)
    file_name = file_name or path.name
    _check_zip(path, file_name)
    try:
        return workbooks.sheet_names(path)
    except workbooks.WorkbookError as error:
        raise SourceError(f"{file_name}: {error}") from None


def _check_zip(path: Path, file_name: str) -> None:
    """Refuse a damaged zip, one that is not a workbook, or one that expands too far: the bytes are counted as
    they are inflated (the sizes a zip declares can be forged) before the workbook is parsed."""
    packed_size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise SourceError(f"{file_name}: this zip file is not an Excel workbook. Upload a .csv or .xlsx file.")
            expanded = 0
            for info in archive.infolist():
                with archive.open(info) as member:
                    for block in iter(lambda member=member: member.read(CHUNK), b""):
                        expanded += len(block)
                        if _too_expanded(expanded, packed_size):
                            raise SourceError(
                                f"{file_name}: the workbook expands past {MAX_EXPANDED_BYTES / MB:,.0f} MB (or more "
                                f"than {MAX_RATIO} times its size). Delete unused sheets or export the data as CSV."
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError):
        raise SourceError(
            f"{file_name}: the workbook is damaged (not a valid .xlsx zip). Save it again from Excel."
        ) from None


def _stage_xlsx(path: Path, work_dir: Path, file_name: str, sheet: str | None) -> StagedFile:
    _check_zip(path, file_name)
    sha256 = sha256_of(path)
    target = work_dir / "staged.csv"
    try:
        table = workbooks.write_csv(path, target, sheet, MAX_FILE_COLUMNS)
    except workbooks.WorkbookError as error:
        target.unlink(missing_ok=True)
        raise SourceError(f"{file_name}: {error}") from None
    controls = _scan(target).controls  # the reader refused NULs, naming their cell
    return StagedFile(target, file_name, sha256, table.headers, table.header_row, ",", "xlsx", table.sheet, controls)
