"""Fuzzed ingest: random bytes and random CSV-shaped text always end in a clean rejection or a valid load,
never in an exception escaping and never in a partial write."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isokpi.datasets import TRAINING
from isokpi.ingest import ingest_file

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
_names = itertools.count()


def state(db) -> tuple[int, int, int]:
    return db.query(
        "SELECT (SELECT count(*) FROM training_versions), (SELECT count(*) FROM training), (SELECT count(*) FROM batches)"
    )[0]


def check_outcome(db, result, before: tuple[int, int, int]) -> None:
    after = state(db)
    if not result.ok or result.batch_id is None:
        assert after == before, "a rejected or unchanged file must leave the database exactly as it was"
        if not result.ok:
            assert result.errors and all(p.message for p in result.errors)
            assert result.error_count >= len(result.errors)
        return
    assert after[2] == before[2] + 1
    assert after[0] == before[0] + result.inserted + result.updated
    assert after[1] == before[1] + result.inserted
    assert result.rows_read >= result.inserted + result.updated + result.unchanged


def ingest_bytes(db, tmp_path, content: bytes, suffix: str = ".csv"):
    path = tmp_path / f"fuzz{next(_names)}{suffix}"
    path.write_bytes(content)
    return ingest_file(db, "training", path)


@FUZZ
@given(content=st.binary(min_size=0, max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".csv.gz"]))
def test_random_bytes_are_rejected_cleanly(db, tmp_path, content, suffix):
    before = state(db)
    result = ingest_bytes(db, tmp_path, content, suffix)
    check_outcome(db, result, before)


FIELD = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            '"',
            '""',
            "a,b",
            "a;b",
            "x\ny",
            "\r\n",
            "=cmd|' /C calc'!A0",
            "0007",
            "1,5",
            "2025-02-30",
            "31/12/2025",
            "yes",
            "completed",
        ]
    ),
    st.just("z" * 40_000),
)
ROW = st.lists(FIELD, min_size=0, max_size=16)


def render(rows: list[list[str]], delimiter: str, quote_all: bool) -> str:
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            needs = quote_all or any(ch in cell for ch in (delimiter, '"', "\n", "\r"))
            cells.append('"' + cell.replace('"', '""') + '"' if needs else cell)
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


@FUZZ
@given(
    header=st.one_of(
        st.just(TRAINING.column_names),
        st.lists(st.text(max_size=15), max_size=16),
        st.permutations(TRAINING.column_names),
    ),
    rows=st.lists(ROW, max_size=25),
    delimiter=st.sampled_from([",", ";", "\t", "|", ":"]),
    quote_all=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
)
def test_csv_shaped_text_loads_validly_or_is_rejected_cleanly(
    db, tmp_path, header, rows, delimiter, quote_all, encoding
):
    text = render([list(header), *rows], delimiter, quote_all)
    before = state(db)
    result = ingest_bytes(db, tmp_path, text.encode(encoding, errors="replace"))
    check_outcome(db, result, before)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.from_regex(r"T[0-9]{1,4}", fullmatch=True),
            st.from_regex(r"0[0-9]{3}", fullmatch=True),
            st.sampled_from(["QA", "Ops", " Ops ", ""]),
            st.sampled_from(["Audit", "Forklift"]),
            st.sampled_from(["1", "2.5", "0", "200", "x", ""]),
            st.sampled_from(["completed", "planned", "Done", "maybe", ""]),
            st.sampled_from(["2025-03-01", "03/04/2025", "25/03/2025", "", "never"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_plausible_training_exports_load_whole_or_not_at_all(db, tmp_path, rows):
    header = "record_id,employee_id,department,course,hours,status,completed_on\n"
    text = header + "".join(",".join(row) + "\n" for row in rows)
    before = state(db)
    result = ingest_bytes(db, tmp_path, text.encode())
    check_outcome(db, result, before)
    if result.ok and result.batch_id is not None:
        keys = {row[0] for row in rows}
        present = {row[0] for row in db.query("SELECT record_id FROM training")}
        assert keys <= present
