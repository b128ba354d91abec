"""The store: migrations, one writer per file, a locked-down connection, crash safety, on both backends."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from isokpi import migrations
from isokpi.db import DatabaseBusyError, DatabaseError, Target, resolve_target
from isokpi.ingest import ingest_file
from isokpi.opening import open_target

from .conftest import ROOT, target_env, target_spec
from .holder import held

pytestmark = pytest.mark.both_backends  # every test here runs on the DuckDB file and on DuckLake


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_a_new_database_records_every_migration_once(target):
    database = open_target(target)
    applied = database.query("SELECT id, name FROM schema_migrations ORDER BY id")
    assert applied == [(number, name) for number, name, _ in migrations.MIGRATIONS]
    database.close()
    again = open_target(target)
    assert again.query("SELECT count(*) FROM schema_migrations") == [(len(migrations.MIGRATIONS),)]
    assert again.query("SELECT name, count(*) FROM counters GROUP BY name HAVING count(*) > 1") == []
    again.close()


def test_an_older_database_upgrades_itself_when_opened(target, monkeypatch):
    calls = []

    @migrations.migration(10_000)
    def add_a_column(cursor):
        calls.append(1)
        cursor.execute("ALTER TABLE batches ADD COLUMN note VARCHAR")

    try:
        monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
        open_target(target).close()
        monkeypatch.undo()
        upgraded = open_target(target)
        assert calls == [1]
        assert upgraded.query("SELECT max(id) FROM schema_migrations") == [(10_000,)]
        assert "note" in [
            row[0] for row in upgraded.query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'batches'")
        ]
        upgraded.close()
    finally:
        migrations.MIGRATIONS[:] = [m for m in migrations.MIGRATIONS if m[0] != 10_000]


def test_a_failing_migration_leaves_no_trace(target):
    @migrations.migration(10_001)
    def broken(cursor):
        cursor.execute("CREATE TABLE half_done (x INTEGER)")
        cursor.execute("SELECT * FROM no_such_table")

    try:
        with pytest.raises(duckdb.CatalogException):
            open_target(target)
    finally:
        migrations.MIGRATIONS[:] = [m for m in migrations.MIGRATIONS if m[0] != 10_001]
    database = open_target(target)
    tables = [row[0] for row in database.query("SELECT table_name FROM duckdb_tables()")]
    assert "half_done" not in tables
    assert database.query("SELECT max(id) FROM schema_migrations") == [(migrations.MIGRATIONS[-1][0],)]
    database.close()


def test_the_database_comes_from_the_argument_then_the_environment_then_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("ISOKPI_DB", raising=False)
    assert resolve_target().location == str(ROOT / "data" / "isokpi.duckdb")
    monkeypatch.setenv("ISOKPI_DB", str(tmp_path / "env.duckdb"))
    assert resolve_target().location == str(tmp_path / "env.duckdb")
    assert resolve_target(tmp_path / "arg.duckdb").location == str(tmp_path / "arg.duckdb")
    monkeypatch.setenv("ISOKPI_DB", "ducklake:postgres:dbname=x")
    monkeypatch.delenv("ISOKPI_DATA_PATH", raising=False)
    with pytest.raises(DatabaseError, match="ISOKPI_DATA_PATH"):
        resolve_target()


def test_a_second_process_gets_a_plain_message_not_a_lock_error(tmp_path):
    path = tmp_path / "held.duckdb"
    with held(path) as holder:
        with pytest.raises(DatabaseBusyError) as raised:
            open_target(resolve_target(path))
        message = str(raised.value)
        assert f"in use by process {holder.pid}" in message
        assert "Upload page" in message and "stop the app" in message
        cli = subprocess.run(
            [sys.executable, "-m", "isokpi", "batches", "--db", str(path)], cwd=ROOT, capture_output=True, text=True
        )
        assert cli.returncode == 1
        assert "Traceback" not in cli.stderr and "in use by process" in cli.stderr


def test_the_connection_cannot_touch_files_outside_the_data_directory(db, tmp_path):
    outside = Path("/etc/passwd")
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "COPY (SELECT 1) TO '/tmp/isokpi-escape.csv'",
        "ATTACH '/tmp/isokpi-escape.duckdb' AS other",
        "INSTALL httpfs",
        "SET enable_external_access = true",
    ):
        with pytest.raises(duckdb.Error):
            db.query(sql)
    assert outside.exists() and not Path("/tmp/isokpi-escape.csv").exists()
    # A fresh cursor is locked down too (settings belong to the database, not the cursor).
    with pytest.raises(duckdb.Error):
        db.cursor().execute("SELECT * FROM read_csv('/etc/passwd')")


def test_the_folder_a_database_file_is_in_stays_closed_to_the_connection(tmp_path, write):
    folder = tmp_path / "home"  # say, someone's home directory, with --db ~/isokpi.duckdb
    folder.mkdir()
    (folder / "notes.txt").write_text("private")
    database = open_target(resolve_target(folder / "isokpi.duckdb"))
    try:
        for sql in (
            f"SELECT content FROM read_text('{folder}/notes.txt')",
            f"SELECT * FROM glob('{folder}/*')",
            f"COPY (SELECT 1) TO '{folder}/out.csv'",
            f"SELECT content FROM read_text('{folder}/isokpi.duckdb.tmp/../notes.txt')",
        ):
            with pytest.raises(duckdb.Error, match="disabled by configuration"):
                database.query(sql)
        assert not (folder / "out.csv").exists()
        # DuckDB's own files go on: its log of changes, checkpoints, and its temporary directory for what does not
        # fit in memory (its own, next to the file).
        assert ingest_file(database, "targets", write("t.csv", "kpi_id,target\ncustomer_nps,30\n")).ok
        assert (folder / "isokpi.duckdb.wal").exists()
        database.query("CHECKPOINT")
        assert ingest_file(database, "targets", write("u.csv", "kpi_id,target\ncustomer_nps,35\n")).ok
        temporary = folder / "isokpi.duckdb.tmp"
        assert database.query("SELECT current_setting('temp_directory')") == [(str(temporary),)]
        temporary.mkdir()
        database.query(f"COPY (SELECT 1) TO '{temporary}/spill.csv'")
    finally:
        database.close()
    reopened = open_target(resolve_target(folder / "isokpi.duckdb"))
    assert reopened.query("SELECT target FROM targets") == [(35.0,)]
    reopened.close()


def test_database_files_are_created_for_their_owner_only_and_older_ones_made_so(tmp_path, write):
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    old = tmp_path / "old.duckdb"
    before = os.umask(0o022)  # a usual umask: files readable by everyone
    try:
        duckdb.connect(str(old)).close()  # a file of an older isokpi
        assert mode(old) == 0o644
        database = open_target(resolve_target(tmp_path / "data" / "isokpi.duckdb"))
        assert ingest_file(database, "targets", write("t.csv", "kpi_id,target\ncustomer_nps,30\n")).ok
        wal = tmp_path / "data" / "isokpi.duckdb.wal"
        assert wal.exists()
        assert (mode(tmp_path / "data"), mode(tmp_path / "data" / "isokpi.duckdb"), mode(wal)) == (0o700, 0o600, 0o600)
        database.query("CHECKPOINT")  # the log goes; the next change writes a new one, private too
        assert ingest_file(database, "targets", write("u.csv", "kpi_id,target\ncustomer_nps,35\n")).ok
        assert mode(wal) == 0o600
        database.close()
        open_target(resolve_target(old)).close()
        assert mode(old) == 0o600
    finally:
        os.umask(before)


def big_training_csv(path: Path, rows: int, hours: int) -> Path:
    lines = ["record_id,employee_id,department,course,hours,status,completed_on"]
    lines += [
        f"T{i:07d},{i % 900:05d},Production,Course {i % 40},{hours},completed,2025-03-{1 + i % 28:02d}"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_a_load_killed_mid_way_leaves_all_or_nothing(target, tmp_path):
    spec, env = target_spec(target), target_env(target)
    source = big_training_csv(tmp_path / "big.csv", 400_000, hours=2)
    open_target(target).close()
    script = textwrap.dedent(
        f"""
        from isokpi.opening import open_database
        from isokpi.ingest import ingest_file
        import isokpi.ingest as ingest
        original = ingest._merge
        def slow_merge(*args, **kwargs):
            result = original(*args, **kwargs)
            print("merged", flush=True)   # inside the transaction, before COMMIT
            import time; time.sleep(30)
            return result
        ingest._merge = slow_merge
        ingest_file(open_database({spec!r}), "training", {str(source)!r})
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "merged"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    database = open_target(target)
    assert database.query("SELECT count(*) FROM training") == [(0,)]
    assert database.query("SELECT count(*) FROM batches") == [(0,)]
    database.close()
    # Killed at an arbitrary moment instead: still all or nothing.
    child = subprocess.Popen(
        [sys.executable, "-m", "isokpi", "ingest", "training", str(source), "--db", spec],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    time.sleep(2.0)
    child.kill()
    child.wait()
    database = open_target(target)
    rows, batches = database.query("SELECT (SELECT count(*) FROM training), (SELECT count(*) FROM batches)")[0]
    assert (rows, batches) in ((0, 0), (400_000, 1))
    database.close()


def test_a_load_cut_short_while_its_commit_is_logged_is_discarded_on_open(tmp_path):
    """DuckDB 1.5.5 can replay a large insert from a WAL that lost its end, without the rest of its
    transaction (duckdb/duckdb#25931). Every cut of the WAL of a committed update must still open as all
    of the load or none of it."""
    rows = 130_000  # more than one row group (122,880 rows): DuckDB writes them to the file before COMMIT
    path = tmp_path / "test.duckdb"
    database = open_target(resolve_target(path))
    first = ingest_file(database, "training", big_training_csv(tmp_path / "first.csv", rows, hours=2))
    assert first.inserted == rows
    database.close()  # checkpointed: the first load is in the file itself
    second = big_training_csv(tmp_path / "second.csv", rows, hours=3)
    script = textwrap.dedent(
        f"""
        import os, signal
        from isokpi.opening import open_database
        from isokpi.ingest import ingest_file
        result = ingest_file(open_database({str(path)!r}), "training", {str(second)!r})
        assert result.updated == {rows}, result
        os.kill(os.getpid(), signal.SIGKILL)  # committed and never checkpointed: the load lives in the WAL
        """
    )
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == -signal.SIGKILL
    wal = path.read_bytes(), Path(f"{path}.wal").read_bytes()
    cuts = sorted({*range(0, len(wal[1]), len(wal[1]) // 6), *range(len(wal[1]) - 40, len(wal[1]) + 1)})
    seen, raw_partial = set(), 0
    for cut in cuts:
        raw_copy, copy = (tmp_path / f"cut-{cut}" / kind / "test.duckdb" for kind in ("raw", "app"))
        for file in (raw_copy, copy):
            file.parent.mkdir(parents=True)
            file.write_bytes(wal[0])
            Path(f"{file}.wal").write_bytes(wal[1][:cut])
        raw = duckdb.connect(str(raw_copy))
        raw_state = raw.execute("SELECT (SELECT count(*) FROM training_versions), (SELECT count(*) FROM batches)")
        raw_partial += raw_state.fetchone() not in ((rows, 1), (2 * rows, 2))
        raw.close()
        reopened = open_target(resolve_target(copy))
        state = reopened.query(
            "SELECT (SELECT list(DISTINCT hours::DOUBLE) FROM training), (SELECT count(*) FROM training),"
            " (SELECT count(*) FROM batches), (SELECT value FROM counters WHERE name = 'batch')"
        )[0]
        reopened.close()
        assert state in (([2.0], rows, 1, 1), ([3.0], rows, 2, 2)), f"WAL cut at byte {cut} of {len(wal[1])}"
        seen.add(state[2])
    assert seen == {1, 2}  # the cuts include the whole load and none of it
    assert raw_partial, "DuckDB no longer replays part of a cut load: discard_unfinished_loads may be retired"


# --- DuckLake: the shared backend ----------------------------------------------------------------------


def test_a_ducklake_target_needs_a_data_path_and_never_shows_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("ISOKPI_DATA_PATH", str(tmp_path / "lake"))
    target = resolve_target("ducklake:postgres:dbname=kpi host=db.example password=s3cret user=isokpi")
    assert (target.kind, target.location, target.data_path) == (
        "ducklake",
        "postgres:dbname=kpi host=db.example password=s3cret user=isokpi",
        tmp_path / "lake",
    )
    assert target.label == "DuckLake postgres:dbname=kpi host=db.example password=*** user=isokpi"


def test_a_catalog_that_does_not_answer_is_a_plain_message_without_the_password(tmp_path):
    target = Target(
        "ducklake", "postgres:dbname=kpi host=127.0.0.1 port=1 user=isokpi password=s3cret", tmp_path / "lake"
    )
    with pytest.raises(DatabaseError) as raised:
        open_target(target)
    message = str(raised.value)
    assert message.startswith("cannot open the DuckLake catalog postgres:dbname=kpi host=127.0.0.1 port=1")
    assert "s3cret" not in message and "password=***" in message


@pytest.mark.object_storage  # also on DuckLake over object storage
def test_snapshot_id_is_none_on_a_file_and_pins_what_a_review_showed_on_ducklake(db, write):
    header = "record_id,employee_id,department,course,hours\n"
    ingest_file(db, "training", write("a.csv", header + "T1,1,QA,Audit,2\nT2,2,QA,Audit,3\n"))
    presented = db.snapshot_id()
    ingest_file(db, "training", write("b.csv", header + "T3,3,QA,Audit,4\n"))
    if db.target.kind == "duckdb":
        assert presented is None and db.snapshot_id() is None
        return
    assert db.snapshot_id() > presented
    # What the review presented can be read again later, whatever was loaded since.
    then = db.query("SELECT count(*) FROM training AT (VERSION => $v)", {"v": presented})
    assert (then, db.query("SELECT count(*) FROM training")) == ([(2,)], [(3,)])
    # Inside a write, on its cursor: the snapshot that transaction started from.
    assert db.write(lambda cursor: db.snapshot_id(cursor)) == db.snapshot_id()


@pytest.mark.ducklake
@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_quotes_in_the_connection_string_and_data_path_are_only_text(target, write):
    # libpq quotes a value in single quotes and escapes a quote inside with a backslash.
    odd = Target(target.kind, target.location + r" application_name='isokpi it\'s'", target.data_path / "o'brien lake")
    database = open_target(odd)
    result = ingest_file(
        database, "training", write("t.csv", "record_id,employee_id,department,course,hours\nT1,1,QA,Audit,2\n")
    )
    assert (result.batch_id, database.query("SELECT count(*) FROM training")) == (1, [(1,)])
    assert database.query("SELECT value FROM duckdb_settings() WHERE name = 'enable_external_access'") == [("false",)]
    database.close()
    assert (target.data_path / "o'brien lake" / "main" / "training_versions").is_dir()


@pytest.mark.ducklake
@pytest.mark.parametrize("backend", ["ducklake"], indirect=True)
def test_every_server_must_use_the_catalogs_data_path(target):
    open_target(target).close()
    moved = Target(target.kind, target.location, target.data_path.parent / "elsewhere")
    with pytest.raises(DatabaseError, match="another directory than ISOKPI_DATA_PATH"):
        open_target(moved)
