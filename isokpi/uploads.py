"""Uploads from the Upload page: the private copy, saved column mappings, dataset detection, the preview.

No streamlit here (pages/upload.py draws). Everything runs through the same code as `python -m isokpi ingest`:
isokpi.sources.stage_file reads the file, isokpi.validate.prepare validates it, isokpi.ingest counts it (the
steps of `--check`) and ingest_file loads it. The page adds only what a browser upload needs: a size and type
check before anything is written, a private temporary copy that is deleted afterwards, and saved mappings.

"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from isokpi.auth import User
from isokpi.datasets import DATASETS, Column, Dataset, get_dataset, normalize_header
from isokpi.db import Database, quote
from isokpi.ingest import (
    IngestResult,
    check_staged,
    ingest_file,
    ingest_staged,
    nothing_loaded_if_disk_full,
    private_workdir,
    refused,
)
from isokpi.mapping import WIDE_FIXED, Mapping, check_mapping
from isokpi.sources import GZIP_MAGIC, MB, OLE_MAGIC, ZIP_MAGIC, SourceError, StagedFile, list_sheets, stage_file
from isokpi.survey_tools import ExportShapeError, export_headers, implied_columns, recognise
from isokpi.validate import Prepared, identifying_columns, match_headers

ALLOWED_SUFFIXES = (".csv", ".xlsx")
PREVIEW_ROWS = 20
COPY_CHUNK = 4 * MB
# The largest file the page takes, whatever server.maxUploadSize says (.streamlit/config.toml sets the same).
# About a million training rows as CSV; Excel's own sheet limit is 1,048,576 rows. Larger loads are split.
MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * MB

Upload = bytes | BinaryIO  # the page passes Streamlit's UploadedFile (a BytesIO)


# --- the private copy -----------------------------------------------------------------------------------


def check_file(file_name: str, size: int, head: bytes, max_bytes: int | None = None) -> None:
    """Refuse what the page does not take, before anything is written: wrong type, too big, content not as named.

    Anything else (empty, binary, damaged workbook, no separator...) is refused by isokpi.sources, with the
    CLI's own messages.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise SourceError(
            f"{file_name}: only .csv and .xlsx files can be uploaded. Save the export as CSV or as an Excel .xlsx workbook."
        )
    max_bytes = MAX_UPLOAD_BYTES if max_bytes is None else min(max_bytes, MAX_UPLOAD_BYTES)
    if size > max_bytes:
        raise SourceError(
            f"{file_name}: {size / MB:,.1f} MB is over the {max_bytes / MB:,.0f} MB upload limit. "
            "Split the export (for example one file per year) and load the parts one after another."
        )
    if suffix == ".xlsx" and size and not head.startswith(ZIP_MAGIC):
        raise SourceError(f"{file_name}: this is not an Excel .xlsx workbook. Save it from Excel as .xlsx or as CSV.")
    if suffix == ".csv":
        for magic, kind in (
            (ZIP_MAGIC, "a zip archive (an Excel workbook?)"),
            (GZIP_MAGIC, "gzip-compressed data"),
            (OLE_MAGIC, "an old Excel .xls or other Office file"),
        ):
            if head.startswith(magic):
                raise SourceError(
                    f"{file_name}: the name ends in .csv but the content is {kind}, not CSV text. "
                    "Upload the CSV export itself, or the workbook under its .xlsx name."
                )


def _size_and_head(data: Upload) -> tuple[int, bytes]:
    if isinstance(data, bytes | bytearray):
        return len(data), bytes(data[:8])
    data.seek(0, os.SEEK_END)
    size = data.tell()
    data.seek(0)
    head = data.read(8)
    data.seek(0)
    return size, head


