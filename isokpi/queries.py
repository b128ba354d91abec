"""Read-side queries the pages and the CLI share: what is loaded, and small aggregates.

Everything here aggregates in DuckDB and returns a handful of rows; identifiers come from the dataset
declarations, values are bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from isokpi.datasets import DATASETS
from isokpi.db import Database, quote

# A dataset whose newest record is older than this is flagged on the Data page.
STALE_AFTER_DAYS = {"training": 45, "findings": 45, "survey": 120, "targets": 400}


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    title: str
    rows: int
    first: dt.date | None
    last: dt.date | None
    batches: int
    last_loaded_at: dt.datetime | None
    last_file: str | None
    last_loaded_by: str | None

    def days_since_last(self, today: dt.date) -> int | None:
        return None if self.last is None else (today - self.last).days

    def is_stale(self, today: dt.date) -> bool:
        days = self.days_since_last(today)
        return days is not None and days > STALE_AFTER_DAYS[self.name]


def dataset_summaries(database: Database) -> list[DatasetSummary]:
    """Rows, date range and latest batch of every dataset, in declaration order."""
    summaries = []
    for dataset in DATASETS.values():
        column = quote(dataset.date_column)
        rows, first, last = database.query(f"SELECT count(*), min({column}), max({column}) FROM {quote(dataset.name)}")[
            0
        ]
        batch = database.query(
            """
            SELECT count(*), max(loaded_at),
                   arg_max(file_name, batch_id), arg_max(loaded_by, batch_id)
            FROM batches WHERE dataset = $dataset AND status = 'loaded'
            """,
            {"dataset": dataset.name},
        )[0]
        summaries.append(
            DatasetSummary(
                dataset.name, dataset.title, int(rows), first, last, int(batch[0]), batch[1], batch[2], batch[3]
            )
        )
    return summaries


def filter_options(database: Database) -> dict[str, list[str]]:
    """The sites, departments and standards that occur in the data, sorted, for the sidebar filters."""
    sites = database.query(
        "SELECT DISTINCT site FROM (SELECT site FROM training UNION ALL SELECT site FROM findings UNION ALL "
        "SELECT site FROM survey) WHERE site IS NOT NULL ORDER BY 1"
    )
    departments = database.query(
        "SELECT DISTINCT department FROM (SELECT department FROM training UNION ALL SELECT department FROM findings "
        "UNION ALL SELECT department FROM survey) WHERE department IS NOT NULL ORDER BY 1"
    )
    standards = database.query(
        "SELECT DISTINCT standard FROM (SELECT standard FROM training UNION ALL SELECT standard FROM findings) "
        "WHERE standard IS NOT NULL ORDER BY 1"
    )
    return {
        "sites": [row[0] for row in sites],
        "departments": [row[0] for row in departments],
        "standards": [row[0] for row in standards],
    }
