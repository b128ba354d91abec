"""Shared fixtures: a fresh database per test on each backend, and helpers to write input files.

Tests marked both_backends (the store, ingest, mapping, the KPI engine, concurrency) that take `db` (or `target`)
run twice: on an embedded DuckDB file and on DuckLake with a PostgreSQL catalog; the others run on the file,
which keeps the suite inside CI's time. The DuckLake run needs a PostgreSQL server (see tests/pg.py:
$ISOKPI_TEST_PG, a server on 127.0.0.1:55432, or a throwaway cluster started for the session); without one
it is skipped with the reason. `pytest -m "not ducklake"` runs the file backend only.

Tests marked object_storage run a third time on DuckLake with its data files in object storage: a bucket of
moto's S3-compatible server that tests/s3.py starts for the session on 127.0.0.1 (`-m "not s3"` leaves it out).
Only a chosen few carry the mark: a DuckLake test is slow on two cores, and CI's time is counted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
import streamlit as st

from isokpi.db import DUCKLAKE_PREFIX, Target, resolve_target
from isokpi.demo import load_demo
from isokpi.ingest import ingest_file
from isokpi.opening import close_all, open_target

from . import pg, s3

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# As the machine's own probe starts it: no sandbox as root, and no background calls to Google's servers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Pages and the demo fill read these; tests choose their own database explicitly.
os.environ.setdefault("ISOKPI_NO_DEMO", "1")


BACKENDS = ["duckdb", pytest.param("ducklake", marks=pytest.mark.ducklake)]
OBJECT_STORAGE = pytest.param("s3", marks=[pytest.mark.ducklake, pytest.mark.s3])


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    explicit = any("backend" in str(marker.args[0]) for marker in metafunc.definition.iter_markers("parametrize"))
    if explicit:
        return
    both = metafunc.definition.get_closest_marker("both_backends") is not None
    backends = BACKENDS if both else ["duckdb"]
    if metafunc.definition.get_closest_marker("object_storage") is not None:
        backends = [*backends, OBJECT_STORAGE]
    metafunc.parametrize("backend", backends, indirect=True)


@contextlib.contextmanager
def started(find_or_start):
    """(server, reason) or (None, reason) from find_or_start(), the server stopped on leaving."""
    server, reason = find_or_start()
    try:
        yield server, reason
    finally:
        if server is not None:
            server.stop()


@pytest.fixture(scope="session")
def pg_server():
    """(Server, reason) or (None, reason): found once per session, a cluster of our own stopped at the end."""
    with started(pg.find_or_start) as found:
        yield found


@pytest.fixture(scope="session")
def s3_store():
    """(Store, reason) or (None, reason): moto's server started once per session on 127.0.0.1, stopped at the end."""
    with started(s3.find_or_start) as found:
        yield found


@pytest.fixture
def backend(request) -> str:
    """The backend, "duckdb", "ducklake" or "s3" (DuckLake with its files in object storage); a DuckLake run is
    skipped, with the reason, when no PostgreSQL (or no object store) is available."""
    if request.param in ("ducklake", "s3"):
        server, reason = request.getfixturevalue("pg_server")
        if server is None:
            pytest.skip(f"DuckLake backend not tested: {reason}")
    if request.param == "s3":
        store, reason = request.getfixturevalue("s3_store")
        if store is None:
            pytest.skip(f"object storage not tested: {reason}")
    return request.param


@pytest.fixture
def s3_bucket(request, monkeypatch) -> str:
    """A new bucket on the session's object store, with its settings in the environment (AWS_*)."""
    store, reason = request.getfixturevalue("s3_store")
    if store is None:
        pytest.skip(f"object storage not tested: {reason}")
    for name, value in store.environ().items():
        monkeypatch.setenv(name, value)
    return store.create_bucket()


@pytest.fixture
def target(backend: str, tmp_path: Path, request):
    """Where a new database lives: a file under tmp_path, or a new PostgreSQL database plus a data directory."""
    if backend == "duckdb":
        yield resolve_target(tmp_path / "test.duckdb")
        return
    server, _ = request.getfixturevalue("pg_server")
    dsn = server.create_database()
    if backend == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        yield Target("ducklake", "postgres:" + dsn, f"s3://{bucket}/lake")
    else:
        yield Target("ducklake", "postgres:" + dsn, (tmp_path / "lake").resolve())
    server.drop_database(dsn)


def target_spec(target: Target) -> str:
    """What to pass as --db or $ISOKPI_DB for `target` (DuckLake also needs target_env's ISOKPI_DATA_PATH)."""
    return target.location if target.kind == "duckdb" else DUCKLAKE_PREFIX + target.location


def target_env(target: Target) -> dict[str, str]:
    """The environment a subprocess needs to open `target`."""
    env = {**os.environ, "ISOKPI_DB": target_spec(target)}
    if target.data_path is not None:
        env["ISOKPI_DATA_PATH"] = str(target.data_path)
    return env


@pytest.fixture
def db(target: Target):
    """A new, migrated, locked-down database on each backend."""
    database = open_target(target)
    yield database
    database.close()


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path of a file in tmp_path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """demo_database(as_of=today) -> the path of a new copy of the demo database ending on that day.

    The demo is generated once per session and day (a few seconds); every call gets its own copy to write to.
    """
    built: dict[dt.date, Path] = {}

    def copy(as_of: dt.date | None = None) -> Path:
        as_of = as_of or dt.date.today()
        if as_of not in built:
            path = tmp_path_factory.mktemp(f"demo-{as_of}") / "demo.duckdb"
            database = open_target(resolve_target(path))
            load_demo(database, as_of=as_of)
            database.close()
            built[as_of] = path
        fresh = tmp_path_factory.mktemp("demo-copy") / "demo.duckdb"
        shutil.copy(built[as_of], fresh)
        return fresh

    return copy


@pytest.fixture
def use_database(monkeypatch):
    """use_database(path): the app's database ($ISOKPI_DB) becomes `path`, with no connection or cached result of
    an earlier run left over; closed again after the test."""

    def point(path: str | os.PathLike[str]) -> None:
        monkeypatch.setenv("ISOKPI_DB", str(path))
        close_all()
        st.cache_resource.clear()
        st.cache_data.clear()

    yield point
    close_all()


@pytest.fixture
def app_database(tmp_path: Path, use_database):
    """app_database({dataset: csv_text, ...}, name="app.duckdb") -> the path of a new database file holding those
    files, each loaded as one batch (which must succeed), that the app then opens."""

    def build(files: dict[str, str], name: str = "app.duckdb") -> Path:
        path = tmp_path / name
        database = open_target(resolve_target(path))
        for dataset, text in files.items():
            source = tmp_path / f"{dataset}.csv"
            source.write_text(text, encoding="utf-8")
            result = ingest_file(database, dataset, source)
            assert result.ok, result.errors
        database.close()
        use_database(path)
        return path

    return build


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def csv_workbook(text: bytes, *, note: tuple[str, str] | None = None) -> bytes:
    """An .xlsx holding the CSV `text` on a sheet called Findings; `note` (sheet title, text) puts a sheet of one
    note before it, as exports often have."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if note is not None:
        sheet.title, _ = note
        sheet.append([note[1]])
        sheet = workbook.create_sheet("Findings")
    else:
        sheet.title = "Findings"
    for line in text.decode().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
