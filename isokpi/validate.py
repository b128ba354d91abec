"""Validate a staged file against its dataset, in DuckDB, and leave the clean rows in a temp table.

The pipeline, all on one cursor (temp tables are private to it):
1. `staging`: the CSV read as text, columns c0..cN, row 0 the header (DuckDB's CSV reader).
2. headers matched to canonical columns (names and aliases, ignoring case and punctuation, or a mapping).
3. dictionaries: each distinct enumeration, yes/no and date value is parsed once in Python (one set of
   rules, shared with the docs), then joined back in bulk; numbers and text are cast in SQL.
4. `typed`: one row per data row with canonical columns and the raw text of every parsed column.
5. problems: one scan collects every row's problems; keys repeated with different content are problems.
6. `incoming`: the rows to merge, one per key.
SQL identifiers come only from the dataset declarations; every value is bound as a parameter.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass, field

import duckdb

from isokpi import dates
from isokpi.datasets import (
    BOOL,
    DATE,
    DEFAULT_STAKEHOLDER,
    ENUM,
    ID,
    MAX_TEXT_LENGTH,
    NO_TOKENS,
    NUMBER,
    SCALE_LABELS,
    STAKEHOLDERS,
    TEXT,
    YES_TOKENS,
    Column,
    Dataset,
    label_key,
    normalize_header,
    normalize_token,
)
from isokpi.db import bound, is_disk_full, quote
from isokpi.mapping import Mapping, check_mapping
from isokpi.sources import MAX_LINE_BYTES, StagedFile
from isokpi.survey_tools import ExportShapeError, implied_columns, read_export

MAX_REPORTED = 1000
KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: spreadsheet row (header = row 1), column, value, what to do."""

    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Prepared:
    """The outcome of validation: counts, problems, and (when clean) rows waiting in `incoming`."""

    dataset: Dataset
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    warnings: list[str] = field(default_factory=list)
    duplicate_rows: int = 0
    header_labels: dict[str, str] = field(default_factory=dict)
    present: set[str] | None = None  # canonical columns the file (or its mapping) supplies

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


# --- headers ---------------------------------------------------------------------------------------


@dataclass
class HeaderMatch:
    columns: dict[str, int]  # canonical column -> index of the file column it comes from
    labels: dict[str, str]  # canonical column -> header as written in the file
    problems: list[Problem]
    warnings: list[str]


def match_headers(
    dataset: Dataset, headers: tuple[str, ...], mapping: Mapping | None, header_row: int = 1
) -> HeaderMatch:
    """Map file headers to canonical columns: an explicit mapping first, then names and aliases."""
    lookup = dataset.header_lookup()
    by_normal: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        by_normal.setdefault(normalize_header(header), []).append(index)
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    warnings: list[str] = []
    used: set[int] = set()
    explicit = dict(mapping.columns) if mapping else {}
    constants = set(mapping.constants) if mapping else set()
    question_headers = {normalize_header(h) for h in mapping.questions} if mapping else set()

    for canonical, source in explicit.items():
        indexes = by_normal.get(normalize_header(source), [])
        if not indexes:
            problems.append(
                Problem(
                    header_row,
                    canonical,
                    source,
                    f"the mapping reads {canonical} from column {source!r}, which this file does not have; headers found: {', '.join(h for h in headers if h)}",
                )
            )
            continue
        columns[canonical] = indexes[0]
        used.add(indexes[0])

    candidates: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        normal = normalize_header(header)
        if index in used or not normal or normal in question_headers:
            continue
        canonical = lookup.get(normal)
        if canonical is None:
            warnings.append(f"column {header!r} is not a column of {dataset.name} and was ignored")
            continue
        if canonical in columns or canonical in constants:
            warnings.append(
                f"column {header!r} was ignored: {canonical} comes from {'the mapping' if canonical in constants else repr(headers[columns[canonical]])}"
            )
            continue
        candidates.setdefault(canonical, []).append(index)

    for canonical, indexes in candidates.items():
        exact = [i for i in indexes if normalize_header(headers[i]) == normalize_header(canonical)]
        if len(indexes) > 1 and len(exact) != 1:
            names = " and ".join(repr(headers[i]) for i in indexes)
            problems.append(
                Problem(
                    header_row,
                    canonical,
                    headers[indexes[0]],
                    f"both {names} look like {canonical}: rename one, or name the right one in a mapping",
                )
            )
            continue
        chosen = exact[0] if exact else indexes[0]
        columns[canonical] = chosen
        for other in indexes:
            if other != chosen:
                warnings.append(f"column {headers[other]!r} was ignored: {canonical} comes from {headers[chosen]!r}")

    wide = bool(mapping and mapping.is_wide)
    for question in mapping.questions if wide else ():
        if normalize_header(question) not in by_normal:
            problems.append(
                Problem(
                    header_row,
                    question,
                    "",
                    f"the mapping lists question column {question!r}, which this file does not have",
                )
            )
    for column in dataset.columns:
        supplied = (
            column.name in columns
            or column.name in constants
            or (wide and column.name in ("question_id", "score", "pillar", "question_text"))
        )
        if wide and column.name == "scale" and mapping and mapping.scale:
            supplied = True
        if column.required and not supplied:
            accepted = ", ".join(repr(a) for a in (column.name, *column.aliases[:6]))
            problems.append(
                Problem(
                    header_row,
                    column.name,
                    "",
                    f"required column {column.name} is missing: add it (headers accepted: {accepted}), or map it",
                )
            )
    labels = {canonical: headers[index] for canonical, index in columns.items()}
    return HeaderMatch(columns, labels, problems, warnings)


# --- the pipeline ----------------------------------------------------------------------------------


