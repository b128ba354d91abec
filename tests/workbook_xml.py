"""Workbooks written by hand, byte for byte: the hostile ones no spreadsheet program would save."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


def cell(ref: str, text: str) -> str:
    """An inline-string cell at `ref`; `text` is XML-escaped (write _x0007_ for Excel's escape of a BEL)."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def sheet(rows: str, dimension: str | None = None) -> str:
    """A worksheet part: its optional <dimension ref> and the rows inside <sheetData>."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{declared}<sheetData>{rows}</sheetData></worksheet>'


def table(rows: list[list[str]]) -> str:
    """Rows of texts from A1 on, as the rows of a sheet."""
    return "".join(
        row(r, *(cell(f"{get_column_letter(c)}{r}", text) for c, text in enumerate(values, start=1) if text))
        for r, values in enumerate(rows, start=1)
    )


def write_workbook(path: Path, sheets: dict[str, str], shared_strings: str | None = None) -> Path:
    """An .xlsx at `path` with these sheets (name -> worksheet XML) and, optionally, a sharedStrings part."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    listed = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(sheets, start=1)
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    if shared_strings is not None:
        relations += f'<Relationship Id="rIdS" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{listed}</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">{relations}</Relationships>',
        )
        for n, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", xml)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return path
