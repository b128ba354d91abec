"""Column mappings: how one system's export maps to a dataset, saved as TOML and reused next month.

```toml
dataset = "survey"            # optional: the dataset the mapping is for
scale = "likert5"             # wide surveys: the scale of every question column
date_format = "DMY"           # optional, as --date-format

[columns]                     # canonical column = header in the file
response_id = "Respondent"
responded_on = "Submitted"

[constants]                   # canonical column = one value for every row
survey_id = "ENG-2025Q1"
survey_type = "engagement"
stakeholder = "employee"

[questions]                   # wide surveys: question column header = pillar id
"I understand our quality objectives" = "vision_strategy"

[labels]                      # wide surveys: answer wording = score, beyond the scale's standard English wording
"Tout à fait d'accord" = 5
```
With [questions], each question column becomes one `survey` row per respondent, question_id = header. Answers
are whole numbers, or labels: the scale's standard wording (isokpi.datasets.SCALE_LABELS: "Strongly agree" = 5
on likert5) or a [labels] entry, matched ignoring case and spaces.

`source = "surveymonkey"` (or qualtrics, microsoft_forms, google_forms) reads a survey tool's export as it
comes (isokpi.survey_tools): its header rows, respondent and answered-at columns and date forms are known, so
only [constants], [questions] and scale need saying.

Saved mappings are kept in table `mappings` with the normalised headers of the file they were saved from. The
next file is recognised by those headers: `find_saved_mapping` takes a mapping whose file had exactly the same
set of headers (order, case, spaces and punctuation ignored), or, failing that, one whose file's headers are all
in the new file (the same export after the system gained a column); among several, the one with more headers in
common, then the newest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, require
from isokpi.datasets import DATASETS, SCALE_RANGES, SCALES, get_dataset, normalize_header
from isokpi.db import Database, next_id, now_utc
from isokpi.errors import InputError
from isokpi.pillars import PILLAR_IDS
from isokpi.survey_tools import TOOLS

WIDE_FIXED = ("question_id", "question_text", "pillar", "score")
MAX_NAME_LENGTH = 100  # of a saved mapping


class MappingError(InputError):
    """The mapping file is not valid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    scale: str | None = None
    date_format: str | None = None
    dataset: str | None = None
    source: str | None = None  # the survey tool the export comes from, as it comes (isokpi.survey_tools)
    labels: dict[str, int] = field(default_factory=dict)  # answer wording -> score, beyond the scale's own
    # Question texts the export itself carries (Qualtrics' second header row), by header; read from the file,
    # never written to the TOML.
    question_texts: dict[str, str] = field(default_factory=dict)

    @property
    def is_wide(self) -> bool:
        return bool(self.questions) or self.source is not None

    def to_toml(self) -> str:
        import tomli_w

        document: dict[str, object] = {}
        if self.dataset:
            document["dataset"] = self.dataset
        if self.source:
            document["source"] = self.source
        if self.scale:
            document["scale"] = self.scale
        if self.date_format:
            document["date_format"] = self.date_format
        for section in ("columns", "constants", "questions", "labels"):
            if getattr(self, section):
                document[section] = dict(getattr(self, section))
        return tomli_w.dumps(document)