def _read_csv_sql(staged: StagedFile, *, rejects: bool = False) -> str:
    """read_csv of the staged file: every column text, named c0..cN (names we generate, never user text).

    Strict: the first malformed row stops the read, and only then is the file looked at again to list its
    malformed rows (see _malformed_rows). With `rejects`, DuckDB logs them in temp table staging_rejects.
    """
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(staged.column_count))
    logged = (
        "store_rejects = true, rejects_table = 'staging_rejects', rejects_scan = 'staging_reject_scans', "
        if rejects
        else ""
    )
    return (
        "read_csv($path, header = true, delim = $delim, quote = '\"', escape = '\"', auto_detect = false, "
        f"columns = {{{columns}}}, {logged}null_padding = false, strict_mode = true)"
    )


def identifying_columns(cursor: duckdb.DuckDBPyConnection, staged: StagedFile, indexes: list[int]) -> list[int]:
    """Of the staged file's columns at `indexes`, those in which every row holds a value and no two rows the same
    (a respondent's id): one scan. None of them when the file cannot be read (its validation says why)."""
    if not indexes:
        return []
    tests = ", ".join(f"count(DISTINCT c{i}) = count(*) AND count(c{i}) = count(*)" for i in indexes)
    sql = f"SELECT count(*) > 0, {tests} FROM {_read_csv_sql(staged)}"
    params = {"path": str(staged.csv_path), "delim": staged.delimiter}
    try:
        rows, *unique = cursor.execute(sql, params).fetchone()
    except duckdb.Error:
        return []
    return [index for index, is_unique in zip(indexes, unique, strict=True) if rows and is_unique]


@dataclass
class Source:
    """Where the typed step reads from: the CSV itself (long files) or the stacked answers (wide surveys)."""

    sql: str  # a FROM item
    params: dict[str, object]
    columns: dict[str, str]  # canonical column -> SQL expression of its raw text (untrimmed)
    from_file: list[str]  # canonical columns read from the file (not constants)
    wide: bool


def load_source(
    cursor: duckdb.DuckDBPyConnection, dataset: Dataset, staged: StagedFile, match: HeaderMatch, mapping: Mapping | None
) -> Source | list[Problem]:
    """Describe how to read the file's canonical columns; a wide survey is first stacked into temp table `source`.

    Long files are read by DuckDB's CSV reader twice at most (distinct values, then typed rows) and never
    materialised as text: at a million rows that copy costs more than the load itself.
    """
    for table in ("staging", "source", "staging_rejects", "staging_reject_scans"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    params: dict[str, object] = {"path": str(staged.csv_path), "delim": staged.delimiter}
    constants = dict(mapping.constants) if mapping else {}
    if mapping and mapping.is_wide and mapping.scale and "scale" not in match.columns:
        constants.setdefault("scale", mapping.scale)
    columns: dict[str, str] = {}
    for column in dataset.columns:
        if column.name in match.columns:
            columns[column.name] = f"c{match.columns[column.name]}"
        elif column.name in constants:
            params[f"const_{column.name}"] = constants[column.name]
            columns[column.name] = f"CAST($const_{column.name} AS VARCHAR)"
    from_file = [name for name in columns if name in match.columns]
    if not (mapping and mapping.is_wide):
        return Source(_read_csv_sql(staged), params, columns, from_file, wide=False)

    try:
        sql = f"CREATE TEMP TABLE staging AS SELECT * FROM {_read_csv_sql(staged)}"
        cursor.execute(sql, bound(sql, params))
    except duckdb.Error as error:
        return _malformed_rows(cursor, staged, params, error)
    sql, stack_params = _stack_questions(dataset, staged, columns, mapping, params)
    cursor.execute(f"CREATE TEMP TABLE source AS {sql}", stack_params)
    stacked = {name: quote(name) for name in (*columns, "question_id", "question_text", "pillar", "score")}
    return Source("source", {}, stacked, [*from_file, "score"], wide=True)


def _unreadable(staged: StagedFile, error: Exception) -> Problem:
    return Problem(
        staged.header_row,
        "",
        "",
        f"the file cannot be read as a table: {_first_line(error)}. Export it again as CSV (or .xlsx).",
    )


def _malformed_rows(
    cursor: duckdb.DuckDBPyConnection, staged: StagedFile, params: dict[str, object], error: duckdb.Error
) -> list[Problem]:
    """The rows that stopped a strict read of the file, or why it cannot be read at all.

    Rows with more or fewer values than the header are counted in Python, quote-aware: DuckDB's rejects log
    such a row once per missing or extra column, each time with the whole line, so that 10,000 short rows
    under a 500-column header took 90 s and a few hundred rows of 500 values minutes. What else stops the
    reader (an unclosed quote, a line over 2 MB) is logged once per row, and listed from DuckDB's rejects.
    """
    if is_disk_full(error):
        raise error
    if not (isinstance(error, duckdb.InvalidInputException) and "CSV Error" in str(error)):
        return [_unreadable(staged, error)]
    problems = _rows_of_another_width(staged)
    if problems:
        return problems
    try:
        sql = f"SELECT count(*) FROM {_read_csv_sql(staged, rejects=True)}"
        cursor.execute(sql, bound(sql, params))
    except duckdb.Error as again:
        return [_unreadable(staged, again)]
    return _structural_problems(cursor, staged) or [_unreadable(staged, error)]


def _rows_of_another_width(staged: StagedFile) -> list[Problem]:
    """The first MAX_REPORTED rows with more or fewer values than the header, read as DuckDB reads them."""
    width = staged.column_count
    problems: list[Problem] = []
    with staged.csv_path.open(encoding="utf-8", newline="") as text:
        records = csv.reader(text, delimiter=staged.delimiter)  # quote '"', doubled inside: as read_csv above
        try:
            next(records, None)  # the header
            for row, record in enumerate(records, start=staged.header_row + 1):
                # Empty values after the last column are accepted, as DuckDB accepts them.
                if record and (len(record) < width or any(record[width:])):
                    found = f"Expected Number of Columns: {width} Found: {len(record)}"
                    line = _shorten(staged.delimiter.join(record))
                    problems.append(Problem(row, "", line, _reject_message("MISSING COLUMNS", found, width)))
                    if len(problems) == MAX_REPORTED:
                        break
        except csv.Error:  # a value longer than the csv module reads: DuckDB's rejects say what is wrong
            return []
    return problems


def _structural_problems(cursor: duckdb.DuckDBPyConnection, staged: StagedFile) -> list[Problem]:
    """Rows DuckDB's CSV reader rejected (unclosed quote, line too long, ...), from a read with rejects."""
    exists = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'staging_rejects' AND database_name = 'temp'"
    ).fetchone()[0]
    if not exists:
        return []
    # One problem per row and kind: DuckDB logs a short row once per missing column ("Found: 3", "Found: 4"),
    # and each read of the file logs its rejects again. The first missing column's message is the true one.
    rejects = cursor.execute(
        "SELECT line, error_type, coalesce(csv_line, ''), arg_min(error_message, coalesce(column_idx, 0)) "
        "FROM staging_rejects GROUP BY ALL ORDER BY line, error_type LIMIT $max",
        {"max": MAX_REPORTED},
    ).fetchall()
    return [
        Problem(
            int(line) + staged.header_row - 1,
            "",
            _shorten(csv_line),
            _reject_message(error_type, message, staged.column_count),
        )
        for line, error_type, csv_line, message in rejects
    ]


