"""`python -m isokpi review-pack`: the management review pack as PowerPoint or HTML.

    python -m isokpi review-pack --format pptx|html --out FILE [--review ID | --from DATE --to DATE] [--db PATH]

Without --review or --from/--to the newest review is used; with no review stored, the period since the last
review (or the last 12 months) up to today. A closed review is exported from its frozen record.
Exit codes as in isokpi.cli: 0 written, 2 input rejected, 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from isokpi.cli import EXIT_OK, Rejected, _date, command


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the review-pack command to the `python -m isokpi` parser."""
    parser = subparsers.add_parser(
        "review-pack", help="the management review pack (ISO 9001 9.3) as PowerPoint or HTML"
    )
    parser.add_argument(
        "--format", required=True, choices=("pptx", "html"), help="pptx (native, editable charts) or html"
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--review", type=int, metavar="ID", help="a stored review (a closed one exports as frozen)")
    which.add_argument("--from", dest="date_from", type=_date, help="first day of an ad hoc period (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", type=_date, help="last day of the ad hoc period (YYYY-MM-DD)")
    parser.add_argument(
        "--db", help="database: a DuckDB file, or ducklake:postgres:... (default: $ISOKPI_DB or data/isokpi.duckdb)"
    )
    return parser


@command("review-pack")
def review_pack(args: argparse.Namespace) -> int:
    from isokpi import pack, review
    from isokpi.opening import open_database

    if (args.date_from is None) != (args.date_to is None):
        raise Rejected("give both --from and --to for an ad hoc period, or --review ID for a stored review")
    if args.review is not None and args.date_to is not None:
        raise Rejected("--to belongs to an ad hoc period: use --review ID or --from DATE --to DATE, not both")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise Rejected(f"{out.parent}: no such directory for --out")
    database = open_database(args.db)
    record, previous = _records(database, args)
    pack.write_pack(record, args.format, out, previous)
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
