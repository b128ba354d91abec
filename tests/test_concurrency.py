"""Many servers, one database: separate processes (as N app servers would be) over one DuckLake catalog.

Every process opens the catalog itself, as an app server does (isokpi.opening.open_database with $ISOKPI_DB and
$ISOKPI_DATA_PATH). They start together at a barrier, so uploads really overlap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import traceback
from pathlib import Path

import pytest

from isokpi.db import Target
from isokpi.ingest import ingest_file
from isokpi.opening import open_target
from isokpi.pillars import PILLAR_IDS

from .conftest import target_env
from .servers import SPAWN, TIMEOUT_S, open_server, run_processes, training_csv, upload_in_process

pytestmark = [pytest.mark.ducklake, pytest.mark.parametrize("backend", ["ducklake"], indirect=True)]

AS_OF = dt.date(2026, 1, 1)
# Sizes whose subset sums are all different, so a row count tells exactly which whole files are in.
DISTINCT_SIZES = (300, 600, 1200, 2400)
DUPLICATE_SIZE = 4800


FINDINGS = "finding_id,audit_type,standard,site,severity,raised_on,due_on,closed_on,status\n" + "".join(
    f"F{i},internal,ISO 9001,Leeds,minor_nc,2025-{m:02d}-03,2025-{m:02d}-28,2025-{m:02d}-{10 + i % 15},closed\n"
    for i, m in zip(range(60), itertools.cycle(range(1, 13)), strict=False)
)
SURVEY = "response_id,survey_id,survey_type,responded_on,site,question_id,pillar,scale,score\n" + "".join(
    f"R{i},S{m},engagement,2025-{m:02d}-15,Leeds,Q1,culture,likert5,{1 + i % 5}\n"
    for i, m in zip(range(120), itertools.cycle(range(1, 13)), strict=False)
)


def text_file(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _open_only(env: dict[str, str], barrier, results) -> None:
    """A server starting: open (attach and migrate) the catalog at the same moment as the others."""
    try:
        barrier.wait(timeout=TIMEOUT_S)
        database = open_server(env)
        results.put(("ok", database.query("SELECT count(*) FROM schema_migrations")[0][0]))
    except BaseException:
        results.put(("error", traceback.format_exc()))


# One statement, so one snapshot: the total, and per batch its ledger record against the rows it wrote.
CONSISTENCY_SQL = """
SELECT (SELECT count(*) FROM training) AS visible,
       (SELECT count(*) FROM training_versions WHERE _batch_id NOT IN (SELECT batch_id FROM batches)) AS orphans,
       (SELECT count(*) FROM batches b WHERE b.dataset = 'training'
        AND b.inserted <> (SELECT count(*) FROM training_versions v WHERE v._batch_id = b.batch_id)) AS torn,
       (SELECT count(*) FROM batches WHERE dataset = 'training') AS batches
"""


def _read(env: dict[str, str], allowed: list[int], barrier, done, results) -> None:
    """A viewer's server: the scorecard in a loop, while another thread checks that only whole batches show."""
    try:
        database = open_server(env)
        from isokpi.kpis import Filters, scorecard

        seen, broken, checks = set(), [], [0]

        def check_until_done() -> None:
            while True:
                finished = done.is_set()  # one more look after the writers finish: it must see everything
                visible, orphans, torn, batches = database.query(CONSISTENCY_SQL)[0]
                seen.add(visible)
                checks[0] += 1
                if visible not in allowed or orphans or torn:
                    broken.append((visible, orphans, torn, batches))
                if finished:
                    return

        barrier.wait(timeout=TIMEOUT_S)
        checker = threading.Thread(target=check_until_done)
        checker.start()
        rounds = 0
        while not done.is_set() or rounds == 0:
            cards = scorecard(database, Filters(as_of=AS_OF))
            assert [card.id for card in cards] == list(PILLAR_IDS)
            rounds += 1
        checker.join()
        results.put(("ok", {"seen": sorted(seen), "broken": broken, "rounds": rounds, "checks": checks[0]}))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def test_servers_opening_a_new_catalog_together_migrate_it_once(target: Target):
    env = target_env(target)
    barrier, results = SPAWN.Barrier(6), SPAWN.Queue()
    processes = [SPAWN.Process(target=_open_only, args=(env, barrier, results)) for _ in range(6)]
    outcomes = run_processes(processes, results, 6)
    assert [kind for kind, _ in outcomes] == ["ok"] * 6, [detail for kind, detail in outcomes if kind != "ok"]
    database = open_target(target)
    from isokpi.migrations import MIGRATIONS

    assert {detail for _, detail in outcomes} == {len(MIGRATIONS)}
    assert database.query("SELECT id, count(*) FROM schema_migrations GROUP BY id ORDER BY id") == [
        (number, 1) for number, _, _ in MIGRATIONS
    ]
    assert database.query("SELECT name, count(*) FROM counters GROUP BY name HAVING count(*) <> 1") == []
    database.close()