def _stack_questions(
    dataset: Dataset, staged: StagedFile, columns: dict[str, str], mapping: Mapping, read_params: dict[str, object]
) -> tuple[str, dict[str, object]]:
    """One SELECT per question column of a wide survey, stacked; unanswered questions give no row."""
    params: dict[str, object] = {"first_row": staged.header_row + 1}
    params.update({k: v for k, v in read_params.items() if k.startswith("const_")})
    fixed = ("question_id", "question_text", "pillar", "score")
    common = ", ".join(
        f"{expression if expression.startswith('CAST') else 's.' + expression} AS {quote(name)}"
        for name, expression in columns.items()
        if name not in fixed
    )
    index_of = {normalize_header(h): i for i, h in enumerate(staged.headers)}
    labels = answer_labels(mapping)
    params.update({"label_keys": list(labels), "label_scores": list(labels.values())})
    parts = []
    for number, (question, pillar) in enumerate(mapping.questions.items()):
        index = index_of.get(normalize_header(question))
        if index is None:
            continue
        params[f"q{number}"] = staged.headers[index]
        params[f"t{number}"] = mapping.question_texts.get(staged.headers[index], staged.headers[index])
        params[f"p{number}"] = pillar
        score = _scored(f"s.c{index}") if labels else f"s.c{index}"
        parts.append(
            f"SELECT s.rowid + $first_row AS _row, {common}{', ' if common else ''}$q{number} AS question_id, "
            f"$t{number} AS question_text, $p{number} AS pillar, {score} AS score "
            f"FROM staging s WHERE nullif(trim(s.c{index}), '') IS NOT NULL"
        )
    if not parts:
        parts.append(
            f"SELECT CAST(NULL AS BIGINT) AS _row, {common}{', ' if common else ''}NULL AS question_id, "
            "NULL AS question_text, NULL AS pillar, NULL AS score WHERE false"
        )
    sql = " UNION ALL ".join(parts)
    return sql, bound(sql, params)


def answer_labels(mapping: Mapping) -> dict[str, int]:
    """Answer wording (as label_key matches it) -> score, for a wide survey of one scale: the scale's standard
    English wording (datasets.SCALE_LABELS), and the mapping's [labels] over it."""
    if not mapping.scale:
        return {}
    labels = {label_key(label): score for label, score in SCALE_LABELS.get(mapping.scale, {}).items()}
    labels.update({label_key(label): score for label, score in mapping.labels.items()})
    return labels


def _scored(raw: str) -> str:
    """The score of an answer cell: its label's score, else the cell as written (a number, or a problem)."""
    key = f"lower(regexp_replace({raw}, '[\\s\\x{{00A0}}]', '', 'g'))"
    position = f"list_position(CAST($label_keys AS VARCHAR[]), {key})"
    return f"coalesce(CAST((CAST($label_scores AS INTEGER[]))[{position}] AS VARCHAR), {raw})"


def _read_survey_tool(staged: StagedFile, mapping: Mapping) -> tuple[StagedFile, Mapping]:
    """A survey tool's export (mapping.source) as the plain wide file it is, and the mapping with what the tool
    implies: its respondent and answered-at columns, its questions by their headers, their texts."""
    export = read_export(staged, mapping.source)
    implied = {
        column: header
        for column, header in implied_columns(mapping.source).items()
        if column not in mapping.columns and column not in mapping.constants
    }
    adapted = dataclasses.replace(
        mapping,
        columns={**implied, **mapping.columns},
        questions=export.resolve(mapping.questions),
        question_texts=export.texts,
    )
    return export.staged, adapted


def _first_line(error: Exception) -> str:
    text = str(error).split("\n")[0]
    return re.sub(r"^[A-Za-z ]+Error: ", "", text)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reject_message(error_type: str, message: str, width: int) -> str:
    if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        return f"this row does not have the header's {width} columns ({message}): a separator or quote inside a value is probably not quoted"
    if error_type == "UNQUOTED VALUE" or error_type == "UNTERMINATED QUOTE":
        return f"a quote is not closed in this row ({message}): close it or remove it"
    if error_type == "LINE SIZE OVER MAXIMUM":
        return f"this row is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB: a value is far too long or a quote is not closed"
    return f"this row cannot be read ({error_type.lower()}: {message})"


