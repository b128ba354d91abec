"""Page benchmark: every page run with AppTest on the large benchmark database, cold and warm.

    python bench/pages.py [--db bench/out/scorecard.duckdb] [--repeat 3]
    python bench/pages.py --after-upload [--db ...] [--pages overview,pillar,...]
    python bench/pages.py --served [--dataset findings ...] [--pages overview,...]

The database is the one bench/scorecard.py builds (5M+ training rows, 500k findings, 2M survey answers;
`python bench/scorecard.py --times 10` builds one ten times larger, bench/out/scorecard-x10.duckdb).
For each page: "cold" is its first run with Streamlit's data caches cleared (every query runs), "warm" the
median of later runs in new sessions (as the next visitor sees it). Also reported: the number of charts and
the point count of the largest chart. Targets: warm page under 1 s; no chart over a few thousand points.

--after-upload is the first view after an upload, as the next executive pays it: for each page, a one-row
training batch is loaded first (a new data version: every kept result stale), then a fresh process opens the
database, warms Streamlit's harness on an empty script, and times the page's first run; next to it, in a fresh
process of its own each time, one raw GROUP BY over the training table (month x site x department: rows and
hours). --warm-db DB runs each page on that other (small) database first in the measured process, as a server
that has shown pages before: modules imported, figures' machinery loaded. The same page is then run once more
in a new session of that process (every result kept): "data s", the first view minus that, is what the stale
results cost, without Streamlit's and the page's own work. The batches are undone at the end, so the database
holds the same rows. Target: the slowest page's first view after an upload within 1x that raw group-by.

--served is the same first view as a running server sees it: in one process, the page is shown (every query
runs), a one-row batch of --dataset is loaded through that process, and the page is shown again in a new
session. Results that read only the other datasets are kept (isokpi.kpis keeps a KPI's rows per dataset).

AppTest scans every installed package for component manifests on each run; a real server does that once
at start-up, so the scan is switched off here to time the page, not the test harness.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/pages.py` puts bench/, not the checkout, on the path
from isokpi.navigation import PAGES as APP_PAGES  # noqa: E402

PAGES = [Path(spec.script).stem for spec in APP_PAGES]  # every page of the app, in its menu's order


def chart_points(spec: str) -> int:
    """Points a plotly figure draws: x or y values per trace (cells for heatmaps)."""
    figure = json.loads(spec)
    total = 0
    for trace in figure.get("data", []):
        if trace.get("z") is not None:
            total += sum(len(row) if isinstance(row, list) else 1 for row in trace["z"])
        else:
            values = trace.get("x") if trace.get("x") is not None else trace.get("y")
            total += len(values) if isinstance(values, list | dict) else 0
    return total


def run_page(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    charts = at.get("plotly_chart")
    points = max((chart_points(chart.proto.spec) for chart in charts), default=0)
    return seconds, len(charts), points


# One raw aggregate over every current training row: what a page's first view after an upload is measured against.
RAW_GROUP_BY = """
    SELECT date_trunc('month', coalesce(completed_on, due_date)) AS month, site, department,
           count(*) AS records, sum(hours) AS hours
    FROM training GROUP BY ALL
"""
UPLOAD_HEADER = "record_id,employee_id,department,site,course,category,standard,hours,status,due_date,completed_on\n"


def quiet_harness() -> None:
    """What every run of this script sets before Streamlit is imported (see the docstring)."""
    os.environ["ISOKPI_NO_DEMO"] = "1"
    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"  # AppTest's bare-mode warnings, once per run
    import streamlit.components.v2.manifest_scanner as scanner

    scanner.scan_component_manifests = lambda *a, **k: []


def first_view_child(page: str, warm_db: str | None = None) -> dict:
    """In a fresh process: open the database, warm the harness, then time `page`'s first run. With `warm_db`, the
    page is first run on that other database, as a server that has shown pages before has its modules imported
    and its figures' machinery loaded; the timed run then pays only for the stale results."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from isokpi.opening import open_database

    if warm_db:
        measured = os.environ["ISOKPI_DB"]
        os.environ["ISOKPI_DB"] = warm_db
        run_page(page)
        st.cache_resource.clear()  # the app's database handle: the next run opens the measured one
        os.environ["ISOKPI_DB"] = measured
    opened = time.perf_counter()
    open_database(os.environ["ISOKPI_DB"])
    open_s = time.perf_counter() - opened
    AppTest.from_string("import streamlit as st\nst.write('warm')").run()  # Streamlit's own first-run costs
    seconds, charts, points = run_page(page)
    again = run_page(page)[0]  # a new session, every result kept: the page's own cost without the data's
    return {"open_s": open_s, "first_s": seconds, "again_s": again, "charts": charts, "points": points}


def raw_group_by_child() -> dict:
    """In a fresh process: open the database as the app does, then time RAW_GROUP_BY once."""
    from isokpi.opening import open_database

    database = open_database(os.environ["ISOKPI_DB"])
    started = time.perf_counter()
    groups = len(database.query(RAW_GROUP_BY))
    return {"seconds": time.perf_counter() - started, "groups": groups}


