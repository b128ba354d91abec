"""Page benchmark: every page run with AppTest on the large benchmark database, cold and warm.

    python bench/pages.py [--db bench/out/scorecard.duckdb] [--repeat 3]

The database is the one bench/scorecard.py builds (5M+ training rows, 500k findings, 2M survey answers).
For each page: "cold" is its first run with Streamlit's data caches cleared (every query runs), "warm" the
median of later runs in new sessions (as the next visitor sees it). Also reported: the number of charts and
the point count of the largest chart. Targets: warm page under 1 s; no chart over a few thousand points.

AppTest scans every installed package for component manifests on each run; a real server does that once
at start-up, so the scan is switched off here to time the page, not the test harness.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "scorecard.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"{args.db} does not exist: run python bench/scorecard.py first, which builds it")
    os.environ["ISOKPI_DB"] = args.db
    os.environ["ISOKPI_NO_DEMO"] = "1"
    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"  # AppTest's bare-mode warnings, once per run
    import streamlit.components.v2.manifest_scanner as scanner

    scanner.scan_component_manifests = lambda *a, **k: []

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
    for page in PAGES:
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
