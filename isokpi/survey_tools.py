"""Survey tools' exports as they come: SurveyMonkey, Qualtrics, Microsoft Forms and Google Forms.

A mapping that names its `source` loads that tool's wide export without editing it first. The tool's shape is
known here, and nowhere else: the header rows above the data, the respondent id and answered-at columns, the
date form of the answered-at column, and for Google Forms, which exports no respondent id, a stable derived one.
`read_export` turns the staged export (a UTF-8 CSV from isokpi.sources) into the plain wide form the validator
reads: one header row, answered-at dates in ISO form; the validator then treats it as any wide survey.

What each shape rests on (the tools' documented exports, and open-source readers of them: qualtRics'
read_survey, the ImportId rows in published Qualtrics exports, SurveyMonkey CSV importers, Forms workbooks):

- surveymonkey: "All individual responses" as CSV or .xlsx. Row 1: Respondent ID, Collector ID, Start Date,
  End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1, then each question's text over
  its first column (blank over the further columns of a matrix or multiple-answer question). Row 2: empty over
  those first columns, "Response" or "Open-Ended Response" under a one-column question, else the matrix row
  (statement) or choice of the column. Dates "11/03/2025 09:15:22 AM" (US month first, 12-hour clock).
  A column is named by its question's text, or "question - statement" for a matrix row.
- qualtrics: CSV or .xlsx, three header rows: the column names (StartDate, EndDate, Status, IPAddress,
  Progress, Duration (in seconds), Finished, RecordedDate, ResponseId, ..., Q1, Q2_1), the question texts
  ("Recorded Date", ..., "Please rate - I understand our quality objectives"), and {"ImportId":"QID2_1"}
  JSON (older exports lack this third row: it is recognised, not assumed). RecordedDate "2025-11-03 09:15:22"
  in the survey's time zone. A column is named by its Q id (question_id), its text kept as question_text.
- microsoft_forms: the .xlsx of "Open results in Excel": one header row, ID, Start time, Completion time,
  Email, Name (newer forms: Last modified time), then a column per question (per statement of a Likert
  question); times are Excel date cells. ID numbers the responses and is kept.
- google_forms: "Download responses (.csv)": Timestamp ("2025/11/03 9:15:22 AM GMT+1", the zone as a GMT offset
  or an abbreviation; the linked sheet's own CSV writes the sheet's locale, e.g. 11/3/2025 9:15:22), Email
  Address when collected, then the questions (a grid row as "Question [Row]"). The respondent id is derived
  from the timestamp (to the second) and the e-mail address: the same response exported again, with other
  responses or questions added, keeps its id. A response edited after submitting gets a new timestamp, so a
  new id: undo the earlier batch or remove the old answers. The address itself is never stored.

An answered-at value in none of the tool's forms is left as written for the validator's own date rules (the
day/month order from the file, or the mapping's date_format): a file saved again by Excel may carry its dates
in the sheet's locale.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from isokpi.datasets import normalize_header
from isokpi.errors import InputError
from isokpi.sources import StagedFile

DERIVED_RESPONDENT = "Respondent (derived)"  # the column read_export adds to a Google Forms export


class ExportShapeError(InputError):
    """The file does not have the shape of the tool its mapping names; says where and what was expected."""

    def __init__(self, message: str, row: int, column: str = "", value: str = "") -> None:
        super().__init__(message)
        self.row, self.column, self.value = row, column, value


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    signature: tuple[str, ...]  # first-row headers that are all present in its exports (compared normalised)
    respondent: str | None  # header of the respondent id column; None: derived
    answered_at: str  # header of the answered-at column
    date_forms: tuple[str, ...]  # strptime forms of answered-at, after a trailing time zone is dropped
    metadata: tuple[str, ...]  # first-row headers that are not questions
    header_rows: int = 1  # rows above the data, the first included


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "surveymonkey",
            "SurveyMonkey",
            ("Respondent ID", "Collector ID", "Start Date", "End Date"),
            "Respondent ID",
            "End Date",
            ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
            (
                "Respondent ID",
                "Collector ID",
                "Start Date",
                "End Date",
                "IP Address",
                "Email Address",
                "First Name",
                "Last Name",
                "Custom Data 1",
            ),
            header_rows=2,
        ),
        Tool(
            "qualtrics",
            "Qualtrics",
            ("StartDate", "EndDate", "RecordedDate", "ResponseId"),
            "ResponseId",
            "RecordedDate",
            ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"),
            (
                "StartDate",
                "EndDate",
                "Status",
                "IPAddress",
                "Progress",
                "Duration (in seconds)",
                "Finished",
                "RecordedDate",
                "ResponseId",
                "RecipientLastName",
                "RecipientFirstName",
                "RecipientEmail",
                "ExternalReference",
                "LocationLatitude",
                "LocationLongitude",
                "DistributionChannel",
                "UserLanguage",
            ),
            header_rows=3,
        ),
        Tool(
            "microsoft_forms",
            "Microsoft Forms",
            ("ID", "Start time", "Completion time"),
            "ID",
            "Completion time",
            ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
            ("ID", "Start time", "Completion time", "Email", "Name", "Last modified time", "Total points"),
        ),
        Tool(
            "google_forms",
            "Google Forms",
            ("Timestamp",),
            None,
            "Timestamp",
            ("%Y/%m/%d %I:%M:%S %p", "%Y/%m/%d %H:%M:%S"),
            ("Timestamp", "Email Address", "Score"),
        ),
    )
}
SOURCES = tuple(TOOLS)
EMAIL_HEADERS = ("emailaddress", "email")  # normalised: Google Forms' collected address
SINGLE_ANSWER = ("", "response", "openendedresponse")  # SurveyMonkey row 2 under a one-column question
# A time zone after a time: GMT+1, GMT-05:00, UTC, Z, +01:00, CET (not AM or PM).
_ZONE = re.compile(
    r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)\s*"
    r"(?:(?:GMT|UTC)\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC|Z|[+-]\d{2}:?\d{2}|(?![AaPp][Mm]$)[A-Z]{2,5})$"
)


def recognise(headers: tuple[str, ...] | list[str]) -> str | None:
    """The tool whose export has these first-row headers, or None. Google Forms: Timestamp is the first column."""
    normals = [normalize_header(header) for header in headers]
    present = set(normals)
    for tool in TOOLS.values():
        if all(normalize_header(header) in present for header in tool.signature):
            if tool.name == "google_forms" and normals[:1] != ["timestamp"]:
                continue
            return tool.name
    return None


def implied_columns(source: str) -> dict[str, str]:
    """The dataset columns a tool's export supplies itself: canonical column -> header in the read export."""
    tool = TOOLS[source]
    return {"response_id": tool.respondent or DERIVED_RESPONDENT, "responded_on": tool.answered_at}


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: its header in the read export, and the other names a mapping may give it."""

    header: str
    text: str  # the question's text as the tool writes it
    statement: str = ""  # a matrix row or grid row on its own
    import_id: str = ""  # Qualtrics' QID

    def names(self) -> tuple[tuple[str, ...], ...]:
        """Normalised names in the order a mapping's question key is tried: header and id, text, statement."""
        return (
            tuple(n for n in (normalize_header(self.header), normalize_header(self.import_id)) if n),
            (normalize_header(self.text),),
            (normalize_header(self.statement),) if self.statement else (),
        )