@contextlib.contextmanager
def private_upload(database: Database, data: Upload, file_name: str, max_bytes: int | None = None) -> Iterator[Path]:
    """Check the upload, then write it to a file only this process can read, inside database.upload_root.

    The file and its directory are deleted when the block ends. The name on disk is ours (upload.csv or
    upload.xlsx), never the uploaded name, so refusals inside the block name `file_name`. The disk filling up,
    in the copy or in the block, is a DiskFullError ("the disk is full; nothing was loaded").
    """
    file_name = display_name(file_name)
    size, head = _size_and_head(data)
    check_file(file_name, size, head, max_bytes)
    with nothing_loaded_if_disk_full(file_name), private_workdir(database) as workdir:
        path = workdir / ("upload" + Path(file_name).suffix.lower())
        _write_private(path, data)
        yield path


class UploadStage:
    """One upload kept while the page works with it: the private copy, its sheets, and its staged CSV per sheet.

    The page asks for the headers, then the report of every setting tried, then the load; with an UploadStage
    in place of the bytes, inspect_upload, validate_upload and load_upload all read the one CSV stage_file made
    of the chosen sheet, so a workbook is converted once per upload (and sheet), not once per step. The files
    live in a private directory inside database.upload_root, deleted by close(), when the stage is garbage
    collected (the page replaced the file, the session ended) or when the process exits.
    """

    def __init__(self, database: Database, data: Upload, file_name: str, max_bytes: int | None = None) -> None:
        self.file_name = display_name(file_name)
        size, head = _size_and_head(data)
        check_file(self.file_name, size, head, max_bytes)
        self._lock = threading.Lock()
        self._staged: dict[str | None, StagedFile | str] = {}  # a sheet's staged CSV, or why it was refused
        self.conversions = 0  # times stage_file ran: once per sheet staged
        with nothing_loaded_if_disk_full(self.file_name):
            self.directory = Path(tempfile.mkdtemp(dir=database.upload_root))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.directory), True)
            self.path = self.directory / ("upload" + Path(self.file_name).suffix.lower())
            try:
                _write_private(self.path, data)
                self.sheets = tuple(list_sheets(self.path, self.file_name)) if self.path.suffix == ".xlsx" else ()
            except BaseException:
                self._finalizer()
                raise

    def staged(self, sheet: str | None = None) -> StagedFile:
        """The CSV of `sheet` (None: the first sheet with data), staged on first use; its SourceError likewise."""
        with self._lock:
            if self._finalizer.alive and sheet not in self._staged:
                outcome = self._stage(sheet)
                self._staged[sheet] = outcome
                if isinstance(outcome, StagedFile) and outcome.sheet != sheet:
                    self._staged.setdefault(outcome.sheet, outcome)
            if not self._finalizer.alive:
                raise SourceError(f"{self.file_name}: the upload was closed; upload the file again")
            outcome = self._staged[sheet]
        if isinstance(outcome, str):
            raise SourceError(outcome)
        return outcome

    def _stage(self, sheet: str | None) -> StagedFile | str:
        self.conversions += 1
        work_dir = self.directory / f"staged-{self.conversions}"
        work_dir.mkdir(mode=0o700)
        try:
            with nothing_loaded_if_disk_full(self.file_name):
                return stage_file(self.path, work_dir, self.file_name, sheet)
        except SourceError as error:
            return str(error)  # kept as text: an exception kept would keep its frames, and this stage, alive

    def close(self) -> None:
        """Delete the private copy and every staged CSV."""
        with self._lock:
            self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive


def _write_private(path: Path, data: Upload) -> None:
    """Write the upload to a new file at `path` that only this process can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        if isinstance(data, bytes | bytearray):
            out.write(data)
        else:
            data.seek(0)
            for block in iter(lambda: data.read(COPY_CHUNK), b""):
                out.write(block)
            data.seek(0)


@contextlib.contextmanager
def _staged_upload(
    database: Database, data: Upload | UploadStage, file_name: str, sheet: str | None, max_bytes: int | None
) -> Iterator[StagedFile]:
    """The upload staged as the CLI stages it: an UploadStage's kept CSV, else a private copy staged for this block."""
    if isinstance(data, UploadStage):
        yield data.staged(sheet)
        return
    with private_upload(database, data, file_name, max_bytes) as path:
        yield stage_file(path, path.parent, file_name, sheet)


