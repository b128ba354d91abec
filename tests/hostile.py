"""A database whose every name is markup: the demo's exports with each site, department, course, category, clause,
root cause, survey and question wrapped in tags that plotly would draw (links, bold, styles), loaded through the
normal ingest. Charts drawn from it must show those names as typed, never as markup."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from isokpi.db import resolve_target
from isokpi.demo import DemoScale, write_demo_files
from isokpi.ingest import ingest_file
from isokpi.opening import open_target

EVIL = "evil.example"
# Each wrapper uses a tag plotly turns into an element of its own (a link, a styled tspan) when it reads markup.
MARKUP = {
    "site": f'<a href="https://{EVIL}/site">{{}}</a>',
    "department": "<b>{}</b>",
    "course": "<i>{}</i>",
    "category": '<span style="font-size:77px">{}</span>',
    "clause": "<sup>{}</sup>",
    "root_cause": '<span style="color:#ff0000">{}</span>',
    "survey_id": f'<a href="https://{EVIL}/survey">{{}}</a>',
    "question_text": "<em>{}</em>",
    "process": "<b>{}</b>",
}
# Anything a chart carries that plotly would read as a tag: only our own line breaks and <extra> boxes may remain.
RAW_TAG = re.compile(r"<(?!br>|/?extra>)[a-z/!]", re.IGNORECASE)
# The markup as plotly must receive it: escaped, so that it shows the characters.
ESCAPED = {column: wrapper.replace("<", "&lt;").replace(">", "&gt;") for column, wrapper in MARKUP.items()}


def hostile_database(directory: Path, *, as_of: dt.date | None = None) -> Path:
    """A database in `directory` with the demo's four datasets (a quarter of their rows), every name made markup."""
    exports = write_demo_files(directory / "exports", scale=DemoScale.uniform(0.25), as_of=as_of)
    path = directory / "hostile.duckdb"
    database = open_target(resolve_target(path))
    try:
        for dataset, export in exports.items():
            with export.open(newline="", encoding="utf-8") as source:
                rows = list(csv.DictReader(source))
            hostile = directory / f"{dataset}.csv"
            with hostile.open("w", newline="", encoding="utf-8") as target:
                writer = csv.DictWriter(target, fieldnames=list(rows[0]))
                writer.writeheader()
                for row in rows:
                    writer.writerow(
                        {
                            name: MARKUP[name].format(value) if value and name in MARKUP else value
                            for name, value in row.items()
                        }
                    )
            result = ingest_file(database, dataset, hostile)
            assert result.ok, (dataset, result.errors[:3])
    finally:
        database.close()
    return path


def strings(value: object) -> list[str]:
    """Every string inside a chart's JSON, however deep."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def raw_tags(value: object, where: str = "") -> list[str]:
    """Every string inside a chart's JSON (however deep) that plotly would read as markup, with where it is."""
    if isinstance(value, str):
        return [f"{where}: {value}"] if RAW_TAG.search(value) else []
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in raw_tags(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in raw_tags(item, f"{where}[{index}]")]
    return []
