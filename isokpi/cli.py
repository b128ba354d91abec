"""`python -m isokpi`: a stable command-line contract for automation and acceptance checks.

Exit codes: 0 done, 2 input rejected (the file, mapping or arguments), 1 anything else. Bad input never
ends in a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_REJECTED = 0, 1, 2

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class Rejected(Exception):
    """Input the user can fix: printed as is, exit code 2."""


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def register(function: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = function
        return function

    return register


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m isokpi", description="isokpi: is our ISO management system improving?"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--db", help="database: a DuckDB file, or ducklake:postgres:... (default: $ISOKPI_DB or data/isokpi.duckdb)"
        )
        return p

    with_db(sub.add_parser("init", help="create or upgrade the database"))

    demo = with_db(sub.add_parser("demo", help="load realistic demo data (3 sites, ~800 staff, 36+ months)"))
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--rows-scale", type=float, default=1.0, help="multiply the row counts (default 1)")
    demo.add_argument("--as-of", type=_date, help="last day of the demo data (default: today)")

    ingest = with_db(sub.add_parser("ingest", help="validate a CSV or .xlsx file and load it as one batch"))
    ingest.add_argument("dataset", metavar="DATASET", help="training, findings, survey or targets")
    ingest.add_argument("file", metavar="FILE")
    ingest.add_argument("--sheet", help="sheet of an .xlsx workbook (default: the first with data)")
    ingest.add_argument(
        "--date-format", help="DMY, MDY, YMD or a pattern such as %%d.%%m.%%Y, when the file cannot tell"
    )
    ingest.add_argument("--mapping", help="a mapping TOML file (columns, constants, wide survey questions)")
    ingest.add_argument("--check", action="store_true", help="validate and count only; write nothing")
    ingest.add_argument("--user", help="who loads (default: the OS user)")
    ingest.add_argument("--json", action="store_true", help="print one JSON object")

    batches = with_db(sub.add_parser("batches", help="list loaded batches, newest first"))
    batches.add_argument("--dataset")
    batches.add_argument("--json", action="store_true")

    undo = with_db(sub.add_parser("undo", help="restore the state before a batch"))
    undo.add_argument("batch_id", type=int, metavar="BATCH_ID")
    undo.add_argument("--user")
    undo.add_argument("--json", action="store_true")

    templates = sub.add_parser("templates", help="write a CSV and an .xlsx template per dataset")
    templates.add_argument("directory", metavar="DIR")

    score = with_db(
        sub.add_parser("scorecard", help="the eight pillars: each KPI's latest value, target, verdicts, trend")
    )
    _filter_options(score)
    score.add_argument("--json", action="store_true")

    kpi = with_db(sub.add_parser("kpi", help="one KPI's series with its limits, signals and trend"))
    kpi.add_argument("kpi_id", metavar="KPI_ID")
    _filter_options(kpi)
    kpi.add_argument("--baseline", type=int, help="compute the limits from the first N periods")
    kpi.add_argument("--json", action="store_true")

    kpis = sub.add_parser("kpis", help="list the KPI catalog")
    kpis.add_argument("--json", action="store_true")

    docs = sub.add_parser("docs", help="regenerate docs/datasets.md and docs/kpis.md from the declarations")
    docs.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs"))

    from isokpi import cli_review

    cli_review.register(sub)
    return parser


def _filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", type=_date, help="last day (YYYY-MM-DD)")
    parser.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
    parser.add_argument("--department", action="append", default=[], help="only this department (repeatable)")
    parser.add_argument(
        "--standard", action="append", default=[], help="only this standard, e.g. 'ISO 9001' (repeatable)"
    )
    parser.add_argument("--period", choices=("month", "quarter", "year"), default="month")
    parser.add_argument(
        "--as-of", type=_date, help="the data's today (default: today); only complete periods are shown"
    )


def _filters(args: argparse.Namespace):
    from isokpi.kpis import Filters

    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        sites=tuple(args.site),
        departments=tuple(args.department),
        standards=tuple(args.standard),
        grain=args.period,
        as_of=args.as_of,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_REJECTED if exit_.code not in (0, None) else EXIT_OK
    from isokpi.dates import DateFormatError
    from isokpi.db import DatabaseError
    from isokpi.mapping import MappingError

    try:
        return COMMANDS[args.command](args)
    except (Rejected, MappingError, DateFormatError, ValueError) as error:
        print(f"isokpi: {error}", file=sys.stderr)
        return EXIT_REJECTED
    except DatabaseError as error:
        print(f"isokpi: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("isokpi: interrupted; nothing half-written (every load is one transaction)", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        sys.stdout = None
        return EXIT_OK


def _open(args: argparse.Namespace):
    from isokpi.db import open_database

    return open_database(args.db)


@command("init")
def _init(args: argparse.Namespace) -> int:
    from isokpi.migrations import MIGRATIONS

    database = _open(args)
    print(f"database ready: {database.target.label} (schema {MIGRATIONS[-1][0]})")
    return EXIT_OK


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from isokpi.demo import DemoScale, load_demo

    database = _open(args)
    results = load_demo(database, seed=args.seed, scale=DemoScale.uniform(args.rows_scale), as_of=args.as_of)
    for name, result in results.items():
        print(
            f"{name:9} {result.rows_read:>9,} rows read  {result.inserted:>9,} inserted  {result.updated:>7,} updated  {result.unchanged:>9,} unchanged"
        )
    return EXIT_OK


@command("ingest")
def _ingest(args: argparse.Namespace) -> int:
    from isokpi.datasets import get_dataset
    from isokpi.ingest import ingest_file
    from isokpi.mapping import load_mapping

    get_dataset(args.dataset)  # an unknown name is rejected before the database is opened
    mapping = load_mapping(args.mapping) if args.mapping else None
    if not Path(args.file).is_file():
        raise Rejected(f"{args.file}: no such file")
    database = _open(args)
    result = ingest_file(
        database,
        args.dataset,
        args.file,
        sheet=args.sheet,
        mapping=mapping,
        date_format=args.date_format,
        user=args.user,
        check_only=args.check,
    )
    if args.json:
        print(result.to_json())
    else:
        _print_ingest(result)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _print_ingest(result) -> None:
    if not result.ok:
        print(f"{result.file_name}: rejected, nothing loaded. {result.error_count:,} problem(s):", file=sys.stderr)
        for problem in result.errors:
            where = f"row {problem.row}" + (f", column {problem.column}" if problem.column else "")
            # Most messages quote the value themselves ("'2026-13-45' is not a date"): name it only otherwise.
            quoted = not problem.value or _quoted(problem.value) in problem.message
            value = "" if quoted else f" value {_quoted(problem.value)}"
            print(f"  {where}:{value} {problem.message}", file=sys.stderr)
        if result.error_count > len(result.errors):
            print(f"  ... and {result.error_count - len(result.errors):,} more", file=sys.stderr)
        return
    if result.checked_only:
        verb = "checked (nothing written)"
    elif result.loaded:
        verb = f"loaded as batch {result.batch_id}"
    else:
        verb = "already loaded: nothing changed"
    print(
        f"{result.file_name}: {verb}. {result.rows_read:,} rows read: {result.inserted:,} inserted, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged"
        + (f" ({result.duplicate_rows:,} exact repeats counted once)" if result.duplicate_rows else "")
    )
    for warning in result.warnings:
        print(f"  note: {warning}")


def _quoted(value: str) -> str:
    """A value as the CLI shows it: repr (a control character shows as \\x07), except that a value already written
    with escapes (a control-character problem's) keeps its single backslashes."""
    return f"'{value}'" if value.isprintable() and "'" not in value else repr(value)


@command("batches")
def _batches(args: argparse.Namespace) -> int:
    from isokpi.ingest import list_batches

    rows = list_batches(_open(args), args.dataset)
    if args.json:
        print(json.dumps(rows, default=str))
        return EXIT_OK
    if not rows:
        print("no batches loaded yet")
        return EXIT_OK
    print(
        f"{'batch':>6}  {'dataset':9} {'status':7} {'inserted':>9} {'updated':>8} {'unchanged':>9}  {'loaded at (UTC)':19}  by / file"
    )
    for row in rows:
        print(
            f"{row['batch_id']:>6}  {row['dataset']:9} {row['status']:7} {row['inserted']:>9,} {row['updated']:>8,} "
            f"{row['unchanged']:>9,}  {row['loaded_at']:%Y-%m-%d %H:%M:%S}  {row['loaded_by']} / {row['file_name']}"
        )
    return EXIT_OK


@command("undo")
def _undo(args: argparse.Namespace) -> int:
    from isokpi.ingest import UndoError, undo_batch

    try:
        outcome = undo_batch(_open(args), args.batch_id, user=args.user)
    except UndoError as error:
        raise Rejected(str(error)) from None
    if args.json:
        print(json.dumps(outcome))
    else:
        print(
            f"batch {outcome['batch_id']} ({outcome['dataset']}) undone: {outcome['removed']:,} row versions removed, "
            f"{outcome['restored']:,} previous versions restored"
        )
    return EXIT_OK


@command("templates")
def _templates(args: argparse.Namespace) -> int:
    from isokpi.templates import write_templates

    for path in write_templates(args.directory):
        print(path)
    return EXIT_OK


@command("docs")
def _docs(args: argparse.Namespace) -> int:
    from isokpi.templates import datasets_markdown, kpis_markdown

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (("datasets.md", datasets_markdown()), ("kpis.md", kpis_markdown())):
        (out / name).write_text(text + "\n", encoding="utf-8")
        print(out / name)
    return EXIT_OK


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return text + ("%" if unit == "%" else "")


@command("scorecard")
def _scorecard(args: argparse.Namespace) -> int:
    from isokpi.kpis import ROLLUP_RULE, period_label, scorecard, scorecard_dict

    cards = scorecard(_open(args), _filters(args))
    if args.json:
        print(json.dumps(scorecard_dict(cards)))
        return EXIT_OK
    for card in cards:
        print(
            f"\n{card.name} [{card.status}]: {card.improving} improving, {card.concerning} concerning, {card.on_target} of {card.with_target} on target"
        )
        for s in card.series:
            latest = s.latest
            when = period_label(latest.period, s.grain) if latest else ""
            trend = "" if s.trend.p_value is None else f"MK p={s.trend.p_value:.3f}"
            print(
                f"  {s.kpi.name[:52]:52} {_number(latest.value if latest else None, s.kpi.unit):>8} {when:8} "
                f"target {_number(s.target, s.kpi.unit):>7}  {s.variation:13} {s.assurance or '-':12} {trend}"
            )
    print(f"\n{ROLLUP_RULE}")
    return EXIT_OK


@command("kpi")
def _kpi(args: argparse.Namespace) -> int:
    from isokpi.catalog import get_kpi
    from isokpi.kpis import kpi_series, period_label, series_dict

    get_kpi(args.kpi_id)  # unknown ids are rejected before the database is opened
    series = kpi_series(_open(args), args.kpi_id, _filters(args), baseline=args.baseline)
    if args.json:
        print(json.dumps(series_dict(series)))
        return EXIT_OK
    kpi = series.kpi
    print(f"{kpi.name} ({kpi.unit}, {kpi.better}); ISO {kpi.clause}\n{kpi.definition}\n")
    flagged = {}
    for signal in series.signals:
        flagged.setdefault(signal.index, []).append(signal.rule)
    for index, point in enumerate(series.points):
        value = "suppressed (<5)" if point.suppressed else _number(point.value, kpi.unit)
        print(
            f"  {period_label(point.period, series.grain):8} {value:>15}  n={point.n if point.n is not None else '-':<6} {', '.join(flagged.get(index, []))}"
        )
    if series.limits:
        print(
            f"\nmean {_number(series.limits.mean)}  limits {_number(series.limits.lcl)} to {_number(series.limits.ucl)}"
        )
    print(f"variation: {series.variation}; assurance: {series.assurance or 'no target'}")
    if series.trend.p_value is not None:
        print(
            f"Mann-Kendall tau {series.trend.tau:.3f}, p {series.trend.p_value:.4f}, Sen slope {series.trend.sen_slope:.3f} per {series.grain}"
        )
    return EXIT_OK


@command("kpis")
def _kpis(args: argparse.Namespace) -> int:
    from isokpi.catalog import KPIS

    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": k.id,
                        "name": k.name,
                        "pillar": k.pillar,
                        "clause": k.clause,
                        "unit": k.unit,
                        "direction": k.direction,
                        "default_target": k.default_target,
                        "datasets": list(k.datasets),
                        "definition": k.definition,
                    }
                    for k in KPIS
                ]
            )
        )
        return EXIT_OK
    for kpi in KPIS:
        print(f"{kpi.id:44} {kpi.pillar:21} {kpi.unit:14} {kpi.direction:6} {kpi.name}")
    return EXIT_OK