def display_name(file_name: str) -> str:
    """The uploaded name without any directory part, as the ledger records it."""
    name = re.split(r"[\\/]", file_name)[-1].strip()
    return name or "upload"


# --- what is in the file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """The file's headers (of the chosen or first sheet with data) and, for a workbook, its sheets. A survey tool's
    export (`source`, recognised from its headers) has the headers a mapping with that source reads."""

    file_name: str
    sha256: str
    headers: tuple[str, ...]
    header_row: int
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    source: str | None = None
    # Headers named like a respondent's or person's id whose every row holds a different value, best name first.
    identifiers: tuple[str, ...] = ()


def inspect_upload(
    database: Database,
    data: Upload | UploadStage,
    file_name: str,
    *,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> Inspection:
    """Stage the upload as the CLI would and return its headers; SourceError with the CLI's message if refused."""
    file_name = display_name(file_name)
    with contextlib.ExitStack() as kept:
        if isinstance(data, UploadStage):
            staged, sheets = data.staged(sheet), data.sheets
        else:
            path = kept.enter_context(private_upload(database, data, file_name, max_bytes))
            sheets = tuple(list_sheets(path, file_name)) if path.suffix == ".xlsx" else ()
            staged = stage_file(path, path.parent, file_name, sheet)
        source, headers = survey_tool(staged)
        identifiers = () if source else _identifiers(database, staged)
    return Inspection(file_name, staged.sha256, headers, staged.header_row, sheets, staged.sheet, source, identifiers)


# Words of a header that names whose answers a row holds, best first: "Respondent ID", "Employee number", "Email".
ID_WORDS = ("respondent", "response", "participant", "employee", "staff", "person", "email", "e-mail", "user", "id")
MAX_ID_CANDIDATES = 8


def id_candidates(headers: tuple[str, ...] | list[str]) -> list[str]:
    """Headers whose words name a respondent or a person's id, best word first (at most MAX_ID_CANDIDATES)."""
    ranked = []
    for header in headers:
        words = re.findall(r"[a-z-]+", header.lower())
        rank = next((n for n, word in enumerate(ID_WORDS) if word in words), None)
        if rank is not None:
            ranked.append((rank, header))
    return [header for _, header in sorted(ranked, key=lambda item: item[0])][:MAX_ID_CANDIDATES]


def _identifiers(database: Database, staged: StagedFile) -> tuple[str, ...]:
    candidates = id_candidates(staged.headers)
    indexes = [staged.headers.index(header) for header in candidates]
    with contextlib.closing(database.cursor()) as cursor:
        unique = set(identifying_columns(cursor, staged, indexes))
    return tuple(header for header, index in zip(candidates, indexes, strict=True) if index in unique)


def survey_tool(staged: StagedFile) -> tuple[str | None, tuple[str, ...]]:
    """(the survey tool whose export this is, or None; the headers a mapping reads it by): a tool's export is
    named by its questions as the tool writes them (isokpi.survey_tools), anything else by its header row."""
    source = recognise(staged.headers)
    if source is None:
        return None, staged.headers
    try:
        return source, export_headers(staged, source)
    except ExportShapeError:  # the headers looked like the tool's, the rows below them do not
        return None, staged.headers


def tool_mapping(source: str) -> Mapping:
    """The settings a recognised survey tool's export starts from, as a saved mapping would give them: a wide
    survey read as the tool writes it, its respondent and answered-at columns known."""
    return Mapping(columns=implied_columns(source), dataset="survey", source=source)


MIN_WIDE_QUESTIONS = 3  # question-like headers no dataset names that make a file a wide survey export


