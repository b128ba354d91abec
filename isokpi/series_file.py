"""A series of periods in a CSV file, and an SPC result in JSON: the input and output of `python -m isokpi spc`.

FILE.csv has the columns period and value (ISO dates, one row per period, in order; an empty value is a period
without data, a gap). --json prints {"mean", "lpl", "upl", "variation", "assurance", "points": [{"period",
"value", "mean", "lpl", "upl", "special_cause", "rule"}]} unrounded; without it, a table. Exit codes as in
isokpi.cli: 0 done, 2 input rejected (SeriesError, with the row and the value), 1 anything else.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from isokpi.errors import InputError

COLUMNS = ("period", "value")


class SeriesError(InputError):
    """The series file cannot be read: the message names the file, the row and the value."""


MAX_BYTES = 10 * 1024 * 1024  # a series of periods is a few kilobytes; anything near this is not one


def read_series(path: str | Path) -> tuple[list[dt.date], list[float | None]]:
    """Periods and values of a period,value CSV; SeriesError with the file, row (header = row 1) and value otherwise."""
    name = str(path)
    file = Path(path)
    if not file.is_file():
        raise SeriesError(f"{name}: no such file")
    if file.stat().st_size > MAX_BYTES:
        raise SeriesError(f"{name}: {file.stat().st_size:,} bytes is too large for a series of periods")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SeriesError(f"{name}: not UTF-8 text (byte {error.start + 1}): save it as CSV UTF-8") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SeriesError(f"{name}: empty: the first row must be the header period,value")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise SeriesError(
            f"{name} row 1: no column {' or '.join(missing)} in the header {','.join(rows[0])!r}: "
            "it must be period,value"
        )
    where = {column: header.index(column) for column in COLUMNS}
    periods: list[dt.date] = []
    values: list[float | None] = []
    previous: tuple[dt.date, int] | None = None
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise SeriesError(f"{name} row {number}: {len(row)} field(s) where the header has {len(header)}")
        period = _period(name, number, row[where["period"]])
        if previous is not None and period <= previous[0]:
            raise SeriesError(
                f"{name} row {number}: period {period} does not come after {previous[0]} (row {previous[1]}): "
                "one row per period, in order"
            )
        periods.append(period)
        values.append(_value(name, number, row[where["value"]]))
        previous = (period, number)
    if not periods:
        raise SeriesError(f"{name}: no rows under the header")
    return periods, values


def _period(name: str, number: int, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise SeriesError(f"{name} row {number}: period {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _value(name: str, number: int, text: str) -> float | None:
    if not text.strip():
        return None  # a period without data: a gap
    try:
        value = float(text.strip())
    except ValueError:
        raise SeriesError(f"{name} row {number}: value {text!r} is not a number (use . for decimals)") from None
    if not math.isfinite(value):
        raise SeriesError(f"{name} row {number}: value {text!r} is not a finite number")
    return value


def spc_dict(periods: list[dt.date], result) -> dict[str, object]:
    """The JSON contract of `python -m isokpi spc`."""
    limits = result.limits
    return {
        "mean": limits.mean if limits else None,
        "lpl": limits.lcl if limits else None,
        "upl": limits.ucl if limits else None,
        "variation": result.variation,
        "assurance": result.assurance,
        "points": [
            {
                "period": period.isoformat(),
                "value": point.value,
                "mean": point.mean,
                "lpl": point.lpl,
                "upl": point.upl,
                "special_cause": point.special_cause,
                "rule": point.rule,
            }
            for period, point in zip(periods, result.points, strict=True)
        ],
    }
