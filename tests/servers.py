"""Separate processes standing in for app servers over one DuckLake catalog (tests/test_concurrency.py,
tests/test_object_storage.py): each opens the catalog itself, as a server does, and starts at a barrier so the
work really overlaps."""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from pathlib import Path

from isokpi.auth import QUALITY_LEAD, User
from isokpi.ingest import ingest_file

# Each "server" is a process of its own, started by a fork server that has imported isokpi once: a fresh address space
# and DuckDB instance per process, without paying Python's start-up and imports 16 times over on 2 cores.
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["isokpi.ingest", "isokpi.kpis", "isokpi.opening"])
TIMEOUT_S = 600
HEADER = "record_id,employee_id,department,site,course,hours,status,due_date,completed_on\n"


def training_csv(path: Path, prefix: str, rows: int) -> Path:
    lines = [
        f"{prefix}-{i:05d},{i % 97:05d},Production,{('Leeds', 'Porto', 'Brno')[i % 3]},Course {i % 12},"
        f"{1 + i % 8},completed,2025-{1 + i % 12:02d}-20,2025-{1 + i % 12:02d}-{1 + i % 19:02d}"
        for i in range(rows)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def open_server(env: dict[str, str]):
    os.environ.update(env)
    from isokpi.opening import open_database

    return open_database()


def upload_in_process(env: dict[str, str], path: str, user: str, barrier, results, queued: bool = True) -> None:
    """A user uploading a file on one server; not `queued`: a server whose writes skip DuckLake's write queue
    (isokpi.writequeue), as when the catalog cannot be reached for its turn, so that they collide at COMMIT."""
    try:
        database = open_server(env)
        if not queued:
            database.write_queue = None
        barrier.wait(timeout=TIMEOUT_S)
        started = time.perf_counter()
        result = ingest_file(database, "training", path, actor=User(user, user, QUALITY_LEAD), source="upload")
        results.put(
            (
                "ok",
                {
                    "user": user,
                    "batch_id": result.batch_id,
                    "counts": (result.inserted, result.updated, result.unchanged),
                    "errors": [problem.message for problem in result.errors],
                    "seconds": time.perf_counter() - started,
                    "retries": database.write_retries,
                    "waits": database.write_queue.waits if database.write_queue else 0,
                },
            )
        )
    except BaseException:
        results.put(("error", f"{user}: {traceback.format_exc()}"))


def run_processes(processes: list, results, count: int) -> list:
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=TIMEOUT_S) for _ in range(count)]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    return outcomes