def parse_mapping(text: str, source: str = "mapping") -> Mapping:
    """Read a mapping from TOML text and check it against the dataset declarations."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{source}: not valid TOML ({error})") from None
    known = {"dataset", "source", "scale", "date_format", "columns", "constants", "questions", "labels"}
    unknown = set(document) - known
    if unknown:
        raise MappingError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(known))}"
        )
    tables = {}
    for section in ("columns", "constants", "questions"):
        value = document.get(section, {})
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
            raise MappingError(f'{source}: [{section}] must hold name = "text" pairs')
        tables[section] = {str(k): str(v) for k, v in value.items()}
    labels = document.get("labels", {})
    if not isinstance(labels, dict) or not all(type(v) is int for v in labels.values()):
        raise MappingError(f'{source}: [labels] must hold "answer wording" = whole-number score pairs')
    for name in ("dataset", "source", "scale", "date_format"):
        if name in document and not isinstance(document[name], str):
            raise MappingError(f'{source}: {name} must be text, as in {name} = "..."')
    mapping = Mapping(
        columns=tables["columns"],
        constants=tables["constants"],
        questions=tables["questions"],
        scale=document.get("scale"),
        date_format=document.get("date_format"),
        dataset=document.get("dataset"),
        source=document.get("source"),
        labels={str(k): int(v) for k, v in labels.items()},
    )
    check_mapping(mapping, source)
    return mapping


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingError(f"{path}: cannot read the mapping ({error.strerror})") from None
    return parse_mapping(text, str(path))


def check_mapping(mapping: Mapping, source: str = "mapping", dataset: str | None = None) -> None:
    """Raise MappingError unless every name in the mapping is a known column, pillar and scale."""
    name = dataset or mapping.dataset
    if name is not None and name not in DATASETS:
        raise MappingError(f"{source}: dataset {name!r} is unknown; use one of {', '.join(DATASETS)}")
    if mapping.source is not None and mapping.source not in TOOLS:
        raise MappingError(f"{source}: source {mapping.source!r} is unknown; use one of {', '.join(TOOLS)}")
    if mapping.is_wide and name not in (None, "survey"):
        what = f"source = {mapping.source!r}" if mapping.source else "[questions]"
        raise MappingError(f"{source}: {what} only applies to the survey dataset, not {name}")
    if mapping.source is not None and not mapping.questions:
        raise MappingError(
            f"{source}: name the question columns of the {TOOLS[mapping.source].title} export in [questions], "
            'as "question text as the export writes it" = "pillar"'
        )
    columns = DATASETS[name if name else "survey"].column_names if (name or mapping.is_wide) else None
    for section in ("columns", "constants"):
        for canonical in getattr(mapping, section):
            if columns is not None and canonical not in columns:
                raise MappingError(
                    f"{source}: [{section}] {canonical!r} is not a column of {name or 'survey'}; columns: {', '.join(columns)}"
                )
    both = set(mapping.columns) & set(mapping.constants)
    if both:
        raise MappingError(f"{source}: {', '.join(sorted(both))} is in both [columns] and [constants]; keep one")
    if mapping.is_wide:
        for header, pillar in mapping.questions.items():
            if pillar not in PILLAR_IDS:
                raise MappingError(
                    f"{source}: question {header!r} has pillar {pillar!r}; use one of {', '.join(PILLAR_IDS)}"
                )
        fixed = [c for c in WIDE_FIXED if c in mapping.columns or c in mapping.constants]
        if fixed:
            raise MappingError(
                f"{source}: with [questions], {', '.join(fixed)} come from the question columns; remove them"
            )
        if not mapping.scale and "scale" not in mapping.columns and "scale" not in mapping.constants:
            raise MappingError(f"{source}: a wide survey needs scale = one of {', '.join(SCALES)}")
    if mapping.scale is not None and mapping.scale not in SCALES:
        raise MappingError(f"{source}: scale {mapping.scale!r} is unknown; use one of {', '.join(SCALES)}")
    if mapping.labels:
        _check_labels(mapping, source)


def _check_labels(mapping: Mapping, source: str) -> None:
    if not mapping.is_wide or not mapping.scale:
        raise MappingError(f"{source}: [labels] applies to a wide survey with one scale = ... for its questions")
    low, high = SCALE_RANGES[mapping.scale]
    for label, score in mapping.labels.items():
        if not label.strip():
            raise MappingError(f"{source}: [labels] has an empty answer wording")
        if not low <= score <= high:
            raise MappingError(
                f"{source}: [labels] {label!r} = {score} is outside {mapping.scale} ({low}-{high}): give it a score "
                "on the scale"
            )


def header_set(headers: tuple[str, ...] | list[str]) -> list[str]:
    """The normalised, sorted, distinct non-empty headers: how saved mappings recognise a file."""
    return sorted({normalize_header(h) for h in headers} - {""})


# --- saved mappings: the TOML of a --mapping file, kept in table `mappings` -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedMapping:
    mapping_id: int
    name: str
    dataset: str
    toml: str
    headers: tuple[str, ...]
    created_by: str
    created_at: dt.datetime

    @property
    def mapping(self) -> Mapping:
        return parse_mapping(self.toml, f"saved mapping {self.name!r}")

    @property
    def file_name(self) -> str:
        """A download name: the mapping's name reduced to letters, digits and dashes."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or f"mapping-{self.mapping_id}"
        return f"{slug}.toml"


_COLUMNS = "mapping_id, name, dataset, toml, headers, created_by, created_at"


def _saved(row: dict) -> SavedMapping:
    return SavedMapping(
        int(row["mapping_id"]),
        row["name"],
        row["dataset"],
        row["toml"],
        tuple(row["headers"]),
        row["created_by"],
        row["created_at"],
    )


