"""The SQL of isokpi, in files: shared CTEs (common.sql), KPI definitions (kpis/), page aggregates (views/)."""

from __future__ import annotations

import functools
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent


@functools.cache
def load_sql(name: str) -> str:
    """The text of isokpi/sql/<name>, e.g. load_sql("kpis/customer_nps.sql")."""
    return (SQL_DIR / name).read_text(encoding="utf-8")
