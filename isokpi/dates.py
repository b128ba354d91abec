"""Reading dates as exports write them, and refusing to guess the day/month order.

ISO dates (2025-03-31), Excel date cells (written as ISO by isokpi.sources), month names (31 Mar 2025)
and numeric day-first or month-first dates with / . - all parse. Whether 03/04/2025 is 3 April or
4 March is decided from the file's own values (a 13 or more in the first or second place), or by the
user's --date-format; never guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from isokpi.errors import InputError

DMY, MDY, YMD = "DMY", "MDY", "YMD"
ORDERS = (DMY, MDY, YMD)

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NAMED_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%B-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d.%b.%Y",
)


class DateFormatError(InputError):
    """The --date-format value is not one we understand."""


def parse_date_format(text: str | None) -> str | None:
    """DMY, MDY or YMD (any case, or spelled like dd/mm/yyyy), or a strftime pattern containing %."""
    if not text:
        return None
    if "%" in text:
        try:
            dt.datetime.strptime(dt.date(2001, 2, 3).strftime(text), text)
        except ValueError:
            raise DateFormatError(
                f"--date-format {text!r} is not a valid strftime pattern (for example %d.%m.%Y)"
            ) from None
        return text
    letters = "".join(ch for ch in text.upper() if ch in "DMY")
    collapsed = re.sub(r"(.)\1+", r"\1", letters)
    if collapsed in ORDERS:
        return collapsed
    raise DateFormatError(
        f"--date-format {text!r} not understood: use DMY (31/12/2025), MDY (12/31/2025), YMD or a pattern such as %d.%m.%Y"
    )


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 69 else 1900  # the same pivot as strptime's %y
    return year


def _build(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def numeric_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of a d/m/y or m/d/y date, or None when the text is not of that shape."""
    match = _NUMERIC.fullmatch(text.strip())
    return (int(match.group(1)), int(match.group(3))) if match else None


def parse_date(text: str, order: str | None = None) -> dt.date | None:
    """The date in `text`, or None if it is not a date (or is ambiguous and no order is given)."""
    text = text.strip()
    if order and "%" in order:
        try:
            return dt.datetime.strptime(text, order).date()
        except ValueError:
            pass  # Excel cells arrive as ISO text whatever the CSV's format; fall through to those forms
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        return _build(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _COMPACT.fullmatch(text)
    if match:
        return _build(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC.fullmatch(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(3)), _year(match.group(4))
        if order == DMY or (order is None and first > 12):
            return _build(year, second, first)
        if order == MDY or (order is None and second > 12):
            return _build(year, first, second)
        if first == second:
            return _build(year, first, second)
        return None
    without_time = re.sub(_TIME + "$", "", text) if " " in text else text
    for pattern in _NAMED_FORMATS:
        try:
            return dt.datetime.strptime(without_time, pattern).date()
        except ValueError:
            continue
    return None


def detect_order(values: list[str]) -> tuple[str | None, list[str], list[str]]:
    """From all numeric d/m/y-shaped values of a file: (order or None, day-first examples, month-first examples).

    Day-first evidence is a first number over 12 (25/03/2025); month-first a second number over 12.
    """
    day_first: list[str] = []
    month_first: list[str] = []
    for value in values:
        parts = numeric_parts(value)
        if parts is None:
            continue
        first, second = parts
        if first > 12 >= second:
            day_first.append(value)
        elif second > 12 >= first:
            month_first.append(value)
    if day_first and not month_first:
        return DMY, day_first, month_first
    if month_first and not day_first:
        return MDY, day_first, month_first
    return None, day_first, month_first


def is_ambiguous(value: str) -> bool:
    """True for numeric dates such as 03/04/2025 whose day and month could be swapped."""
    parts = numeric_parts(value)
    return parts is not None and parts[0] <= 12 and parts[1] <= 12 and parts[0] != parts[1]


_YEAR_FIRST = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")


def no_such_day(text: str) -> str | None:
    """Why a year-first date that looks right is none: 'November 2026 has 30 days' for 2026-11-31, 'February 2025
    has 28 days' for 2025-02-29; None when the text is no such date or the day exists."""
    found = _YEAR_FIRST.match(text)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    days = calendar.monthrange(year, month)[1]
    return f"{calendar.month_name[month]} {year} has {days} days" if day > days else None