def in_child(mode: str, db: str, page: str = "", warm_db: str | None = None) -> dict:
    command = [sys.executable, __file__, "--db", db, "--child", mode, *(["--page", page] if page else [])]
    command += ["--warm-db", warm_db] if warm_db else []
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


ONE_ROW_HEADERS = {
    "training": UPLOAD_HEADER,
    "findings": "finding_id,audit_id,audit_type,standard,clause,site,severity,raised_on,due_on,closed_on,status\n",
    "survey": "response_id,survey_id,survey_type,stakeholder,responded_on,site,question_id,pillar,scale,score\n",
}


def one_row(database, dataset: str, number: int) -> str:
    """A one-row file of `dataset`: a new training record of an existing employee, a new finding at a site of
    the data, or one more answer to a survey."""
    employee, site, department = database.query("SELECT employee_id, site, department FROM training LIMIT 1")[0]
    if dataset == "training":
        row = f"BENCH-UPLOAD-{number},{employee},{department},{site},Bench course,quality,ISO 9001,1.5,"
        row += "completed,2026-11-20,2026-11-19\n"
    elif dataset == "findings":
        row = f"BENCH-F-{number},BENCH-A-{number},internal,ISO 9001,8.5.1,{site},minor_nc,2026-11-10,2026-12-10,,open\n"
    else:
        row = f"BENCH-R-{number},BENCH-S,engagement,employee,2026-11-10,{site},E1,culture,likert5,4\n"
    return ONE_ROW_HEADERS[dataset] + row


def load_one_row(database, dataset: str, number: int) -> tuple[int, float]:
    """Load one_row() as a batch into the open `database`; its batch id and seconds."""
    import tempfile

    from isokpi.auth import system_user
    from isokpi.ingest import ingest_file

    with tempfile.TemporaryDirectory(prefix="isokpi-bench-") as tmp:
        path = Path(tmp) / f"one-{dataset}.csv"
        path.write_text(one_row(database, dataset, number), encoding="utf-8")
        started = time.perf_counter()
        result = ingest_file(database, dataset, path, actor=system_user("bench"))
        seconds = time.perf_counter() - started
    if not result.ok or result.inserted != 1:
        raise RuntimeError(f"the one-row upload did not load: {result.as_dict()}")
    return result.batch_id, seconds


def upload_one_row(db: str, number: int, dataset: str = "training") -> tuple[int, float]:
    """Load a one-row batch of `dataset` (one_row) in this process; its batch id and seconds."""
    from isokpi.opening import close_all, open_database

    try:
        return load_one_row(open_database(db), dataset, number)
    finally:
        close_all()  # the file admits one process: the measured one opens it next


def served_child(page: str, dataset: str, number: int) -> dict:
    """In a fresh process, as a running server sees it: the page's first run (every query), a one-row upload
    of `dataset` through this same process, then the page's first view after it in a new session, and once
    more (every result kept)."""
    from isokpi.opening import open_database

    cold = run_page(page)[0]
    batch_id, upload_s = load_one_row(open_database(os.environ["ISOKPI_DB"]), dataset, number)
    seconds = run_page(page)[0]
    again = run_page(page)[0]
    return {"cold_s": cold, "upload_s": upload_s, "first_s": seconds, "again_s": again, "batch": batch_id}