def question_like(header: str) -> bool:
    """A header written as a survey question: a sentence of 4 words or more, a question mark, or "Q12"."""
    text = header.strip()
    return len(text.split()) >= 4 or text.endswith("?") or re.fullmatch(r"[Qq]\d+[A-Za-z0-9_.-]*", text) is not None


def detect_dataset(headers: tuple[str, ...] | list[str]) -> str | None:
    """The dataset whose columns the headers name most (by name or alias); None on a tie or no match.

    Score: distinct canonical columns matched, then required columns among them. A wide survey export (one row
    per respondent, a column per question) names few survey columns and may name a person's department and site
    as a training export does: when no dataset has every required column named and at least MIN_WIDE_QUESTIONS
    headers read as questions, it is the survey.
    """
    normals = {normalize_header(h) for h in headers}
    scores: list[tuple[tuple[int, int], str]] = []
    complete = False
    for dataset in DATASETS.values():
        lookup = dataset.header_lookup()
        matched = {lookup[n] for n in normals if n in lookup}
        required = sum(1 for name in matched if dataset.column(name).required)
        complete = complete or required == sum(1 for column in dataset.columns if column.required)
        scores.append(((len(matched), required), dataset.name))
    questions = [h for h in unmatched_headers("survey", headers) if question_like(h)]
    if not complete and len(questions) >= MIN_WIDE_QUESTIONS:
        return "survey"
    scores.sort(reverse=True)
    best, runner_up = scores[0], scores[1]
    if best[0][0] == 0 or best[0] == runner_up[0]:
        return None
    return best[1]


def suggest_mapping(dataset_name: str, headers: tuple[str, ...] | list[str], questions=()) -> dict[str, str]:
    """Canonical column -> the file header that names it (name or alias), exactly as the CLI matches them.

    Columns two headers could both be (neither named exactly) are left out: the user chooses. Question
    columns of a wide survey are not candidates.
    """
    skip = {normalize_header(q) for q in questions}
    kept = tuple(h for h in headers if normalize_header(h) not in skip)
    return dict(match_headers(get_dataset(dataset_name), kept, None).labels)


def unmatched_headers(dataset_name: str, headers: tuple[str, ...] | list[str]) -> list[str]:
    """Headers that are no column of the dataset by name or alias: in a wide survey, the question columns."""
    lookup = get_dataset(dataset_name).header_lookup()
    return [h for h in headers if normalize_header(h) and normalize_header(h) not in lookup]


# --- what the page preselects --------------------------------------------------------------------------------

# Besides a header of the file, a dataset column can come from nowhere, or be one value for every row.
NOT_IN_FILE, SAME_VALUE = "\x00not-in-file", "\x00same-value"
WIDE_OWN = (*WIDE_FIXED, "scale")  # in a wide export these come from the question columns and the scale


def looks_wide(dataset_name: str, headers: tuple[str, ...] | list[str]) -> bool:
    """A survey export with no question and score columns is wide: one row per respondent, a column per question."""
    if dataset_name != "survey":
        return False
    named = suggest_mapping(dataset_name, headers)
    return "question_id" not in named and "score" not in named


def mappable_columns(dataset: Dataset, wide: bool) -> list[Column]:
    """The columns the page asks about, required ones first; a wide export supplies its question columns itself."""
    shown = [c for c in dataset.columns if not (wide and c.name in (*WIDE_OWN, "response_id"))]
    return sorted(shown, key=lambda c: not c.required)


def missing_required(columns: list[Column], suggested: dict[str, str]) -> list[str]:
    """Required columns no header names (by name or alias)."""
    return [c.name for c in columns if c.required and c.name not in suggested]


def questions_status(questions: dict[str, str | None], respondent: str | None) -> str:
    """The wide export's settings in one line, as they are filled: '12 question columns, 9 with a pillar (3 to go);
    respondent id from Employee ID.'"""
    with_pillar = sum(1 for pillar in questions.values() if pillar)
    left = len(questions) - with_pillar
    count = f"{len(questions)} question column{'' if len(questions) == 1 else 's'}"
    pillars = f"{'all' if not left else with_pillar} with a pillar" + (f" ({left} to go)" if left else "")
    who = f"respondent id from {respondent}" if respondent else "the respondent id is one value for every row"
    return f"{count}, {pillars}; {who}."


