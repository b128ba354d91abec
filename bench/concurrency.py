"""Concurrency benchmark: uploads per second and scorecard p95 latency with 1, 2 and 4 app processes.

    python bench/concurrency.py [--seconds 20] [--rows 1000] [--processes 1 2 4] [--backends file lake s3]

Each "app process" is a separate Python process that opens the database itself, as an app server does,
and for --seconds runs two threads: one uploads new training files of --rows rows (distinct keys, one
batch each) back to back, the other computes the full KPI scorecard (isokpi.kpis.scorecard, as a page asks
for it: results are kept per data version, so it is computed again after every upload it sees) back to back. All processes start together. Both backends start from the demo data (as of 2026-11-25).

  embedded file  One process only: a DuckDB file admits one process at a time (the second gets "Could not
                 set lock on file", shown below). The 2 and 4 rows run that many upload threads and that
                 many scorecard threads inside ONE process instead (marked "threads").
  DuckLake       PostgreSQL catalog plus a local data directory; needs a PostgreSQL server: $ISOKPI_TEST_PG,
                 one on 127.0.0.1:55432 (python tests/pg.py start), or a throwaway cluster started here.
  object storage DuckLake with that catalog and its data files in a bucket of moto's S3 server (tests/s3.py),
                 started here on 127.0.0.1: every data file is written and read over HTTP.

Prints one row per configuration: uploads/s (all processes together), conflicts retried, scorecards
computed, and scorecard latency p50/p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/concurrency.py` puts bench/, not the checkout, on the path

AS_OF = dt.date(2026, 11, 25)
SPAWN = multiprocessing.get_context("spawn")
HEADER = "record_id,employee_id,department,site,course,hours,status,due_date,completed_on\n"


def training_file(directory: Path, prefix: str, rows: int) -> Path:
    path = directory / f"{prefix}.csv"
    lines = [
        f"{prefix}-{i:06d},{i % 800:05d},Production,{('Leeds', 'Porto', 'Brno')[i % 3]},Course {i % 40},"
        f"{1 + i % 8},completed,2026-{1 + i % 10:02d}-20,2026-{1 + i % 10:02d}-{1 + i % 19:02d}"
        for i in range(rows)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def app_server(env: dict[str, str], name: str, threads: int, rows: int, seconds: float, barrier, results) -> None:
    """One app process: `threads` uploaders and `threads` scorecard viewers for `seconds`."""
    try:
        os.environ.update(env)
        from isokpi.auth import system_user
        from isokpi.ingest import ingest_file
        from isokpi.kpis import Filters, scorecard
        from isokpi.opening import open_database

        database = open_database()
        work = Path(tempfile.mkdtemp(prefix="isokpi-bench-"))
        uploads, latencies, errors = [], [], []
        barrier.wait(timeout=600)
        deadline = time.monotonic() + seconds

        def upload(thread: int) -> None:
            number = 0
            while time.monotonic() < deadline:
                path = training_file(work, f"{name}-{thread}-{number}", rows)
                result = ingest_file(database, "training", path, actor=system_user(name), source="bench")
                path.unlink()
                if result.batch_id is None:
                    errors.append(f"upload {path.name}: {[p.message for p in result.errors]}")
                else:
                    uploads.append(time.monotonic())
                number += 1

        def view() -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                scorecard(database, Filters(as_of=AS_OF))
                latencies.append(time.perf_counter() - started)

        def guarded(function, *args) -> None:
            try:
                function(*args)
            except Exception:
                errors.append(traceback.format_exc())

        workers = [threading.Thread(target=guarded, args=(upload, t)) for t in range(threads)]
        workers += [threading.Thread(target=guarded, args=(view,)) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        uploaded = sum(1 for at in uploads if at <= deadline)
        results.put(("ok", uploaded, latencies, database.write_retries, errors))
    except BaseException:
        results.put(("error", 0, [], 0, [traceback.format_exc()]))


def run(env: dict[str, str], processes: int, threads: int, rows: int, seconds: float) -> dict:
    barrier, results = SPAWN.Barrier(processes), SPAWN.Queue()
    children = [
        SPAWN.Process(target=app_server, args=(env, f"p{i}", threads, rows, seconds, barrier, results))
        for i in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=seconds + 900) for _ in children]
    for child in children:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
            child.join()
    latencies = sorted(latency for outcome in outcomes for latency in outcome[2])
    errors = [error for outcome in outcomes for error in outcome[4]]
    return {
        "uploads": sum(outcome[1] for outcome in outcomes),
        "per_second": sum(outcome[1] for outcome in outcomes) / seconds,
        "retries": sum(outcome[3] for outcome in outcomes),
        "scorecards": len(latencies),
        "p50": statistics.median(latencies) if latencies else None,
        "p95": _p95(latencies),
        "errors": errors,
    }


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def prepare(env: dict[str, str]) -> float:
    """A new database with the demo data; returns the seconds the demo load took."""
    os.environ.update(env)
    from isokpi.auth import system_user
    from isokpi.demo import load_demo
    from isokpi.opening import close_all, open_database

    started = time.perf_counter()
    load_demo(open_database(), as_of=AS_OF, actor=system_user("bench"))
    close_all()
    return time.perf_counter() - started


def second_process_message(env: dict[str, str]) -> str:
    """What a second process gets when it opens the file another process holds."""
    code = (
        "from isokpi.opening import open_database, DatabaseError\n"
        "try:\n    open_database()\n    print('opened')\nexcept DatabaseError as error:\n    print(error)\n"
    )
    import subprocess

    holder = SPAWN.Process(target=_hold, args=(env, (event := SPAWN.Event()), (release := SPAWN.Event())))
    holder.start()
    event.wait(timeout=120)
    try:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        ).stdout.strip()
    finally:
        release.set()
        holder.join(timeout=60)


def _hold(env: dict[str, str], ready, release) -> None:
    os.environ.update(env)
    from isokpi.opening import open_database

    open_database()
    ready.set()
    release.wait(timeout=300)


def object_storage(server, args, table: list, notes: list[str]) -> None:
    """The DuckLake rows again with the data files in a bucket of moto's S3 server."""
    from tests import s3

    store, why = s3.find_or_start()
    if store is None:
        notes.append(f"object storage not measured: {why}")
        return
    try:
        lake_rows(server, args, table, f"DuckLake + PostgreSQL + S3 (moto), {why}", store.environ(),
                  lambda count: f"s3://{store.create_bucket('isokpi-bench')}/lake")  # fmt: skip
    finally:
        store.stop()