def served(db: str, pages: list[str], datasets: list[str]) -> None:
    """--served: per page and dataset, served_child, the batch undone after it."""
    print(f"database: {db}; load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("each page shown once by a server process, then a one-row batch loaded by that process, then shown again")
    print(f"{'page':10} {'dataset':9} {'cold s':>7} {'upload s':>9} {'first view after s':>19} {'again s':>8}")
    for page in pages:
        for dataset in datasets:
            command = [sys.executable, __file__, "--db", db, "--child", "served", "--page", page]
            command += ["--dataset", dataset]
            done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            undo_uploads(db, [run["batch"]])
            print(
                f"{page:10} {dataset:9} {run['cold_s']:7.2f} {run['upload_s']:9.2f} {run['first_s']:19.2f} "
                f"{run['again_s']:8.2f}",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def undo_uploads(db: str, batches: list[int]) -> None:
    from isokpi.auth import system_user
    from isokpi.ingest import undo_batch
    from isokpi.opening import close_all, open_database

    for batch_id in reversed(batches):
        undo_batch(open_database(db), batch_id, actor=system_user("bench"))
    close_all()


def after_upload(db: str, pages: list[str], repeat: int, warm_db: str | None = None) -> None:
    from isokpi.opening import close_all, open_database

    counts = open_database(db).query(
        "SELECT (SELECT count(*) FROM training), (SELECT count(*) FROM findings), (SELECT count(*) FROM survey)"
    )[0]
    close_all()
    print(f"database: {db}: {counts[0]:,} training rows, {counts[1]:,} findings, {counts[2]:,} survey answers")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    raw = [in_child("raw", db) for _ in range(repeat)]
    raw_s = statistics.median(run["seconds"] for run in raw)
    print(f"raw GROUP BY over training ({raw[0]['groups']:,} groups), fresh process, median of {repeat}: {raw_s:.3f} s")
    if warm_db:
        print(f"each page first run on {warm_db} in the same process (modules and figures warm), then timed")
    print(f"{'page':10} {'upload s':>9} {'open s':>7} {'first view s':>13} {'x raw':>6} {'again s':>8} {'data s':>7}")
    batches, rows = [], []
    try:
        for number, page in enumerate(pages, 1):
            batch_id, upload_s = upload_one_row(db, number)
            batches.append(batch_id)
            run = in_child("page", db, page, warm_db)
            rows.append((page, run["first_s"], run["first_s"] - run["again_s"]))
            print(
                f"{page:10} {upload_s:9.2f} {run['open_s']:7.2f} {run['first_s']:13.2f} "
                f"{run['first_s'] / raw_s:6.2f} {run['again_s']:8.2f} {run['first_s'] - run['again_s']:7.2f}",
                flush=True,
            )
    finally:
        undo_uploads(db, batches)
    raw_after = statistics.median(in_child("raw", db)["seconds"] for _ in range(repeat))
    slowest = max(rows, key=lambda row: row[1])
    costliest = max(rows, key=lambda row: row[2])
    print(f"raw GROUP BY again after the runs: {raw_after:.3f} s; load average after: {os.getloadavg()[0]:.2f}")
    print(
        f"\nslowest first view after an upload: {slowest[0]} {slowest[1]:.2f} s = {slowest[1] / raw_s:.2f}x "
        f"the raw group-by (target <= 1x)\n"
        f"largest data cost of a first view (first view - the same page again, results kept): {costliest[0]} "
        f"{costliest[2]:.2f} s = {costliest[2] / raw_s:.2f}x the raw group-by"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "scorecard.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--after-upload", action="store_true", help="each page's first view after a one-row upload")
    parser.add_argument("--pages", default=",".join(PAGES), help="the pages to run, comma-separated")
    parser.add_argument(
        "--warm-db", help="with --after-upload: run each page on this other database first, in the measured process"
    )
    parser.add_argument(
        "--served",
        action="store_true",
        help="each page's first view after a one-row upload made by the server process that showed it before",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        choices=("training", "findings", "survey"),
        help="with --served: the dataset of the one-row batch (repeatable; default all three)",
    )
    parser.add_argument("--child", choices=("page", "raw", "served"), help=argparse.SUPPRESS)
    parser.add_argument("--page", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"{args.db} does not exist: run python bench/scorecard.py first, which builds it")
    args.db = str(Path(args.db).resolve())
    os.environ["ISOKPI_DB"] = args.db
    quiet_harness()
    if args.child == "served":
        print(json.dumps(served_child(args.page, args.dataset[0], 1)))
        return
    if args.child:
        print(json.dumps(first_view_child(args.page, args.warm_db) if args.child == "page" else raw_group_by_child()))
        return
    pages = [page for page in args.pages.split(",") if page]
    if args.served:
        served(args.db, pages, args.dataset or ["training", "findings", "survey"])
        return
    if args.after_upload:
        warm_db = str(Path(args.warm_db).resolve()) if args.warm_db else None
        if warm_db and not Path(warm_db).exists():
            sys.exit(f"{warm_db} does not exist: make it with python -m isokpi demo --db {warm_db}")
        after_upload(args.db, pages, args.repeat, warm_db)
        return

    from isokpi.cache import RESULTS
    from isokpi.opening import open_database

    database = open_database(args.db)
    counts = database.query(
        "SELECT (SELECT count(*) FROM training), (SELECT count(*) FROM findings), (SELECT count(*) FROM survey)"
    )[0]
    print(f"database: {args.db}: {counts[0]:,} training rows, {counts[1]:,} findings, {counts[2]:,} survey answers")
    run_page("data")  # imports and the database connection, outside any page's timing
    print(f"{'page':10} {'cold s':>8} {'warm s':>8} {'charts':>7} {'max points':>11}")
    rows = []
    for page in pages:
        RESULTS.clear()  # every kept result gone: the page computes from the database
        cold, charts, points = run_page(page)
        warm = statistics.median(run_page(page)[0] for _ in range(args.repeat))
        rows.append((page, cold, warm, charts, points))
        print(f"{page:10} {cold:8.2f} {warm:8.2f} {charts:7d} {points:11,d}", flush=True)
    worst_warm = max(rows, key=lambda row: row[2])
    biggest = max(rows, key=lambda row: row[4])
    print(f"\nslowest warm page: {worst_warm[0]} {worst_warm[2]:.2f} s (target < 1 s)")
    print(f"largest chart: {biggest[4]:,} points on {biggest[0]} (target: a few thousand at most)")


if __name__ == "__main__":
    main()