def respondent_default(suggested: dict[str, str], identifiers: tuple[str, ...]) -> dict[str, str]:
    """`suggested` with the respondent id column of a wide export: a header that names it, else the best-named
    header whose every row holds a different value (Inspection.identifiers)."""
    if "response_id" in suggested or not identifiers:
        return suggested
    return {**suggested, "response_id": identifiers[0]}


def column_default(
    column: Column, headers: list[str], suggested: dict[str, str], base: Mapping | None, wide: bool
) -> tuple[str, str | None]:
    """What the page preselects for a column: (a header, NOT_IN_FILE or SAME_VALUE; the constant for SAME_VALUE).

    A saved mapping's choice first, then the header that names the column; in a wide export the survey's id,
    type and date are usually one value for the whole file.
    """
    name = column.name
    if base is not None and name in base.columns:
        wanted = normalize_header(base.columns[name])
        return next((h for h in headers if normalize_header(h) == wanted), suggested.get(name, NOT_IN_FILE)), None
    if base is not None and name in base.constants:
        return SAME_VALUE, base.constants[name]
    if wide and column.required and name not in suggested:
        return SAME_VALUE, None
    return suggested.get(name, NOT_IN_FILE), None


def question_defaults(headers: list[str], base: Mapping | None) -> tuple[list[str], dict[str, str]]:
    """The question columns to preselect in a wide export, and the pillar a saved mapping gave each header: only
    a saved mapping's questions (a guess would make every column of an export a question, each asking a pillar)."""
    if base is None:
        return [], {}
    saved = {normalize_header(q): pillar for q, pillar in base.questions.items()}
    pillars = {h: saved[normalize_header(h)] for h in headers if normalize_header(h) in saved}
    return list(pillars), pillars


def build_mapping(
    dataset_name: str,
    columns: dict[str, str | None],
    constants: dict[str, str | None] | None = None,
    questions: dict[str, str] | None = None,
    scale: str | None = None,
    date_format: str | None = None,
    source: str | None = None,
    labels: dict[str, int] | None = None,
) -> Mapping:
    """A Mapping from the page's choices (empty choices dropped), checked as a --mapping file is. With a survey
    tool's `source`, the columns its export supplies itself are left for the source to say."""
    questions = dict(questions or {})
    implied = implied_columns(source) if source else {}
    mapping = Mapping(
        columns={c: h for c, h in columns.items() if h and normalize_header(implied.get(c, "")) != normalize_header(h)},
        constants={c: str(v).strip() for c, v in (constants or {}).items() if v is not None and str(v).strip()},
        questions=questions,
        scale=scale if questions else None,
        date_format=date_format or None,
        dataset=dataset_name,
        source=source,
        labels=dict(labels or {}) if questions else {},
    )
    if mapping.is_wide:
        mapping = dataclasses.replace(
            mapping, columns={c: h for c, h in mapping.columns.items() if c not in WIDE_FIXED}
        )
    check_mapping(mapping, "mapping", dataset_name)
    return mapping


def needs_mapping(mapping: Mapping, headers: tuple[str, ...] | list[str]) -> bool:
    """False when the mapping only restates what the headers say anyway: the file then loads without one,
    exactly as on the command line."""
    if mapping.constants or mapping.questions:
        return True
    return mapping.columns != suggest_mapping(mapping.dataset or "", headers)


# --- the preview and the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The first rows as they will be stored: `row` (the spreadsheet row) and canonical columns."""

    columns: list[str]
    rows: list[tuple]