@dataclass(frozen=True)
class Export:
    """A tool's export read as a plain wide file: `staged` has one header row; `columns` name its columns."""

    staged: StagedFile
    columns: tuple[ExportColumn, ...]
    texts: dict[str, str] = field(default_factory=dict)  # header -> question text, where they differ

    def resolve(self, questions: dict[str, str]) -> dict[str, str]:
        """A mapping's [questions] keyed by the export's headers: a key may be the header, Qualtrics' QID, the
        question's text, or a matrix statement alone. A key naming no column is kept (the validator reports
        it); one naming several is an error that lists them."""
        resolved: dict[str, str] = {}
        for key, pillar in questions.items():
            wanted = normalize_header(key)
            header = key
            for tier in range(3):
                found = [column.header for column in self.columns if wanted in column.names()[tier]]
                if len(found) == 1:
                    header = found[0]
                    break
                if len(found) > 1:
                    listed = ", ".join(repr(name) for name in found)
                    raise ExportShapeError(
                        f"question {key!r} of the mapping matches {len(found)} columns of the export ({listed}): "
                        "name it by the column's full header",
                        self.staged.header_row,
                        key,
                    )
            resolved[header] = pillar
        return resolved


def read_export(staged: StagedFile, source: str) -> Export:
    """The export at `staged` read as the tool `source` writes it, written as a plain wide CSV beside it."""
    tool = TOOLS[source]
    target = staged.csv_path.with_name(f"{source}.csv")
    with (
        staged.csv_path.open(encoding="utf-8-sig", newline="") as text,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.reader(text, delimiter=staged.delimiter, strict=True)
        records = _records(reader, staged)
        first, extra, pending = _header_rows(records, tool, staged)
        columns = _columns(tool, first, extra)
        writer = csv.writer(out, lineterminator="\n")
        derived = tool.respondent is None
        writer.writerow(([DERIVED_RESPONDENT] if derived else []) + [column.header for column in columns])
        at = _index(columns, tool.answered_at)
        email = next((i for i, c in enumerate(columns) if normalize_header(c.header) in EMAIL_HEADERS), None)
        seen: dict[str, int] = {}
        for record in _chain(pending, records):
            cells = list(record) or [""] * len(columns)
            written = cells[at] if at < len(cells) else ""
            stamp = _timestamp(tool, written)
            if stamp is not None:
                cells[at] = stamp.date().isoformat()
            if derived:  # a blank row stays blank, so that it is skipped as a spreadsheet user expects
                blank = not any(cell.strip() for cell in cells)
                cells = ["" if blank else _derived_id(stamp, written, cells, email, seen), *cells]
            writer.writerow(cells)
    headers = ([DERIVED_RESPONDENT] if tool.respondent is None else []) + [column.header for column in columns]
    read = StagedFile(
        target,
        staged.file_name,
        staged.sha256,
        tuple(headers),
        staged.header_row + len(extra),
        ",",
        staged.encoding,
        staged.sheet,
    )
    texts = {c.header: c.text for c in columns if c.text and c.text != c.header}
    return Export(read, tuple(columns), texts)


def export_headers(staged: StagedFile, source: str) -> tuple[str, ...]:
    """The headers read_export gives the export, from its header rows alone (the upload page lists them)."""
    tool = TOOLS[source]
    with staged.csv_path.open(encoding="utf-8-sig", newline="") as text:
        records = _records(csv.reader(text, delimiter=staged.delimiter, strict=True), staged)
        first, extra, _ = _header_rows(records, tool, staged)
        columns = _columns(tool, first, extra)
    return tuple(([DERIVED_RESPONDENT] if tool.respondent is None else []) + [column.header for column in columns])


# --- reading --------------------------------------------------------------------------------------------------


def _records(reader, staged: StagedFile) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        raise ExportShapeError(
            f"the file cannot be read as a table ({error}): a quote is not closed. Export it again.",
            staged.header_row + reader.line_num - 1,
        ) from None


def _chain(pending: list[list[str]], records: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from pending
    yield from records


def _header_rows(
    records: Iterator[list[str]], tool: Tool, staged: StagedFile
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """(first header row, the further header rows, rows read ahead that are data)."""
    first = next(records, [])
    first = [cell.strip().lstrip("\ufeff") for cell in first]
    normals = {normalize_header(cell) for cell in first}
    for header in (tool.respondent, tool.answered_at):
        if header is not None and normalize_header(header) not in normals:
            raise ExportShapeError(
                f"a {tool.title} export has a {header!r} column, which this file does not have (its headers: "
                f"{', '.join(h for h in first if h)[:300]}): check the file, or the mapping's source",
                staged.header_row,
                header,
            )
    extra: list[list[str]] = []
    for number in range(2, tool.header_rows + 1):
        row = next(records, None)
        if row is None:
            raise ExportShapeError(
                f"a {tool.title} export has {tool.header_rows} header rows; this file ends at row "
                f"{staged.header_row + number - 2}: export all individual responses again",
                staged.header_row + number - 1,
            )
        if tool.name == "qualtrics" and number == 3 and not _is_import_id_row(row):
            return first, extra, [row]  # an older export without the ImportId row
        extra.append(row)
    return first, extra, []


def _is_import_id_row(row: list[str]) -> bool:
    return any(cell.strip().startswith('{"ImportId"') for cell in row)


def _columns(tool: Tool, first: list[str], extra: list[list[str]]) -> list[ExportColumn]:
    if tool.name == "surveymonkey":
        columns = _surveymonkey_columns(first, extra[0] if extra else [])
    elif tool.name == "qualtrics":
        texts = extra[0] if extra else []
        ids = extra[1] if len(extra) > 1 else []
        columns = [
            ExportColumn(header, _cell(texts, i), _statement(_cell(texts, i)), _import_id(_cell(ids, i)))
            for i, header in enumerate(first)
        ]
    else:
        columns = [ExportColumn(header, header, _grid_row(header)) for header in first]
    return _unique(columns)


def _surveymonkey_columns(first: list[str], labels: list[str]) -> list[ExportColumn]:
    columns, question = [], ""
    for i, top in enumerate(first):
        label = _cell(labels, i).strip()
        question = top or question
        if (top and not label) or normalize_header(label) in SINGLE_ANSWER:
            columns.append(ExportColumn(question, question))
        else:
            name = f"{question} - {label}" if question else label
            columns.append(ExportColumn(name, name, label))
    return columns


def _unique(columns: list[ExportColumn]) -> list[ExportColumn]:
    """Two columns of one name get ' (2)', ' (3)'... so that each stays addressable."""
    seen: dict[str, int] = {}
    unique = []
    for column in columns:
        key = normalize_header(column.header)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1 and key:
            column = ExportColumn(f"{column.header} ({seen[key]})", column.text, column.statement, column.import_id)
        unique.append(column)
    return unique


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _statement(text: str) -> str:
    """The part after the last ' - ' of a matrix question's text ("Please rate - Reliability")."""
    return text.rsplit(" - ", 1)[1].strip() if " - " in text else ""


def _grid_row(header: str) -> str:
    """The row of a Google Forms grid question ("How satisfied are you? [Support]")."""
    found = re.fullmatch(r".*\[(.+)\]\s*", header)
    return found.group(1).strip() if found else ""


def _import_id(cell: str) -> str:
    try:
        value = json.loads(cell)
    except ValueError:
        return ""
    return str(value.get("ImportId", "")) if isinstance(value, dict) else ""


def _index(columns: list[ExportColumn], header: str) -> int:
    """Where the column named `header` is (_header_rows made sure there is one)."""
    wanted = normalize_header(header)
    return next(i for i, column in enumerate(columns) if normalize_header(column.header) == wanted)


def _timestamp(tool: Tool, text: str) -> dt.datetime | None:
    """The answered-at value in one of the tool's forms (ISO always), or None to leave it as written."""
    raw = text.strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        pass
    cleaned = _ZONE.sub(r"\1", raw)
    for form in tool.date_forms:
        try:
            return dt.datetime.strptime(cleaned, form)
        except ValueError:
            continue
    return None


def _derived_id(stamp: dt.datetime | None, written: str, cells: list[str], email: int | None, seen: dict) -> str:
    """A Google Forms response's id: its timestamp to the second and its e-mail address, hashed; a second
    response with both the same gets -2, a third -3."""
    when = stamp.replace(tzinfo=None).isoformat(timespec="seconds") if stamp else written.strip()
    address = cells[email].strip().lower() if email is not None and email < len(cells) else ""
    digest = hashlib.sha256(f"{when}\x1f{address}".encode()).hexdigest()[:12]
    seen[digest] = seen.get(digest, 0) + 1
    return f"GF-{digest}" + (f"-{seen[digest]}" if seen[digest] > 1 else "")