def prepare(
    cursor: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    staged: StagedFile,
    *,
    mapping: Mapping | None = None,
    date_format: str | None = None,
) -> Prepared:
    """Validate `staged` as `dataset`; when clean, temp view `typed_rows` holds the rows to merge."""
    prepared = Prepared(dataset)
    if mapping is not None:
        check_mapping(mapping, "mapping", dataset.name)
        if mapping.source is not None:  # the one place a survey tool's export takes its plain form
            try:
                staged, mapping = _read_survey_tool(staged, mapping)
            except ExportShapeError as error:
                return _structural(prepared, [Problem(error.row, error.column, error.value, str(error))])
    date_order = dates.parse_date_format(date_format or (mapping.date_format if mapping else None))
    match = match_headers(dataset, staged.headers, mapping, staged.header_row)
    prepared.header_labels = match.labels
    prepared.warnings = match.warnings
    source = load_source(cursor, dataset, staged, match, mapping)
    if isinstance(source, list):
        return _structural(prepared, source)
    # The survey's stakeholder is always set (defaulted from survey_type), so it is always "present".
    prepared.present = set(source.columns) | ({"stakeholder"} if dataset.name == "survey" else set())
    try:
        dictionary_problems, lookups = _build_dictionaries(cursor, dataset, source, date_order, staged)
        _create_typed(cursor, dataset, source, staged, lookups)
    except duckdb.Error as error:
        return _structural(prepared, _malformed_rows(cursor, staged, source.params, error))
    prepared.rows_read = _rows_read(cursor, staged, wide=source.wide)
    if prepared.rows_read == 0 and not match.problems:
        return _refuse(prepared, staged, "the file has a header but no data rows: nothing to load")
    if dataset.name == "survey":
        _default_stakeholder(cursor)
    labels = {c.name: match.labels.get(c.name, c.name) for c in dataset.columns}
    # A missing required column is reported once, at the header, not again on every row.
    controls = staged.controls or any(
        UNSAFE_TEXT.search(value) for value in (mapping.constants if mapping else {}).values()
    )
    row_problems, total = _row_problems(cursor, dataset, labels, source.wide, set(source.columns), controls)
    key_problems, duplicates = _key_problems(cursor, dataset, labels)
    prepared.duplicate_rows = duplicates
    found = match.problems + dictionary_problems + row_problems + key_problems
    prepared.problems = sorted(found, key=lambda p: (p.row, p.column))[:MAX_REPORTED]
    prepared.problem_count = len(match.problems) + len(dictionary_problems) + total + len(key_problems)
    return prepared


def _structural(prepared: Prepared, problems: list[Problem]) -> Prepared:
    prepared.problems = problems
    prepared.problem_count = len(problems)
    return prepared


def _rows_read(cursor: duckdb.DuckDBPyConnection, staged: StagedFile, *, wide: bool) -> int:
    """Data rows in the file (respondents, for a wide survey), not counting blank rows."""
    if not wide:
        return cursor.execute("SELECT count(*) FROM typed_rows").fetchone()[0]
    nonblank = " OR ".join(f"nullif(trim(c{i}), '') IS NOT NULL" for i in range(staged.column_count))
    return cursor.execute(f"SELECT count(*) FROM staging WHERE {nonblank}").fetchone()[0]


def _refuse(prepared: Prepared, staged: StagedFile, message: str) -> Prepared:
    prepared.problems = [Problem(staged.header_row, "", "", message)]
    prepared.problem_count = 1
    return prepared


@dataclass(frozen=True)
class Lookup:
    """How typed values of one parsed column are found in bulk, from its distinct values parsed in Python.

    "list": small dictionaries (enums, yes/no) become list parameters looked up per row; "iso": dates that are
    all YYYY-MM-DD are cast by DuckDB, which reads them exactly as Python did (invalid ones are listed);
    "join": anything else joins temp table dict_values.
    """

    kind: str
    raws: list[str]
    values: list[object]
    ids: list[int]


