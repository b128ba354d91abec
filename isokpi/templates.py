"""Blank templates per dataset (CSV and .xlsx with an example row), and the dataset reference as Markdown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from isokpi.datasets import DATASETS, ENUM, TEXT, Dataset
from isokpi.safety import spreadsheet_cell


def example_row(dataset: Dataset) -> list[str]:
    return [column.example for column in dataset.columns]


def template_csv(dataset: Dataset) -> bytes:
    """The CSV template: canonical headers and one example row, UTF-8 with BOM so Excel opens it cleanly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.column_names)
    writer.writerow([spreadsheet_cell(value) for value in example_row(dataset)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(dataset: Dataset) -> bytes:
    """The .xlsx template: a data sheet with headers and an example row, and a sheet describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = dataset.name
    sheet.append(dataset.column_names)
    sheet.append([spreadsheet_cell(value) for value in example_row(dataset)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column_cells in sheet.columns:
        sheet.column_dimensions[column_cells[0].column_letter].width = max(12, len(str(column_cells[0].value)) + 4)
    about = workbook.create_sheet("columns")
    about.append(["column", "required", "kind", "allowed values", "also accepted as header", "description"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for column in dataset.columns:
        about.append(
            [
                column.name,
                "yes" if column.required else "",
                column.kind,
                column.allowed_text() if column.kind == ENUM else "",
                ", ".join(column.aliases),
                column.description,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_templates(directory: str | Path) -> list[Path]:
    """Write <dataset>.csv and <dataset>.xlsx for every dataset into `directory`; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset in DATASETS.values():
        for suffix, content in ((".csv", template_csv(dataset)), (".xlsx", template_xlsx(dataset))):
            path = directory / f"{dataset.name}{suffix}"
            path.write_bytes(content)
            written.append(path)
    return written


def datasets_markdown() -> str:
    """docs/datasets.md, generated from the declarations (a test keeps the file current)."""
    lines = [
        "# Datasets",
        "",
        "Generated from `isokpi/datasets.py` by `python -m isokpi docs`; do not edit by hand.",
        "Headers are matched ignoring case, spaces and punctuation, to the column name or any listed alias.",
        'Allowed values are matched the same way ("Major NC" is major_nc).',
        "",
    ]
    for dataset in DATASETS.values():
        lines += [
            f"## `{dataset.name}`: {dataset.title}",
            "",
            dataset.description,
            "",
            f"Key: {' + '.join(dataset.key)}.",
            "",
        ]
        lines += ["| column | required | kind | allowed | also accepted as header |", "|---|---|---|---|---|"]
        for column in dataset.columns:
            allowed = "" if column.kind == TEXT else column.allowed_text()
            if dataset.name == "targets" and column.name == "kpi_id":
                allowed = "a KPI id from docs/kpis.md"
            lines.append(
                f"| `{column.name}` | {'yes' if column.required else ''} | {column.kind} | {allowed} | {', '.join(column.aliases)} |"
            )
        lines.append("")
        if dataset.rules:
            lines += ["Checks across columns (a row that breaks one is reported with this message):", ""]
            lines += [f"- `{rule.column}`: {rule.message}" for rule in dataset.rules]
            lines.append("")
    return "\n".join(lines)


def kpis_markdown() -> str:
    """docs/kpis.md, generated from the KPI catalog and its SQL files."""
    from isokpi.catalog import kpis_of_pillar
    from isokpi.kpis import ROLLUP_RULE
    from isokpi.pillars import PILLARS

    lines = [
        "# KPI catalog",
        "",
        "Generated from `isokpi/catalog.py` by `python -m isokpi docs`; do not edit by hand. Each KPI's SQL is in",
        "`isokpi/sql/kpis/`. Use these ids in the `targets` dataset.",
        "",
        f"Pillar roll-up: {ROLLUP_RULE}",
        "",
    ]
    for pillar_id, name, question in PILLARS:
        lines += [
            f"## {name} (`{pillar_id}`)",
            "",
            question,
            "",
            "| id | KPI | unit | better | default target | ISO clause | definition |",
            "|---|---|---|---|---|---|---|",
        ]
        for kpi in kpis_of_pillar(pillar_id):
            target = (
                "" if kpi.default_target is None else f"{kpi.default_target:g}" + (" a month" if kpi.per_month else "")
            )
            lines.append(
                f"| `{kpi.id}` | {kpi.name} | {kpi.unit} | {kpi.direction} | {target} | {kpi.clause} | {kpi.definition} |"
            )
        lines.append("")
    return "\n".join(lines)