def lake_rows(server, args, table: list, title: str, environ: dict[str, str], data_path) -> None:
    """One row per process count: DuckLake on a new catalog database of `server`, its data files at
    data_path(count), the demo loaded first."""
    for count in args.processes:
        dsn = server.create_database("isokpi_bench")
        env = {**os.environ, **environ, "ISOKPI_DB": "ducklake:postgres:" + dsn, "ISOKPI_NO_DEMO": "1"}
        env["ISOKPI_DATA_PATH"] = data_path(count)
        print(f"{title}: demo data loaded in {prepare(env):.1f} s", flush=True)
        label = f"{count} process{'es' if count > 1 else ''}"
        table.append((title.split(",")[0], label, run(env, count, 1, args.rows, args.seconds)))
        print(f"  done: {title}, {label}", flush=True)
        server.drop_database(dsn)


def fmt(value: float | None, unit: str = "s") -> str:
    return "-" if value is None else f"{value:.2f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each configuration runs")
    parser.add_argument("--rows", type=int, default=1000, help="rows per uploaded file")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--backends", nargs="+", choices=("file", "lake", "s3"), default=["file", "lake", "s3"])
    args = parser.parse_args()
    from tests import pg

    table: list[tuple[str, str, dict]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="isokpi-bench-") as tmp:
        work = Path(tmp)
        # Embedded file: one process; N threads of each kind in that process for N > 1.
        for count in args.processes if "file" in args.backends else []:
            file_env = {**os.environ, "ISOKPI_DB": str(work / f"bench{count}.duckdb"), "ISOKPI_NO_DEMO": "1"}
            file_env.pop("ISOKPI_DATA_PATH", None)
            print(f"embedded file: demo data loaded in {prepare(file_env):.1f} s", flush=True)
            if count == args.processes[-1]:
                notes.append(f"embedded file, a second process opening it gets: {second_process_message(file_env)}")
            label = "1 process" if count == 1 else f"1 process, {count}+{count} threads"
            table.append(("embedded file", label, run(file_env, 1, count, args.rows, args.seconds)))
            print(f"  done: embedded file, {label}", flush=True)

        server, reason = pg.find_or_start() if {"lake", "s3"} & set(args.backends) else (None, "")
        if server is None and reason:
            notes.append(f"DuckLake not measured: {reason}")
        elif server is not None:
            try:
                if "lake" in args.backends:
                    lake_rows(
                        server, args, table, f"DuckLake + PostgreSQL, {reason}", {}, lambda n: str(work / f"lake{n}")
                    )
                if "s3" in args.backends:
                    object_storage(server, args, table, notes)
            finally:
                server.stop()

    print()
    print(
        f"{args.seconds:.0f} s per row; each upload is a new {args.rows:,}-row training file; the scorecard is "
        f"all {_kpi_count()} KPIs over the demo data; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end"
    )
    header = ("backend", "app processes", "uploads/s", "uploads", "conflicts retried", "scorecards", "p50", "p95")
    rows = [
        (
            backend,
            label,
            f"{result['per_second']:.2f}",
            str(result["uploads"]),
            str(result["retries"]),
            str(result["scorecards"]),
            fmt(result["p50"]),
            fmt(result["p95"]),
        )
        for backend, label, result in table
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    print(" | ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print("-+-".join("-" * width for width in widths))
    for row in rows:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for backend, label, result in table:
        for error in result["errors"]:
            print(f"ERROR ({backend}, {label}): {error}")
    for note in notes:
        print(f"note: {note}")


def _kpi_count() -> int:
    from isokpi.catalog import KPIS

    return len(KPIS)


if __name__ == "__main__":
    main()