MAX_LISTED = 256
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _build_dictionaries(
    cursor: duckdb.DuckDBPyConnection, dataset: Dataset, source: Source, date_order: str | None, staged: StagedFile
) -> tuple[list[Problem], dict[str, Lookup]]:
    """Parse each distinct enum / yes-no / date value once; store them in temp table dict_values."""
    cursor.execute("DROP TABLE IF EXISTS dict_values")
    cursor.execute(
        "CREATE TEMP TABLE dict_values (id INTEGER, col VARCHAR, raw VARCHAR, text_value VARCHAR, date_value DATE, "
        "bool_value BOOLEAN, problem VARCHAR)"
    )
    parsed = [c for c in dataset.columns if c.name in source.columns and c.kind in (ENUM, BOOL, DATE)]
    if not parsed:
        return [], {}  # the typed step's read of the file records any malformed rows
    # One read of the file: the CTE is scanned once and grouped per column.
    wanted = ", ".join(f"{source.columns[c.name]} AS {quote(c.name)}" for c in parsed)
    union = " UNION ALL ".join(
        f"SELECT $name_{c.name} AS col, {quote(c.name)} AS raw FROM r WHERE {quote(c.name)} IS NOT NULL GROUP BY ALL"
        for c in parsed
    )
    sql = f"WITH r AS MATERIALIZED (SELECT {wanted} FROM {source.sql}) {union}"
    params = {**source.params, **{f"name_{c.name}": c.name for c in parsed}}
    distinct = cursor.execute(sql, bound(sql, params)).fetchall()
    values: dict[str, list[str]] = {}
    for column, raw in distinct:
        if raw.strip():  # a cell of only spaces is empty: it gets no entry, like an empty cell
            values.setdefault(column, []).append(raw)

    problems: list[Problem] = []
    order = date_order
    date_columns = [c for c in parsed if c.kind == DATE]
    if order is None and date_columns:
        all_dates = [v for c in date_columns for v in values.get(c.name, [])]
        order, day_first, month_first = dates.detect_order(all_dates)
        if day_first and month_first:
            problems.append(
                Problem(
                    staged.header_row,
                    ", ".join(c.name for c in date_columns),
                    f"{day_first[0]} / {month_first[0]}",
                    f"dates in this file mix day-first ({day_first[0]}) and month-first ({month_first[0]}) forms: "
                    "export them in one form (ISO 2025-03-31 is safest), or set the date order: --date-format on the command "
                    "line, Date order on the upload page",
                )
            )
            order = "mixed"
    rows: list[tuple[str, str, str | None, object, bool | None, str | None]] = []
    lookups: dict[str, Lookup] = {}
    for column in parsed:
        first = len(rows) + 1
        for raw in values.get(column.name, []):
            rows.append((column.name, raw, *_parse_value(column, raw, order)))
        lookups[column.name] = _lookup(column, rows[first - 1 :], first)
    if order is None:
        for column in date_columns:
            ambiguous = [v for v in values.get(column.name, []) if dates.is_ambiguous(v)]
            if ambiguous:
                problems.append(
                    Problem(
                        staged.header_row,
                        column.name,
                        ambiguous[0],
                        f"cannot tell whether {ambiguous[0]} is day-first or month-first: no value in the file has a day over 12. "
                        "Set the date order: --date-format DMY (31/12/2025) or MDY (12/31/2025) on the command line, Date order "
                        "on the upload page",
                    )
                )
    if rows:
        columns = list(zip(*rows, strict=True))
        cursor.execute(
            "INSERT INTO dict_values SELECT unnest($i), unnest($c), unnest($r), unnest($t), unnest($d), unnest($b), unnest($p)",
            {
                "i": list(range(1, len(rows) + 1)),
                "c": list(columns[0]),
                "r": list(columns[1]),
                "t": list(columns[2]),
                "d": list(columns[3]),
                "b": list(columns[4]),
                "p": list(columns[5]),
            },
        )
    return problems, lookups


def _lookup(column: Column, entries: list[tuple], first_id: int) -> Lookup:
    """Choose how to look up `column`'s values; `entries` are its dict_values rows, ids from `first_id`."""
    ids = list(range(first_id, first_id + len(entries)))
    raws = [entry[1] for entry in entries]
    if column.kind == DATE:
        parsed_ok = [entry for entry in entries if entry[3] is not None]
        if all(_ISO_DATE.fullmatch(entry[1]) for entry in parsed_ok):
            invalid = [(entry[1], id_) for entry, id_ in zip(entries, ids, strict=True) if entry[3] is None]
            if len(invalid) <= MAX_LISTED:
                return Lookup("iso", [raw for raw, _ in invalid], [], [id_ for _, id_ in invalid])
        return Lookup("join", raws, [], ids)
    if len(entries) > MAX_LISTED:
        return Lookup("join", raws, [], ids)
    values = [entry[2] if column.kind == ENUM else entry[4] for entry in entries]
    return Lookup("list", raws, values, ids)


def _parse_value(column: Column, raw: str, order: str | None) -> tuple[str | None, object, bool | None, str | None]:
    """(text value, date value, yes/no value, problem message) for one distinct raw value."""
    raw = raw.strip()
    if not raw:
        return None, None, None, None  # only spaces: an empty cell
    if column.kind == ENUM:
        value = column.value_tokens().get(_enum_token(column, raw))
        if value is None:
            return None, None, None, f"{raw!r} is not an allowed {column.name}: use one of {column.allowed_text()}"
        return value, None, None, None
    if column.kind == BOOL:
        token = raw.strip().lower()
        if token in YES_TOKENS:
            return None, None, True, None
        if token in NO_TOKENS:
            return None, None, False, None
        return None, None, None, f"{raw!r} is not yes or no: use yes/no, true/false or 1/0"
    parsed = dates.parse_date(raw, None if order == "mixed" else order)
    if parsed is None:
        if order is None and dates.is_ambiguous(raw):
            return None, None, None, None  # reported once for the column, not once per row
        missing = dates.no_such_day(raw)
        if missing is not None:
            return None, None, None, f"{raw!r} is not a date: {missing}; correct the day"
        return None, None, None, f"{raw!r} is not a date: use a date such as 2025-03-31 or 31/03/2025"
    if not (1900 <= parsed.year <= 2100):
        return None, None, None, f"{raw!r} is outside the years 1900-2100: check the date"
    return None, parsed, None, None


def _enum_token(column: Column, raw: str) -> str:
    if column.name == "standard":
        found = re.search(r"(9001|14001|45001|22000|27001)", raw)
        if found:
            return found.group(1)
    return normalize_token(raw)


WHITESPACE = " \t\r\n\u00a0"


def _typed_expression(column: Column, raw: str | None, decimal_comma: bool) -> str:
    """Typed value of a text, id or number column from its raw text (parsed columns go through a Lookup)."""
    if raw is None:
        return f"CAST(NULL AS {column.sql_type})"
    if column.kind in (ID, TEXT):
        return raw  # trimmed afterwards, only where some value needs it (see _trim_text)
    # A semicolon- or tab-separated export may write decimals with a comma (1,5).
    return f"TRY_CAST(replace({raw}, ',', '.') AS DOUBLE)" if decimal_comma else f"TRY_CAST({raw} AS DOUBLE)"