def _preview_rows(
    cursor: duckdb.DuckDBPyConnection, prepared: Prepared, mapping: Mapping | None, limit: int
) -> Preview:
    """The first `limit` rows of `typed_rows` on the cursor that validated the file, ordered by row.

    Values are exactly what a load would store: canonical columns, parsed dates, normalised values (a value
    that does not parse shows as empty; the validation report says why). Empty when the file cannot be read
    as a table at all.
    """
    dataset = prepared.dataset
    supplied = set(prepared.header_labels) | set(dataset.required)
    if mapping is not None:
        supplied |= set(mapping.constants)
        if mapping.is_wide:
            supplied |= {*WIDE_FIXED, "scale"}
    if dataset.name == "survey":
        supplied.add("stakeholder")  # defaulted from survey_type when the file has none
    shown = [c for c in dataset.column_names if c in supplied]
    selected = ", ".join(quote(c) for c in shown)
    try:
        rows = cursor.execute(
            f"SELECT _row, {selected} FROM typed_rows ORDER BY _row, _key LIMIT $limit", {"limit": int(limit)}
        ).fetchall()
    except duckdb.CatalogException:  # refused before the rows were typed
        rows = []
    return Preview(["row", *shown], [tuple(row) for row in rows])


@dataclass
class Report:
    """What a load would do (as ingest_file(..., check_only=True) counts it) and the preview of the rows."""

    result: IngestResult
    preview: Preview

    @property
    def can_load(self) -> bool:
        return self.result.ok and self.result.inserted + self.result.updated > 0


def validate_upload(
    database: Database,
    data: Upload | UploadStage,
    file_name: str,
    dataset_name: str,
    *,
    sheet: str | None = None,
    mapping: Mapping | None = None,
    date_format: str | None = None,
    max_bytes: int | None = None,
    limit: int = PREVIEW_ROWS,
) -> Report:
    """Validate without writing: the counts and problems of `--check`, and the first `limit` rows as stored.

    ingest_file(check_only=True)'s own check_staged, on a cursor that then also reads the preview: the typed
    rows are private to the cursor that made them, so this reads and validates the file once, not twice.
    """
    file_name = display_name(file_name)
    dataset = get_dataset(dataset_name)
    result = IngestResult(dataset.name, file_name)
    with contextlib.ExitStack() as kept:
        try:
            staged = kept.enter_context(_staged_upload(database, data, file_name, sheet, max_bytes))
        except SourceError as error:
            return Report(refused(dataset.name, file_name, error), Preview([], []))
        result.sha256 = staged.sha256
        with contextlib.closing(database.cursor()) as cursor:
            prepared = check_staged(cursor, dataset, staged, result, mapping=mapping, date_format=date_format)
            shown = _preview_rows(cursor, prepared, mapping, limit)
    return Report(result, shown)


def load_upload(
    database: Database,
    data: Upload | UploadStage,
    file_name: str,
    dataset_name: str,
    *,
    actor: User,
    sheet: str | None = None,
    mapping: Mapping | None = None,
    date_format: str | None = None,
    max_bytes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Load the upload as one batch with ingest_file, reporting "staging", "validating", "writing" to `progress`;
    an UploadStage loads the CSV it kept (ingest_staged), reporting "validating" and "writing"."""
    file_name = display_name(file_name)
    if isinstance(data, UploadStage):
        try:
            staged = data.staged(sheet)
        except SourceError as error:
            return refused(dataset_name, file_name, error)
        return ingest_staged(
            database,
            dataset_name,
            staged,
            mapping=mapping,
            date_format=date_format,
            actor=actor,
            source="upload",
            progress=progress,
        )
    with private_upload(database, data, file_name, max_bytes) as path:
        return ingest_file(
            database,
            dataset_name,
            path,
            file_name=file_name,
            sheet=sheet,
            mapping=mapping,
            date_format=date_format,
            actor=actor,
            source="upload",
            progress=progress,
        )


# --- text shown on the page --------------------------------------------------------------------------------------
