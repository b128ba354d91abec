"""DuckLake maintenance: `lake compact` merges the small files of many loads, `lake expire --older-than DAYS` forgets
old snapshots but keeps those closed reviews pin; time travel reads what they pinned afterwards."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from isokpi import lake, review
from isokpi.auth import ADMIN, QUALITY_LEAD, VIEWER, AccessError, User
from isokpi.db import Target
from isokpi.ingest import ingest_file

from .conftest import OBJECT_STORAGE, ROOT, target_env, target_spec

pytestmark = pytest.mark.ducklake
ADMIN_USER = User("admin@example.com", "Ada Admin", ADMIN)
LEAD = User("lead@example.com", "Lee Lead", QUALITY_LEAD)
NO_GRACE = dt.timedelta(0)
HEADER = "record_id,employee_id,department,site,course,hours,status,due_date,completed_on\n"


def load(db, tmp_path: Path, batch: int, rows: int = 40) -> None:
    """One load of `rows` new training records (more than DuckLake inlines: one Parquet file each)."""
    path = tmp_path / f"training{batch}.csv"
    path.write_text(
        HEADER
        + "".join(
            f"B{batch}-{i},E{i},Production,Leeds,Induction,2,completed,2025-0{batch}-28,2025-0{batch}-10\n"
            for i in range(rows)
        ),
        encoding="utf-8",
    )
    assert ingest_file(db, "training", path).inserted == rows


def training_files(db) -> list[str]:
    return [row[0] for row in db.query("SELECT data_file FROM ducklake_list_files('isokpi', 'training_versions')")]


def stored_files(target: Target, request) -> set[str]:
    """Every data file under the data path, local or in the bucket."""
    if target.remote:
        store, _ = request.getfixturevalue("s3_store")
        bucket = target.data_path.removeprefix("s3://").split("/")[0]
        return {key for key in store.keys(bucket) if key.endswith(".parquet")}
    return {str(path) for path in Path(target.data_path).rglob("*.parquet")}


@pytest.mark.parametrize("backend", ["ducklake", OBJECT_STORAGE], indirect=True)
def test_compact_merges_the_files_of_many_loads_and_time_travel_still_reads_each(db, target, tmp_path, request):
    snapshots = []
    for batch in (1, 2, 3):
        load(db, tmp_path, batch)
        snapshots.append(db.snapshot_id())
    assert len(training_files(db)) == 3
    files_before = stored_files(target, request)

    compacted = lake.compact(db, actor=ADMIN_USER, grace=NO_GRACE)
    assert len(training_files(db)) == 1
    assert compacted.files_after < compacted.files_before and compacted.files_deleted >= 3
    assert db.query("SELECT count(*), sum(hours) FROM training") == [(120, 240.0)]
    for rows, snapshot in zip((40, 80, 120), snapshots, strict=True):
        assert db.query(f"SELECT count(*) FROM training AT (VERSION => {snapshot})") == [(rows,)]
    # The three small files are gone from storage; the merged one is there.
    files_after = stored_files(target, request)
    assert len(files_before - files_after) >= 3 and len(files_after - files_before) >= 1
    assert db.query("SELECT actor, action FROM audit_log WHERE action = 'lake_compact'") == [
        ("admin@example.com", "lake_compact")
    ]


@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_freed_files_wait_their_grace_period_before_they_are_deleted(db, tmp_path):
    for batch in (1, 2):
        load(db, tmp_path, batch)
    assert lake.compact(db, actor=ADMIN_USER).files_deleted == 0  # freed now: a reader may still be on them
    assert db.query(f"SELECT count(*) FROM {lake.METADATA}.ducklake_files_scheduled_for_deletion")[0][0] >= 2
    assert lake.compact(db, actor=ADMIN_USER, grace=NO_GRACE).files_deleted >= 2


@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_expire_forgets_old_snapshots_but_keeps_what_a_closed_review_pins(db, tmp_path, monkeypatch):
    load(db, tmp_path, 1)
    before_review = db.snapshot_id()
    load(db, tmp_path, 2)
    opened = review.create_review(
        db, LEAD, review_date=dt.date(2025, 3, 5), period_from=dt.date(2025, 1, 1), period_to=dt.date(2025, 2, 28)
    )
    pinned = review.close_review(db, LEAD, opened)["lake_snapshot"]
    assert db.query("SELECT lake_snapshot FROM reviews WHERE review_id = $id", {"id": opened}) == [(pinned,)]
    load(db, tmp_path, 3)

    # Nothing is older than 30 days yet.
    assert lake.expire(db, 30, actor=ADMIN_USER, grace=NO_GRACE).expired == []
    newest = db.snapshot_id()
    # Two days from now, everything is older than a day.
    later = lake.now_utc() + dt.timedelta(days=2)
    monkeypatch.setattr(lake, "now_utc", lambda: later)
    expired = lake.expire(db, 1, actor=ADMIN_USER, grace=NO_GRACE)
    assert before_review in expired.expired and pinned not in expired.expired and newest not in expired.expired
    assert expired.kept_pinned == [pinned]
    remaining = {row[0] for row in db.query("SELECT snapshot_id FROM ducklake_snapshots('isokpi')")}
    assert remaining == {pinned, newest, db.snapshot_id()}  # and the one of the audit record of this run
    # What the review was presented from reads again exactly; the forgotten snapshot is gone.
    assert db.query(f"SELECT count(*) FROM training AT (VERSION => {pinned})") == [(80,)]
    assert db.query("SELECT count(*) FROM training") == [(120,)]
    with pytest.raises(duckdb.Error, match="No snapshot found"):
        db.query(f"SELECT count(*) FROM training AT (VERSION => {before_review})")
    audit = db.query("SELECT details FROM audit_log WHERE action = 'lake_expire' ORDER BY event_id")
    assert len(audit) == 2 and f'"kept_pinned": [{pinned}]' in audit[1][0]


@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_maintenance_is_for_admins(db):
    for user in (LEAD, User("v@example.com", "Val Viewer", VIEWER)):
        with pytest.raises(AccessError):
            lake.compact(db, actor=user)
        with pytest.raises(AccessError):
            lake.expire(db, 30, actor=user)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_the_lake_commands(target, tmp_path):
    env = target_env(target)
    done = run_cli("lake", "compact", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"compacted DuckLake {target.location}: ")
    expired = run_cli("lake", "expire", "--older-than", "30", env=env)
    assert expired.returncode == 0, expired.stderr
    assert expired.stdout.startswith("expired 0 snapshots older than 30 days in DuckLake ")
    assert "kept those closed reviews pin: none" in expired.stdout
    refused = run_cli("lake", "expire", "--older-than", "0", env=env)
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        "isokpi: --older-than 0: give a whole number of days, 1 or more",
    )
    assert run_cli("lake", "expire", env=env).returncode == 2  # DAYS is required
    on_a_file = run_cli("lake", "compact", "--db", str(tmp_path / "file.duckdb"), env=env)
    assert on_a_file.returncode == 2
    assert "is a DuckDB file: compaction and snapshot expiry are for a DuckLake catalog" in on_a_file.stderr
    assert target_spec(target).startswith("ducklake:")