def _lookup_expressions(
    column: Column, raw: str, lookup: Lookup, params: dict[str, object]
) -> tuple[str, str, str | None]:
    """(value SQL, dict id SQL, join clause or None) for one parsed column."""
    name = column.name
    alias = f"d_{name}"
    if lookup.kind == "join":
        params[f"dict_{name}"] = name
        field_name = {ENUM: "text_value", BOOL: "bool_value", DATE: "date_value"}[column.kind]
        join = (
            f"LEFT JOIN (SELECT id, raw, text_value, date_value, bool_value FROM dict_values "
            f"WHERE col = $dict_{name}) {alias} ON {alias}.raw = {raw}"
        )
        return f"{alias}.{field_name}", f"{alias}.id", join
    params[f"lr_{name}"] = lookup.raws
    params[f"li_{name}"] = lookup.ids
    position = f"list_position(CAST($lr_{name} AS VARCHAR[]), {raw})"
    entry_id = f"(CAST($li_{name} AS INTEGER[]))[{position}]"
    if lookup.kind == "iso":
        # The values Python refused are listed (their dict ids); the rest are YYYY-MM-DD dates Python read,
        # which DuckDB's cast reads the same way. Listed first: DuckDB would accept 1800-01-01, Python not.
        # id 0: a valid date with no dict entry of its own.
        return (
            f"CASE WHEN {position} IS NULL THEN TRY_CAST({raw} AS DATE) END",
            f"coalesce({entry_id}, CASE WHEN TRY_CAST({raw} AS DATE) IS NOT NULL THEN 0 END)",
            None,
        )
    params[f"lv_{name}"] = lookup.values
    value_type = "BOOLEAN" if column.kind == BOOL else "VARCHAR"
    return f"(CAST($lv_{name} AS {value_type}[]))[{position}]", entry_id, None


def _create_typed(
    cursor: duckdb.DuckDBPyConnection, dataset: Dataset, source: Source, staged: StagedFile, lookups: dict[str, Lookup]
) -> None:
    """Temp table `typed` and view `typed_rows` over its non-blank rows, with `_row` and `_key`.

    `typed` holds every canonical column typed; for a parsed column (enum, yes/no, date) the id of its
    dict_values entry (_d_<column>), for a number its raw text (_raw_<column>). Problems are looked up
    from these for the few rows that have one, rather than carried on every row.
    """
    params: dict[str, object] = dict(source.params)
    joins: list[str] = []
    selects: list[str] = []
    decimal_comma = staged.delimiter != ","
    for column in dataset.columns:
        raw = source.columns.get(column.name)
        raw_sql = None if raw is None else (raw if raw.startswith("CAST") else f"src.{raw}")
        if column.kind in (ENUM, BOOL, DATE):
            if raw_sql is None:
                selects.append(f"CAST(NULL AS {column.sql_type}) AS {quote(column.name)}")
                selects.append(f"CAST(NULL AS INTEGER) AS {quote('_d_' + column.name)}")
                continue
            value, entry_id, join = _lookup_expressions(column, raw_sql, lookups[column.name], params)
            selects.append(f"{value} AS {quote(column.name)}")
            selects.append(f"{entry_id} AS {quote('_d_' + column.name)}")
            if join:
                joins.append(join)
            continue
        selects.append(f"{_typed_expression(column, raw_sql, decimal_comma)} AS {quote(column.name)}")
        if column.kind == NUMBER:
            selects.append(f"{raw_sql or 'CAST(NULL AS VARCHAR)'} AS {quote('_raw_' + column.name)}")
    # Rows empty in every file column are skipped, as a spreadsheet user expects; they keep their row number.
    blank = " AND ".join(f"src.{source.columns[name]} IS NULL" for name in source.from_file) or "false"
    selects.append(f"({blank}) AS _blank")
    if source.wide:
        selects.insert(0, "src._row AS _row")
        from_item = source.sql
    elif joins:
        # Hash joins do not keep the file's order: number the rows before joining.
        selects.insert(0, "src._n + $header_row AS _row")
        params["header_row"] = staged.header_row
        from_item = f"(SELECT row_number() OVER () AS _n, * FROM {source.sql})"
    else:
        from_item = source.sql  # no join: the table keeps the file's order, and rowid numbers the rows
    sql = f"CREATE TEMP TABLE typed AS SELECT {', '.join(selects)} FROM {from_item} src {' '.join(joins)}"
    cursor.execute("DROP VIEW IF EXISTS typed_rows")
    cursor.execute("DROP TABLE IF EXISTS typed")
    cursor.execute(sql, bound(sql, params))
    _trim_text(cursor, dataset)
    key = _key_expression(dataset)
    # The header's row number is an integer we computed, not input.
    row = "" if (source.wide or joins) else f"rowid + {int(staged.header_row) + 1} AS _row, "
    cursor.execute(f"CREATE TEMP VIEW typed_rows AS SELECT {row}*, {key} AS _key FROM typed WHERE NOT _blank")


def _trim_text(cursor: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
    """Trim text columns that have a value starting or ending with whitespace; blank values become NULL.

    Checking first is cheap; trimming every value of every column costs more than the load itself.
    """
    text = [c.name for c in dataset.columns if c.kind in (ID, TEXT)]
    edges = " OR ".join(f"prefix({{c}}, ${n}) OR suffix({{c}}, ${n})" for n in ("w0", "w1", "w2", "w3", "w4"))
    params = {f"w{i}": ch for i, ch in enumerate(WHITESPACE)}
    checks = ", ".join(f"coalesce(bool_or({edges.format(c=quote(name))}), false)" for name in text)
    flags = cursor.execute(f"SELECT {checks} FROM typed", params).fetchone()
    needs = [name for name, flag in zip(text, flags, strict=True) if flag]
    if needs:
        sets = ", ".join(f"{quote(name)} = nullif(trim({quote(name)}, $ws), '')" for name in needs)
        cursor.execute(f"UPDATE typed SET {sets}", {"ws": WHITESPACE})


def _key_expression(dataset: Dataset) -> str:
    """The text key of a row: its key column, or the key columns' text joined by a separator."""
    if len(dataset.key) == 1:
        return quote(dataset.key[0])
    return (
        "concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({quote(name)} AS VARCHAR), '')" for name in dataset.key) + ")"
    )


