"""Periods of a series: months, quarters or years, named for files (ISO-like labels) and for people."""

from __future__ import annotations

import datetime as dt

GRAINS = ("month", "quarter", "year")
MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the month, quarter or year that `day` falls in."""
    months = MONTHS_PER[grain]
    return dt.date(day.year, ((day.month - 1) // months) * months + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_last_day(period: dt.date, grain: str) -> dt.date:
    return add_months(period, MONTHS_PER[grain]) - dt.timedelta(days=1)


def quarter(period: dt.date) -> int:
    return (period.month - 1) // 3 + 1


def period_label(period: dt.date, grain: str) -> str:
    """For files and JSON: 2025-03, 2025-Q1 or 2025."""
    return {"month": f"{period:%Y-%m}", "quarter": f"{period.year}-Q{quarter(period)}", "year": str(period.year)}[grain]


def period_name(period: dt.date, grain: str) -> str:
    """For people: 'Oct 2026', 'Q3 2026' or '2026'."""
    return {"month": f"{period:%b %Y}", "quarter": f"Q{quarter(period)} {period.year}", "year": str(period.year)}[grain]


def period_from_label(label: str, grain: str) -> dt.date:
    """The first day of the period period_label wrote: '2025-03', '2025-Q1' or '2025'."""
    if grain == "month":
        return dt.date(int(label[:4]), int(label[5:7]), 1)
    if grain == "quarter":
        return dt.date(int(label[:4]), 3 * int(label[-1]) - 2, 1)
    return dt.date(int(label[:4]), 1, 1)


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
