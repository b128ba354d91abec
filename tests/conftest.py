"""Shared fixtures: a fresh database per test, and helpers to write input files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from isokpi.db import Database, resolve_target

ROOT = Path(__file__).resolve().parent.parent

# Pages and the demo fill read these; tests choose their own database explicitly.
os.environ.setdefault("ISOKPI_NO_DEMO", "1")


@pytest.fixture
def db(tmp_path: Path):
    """A new, migrated, locked-down DuckDB file database."""
    database = Database(resolve_target(tmp_path / "test.duckdb"))
    yield database
    database.close()


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path of a file in tmp_path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write