def _default_stakeholder(cursor: duckdb.DuckDBPyConnection) -> None:
    """An empty stakeholder takes the one named in survey_type (customer_nps -> customer), else employee."""
    for stakeholder in STAKEHOLDERS:
        cursor.execute(
            "UPDATE typed SET stakeholder = $s WHERE stakeholder IS NULL AND _d_stakeholder IS NULL AND contains(lower(survey_type), $s)",
            {"s": stakeholder},
        )
    cursor.execute(
        "UPDATE typed SET stakeholder = $s WHERE stakeholder IS NULL AND _d_stakeholder IS NULL",
        {"s": DEFAULT_STAKEHOLDER},
    )


# C0 control characters other than tab, line feed and carriage return: never in text meant to be read, and
# stored they reach exports and terminals (BEL, ESC, VT...). A NUL is refused with the file (isokpi.sources).
CONTROL_CLASS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
# Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069): refused in identifiers, where
# "F-001" followed by an override can display as another id. Other text is neutralised where it is shown.
DIRECTION_CLASS = r"[\x{202a}-\x{202e}\x{2066}-\x{2069}]"
UNSAFE_CLASS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{202a}-\x{202e}\x{2066}-\x{2069}]"  # RE2, in DuckDB
UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")  # the same, in Python
SHOWN_AROUND = 20  # characters of a value shown before its first unsafe one


def _escaped_sql(value: str, unsafe: str) -> str:
    """SQL for the part of `value` around its first character of class `unsafe`, with every unsafe character
    written as an escape (\\x07, \\u202e): a message shows what cannot be seen."""
    before = f"length(regexp_extract({value}, '^[^{unsafe[1:-1]}]*'))"
    start = f"greatest(1, {before} - {SHOWN_AROUND - 1})"
    escaped = (
        f"array_to_string(list_transform(string_split(substr({value}, {start}, 60), ''), ch -> "
        f"CASE WHEN regexp_matches(ch, '{UNSAFE_CLASS}') THEN {_escape_sql('ord(ch)')} ELSE ch END), '')"
    )
    return (
        f"(CASE WHEN {start} > 1 THEN '…' ELSE '' END || {escaped} || "
        f"CASE WHEN length({value}) >= {start} + 60 THEN '…' ELSE '' END)"
    )


def _first_escaped_sql(value: str, unsafe: str) -> str:
    """SQL for the first character of class `unsafe` in `value`, as an escape (\\x07, \\u202e)."""
    return _escape_sql(f"ord(regexp_extract({value}, '{unsafe}'))")


def _escape_sql(code: str) -> str:
    return f"(CASE WHEN {code} < 256 THEN printf('\\x%02x', {code}) ELSE printf('\\u%04x', {code}) END)"


@dataclass(frozen=True)
class Check:
    """One rule on one column: `condition` over typed_rows joined with dict problems, and its problem struct.

    `prefilter` uses typed_rows' own columns only, so the dictionary join runs on the few suspect rows.
    """

    prefilter: str
    condition: str
    struct: str