def test_uploads_from_8_processes_and_8_readers_at_the_same_moment(target: Target, tmp_path: Path):
    env = target_env(target)
    # The catalog exists, as it does once the first server has started, with some findings and survey answers.
    database = open_target(target)
    for dataset, text in (("findings", FINDINGS), ("survey", SURVEY)):
        assert ingest_file(database, dataset, text_file(tmp_path, dataset, text)).ok
    database.close()
    distinct = [training_csv(tmp_path / f"site{i}.csv", f"S{i}", rows) for i, rows in enumerate(DISTINCT_SIZES)]
    same = training_csv(tmp_path / "same.csv", "ALL", DUPLICATE_SIZE)
    sizes = [*DISTINCT_SIZES, DUPLICATE_SIZE]
    allowed = sorted({sum(combo) for r in range(len(sizes) + 1) for combo in itertools.combinations(sizes, r)})

    barrier, done, results = SPAWN.Barrier(16), SPAWN.Event(), SPAWN.Queue()
    # Half the servers take their turn in the write queue; the other half skip it (as a server does that cannot
    # reach the catalog for its turn), so that their commits collide and are retried.
    writers = [
        SPAWN.Process(target=upload_in_process, args=(env, str(path), f"site{i}", barrier, results, i % 2 == 0))
        for i, path in enumerate(distinct)
    ] + [
        SPAWN.Process(target=upload_in_process, args=(env, str(same), f"same{i}", barrier, results, i % 2 == 0))
        for i in range(4)
    ]
    readers = [SPAWN.Process(target=_read, args=(env, allowed, barrier, done, results)) for _ in range(8)]
    for process in writers + readers:
        process.start()
    try:
        uploads = [results.get(timeout=TIMEOUT_S) for _ in writers]
        done.set()
        reads = [results.get(timeout=TIMEOUT_S) for _ in readers]
    finally:
        done.set()
        for process in writers + readers:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()

    # No error reaches a user: every upload and every read finished normally.
    outcomes = uploads + reads
    assert [kind for kind, _ in outcomes] == ["ok"] * 16, "\n".join(d for k, d in outcomes if k != "ok")
    loads = {detail["user"]: detail for _, detail in uploads}
    # Every distinct file landed, whole, as its own batch.
    for i, rows in enumerate(DISTINCT_SIZES):
        load = loads[f"site{i}"]
        assert load["errors"] == [] and load["batch_id"] is not None
        assert load["counts"] == (rows, 0, 0)
    # The same file from four servers landed exactly once; the others found every row unchanged.
    duplicates = [loads[f"same{i}"] for i in range(4)]
    landed = [load for load in duplicates if load["batch_id"] is not None]
    assert len(landed) == 1 and landed[0]["counts"] == (DUPLICATE_SIZE, 0, 0)
    assert sorted(load["counts"] for load in duplicates if load["batch_id"] is None) == [(0, 0, DUPLICATE_SIZE)] * 3
    # Writers really overlapped: queued ones waited for another's turn, and some commits of those that skipped the
    # queue conflicted and were retried, unseen by their users.
    assert sum(load["waits"] for load in loads.values()) > 0
    assert sum(load["retries"] for load in loads.values()) > 0
    # No reader ever saw part of a batch, and each saw the final state at the end.
    for _, read in reads:
        assert read["broken"] == []
        assert read["seen"][-1] == sum(sizes)
    database = open_target(target)
    assert database.query("SELECT count(*) FROM training") == [(sum(sizes),)]
    landed_batches = sorted((load["batch_id"], load["counts"][0]) for load in loads.values() if load["batch_id"])
    assert [batch for batch, _ in landed_batches] == [3, 4, 5, 6, 7]  # 1 and 2 were findings and survey
    query = "SELECT batch_id, inserted FROM batches WHERE dataset = 'training' ORDER BY batch_id"
    assert database.query(query) == landed_batches
    assert database.query("SELECT count(*) FROM audit_log WHERE action = 'load'") == [(7,)]
    assert database.query("SELECT value FROM counters WHERE name = 'batch'") == [(7,)]
    database.close()
    print(
        "\nupload seconds:",
        {user: round(load["seconds"], 2) for user, load in sorted(loads.items())},
        "\nconflicts retried:",
        {user: load["retries"] for user, load in sorted(loads.items())},
        "\nturns waited:",
        {user: load["waits"] for user, load in sorted(loads.items())},
        "\nreader scorecards:",
        [read["rounds"] for _, read in reads],
        "consistency checks:",
        [read["checks"] for _, read in reads],
        "distinct states seen:",
        len({count for _, read in reads for count in read["seen"]}),
    )
