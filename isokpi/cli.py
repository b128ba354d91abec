"""`python -m isokpi`: a stable command-line contract for automation and acceptance checks.

    python -m isokpi spc FILE.csv --direction higher|lower [--target X] [--baseline N] [--screen-outliers] [--json]
    (Making Data Count SPC on any series, with the code the scorecard uses: stats.spc)
    python -m isokpi records KPI_ID --period YYYY-MM|YYYY-Qn|YYYY [--site S] [--department D] [--standard X] [--json]
    (the records behind one point: {"kpi", "period", "value", "dataset", "records": [{...columns, "in_numerator"}]})
    python -m isokpi review-pack --format pptx|html|pdf|json --out FILE [--review ID | --from DATE --to DATE] [--db PATH]
    (without --review or --from/--to the newest review; with none stored, the period since the last review or the
    last 12 months up to today; a closed review is exported from its frozen record)

Exit codes: 0 done, 2 input rejected (the file, mapping or arguments), 1 anything else. Bad input never
ends in a traceback. With --json, an error that stops a command (a database in use, a file refused before it
is read) prints {"error": "<the message>"} on stdout besides the message on stderr, with the same exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from isokpi import format as fmt
from isokpi.errors import InputError, IsokpiError

EXIT_OK, EXIT_ERROR, EXIT_REJECTED = 0, 1, 2

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class Rejected(InputError):
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
    demo.add_argument(
        "--remove", action="store_true", help="remove every demo batch instead, leaving your own rows as they are"
    )
    demo.add_argument("--user", help="who you remove it for: recorded beside the OS user as a claim")
    demo.add_argument("--json", action="store_true", help="with --remove: print one JSON object")

    ingest = with_db(sub.add_parser("ingest", help="validate a CSV or .xlsx file and load it as one batch"))
    ingest.add_argument("dataset", metavar="DATASET", help="training, findings, survey or targets")
    ingest.add_argument("file", metavar="FILE")
    ingest.add_argument("--sheet", help="sheet of an .xlsx workbook (default: the first with data)")
    ingest.add_argument(
        "--date-format", help="DMY, MDY, YMD or a pattern such as %%d.%%m.%%Y, when the file cannot tell"
    )
    ingest.add_argument("--mapping", help="a mapping TOML file (columns, constants, wide survey questions)")
    ingest.add_argument("--check", action="store_true", help="validate and count only; write nothing")
    ingest.add_argument("--user", help="who you load for: recorded beside the OS user as a claim")
    ingest.add_argument("--json", action="store_true", help="print one JSON object")

    batches = with_db(sub.add_parser("batches", help="list loaded batches, newest first"))
    batches.add_argument("--dataset")
    batches.add_argument("--json", action="store_true")

    undo = with_db(sub.add_parser("undo", help="restore the state before a batch"))
    undo.add_argument("batch_id", type=int, metavar="BATCH_ID")
    undo.add_argument("--user", help="who you undo for: recorded beside the OS user as a claim")
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

    records = with_db(
        sub.add_parser(
            "records",
            help="the records behind one point of a KPI: the findings, training records or answers it counts",
            description="The records behind KPI_ID's value in one period, with the filters in force: for a count "
            "the records counted, for a percentage its denominator with in_numerator marking the numerator, for a "
            "rate the numerator's records. Survey answers never name the respondent, and a period of fewer than 5 "
            "respondents has none.",
        )
    )
    records.add_argument("kpi_id", metavar="KPI_ID")
    records.add_argument(
        "--period", required=True, metavar="PERIOD", help="YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year)"
    )
    records.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
    records.add_argument("--department", action="append", default=[], help="only this department (repeatable)")
    records.add_argument("--standard", action="append", default=[], help="only this standard (repeatable)")
    records.add_argument("--as-of", type=_date, help="the data's today (default: today)")
    records.add_argument("--json", action="store_true", help="print one JSON object")

    kpis = sub.add_parser("kpis", help="list the KPI catalog")
    kpis.add_argument("--json", action="store_true")

    docs = sub.add_parser("docs", help="regenerate docs/datasets.md and docs/kpis.md from the declarations")
    docs.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs"))

    pack = with_db(
        sub.add_parser("review-pack", help="the management review pack (ISO 9001 9.3) as PowerPoint, HTML, PDF or JSON")
    )
    pack.add_argument(
        "--format",
        required=True,
        choices=("pptx", "html", "pdf", "json"),
        help="pptx (native, editable charts), html, pdf (the HTML printed by headless Chromium, A4 landscape), "
        "or json (the exact record the packs are built from)",
    )
    pack.add_argument("--out", required=True, metavar="FILE", help="file to write")
    which = pack.add_mutually_exclusive_group()
    which.add_argument("--review", type=int, metavar="ID", help="a stored review (a closed one exports as frozen)")
    which.add_argument("--from", dest="date_from", type=_date, help="first day of an ad hoc period (YYYY-MM-DD)")
    pack.add_argument("--to", dest="date_to", type=_date, help="last day of the ad hoc period (YYYY-MM-DD)")
    rollups = with_db(
        sub.add_parser("rollups", help="check the roll-ups the KPIs read against the rows, or rebuild them")
    )
    what = rollups.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--check", action="store_true", help="recompute every roll-up from the rows and compare: exit 0 same, 1 not"
    )
    what.add_argument("--rebuild", action="store_true", help="recompute them from the rows in one transaction")
    rollups.add_argument("--user", help="who you rebuild for: recorded beside the OS user as a claim")
    rollups.add_argument("--json", action="store_true", help="machine-readable output")
    lake = sub.add_parser("lake", help="DuckLake maintenance: compact the data files, expire old snapshots")
    lake_sub = lake.add_subparsers(dest="lake_command", required=True, metavar="ACTION")
    with_db(lake_sub.add_parser("compact", help="merge small data files (time travel keeps working)"))
    expire = with_db(
        lake_sub.add_parser(
            "expire", help="forget snapshots older than DAYS, keeping the newest and those closed reviews pin"
        )
    )
    expire.add_argument("--older-than", dest="older_than", type=int, required=True, metavar="DAYS")
    spc = sub.add_parser(
        "spc",
        help="Making Data Count SPC on any series: limits, special causes and verdicts of a period,value CSV",
        description="XmR limits, special-cause rules and the variation and assurance verdicts of the series in "
        "FILE.csv (columns period,value: ISO dates, one row per period, in order; an empty value is a period "
        "without data). Fewer than 12 points setting the limits: the limits are given, the verdicts are not.",
    )
    spc.add_argument("file", metavar="FILE.csv")
    spc.add_argument("--direction", required=True, choices=("higher", "lower"), help="which way is better")
    spc.add_argument("--target", type=float, help="the target, for the assurance verdict")
    spc.add_argument("--baseline", type=int, metavar="N", help="limits from the first N points")
    spc.add_argument(
        "--screen-outliers", action="store_true", help="leave moving ranges of 3.267 x their mean or more out"
    )
    spc.add_argument("--json", action="store_true", help="print one JSON object, values unrounded")
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
    try:
        return COMMANDS[args.command](args)
    except IsokpiError as error:
        print(f"isokpi: {error}", file=sys.stderr)
        if getattr(args, "json", False):  # a machine reading stdout gets the message as one JSON object too
            print(json.dumps({"error": str(error)}))
        return error.exit_code
    except KeyboardInterrupt:
        print("isokpi: interrupted; nothing half-written (every load is one transaction)", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        sys.stdout = None
        return EXIT_OK


def _open(args: argparse.Namespace):
    from isokpi.opening import open_database

    return open_database(args.db)


@command("init")
def _init(args: argparse.Namespace) -> int:
    from isokpi.migrations import MIGRATIONS

    database = _open(args)
    target = database.target
    if target.remote:
        where = f"; data files in {target.data_path}, which this machine can write and read back"
    else:
        where = f"; data files in {target.data_path}" if target.data_path is not None else ""
    print(f"database ready: {target.label} (schema {MIGRATIONS[-1][0]}){where}")
    return EXIT_OK


@command("lake")
def _lake(args: argparse.Namespace) -> int:
    from isokpi import lake
    from isokpi.auth import cli_user

    database = _open(args)
    if args.lake_command == "compact":
        compacted = lake.compact(database, actor=cli_user())
        print(
            f"compacted {database.target.label}: {fmt.count(compacted.files_before)} data files before, "
            f"{fmt.count(compacted.files_after)} after; {fmt.count(compacted.files_deleted)} unused files deleted"
        )
        return EXIT_OK
    expired = lake.expire(database, args.older_than, actor=cli_user())
    kept = ", ".join(str(snapshot) for snapshot in expired.kept_pinned) or "none"
    print(
        f"expired {fmt.count(len(expired.expired))} snapshots older than {args.older_than} days in "
        f"{database.target.label}; kept those closed reviews pin: {kept}; "
        f"{fmt.count(expired.files_deleted)} unused files deleted"
    )
    return EXIT_OK


@command("rollups")
def _rollups(args: argparse.Namespace) -> int:
    from isokpi import rollups
    from isokpi.auth import cli_user

    database = _open(args)  # opening builds or repairs a roll-up that lags its rows; --check then compares them all
    if args.rebuild:
        names = rollups.rebuild(database, actor=cli_user(args.user))
        print(
            json.dumps({"rebuilt": names})
            if args.json
            else f"rebuilt {len(names)} roll-ups from the rows: {', '.join(names)}"
        )
        return EXIT_OK
    differences = rollups.check(database)
    same = all(difference.same for difference in differences)
    if args.json:
        print(json.dumps({"same": same, "rollups": [difference.as_dict() for difference in differences]}))
    else:
        for difference in differences:
            if difference.same:
                print(f"{difference.rollup}: same as the rows ({fmt.count(difference.rows)} groups)")
                continue
            print(
                f"{difference.rollup}: DIFFERS from the rows: {fmt.count(difference.rows)} groups stored, "
                f"{fmt.count(difference.expected)} expected"
            )
            for label, groups in (("missing or different", difference.missing), ("not in the rows", difference.extra)):
                for group in groups:
                    print(f"  {label}: {json.dumps(group)}")
        if not same:
            print("Rebuild them from the rows with: python -m isokpi rollups --rebuild", file=sys.stderr)
    return EXIT_OK if same else EXIT_ERROR


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from isokpi.demo import DemoScale, load_demo

    if args.remove:
        return _remove_demo(args)
    database = _open(args)
    results = load_demo(database, seed=args.seed, scale=DemoScale.uniform(args.rows_scale), as_of=args.as_of)
    for name, result in results.items():
        print(
            f"{name:9} {result.rows_read:>9,} rows read  {result.inserted:>9,} inserted  {result.updated:>7,} updated  {result.unchanged:>9,} unchanged"
        )
    return EXIT_OK


def _remove_demo(args: argparse.Namespace) -> int:
    from isokpi.auth import cli_user
    from isokpi.demo_batches import removal_sentence, remove_demo

    if args.seed != 7 or args.rows_scale != 1.0 or args.as_of is not None:
        raise Rejected("--remove takes no --seed, --rows-scale or --as-of: it removes every demo batch")
    outcome = remove_demo(_open(args), actor=cli_user(args.user))
    print(json.dumps(outcome.as_dict()) if args.json else removal_sentence(outcome))
    return EXIT_OK


@command("ingest")
def _ingest(args: argparse.Namespace) -> int:
    from isokpi.auth import cli_user
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
        actor=cli_user(args.user),
        check_only=args.check,
    )
    if args.json:
        print(result.to_json())
    else:
        _print_ingest(result)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _print_ingest(result) -> None:
    if not result.ok:
        print(
            f"{result.file_name}: rejected, nothing loaded. {fmt.counted(result.error_count, 'problem')}:",
            file=sys.stderr,
        )
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
            + (" (demo)" if row["demo"] else "")
        )
    return EXIT_OK


@command("undo")
def _undo(args: argparse.Namespace) -> int:
    from isokpi.auth import cli_user
    from isokpi.ingest import UndoError, undo_batch

    try:
        outcome = undo_batch(_open(args), args.batch_id, actor=cli_user(args.user))
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


def _p_text(p_value: float) -> str:
    """'=0.042' or '<0.001': a small p-value is small, never 0."""
    return "<0.001" if p_value < 0.001 else f"={p_value:.3f}"


@command("scorecard")
def _scorecard(args: argparse.Namespace) -> int:
    from isokpi import narrative, words
    from isokpi.eta import eta_sentence
    from isokpi.kpis import STATUS_RULE, scorecard

    cards = scorecard(_open(args), _filters(args))
    if args.json:
        print(json.dumps(narrative.scorecard_json(cards)))
        return EXIT_OK
    for card in cards:
        print(
            f"\n{card.name}: {words.status(card.status)} ({narrative.pillar_trend(card).lower()}); "
            f"{narrative.on_target_phrase(card)}"
        )
        for s in card.series:
            texts = narrative.kpi_texts(s)
            trend = "" if s.trend.p_value is None else f"  Mann-Kendall p{_p_text(s.trend.p_value)}"
            print(
                f"  {s.kpi.name[:48]:48} {texts['short'] or fmt.DASH:>8} {texts['period'] or '':8} "
                f"target {fmt.short(s.target, s.kpi.unit):>7}  {texts['status']:9} {texts['variation']:16} "
                f"{texts['assurance']}{trend}"
            )
            when = eta_sentence(s)
            if when:
                print(f"    {when}")
    print(f"\n{STATUS_RULE}")
    return EXIT_OK


@command("kpi")
def _kpi(args: argparse.Namespace) -> int:
    from isokpi import narrative, words
    from isokpi.catalog import get_kpi
    from isokpi.kpis import kpi_series, series_dict
    from isokpi.periods import period_name

    get_kpi(args.kpi_id)  # unknown ids are rejected before the database is opened
    series = kpi_series(_open(args), args.kpi_id, _filters(args), baseline=args.baseline)
    if args.json:
        print(json.dumps(series_dict(series)))
        return EXIT_OK
    kpi = series.kpi
    print(f"{kpi.name} ({kpi.unit}, {kpi.better}); ISO {kpi.clause}\n{kpi.definition}\n")
    flagged = {signal.index: words.RULES[(signal.rule, signal.side)] for signal in series.signals}
    for index, point in enumerate(series.points):
        value = "suppressed (<5)" if point.suppressed else fmt.short(point.value, kpi.unit)
        value += " (provisional)" if point.provisional else ""
        n = point.n if point.n is not None else "-"
        print(f"  {period_name(point.period, series.grain):8} {value:>15}  n={n:<6} {flagged.get(index, '')}")
    if series.limits:
        print(
            f"\nmean {fmt.short(series.limits.mean, kpi.unit)}  limits {fmt.short(series.limits.lcl, kpi.unit)} to {fmt.short(series.limits.ucl, kpi.unit)}"
        )
    texts = narrative.kpi_texts(series)
    print(f"{texts['sentence']}.")
    print(f"Status: {texts['status']}. Variation: {texts['variation']}. Assurance: {texts['assurance']}.")
    print(texts["variation_explanation"])
    print(texts["assurance_explanation"])
    if series.trend.p_value is not None:
        print(
            f"Mann-Kendall tau {series.trend.tau:.3f}, p{_p_text(series.trend.p_value)}, Sen slope {series.trend.sen_slope:.3f} per {series.grain}"
        )
    return EXIT_OK


@command("records")
def _records_command(args: argparse.Namespace) -> int:
    from isokpi.catalog import get_kpi
    from isokpi.kpis import Filters
    from isokpi.records import drill, parse_period

    kpi = get_kpi(args.kpi_id)  # an unknown id or a malformed period is rejected before the database is opened
    period, grain = parse_period(args.period)
    filters = Filters(
        sites=tuple(args.site),
        departments=tuple(args.department),
        standards=tuple(args.standard),
        grain=grain,
        as_of=args.as_of,
    )
    drilled = drill(_open(args), kpi.id, period, filters)
    if args.json:
        print(json.dumps(drilled.to_json()))
        return EXIT_OK
    _print_records(drilled)
    return EXIT_OK


# The columns the text output shows per dataset (--json has them all).
RECORD_COLUMNS = {
    "training": ("record_id", "employee_id", "department", "site", "course", "status", "due_date", "completed_on", "hours"),
    "findings": (
        "finding_id", "severity", "status", "site", "department", "standard", "clause", "raised_on", "due_on", "closed_on",
    ),
    "survey": ("survey_id", "responded_on", "site", "department", "question_id", "scale", "score"),
    "kpis": ("kpi_id", "value", "target"),
}  # fmt: skip


def _print_records(drilled) -> None:
    kpi = drilled.kpi
    print(f"{kpi.name}, {drilled.name}: {fmt.value(drilled.value, kpi.unit)}")
    if drilled.withheld:
        print(f"no records shown: {drilled.withheld} (anonymity)")
        return
    if drilled.value is None:
        print("no value in this period, so no records behind it")
        return
    print(
        f"{fmt.count(len(drilled.records))} records ({drilled.dataset}), {fmt.count(drilled.in_numerator)} in the "
        f"numerator (*): {drilled.explanation}\n"
    )
    columns = RECORD_COLUMNS[drilled.dataset]
    rows = [["*" if r["in_numerator"] else "", *(_cell(r[c]) for c in columns)] for r in drilled.records]
    widths = [max(len(text) for text in column) for column in zip(["", *columns], *rows, strict=True)]
    for row in [["", *columns], *rows]:
        print("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return " ".join(str(value).split())


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


@command("review-pack")
def review_pack(args: argparse.Namespace) -> int:
    from isokpi import pack_html, pack_pdf, pack_pptx, review

    if (args.date_from is None) != (args.date_to is None):
        raise Rejected("give both --from and --to for an ad hoc period, or --review ID for a stored review")
    if args.review is not None and args.date_to is not None:
        raise Rejected("--to belongs to an ad hoc period: use --review ID or --from DATE --to DATE, not both")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise Rejected(f"{out.parent}: no such directory for --out")
    if args.format == "pdf" and pack_pdf.chromium() is None:
        raise pack_pdf.PdfEngineMissing(pack_pdf.missing_message())  # said before any work is done
    database = _open(args)
    record, previous = _records(database, args)
    if args.format == "pdf":
        out.write_bytes(pack_pdf.pdf_bytes(record, previous))
    elif args.format == "pptx":
        out.write_bytes(pack_pptx.pptx_bytes(record, previous))
    elif args.format == "html":
        out.write_text(pack_html.html_page(record, previous), encoding="utf-8")
    else:
        out.write_text(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    missing = record["completeness"]["missing"]
    print(
        f"{out}: {record['review']['title']} ({review.STATUS_LABELS.get(record['review']['status'], '')}), "
        f"period {record['review']['period_from']} to {record['review']['period_to']}; "
        + (
            f"inputs without evidence: {', '.join(m['clause'] for m in missing)}"
            if missing
            else "every input has evidence"
        )
    )
    return EXIT_OK


def _records(database, args: argparse.Namespace) -> tuple[dict, dict | None]:
    """The record to export and the previous review's (for the comparison), or Rejected."""
    from isokpi import review

    if args.date_from is not None:
        return review.build_record(database, review.adhoc_review(args.date_from, args.date_to)), None
    if args.review is not None:
        chosen = review.get_review(database, args.review)
        if chosen is None:
            known = [str(r["review_id"]) for r in review.list_reviews(database)]
            hint = f"stored reviews: {', '.join(known)}" if known else "no review is stored yet: use --from and --to"
            raise Rejected(f"review {args.review} does not exist ({hint})")
    else:
        reviews = review.list_reviews(database)
        if not reviews:
            period_from, period_to = review.default_period(database, dt.date.today())
            return review.build_record(database, review.adhoc_review(period_from, period_to)), None
        chosen = reviews[0]
    record = review.review_record(database, chosen["review_id"])
    before = review.previous_review(database, chosen)
    previous = review.review_record(database, before["review_id"]) if before else None
    return record, previous


def _digits(value: float | None) -> str:
    return "-" if value is None else f"{value:,.6g}"


@command("spc")
def _spc(args: argparse.Namespace) -> int:
    from isokpi import stats
    from isokpi.series_file import read_series, spc_dict

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
            f"{period.isoformat():10}  {_digits(point.value):>12} {_digits(point.mean):>12} {_digits(point.lpl):>12} "
            f"{_digits(point.upl):>12}  {point.special_cause or 'no value':13}  {point.rule or ''}"
        )
    limits = result.limits
    if limits is None:
        print("\nno limits: the latest points have no two consecutive values to take a moving range from")
    else:
        print(
            f"\nmean {_digits(limits.mean)}, process limits {_digits(limits.lcl)} to {_digits(limits.ucl)}, "
            f"from {limits.points} point(s)"
        )
    if limits is None:
        print("variation and assurance: withheld, as there are no limits")
    elif result.variation is None:
        print(f"variation and assurance: withheld, fewer than {stats.MIN_LIMIT_POINTS} points set the limits")
    else:
        print(f"variation: {result.variation}; assurance: {result.assurance or 'no target given'}")
    return EXIT_OK