def _checks(
    dataset: Dataset, labels: dict[str, str], wide: bool, present: set[str], controls: bool = True
) -> tuple[list[Check], dict[str, object]]:
    """The checks of every column and cross-column rule of the dataset, with their bound messages.

    `controls`: whether to look for control characters and direction marks (False when a scan of the file and
    the mapping's constants found none).
    """
    params: dict[str, object] = {}
    checks: list[Check] = []

    def add(condition: str, column: Column, value_sql: str, message_sql: str, prefilter: str | None = None) -> None:
        label_param = f"label_{column.name}"
        params[label_param] = labels[column.name]
        # In a wide survey a bad score sits in its question's column.
        label_sql = "question_id" if (wide and column.name == "score") else f"${label_param}"
        struct = f"{{'column': {label_sql}, 'value': CAST({value_sql} AS VARCHAR), 'message': {message_sql}}}"
        checks.append(Check(prefilter or condition, condition, struct))

    for column in dataset.columns:
        name = quote(column.name)
        message = f"msg_{column.name}"
        if column.kind in (ENUM, BOOL, DATE):
            entry = quote("_d_" + column.name)
            if column.required and column.name in present:
                params[message + "_required"] = f"{column.name} is empty: every row needs one"
                add(f"{entry} IS NULL", column, "''", f"${message}_required")
            add(
                f"{quote('_problem_' + column.name)} IS NOT NULL",
                column,
                quote("_rawd_" + column.name),
                quote("_problem_" + column.name),
                prefilter=f"{name} IS NULL AND {entry} IS NOT NULL",
            )
        elif column.kind == NUMBER:
            raw = f"nullif(trim({quote('_raw_' + column.name)}), '')"
            if column.required and column.name in present:
                params[message + "_required"] = f"{column.name} is empty: every row needs one"
                add(f"{raw} IS NULL", column, "''", f"${message}_required")
            not_a_number = f"{raw} IS NOT NULL AND ({name} IS NULL OR NOT isfinite({name}))"
            if wide and column.name == "score":  # an answer label the scale does not know, named with its scale
                params[message + "_on"] = "not a score on "
                params[message + "_label"] = (
                    ": answer with a whole number on the scale or one of its answers in English (docs/datasets.md "
                    "lists them, e.g. 'Strongly agree'), or give this wording its score in the mapping's [labels]"
                )
                add(not_a_number, column, raw, f"concat(${message}_on, scale, ${message}_label)")
            else:
                params[message + "_number"] = f"not a number: {column.name} must be {column.allowed_text()}"
                add(not_a_number, column, raw, f"${message}_number")
            bounds = []
            if column.minimum is not None:
                params[message + "_min"] = column.minimum
                bounds.append(f"{name} {'<=' if column.minimum_exclusive else '<'} ${message}_min")
            if column.maximum is not None:
                params[message + "_max"] = column.maximum
                bounds.append(f"{name} > ${message}_max")
            if bounds:
                params[message + "_range"] = f"out of range: {column.name} must be {column.allowed_text()}"
                add(f"isfinite({name}) AND ({' OR '.join(bounds)})", column, raw, f"${message}_range")
        else:
            if column.required and column.name in present:
                params[message + "_required"] = f"{column.name} is empty: every row needs one"
                add(f"{name} IS NULL", column, "''", f"${message}_required")
            params["max_text"] = MAX_TEXT_LENGTH
            params[message + "_long"] = (
                f"longer than {MAX_TEXT_LENGTH:,} characters (Excel's limit for a cell): shorten it"
            )
            add(f"length({name}) > $max_text", column, f"left({name}, 60) || '…'", f"${message}_long")
            if controls:
                params[message + "_control"] = (
                    f"{column.name} holds the control character %s, which text must not hold (it is invisible, and "
                    "terminals and other programs act on it): remove it. Tabs and line breaks are fine"
                )
                add(
                    f"regexp_matches({name}, '{CONTROL_CLASS}')",
                    column,
                    _escaped_sql(name, CONTROL_CLASS),
                    f"printf(${message}_control, {_first_escaped_sql(name, CONTROL_CLASS)})",
                )
            if controls and column.kind == ID:
                params[message + "_direction"] = (
                    f"{column.name} holds the direction mark %s, which shows the characters after it in another "
                    "order than they are stored, so that one identifier can pass for another: remove it"
                )
                add(
                    f"regexp_matches({name}, '{DIRECTION_CLASS}')",
                    column,
                    _escaped_sql(name, DIRECTION_CLASS),
                    f"printf(${message}_direction, {_first_escaped_sql(name, DIRECTION_CLASS)})",
                )
    for number, rule in enumerate(dataset.rules):
        params[f"rule_{number}"] = rule.message
        add(rule.condition, dataset.column(rule.column), rule.value_sql, f"$rule_{number}")
    return checks, params


def _row_problems(
    cursor: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    labels: dict[str, str],
    wide: bool,
    present: set[str],
    controls: bool = True,
) -> tuple[list[Problem], int]:
    """Every check on every row in one scan; the first MAX_REPORTED problems and the total."""
    checks, params = _checks(dataset, labels, wide, present, controls)
    suspect = " OR ".join(f"coalesce({check.prefilter}, false)" for check in checks)
    parsed = [c.name for c in dataset.columns if c.kind in (ENUM, BOOL, DATE)]
    lookups = ", ".join(
        f"p_{name}.raw AS {quote('_rawd_' + name)}, p_{name}.problem AS {quote('_problem_' + name)}" for name in parsed
    )
    joins = " ".join(f"LEFT JOIN dict_values p_{name} ON p_{name}.id = f.{quote('_d_' + name)}" for name in parsed)
    structs = ", ".join(f"CASE WHEN {check.condition} THEN {check.struct} END" for check in checks)
    found = (
        f"WITH f AS (SELECT * FROM typed_rows WHERE {suspect}), "
        f"j AS (SELECT f.*{', ' + lookups if lookups else ''} FROM f {joins}) "
        "SELECT _row, p.column AS col, p.value AS val, p.message AS msg FROM ("
        f"SELECT _row, unnest(list_filter([{structs}], x -> x IS NOT NULL)) AS p FROM j)"
    )
    params = bound(found, params)
    total = cursor.execute(f"SELECT count(*) FROM ({found})", params).fetchone()[0]
    if total == 0:
        return [], 0
    rows = cursor.execute(f"{found} ORDER BY _row, col LIMIT {MAX_REPORTED}", params).fetchall()
    return [Problem(int(row), column, value or "", message) for row, column, value, message in rows], int(total)


def _key_problems(
    cursor: duckdb.DuckDBPyConnection, dataset: Dataset, labels: dict[str, str]
) -> tuple[list[Problem], int]:
    """Rows repeating a key: the same content is counted once, different content is a problem."""
    content = ", ".join(quote(c.name) for c in dataset.columns)
    repeated = cursor.execute(
        f"""
        SELECT _key, list(_row ORDER BY _row), count(*), count(DISTINCT ({content}))
        FROM typed_rows WHERE _key IS NOT NULL AND _key IN (SELECT _key FROM typed_rows GROUP BY _key HAVING count(*) > 1)
        GROUP BY _key ORDER BY min(_row)
        """
    ).fetchall()
    problems: list[Problem] = []
    duplicates = 0
    key_label = " + ".join(dataset.key)
    for key, rows, count, distinct in repeated:
        duplicates += count - 1
        if distinct > 1:
            shown = key.replace(KEY_SEPARATOR, " / ")
            for row in rows[1:]:
                problems.append(
                    Problem(
                        int(row),
                        labels.get(dataset.key[0], dataset.key[0]),
                        shown,
                        f"{key_label} {shown!r} is also at row {rows[0]} with different values: keep one row per {key_label}",
                    )
                )
    return problems, duplicates
