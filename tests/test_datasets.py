"""The dataset declarations are one source of truth: tables, docs and aliases agree with them."""

from isokpi.datasets import DATASETS, normalize_header, normalize_token
from isokpi.templates import datasets_markdown

from .conftest import ROOT


def test_each_dataset_view_has_exactly_the_declared_columns_and_types(db):
    for dataset in DATASETS.values():
        columns = db.query(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $name ORDER BY column_index",
            {"name": dataset.name},
        )
        assert columns == [(c.name, c.sql_type) for c in dataset.columns], dataset.name


def test_no_header_alias_points_at_two_columns_of_one_dataset():
    for dataset in DATASETS.values():
        seen: dict[str, str] = {}
        for column in dataset.columns:
            for spelling in (column.name, *column.aliases):
                key = normalize_header(spelling)
                assert seen.setdefault(key, column.name) == column.name, (
                    dataset.name,
                    spelling,
                    seen[key],
                    column.name,
                )


def test_no_value_spelling_means_two_values():
    for dataset in DATASETS.values():
        for column in dataset.columns:
            seen: dict[str, str] = {}
            for canonical, spellings in column.values.items():
                for spelling in (canonical, *spellings):
                    assert seen.setdefault(normalize_token(spelling), canonical) == canonical, (column.name, spelling)


def test_docs_datasets_md_is_current():
    assert (ROOT / "docs" / "datasets.md").read_text(encoding="utf-8") == datasets_markdown() + "\n", (
        "run: python -m isokpi docs"
    )


def test_normalisation():
    assert normalize_header(" Finding-ID ") == "findingid"
    assert normalize_token("Major NC") == "major_nc"
    assert normalize_token("In progress") == "in_progress"
