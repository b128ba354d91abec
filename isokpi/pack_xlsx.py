"""The actions register as an Excel workbook: the register, and every change to it, with dates typed and text
made export-safe."""

from __future__ import annotations

import datetime as dt
import io

from isokpi.safety import export_text

ACTION_HEADERS = ["ID", "Review", "Type", "Action", "Pillar", "Owner", "Due", "Status", "Notes", "Last changed by",
                  "Last changed at (UTC)"]  # fmt: skip
HISTORY_HEADERS = ["Action", "When (UTC)", "Who", "Field", "Old value", "New value"]


def actions_xlsx(actions: list[dict], history: list[dict] = ()) -> bytes:
    """The actions register as a workbook: the actions, and (when given) every recorded change."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions register"
    rows = [
        [a["id"], a["review_id"], a["kind_label"], a["title"], a["pillar_name"], a["owner"],
         dt.date.fromisoformat(a["due_on"]) if a["due_on"] else None, a["status_label"], a["notes"], a["updated_by"],
         dt.datetime.fromisoformat(a["updated_at"]) if a["updated_at"] else None]
        for a in actions
    ]  # fmt: skip
    _fill(sheet, ACTION_HEADERS, rows)
    if history:
        changes = [
            [row["action_id"], row["changed_at"], row["changed_by"], row["field"], row["old_value"], row["new_value"]]
            for row in history
        ]
        _fill(workbook.create_sheet("History"), HISTORY_HEADERS, changes)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet, headers: list[str], rows: list[list[object]]) -> None:
    """Headers in bold, then the rows with text made safe (neutralised, no control characters) and dates typed."""
    from openpyxl.styles import Font

    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([export_text(value) if isinstance(value, str) else value for value in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.columns:
        longest = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, longest + 2))