def list_mappings(database: Database, dataset: str | None = None) -> list[SavedMapping]:
    """Saved mappings not deleted, newest first."""
    rows = database.query_dicts(
        f"SELECT {_COLUMNS} FROM mappings WHERE deleted_at IS NULL AND ($dataset IS NULL OR dataset = $dataset) "
        "ORDER BY mapping_id DESC",
        {"dataset": dataset},
    )
    return [_saved(row) for row in rows]


def save_mapping(
    database: Database,
    actor: User,
    name: str,
    dataset: str,
    mapping: Mapping,
    headers: tuple[str, ...] | list[str],
) -> SavedMapping:
    """Save `mapping` under `name` for `dataset` (quality leads), remembering the headers of the file it was
    made for. A saved mapping of the same dataset with the same name (ignoring case) is replaced. Recorded in
    the audit trail.
    """
    require(actor, QUALITY_LEAD)
    user = actor.email
    name = " ".join(name.split())
    if not name:
        raise MappingError("give the mapping a name, for example the system the export comes from")
    if len(name) > MAX_NAME_LENGTH:
        raise MappingError(f"a mapping name has at most {MAX_NAME_LENGTH} characters")
    get_dataset(dataset)
    mapping = dataclasses.replace(mapping, dataset=dataset)
    check_mapping(mapping, "mapping", dataset)
    toml = mapping.to_toml()
    parse_mapping(toml)  # what we store reads back as a --mapping file
    normalised = header_set(headers)
    if not normalised:
        raise MappingError("the file has no headers to recognise it by")

    def work(cursor: duckdb.DuckDBPyConnection) -> SavedMapping:
        at = now_utc()
        replaced = [
            row[0]
            for row in cursor.execute(
                "SELECT mapping_id FROM mappings WHERE deleted_at IS NULL AND dataset = $dataset AND lower(name) = lower($name)",
                {"dataset": dataset, "name": name},
            ).fetchall()
        ]
        if replaced:
            cursor.execute(
                "UPDATE mappings SET deleted_at = $at WHERE deleted_at IS NULL AND dataset = $dataset AND lower(name) = lower($name)",
                {"at": at, "dataset": dataset, "name": name},
            )
        mapping_id = next_id(cursor, "mapping")
        cursor.execute(
            "INSERT INTO mappings VALUES ($id, $name, $dataset, $toml, $headers, $user, $at, NULL)",
            {
                "id": mapping_id,
                "name": name,
                "dataset": dataset,
                "toml": toml,
                "headers": normalised,
                "user": user,
                "at": at,
            },
        )
        record_event(
            cursor,
            user,
            "save_mapping",
            f"mapping {mapping_id}",
            {"name": name, "dataset": dataset, "replaced": replaced},
            at,
        )
        return SavedMapping(mapping_id, name, dataset, toml, tuple(normalised), user, at)

    return database.write(work)


def delete_mapping(database: Database, actor: User, mapping_id: int) -> SavedMapping:
    """Delete a saved mapping (quality leads; kept in the table with deleted_at set); recorded in the audit trail."""
    require(actor, QUALITY_LEAD)
    user = actor.email

    def work(cursor: duckdb.DuckDBPyConnection) -> SavedMapping:
        row = cursor.execute(
            f"SELECT {_COLUMNS} FROM mappings WHERE mapping_id = $id AND deleted_at IS NULL", {"id": mapping_id}
        ).fetchone()
        if row is None:
            raise MappingError(f"there is no saved mapping {mapping_id}")
        saved = _saved(dict(zip(_COLUMNS.split(", "), row, strict=True)))
        at = now_utc()
        cursor.execute("UPDATE mappings SET deleted_at = $at WHERE mapping_id = $id", {"at": at, "id": mapping_id})
        record_event(
            cursor, user, "delete_mapping", f"mapping {mapping_id}", {"name": saved.name, "dataset": saved.dataset}, at
        )
        return saved

    return database.write(work)


def find_saved_mapping(
    database: Database, dataset: str | None, headers: tuple[str, ...] | list[str]
) -> SavedMapping | None:
    """The saved mapping made for a file with these headers (see the module docstring), of `dataset` or any."""
    wanted = set(header_set(headers))
    if not wanted:
        return None
    best: tuple[tuple[int, int, int], SavedMapping] | None = None
    for saved in list_mappings(database, dataset):
        theirs = set(saved.headers)
        if not theirs <= wanted:
            continue
        rank = (int(theirs == wanted), len(theirs), saved.mapping_id)
        if best is None or rank > best[0]:
            best = (rank, saved)
    return best[1] if best else None
