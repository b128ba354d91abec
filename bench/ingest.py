"""Ingest benchmark: `python -m isokpi ingest` of a 1,000,000-row training CSV against DuckDB's own load.

    python bench/ingest.py [--rows 1000000] [--repeat 3]

Both sides run as fresh processes on the same file, in the same run: isokpi (sniff, validate every row,
load as one batch into the versioned table) and `CREATE TABLE t AS SELECT * FROM read_csv(...)` into a
new DuckDB file. Target: isokpi within 1.5x of the raw load, end to end. Prints the median of each.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HEADER = [
    "record_id", "employee_id", "department", "site", "course", "category", "standard", "hours",
    "status", "due_date", "completed_on", "is_mandatory", "effectiveness",
]  # fmt: skip


def write_training_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A realistic training export: 800 staff, 40 courses, ISO dates, a third of records not completed."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01")
    due = start + rng.integers(0, 1000, rows)
    completed = due - rng.integers(0, 20, rows)
    done = rng.random(rows) < 0.67
    hours = rng.integers(1, 17, rows) / 2
    departments = np.array(["Production", "Quality", "Maintenance", "Logistics", "Engineering", "HR"])
    sites = np.array(["Leeds", "Porto", "Brno"])
    categories = np.array(["Quality", "Environment", "Health & Safety", "Technical"])
    standards = np.array(["ISO 9001", "ISO 14001", "ISO 45001", ""])
    dept = departments[rng.integers(0, len(departments), rows)]
    site = sites[rng.integers(0, len(sites), rows)]
    course = rng.integers(0, 40, rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        due_text = due.astype(str)
        completed_text = completed.astype(str)
        for i in range(rows):
            writer.writerow(
                [
                    f"TR-{i:07d}",
                    f"{i % 800:05d}",
                    dept[i],
                    site[i],
                    f"Course {course[i]:02d}",
                    categories[course[i] % 4],
                    standards[course[i] % 4],
                    hours[i],
                    "completed" if done[i] else "planned",
                    due_text[i],
                    completed_text[i] if done[i] else "",
                    "yes" if course[i] % 3 == 0 else "no",
                    "effective" if done[i] and course[i] % 2 else "",
                ]
            )


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


RAW_LOAD = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[2]])"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isokpi-bench-") as tmp:
        work = Path(tmp)
        source = work / "training.csv"
        write_training_csv(source, args.rows)
        print(f"file: {args.rows:,} rows, {source.stat().st_size / 1e6:,.0f} MB")
        raw_times, ours_times = [], []
        for attempt in range(args.repeat):
            raw_db, ours_db = work / f"raw{attempt}.duckdb", work / f"ours{attempt}.duckdb"
            raw_times.append(timed([sys.executable, "-c", RAW_LOAD, str(raw_db), str(source)]))
            subprocess.run(
                [sys.executable, "-m", "isokpi", "init", "--db", str(ours_db)],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            ours_times.append(
                timed([sys.executable, "-m", "isokpi", "ingest", "training", str(source), "--db", str(ours_db)])
            )
        raw, ours = statistics.median(raw_times), statistics.median(ours_times)
        print(f"DuckDB CREATE TABLE AS read_csv : {raw:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in raw_times)})")
        print(f"python -m isokpi ingest        : {ours:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in ours_times)})")
        print(f"ratio: {ours / raw:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
