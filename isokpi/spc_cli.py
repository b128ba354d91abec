"""`python -m isokpi spc`: Making Data Count SPC on any series, with the code the scorecard uses (stats.spc).

    python -m isokpi spc FILE.csv --direction higher|lower [--target X] [--baseline N] [--screen-outliers] [--json]

FILE.csv has the columns period and value (ISO dates, one row per period, in order; an empty value is a period
without data, a gap). --json prints {"mean", "lpl", "upl", "variation", "assurance", "points": [{"period",
"value", "mean", "lpl", "upl", "special_cause", "rule"}]} unrounded; without it, a table. Exit codes as in
isokpi.cli: 0 done, 2 input rejected (with the row and the value), 1 anything else.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
from pathlib import Path

from isokpi.cli import EXIT_OK, Rejected, command

COLUMNS = ("period", "value")
MAX_BYTES = 10 * 1024 * 1024  # a series of periods is a few kilobytes; anything near this is not one


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the spc command to the `python -m isokpi` parser."""
    parser = subparsers.add_parser(
        "spc",
        help="Making Data Count SPC on any series: limits, special causes and verdicts of a period,value CSV",
        description="XmR limits, special-cause rules and the variation and assurance verdicts of the series in "
        "FILE.csv (columns period,value: ISO dates, one row per period, in order; an empty value is a period "
        "without data). Fewer than 12 points setting the limits: the limits are given, the verdicts are not.",
    )
    parser.add_argument("file", metavar="FILE.csv")
    parser.add_argument("--direction", required=True, choices=("higher", "lower"), help="which way is better")
    parser.add_argument("--target", type=float, help="the target, for the assurance verdict")
    parser.add_argument("--baseline", type=int, metavar="N", help="limits from the first N points")
    parser.add_argument(
        "--screen-outliers", action="store_true", help="leave moving ranges of 3.267 x their mean or more out"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object, values unrounded")
    return parser


def read_series(path: str | Path) -> tuple[list[dt.date], list[float | None]]:
    """Periods and values of a period,value CSV; Rejected with the file, row (header = row 1) and value otherwise."""
    name = str(path)
    file = Path(path)
    if not file.is_file():
        raise Rejected(f"{name}: no such file")
    if file.stat().st_size > MAX_BYTES:
        raise Rejected(f"{name}: {file.stat().st_size:,} bytes is too large for a series of periods")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Rejected(f"{name}: not UTF-8 text (byte {error.start + 1}): save it as CSV UTF-8") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Rejected(f"{name}: empty: the first row must be the header period,value")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise Rejected(
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
            raise Rejected(f"{name} row {number}: {len(row)} field(s) where the header has {len(header)}")
        period = _period(name, number, row[where["period"]])
        if previous is not None and period <= previous[0]:
            raise Rejected(
                f"{name} row {number}: period {period} does not come after {previous[0]} (row {previous[1]}): "
                "one row per period, in order"
            )
        periods.append(period)
        values.append(_value(name, number, row[where["value"]]))
        previous = (period, number)
    if not periods:
        raise Rejected(f"{name}: no rows under the header")
    return periods, values


def _period(name: str, number: int, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Rejected(f"{name} row {number}: period {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _value(name: str, number: int, text: str) -> float | None:
    if not text.strip():
        return None  # a period without data: a gap
    try:
        value = float(text.strip())
    except ValueError:
        raise Rejected(f"{name} row {number}: value {text!r} is not a number (use . for decimals)") from None
    if not math.isfinite(value):
        raise Rejected(f"{name} row {number}: value {text!r} is not a finite number")
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


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.6g}"


@command("spc")
def spc_command(args: argparse.Namespace) -> int:
    from isokpi import stats

    if args.target is not None and not math.isfinite(args.target):
        raise Rejected(f"--target {args.target!r} is not a finite number")
    if args.baseline is not None and args.baseline < 1:
        raise Rejected(f"--baseline {args.baseline} must be 1 or more points (12 or more for verdicts)")
    periods, values = read_series(args.file)
    result = stats.spc(
        values, args.direction, target=args.target, baseline=args.baseline, screen_outliers=args.screen_outliers
    )
    if args.json:
        print(json.dumps(spc_dict(periods, result)))
        return EXIT_OK
    print(f"{'period':10}  {'value':>12} {'mean':>12} {'lpl':>12} {'upl':>12}  {'special cause':13}  rule")
    for period, point in zip(periods, result.points, strict=True):
        print(
            f"{period.isoformat():10}  {_number(point.value):>12} {_number(point.mean):>12} {_number(point.lpl):>12} "
            f"{_number(point.upl):>12}  {point.special_cause or 'no value':13}  {point.rule or ''}"
        )
    limits = result.limits
    if limits is None:
        print("\nno limits: the latest points have no two consecutive values to take a moving range from")
    else:
        print(
            f"\nmean {_number(limits.mean)}, process limits {_number(limits.lcl)} to {_number(limits.ucl)}, "
            f"from {limits.points} point(s)"
        )
    if limits is None:
        print("variation and assurance: withheld, as there are no limits")
    elif result.variation is None:
        print(f"variation and assurance: withheld, fewer than {stats.MIN_LIMIT_POINTS} points set the limits")
    else:
        print(f"variation: {result.variation}; assurance: {result.assurance or 'no target given'}")
    return EXIT_OK
