"""The store: a DuckDB connection, a cursor per call, bound values, writes in one transaction with retry.

It knows nothing of what is stored: isokpi.opening connects it, then applies the migrations and the crash
recovery. Two backends behave the same: an embedded DuckDB file (the default, `data/isokpi.duckdb`) and
DuckLake with a PostgreSQL catalog (`ducklake:postgres:...`) for several app servers over one database, its
data files in a shared directory or in object storage (`ISOKPI_DATA_PATH=s3://bucket/prefix`, isokpi.objectstore).
Nothing here relies on primary keys, unique constraints, sequences or indexes, which DuckLake does not have.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import importlib.util
import itertools
import logging
import os
import random
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from isokpi import objectstore
from isokpi.errors import IsokpiError
from isokpi.writequeue import WriteQueue

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "isokpi.duckdb"
DUCKLAKE_PREFIX = "ducklake:"
LAKE_ALIAS = "isokpi"
ATTACH_ATTEMPTS = 5
UPLOAD_PREFIX = "isokpi-uploads-"  # the private directory of one process's uploads, in the system's temp folder
CHECK_READS = 10  # reading back the storage check file while other servers rewrite it
WRITE_ATTEMPTS = 30  # DuckLake conflicts are per table and every load bumps `counters`: writers queue up

T = TypeVar("T")
log = logging.getLogger(__name__)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_SERIALS = itertools.count(1)
# (Database.serial, data version) pinned by Database.pinned_version for the computation running in this context.
_PINNED: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("isokpi_pinned_version", default=None)


class DatabaseError(IsokpiError):
    """A problem opening or using the database, with a message meant for people."""


class DatabaseBusyError(DatabaseError):
    """Another process holds the DuckDB file: `holder` says which ("process 4242"), for a page to say so too."""

    def __init__(self, message: str, *, location: str, holder: str) -> None:
        super().__init__(message)
        self.location = location
        self.holder = holder


class WriteConflict(DatabaseError):
    """A concurrent writer changed the same tables; the caller retries."""


class DiskFullError(DatabaseError):
    """A write ran out of disk space and was rolled back; `where` is the directory that is full, when known."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NO_SPACE_TEXT = tuple(os.strerror(code).lower() for code in _NO_SPACE)  # as DuckDB quotes the OS error


def is_disk_full(error: BaseException) -> bool:
    """Whether `error` is the OS or DuckDB saying that the disk (or the user's quota) is full."""
    if isinstance(error, DiskFullError) or (isinstance(error, OSError) and error.errno in _NO_SPACE):
        return True
    return isinstance(error, duckdb.Error) and any(text in str(error).lower() for text in _NO_SPACE_TEXT)


def full_directory(error: BaseException) -> str | None:
    """The directory of the file that could not be written, from the OS's or DuckDB's error."""
    if isinstance(error, DiskFullError):
        return error.where
    # shutil names the source first and the file it could not write second.
    path = (error.filename2 or error.filename) if isinstance(error, OSError) else None
    if path is None:
        found = re.search(r'file "([^"]+)"', str(error))
        path = found.group(1) if found else None
    if not path:
        return None
    parts = Path(path).parts
    # A load's own temporary folder is gone by the time the message is read: name the folder that holds it.
    private = next((i for i, part in enumerate(parts) if part.startswith(UPLOAD_PREFIX)), None)
    return str(Path(*parts[:private]) if private else Path(path).parent)


@dataclass(frozen=True)
class Target:
    """Where the data lives: a DuckDB file, or a DuckLake catalog plus its data directory or object storage."""

    kind: str  # "duckdb" | "ducklake"
    location: str  # file path, or the DuckLake connection string after "ducklake:"
    data_path: Path | str | None = None  # DuckLake's data files: a directory, or "s3://bucket/prefix" (a str)

    @property
    def remote(self) -> bool:
        """Whether the data files are in object storage."""
        return isinstance(self.data_path, str)

    @property
    def label(self) -> str:
        return self.location if self.kind == "duckdb" else f"DuckLake {_redacted(self.location)}"

    @property
    def data_dir(self) -> Path | str:
        """The one directory of the data the locked-down connection may read and write: DuckLake's data files; for
        a DuckDB file, its own temporary directory (`<file>.tmp`, where DuckDB spills what does not fit in memory),
        never the folder the file is in. DuckDB itself allows the file, its .wal and their checkpoint and recovery
        files. In object storage, the s3:// URL of the data path."""
        if self.kind == "ducklake":
            assert self.data_path is not None
            return self.data_path
        return Path(self.location + ".tmp").resolve()


def resolve_target(db: str | os.PathLike[str] | None = None) -> Target:
    """The database to use: `--db`, else $ISOKPI_DB, else data/isokpi.duckdb."""
    spec = str(db) if db is not None else os.environ.get("ISOKPI_DB") or str(DEFAULT_DB)
    if spec.startswith(DUCKLAKE_PREFIX):
        data_path = os.environ.get("ISOKPI_DATA_PATH")
        if not data_path:
            raise DatabaseError(
                "ISOKPI_DB names a DuckLake catalog, so ISOKPI_DATA_PATH must name the shared directory "
                "for its data files (for example ISOKPI_DATA_PATH=/srv/isokpi/lake or s3://bucket/isokpi)."
            )
        if objectstore.is_url(data_path):  # never a local folder named "s3:"
            return Target("ducklake", spec[len(DUCKLAKE_PREFIX) :], objectstore.normalized_url(data_path))
        return Target("ducklake", spec[len(DUCKLAKE_PREFIX) :], Path(data_path).resolve())
    return Target("duckdb", str(Path(spec).expanduser().resolve()))


def _extension_file(name: str) -> Path:
    """The extension binary shipped by the pinned `duckdb-extension-<name>` PyPI package."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise DatabaseError(f"the DuckDB {name} extension is missing: pip install -r requirements.txt")
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise DatabaseError(
            f"the {name} extension does not match DuckDB {duckdb.__version__}: pip install -r requirements.txt"
        )
    return path


def _literal(text: str) -> str:
    """A SQL string literal for statements that take no parameters (ATTACH, SET)."""
    if "\x00" in text:
        raise DatabaseError("a database setting contains a NUL character")
    return "'" + text.replace("'", "''") + "'"


def _redacted(location: str) -> str:
    """The DuckLake connection string without its password, for messages."""
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", location, flags=re.IGNORECASE)


def _is_catalog_race(error: Exception) -> bool:
    """Another server created the DuckLake catalog tables while this one was creating them too."""
    text = str(error).lower()
    return any(
        sign in text for sign in ("already exists", "duplicate key", "transaction conflict", "unique constraint")
    )


def _attach_message(target: Target, error: Exception, storage: objectstore.S3Settings | None = None) -> str:
    location = _redacted(target.location)
    text = _redacted(str(error))
    # The bucket was written and read back before ATTACH: only an error of the object store itself (an HTTP one, or
    # one naming the data path) is the store's. A catalog server that refuses the connection is the catalog's.
    storage_error = isinstance(error, duckdb.HTTPException) or objectstore.SCHEME in str(error)
    explained = objectstore.explain(error, storage, str(target.data_path)) if storage and storage_error else None
    if explained is not None:
        return f"cannot open the DuckLake catalog {location}: {explained}"
    if "does not match existing data path" in text:
        return (
            f"The DuckLake catalog {location} keeps its data files in another directory than ISOKPI_DATA_PATH="
            f"{target.data_path}. Every server must use the directory the catalog was created with: {text}"
        )
    return f"cannot open the DuckLake catalog {location}: {text}"


def _create_private_files() -> None:
    """From now on this process creates files for its owner only (umask 077, as PostgreSQL does): DuckDB creates
    the database, its .wal (again after every checkpoint) and its temporary files with the process's umask, and
    they hold everything loaded. A process that opens a DuckDB file writes its exports that way too."""
    os.umask(os.umask(0o077) | 0o077)


def _make_private(*paths: Path) -> None:
    """Files of an older isokpi, created before the umask above, are made the owner's only (directories keep
    their x bit); files someone else owns are left as they are."""
    for path in paths:
        with contextlib.suppress(OSError):
            status = path.stat()
            if status.st_uid == os.getuid() and status.st_mode & 0o077:
                os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _busy_error(target: Target, error: Exception) -> DatabaseBusyError:
    match = re.search(r"\(PID (\d+)\)", str(error))
    holder = f"process {match.group(1)}" if match else "another process"
    message = (
        f"The database {target.location} is in use by {holder} (probably the isokpi app). A DuckDB file is "
        "open to one process at a time, for reading too. Use the app instead (the Upload page loads files, the "
        "Overview shows the scorecard, the Review page makes packs), or stop the app (Ctrl+C in its terminal) and "
        "run this command again. For several processes at once, use the DuckLake backend described in the README."
    )
    return DatabaseBusyError(message, location=target.location, holder=holder)


class Database:
    """One DuckDB connection to a target; hand out a cursor per call (a connection is not thread-safe)."""

    def __init__(self, target: Target) -> None:
        """Connect to `target` and lock the connection down; isokpi.opening.open_target also migrates it."""
        self.target = target
        self.serial = next(_SERIALS)  # tells this connection from a later one to another file at the same path
        self._write_lock = threading.Lock()
        self.write_retries = 0  # writes retried after a conflict with another writer (benchmarks, tests)
        self._dataset_versions: tuple[int, dict] | None = None  # (data version, what dataset_versions read for it)
        # DuckLake's writers wait for their turn on the catalog instead of colliding at COMMIT (isokpi.writequeue).
        self.write_queue = (
            WriteQueue.for_lake(target.location, str(target.data_path)) if target.kind == "ducklake" else None
        )
        # Uploads are copied here before DuckDB reads them; the locked-down connection may read nothing else.
        self.upload_root = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
        os.chmod(self.upload_root, 0o700)
        # Removed on close, or at the latest when the process exits.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.upload_root, ignore_errors=True)
        try:
            self.connection = self._connect()
            self._lock_down()
        except BaseException:
            self.close()
            raise

    # --- connecting ---------------------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if self.target.kind == "duckdb":
            _create_private_files()
            Path(self.target.location).parent.mkdir(parents=True, exist_ok=True)
            _make_private(Path(self.target.location), Path(self.target.location + ".wal"), self.target.data_dir)
            config["temp_directory"] = str(self.target.data_dir)
            try:
                return duckdb.connect(self.target.location, config=config)
            except duckdb.IOException as error:
                if "lock" in str(error).lower():
                    raise _busy_error(self.target, error) from None
                raise DatabaseError(f"cannot open {self.target.location}: {error}") from None
        return self._connect_ducklake(config)

    def _connect_ducklake(self, config: dict[str, object]) -> duckdb.DuckDBPyConnection:
        # Extensions come from the pinned PyPI packages, linked into a private extension directory under the
        # names DuckDB loads them by (the postgres package's binary is `postgres_scanner`); never the network.
        extension_dir = self.upload_root / "extensions"
        connection = duckdb.connect(config={**config, "extension_directory": str(extension_dir)})
        platform = connection.execute("PRAGMA platform").fetchone()[0]
        installed = extension_dir / f"v{duckdb.__version__}" / platform
        installed.mkdir(parents=True)
        extensions = [("ducklake", "ducklake"), ("postgres", "postgres_scanner")]
        if self.target.remote:
            extensions.append(("httpfs", "httpfs"))
        for name, loaded_as in extensions:
            (installed / f"{loaded_as}.duckdb_extension").symlink_to(_extension_file(name))
            connection.execute(f"LOAD {loaded_as}")
        assert self.target.data_path is not None
        if isinstance(self.target.data_path, str):
            try:
                self.storage = objectstore.S3Settings.load()
                # The credentials go into a secret scoped to the data path, never into a message or a log line.
                connection.execute(self.storage.create_secret_sql(self.target.data_path + "/"))
            except Exception:
                connection.close()
                raise
            self._check_storage(connection)  # before the catalog is touched
        else:
            self.target.data_path.mkdir(parents=True, exist_ok=True)
        # ATTACH takes no prepared parameters: both strings come from configuration, as literals, quotes doubled.
        spec = _literal(DUCKLAKE_PREFIX + self.target.location)
        data_path = _literal(str(self.target.data_path) + "/")
        for attempt in range(ATTACH_ATTEMPTS):
            try:
                connection.execute(f"ATTACH {spec} AS {LAKE_ALIAS} (DATA_PATH {data_path})")
                break
            except duckdb.Error as error:
                # Several servers creating a new catalog at the same moment: all but one fail; attach again.
                if attempt < ATTACH_ATTEMPTS - 1 and _is_catalog_race(error):
                    time.sleep(0.1 * (1 + random.random()))
                    continue
                connection.close()
                raise DatabaseError(_attach_message(self.target, error, getattr(self, "storage", None))) from None
        connection.execute(f"USE {LAKE_ALIAS}")
        return connection

    def _check_storage(self, connection: duckdb.DuckDBPyConnection) -> None:
        """The bucket is reachable and writable with these credentials: a small file written under the data path
        and read back (one fixed name, overwritten each time), else a plain StorageError of what is wrong."""
        assert isinstance(self.target.data_path, str)
        url = f"{self.target.data_path}/{objectstore.CHECK_FILE}"
        try:
            connection.execute(f"COPY (SELECT 'isokpi' AS written_by, now() AS written_at) TO {_literal(url)} (HEADER)")
            for attempt in range(CHECK_READS):
                try:
                    connection.execute(f"SELECT count(*) FROM read_csv({_literal(url)})").fetchall()
                    break
                except duckdb.HTTPException as error:
                    # Another server starting at the same moment rewrote the file between two requests of this read.
                    if "ETag" not in str(error) or attempt == CHECK_READS - 1:
                        raise
                    time.sleep(0.05 * (1 + random.random()))
        except duckdb.Error as error:
            connection.close()
            explained = objectstore.explain(error, self.storage, self.target.data_path)
            raise objectstore.StorageError(
                f"cannot use the object storage of DuckLake {_redacted(self.target.location)}: "
                f"{explained or _redacted(str(error))}"
            ) from None

    def _lock_down(self) -> None:
        """No file access outside the data directory (Target.data_dir: never the folder a DuckDB file is in) and
        the private upload directory; settings frozen.

        Called after LOAD and ATTACH (both are refused once external access is off); allowed_directories has
        to be set before enable_external_access. On DuckLake the Postgres connection stays usable, and the
        data directory must be allowed: every insert writes below it.
        """
        allowed = [str(self.target.data_dir) + "/", str(self.upload_root) + "/"]
        # A literal, not a parameter: SET takes no parameters, and these paths are ours, quotes doubled.
        listed = ", ".join(_literal(path) for path in allowed)
        self.connection.execute(f"SET allowed_directories = [{listed}]")
        self.connection.execute("SET enable_external_access = false")
        self.connection.execute("SET lock_configuration = true")

    def snapshot_id(self, cursor: duckdb.DuckDBPyConnection | None = None) -> int | None:
        """The DuckLake snapshot the data is at (None on a DuckDB file), for a frozen review to pin.

        On `cursor` inside a transaction: the snapshot that transaction reads. What a pinned snapshot showed
        is read again with `SELECT ... FROM training AT (VERSION => $snapshot)` (tables and views alike).
        """
        if self.target.kind != "ducklake":
            return None
        sql = f"SELECT id FROM {LAKE_ALIAS}.current_snapshot()"
        row = self.query(sql) if cursor is None else cursor.execute(sql).fetchall()
        return int(row[0][0])

    def data_version(self) -> int:
        """Changes whenever the data changes, in this process or another server's: on DuckLake every commit
        makes a new snapshot; on a file, every load and undo bumps the batch counter. Inside pinned_version(), the
        version it pinned."""
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] == self.serial:
            return pinned[1]
        snapshot = self.snapshot_id()
        if snapshot is not None:
            return snapshot
        return int(self.query("SELECT value FROM counters WHERE name = 'batch'")[0][0])

    @contextlib.contextmanager
    def pinned_version(self) -> Iterator[int]:
        """One data version for a computation and the cached calls inside it (isokpi.cache), asked once: a scorecard
        asks 55 times, each a catalog round trip on DuckLake (5 ms). What it reads is as current as without the pin:
        a result is kept under the version asked before it was computed, in both cases. Nested pins keep the first;
        a thread started inside sees the pin only when it runs in a copy of the context (contextvars)."""
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] == self.serial:
            yield pinned[1]
            return
        version = self.data_version()
        token = _PINNED.set((self.serial, version))
        try:
            yield version
        finally:
            _PINNED.reset(token)

    def dataset_versions(self, datasets: tuple[str, ...]) -> tuple[tuple[str, tuple[int | None, int]], ...]:
        """Per dataset, what changes whenever its rows change and only then: its newest batch and how many of its
        batches are no longer loaded (undone, or removed with the demo). Both only grow. Every load writes its
        batch, and every undo and demo removal marks one, in the transaction that changes the rows, in every
        version of isokpi: a change from another server shows here, however old its code.

        Kept per data version (every cached call asks, 53 times per scorecard: on DuckLake 26 ms each, where the
        snapshot id costs 5 ms). The data version is read first, so what is kept under it is never older than it."""
        version = self.data_version()
        kept = self._dataset_versions
        if kept is None or kept[0] != version:
            rows = {
                name: (newest, gone)
                for name, newest, gone in self.query(
                    "SELECT dataset, max(batch_id), count(*) FILTER (WHERE status <> 'loaded') FROM batches "
                    "GROUP BY dataset"
                )
            }
            kept = self._dataset_versions = (version, rows)
        return tuple((name, kept[1].get(name, (None, 0))) for name in datasets)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if hasattr(self, "connection"):
                self.connection.close()
        if getattr(self, "write_queue", None) is not None:
            self.write_queue.close()
        self._cleanup()

    # --- using ----------------------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor: safe to use from the calling thread while others use theirs."""
        cursor = self.connection.cursor()
        if self.target.kind == "ducklake":
            cursor.execute(f"USE {LAKE_ALIAS}")
        return cursor

    def query(self, sql: str, params: dict[str, object] | list[object] | None = None) -> list[tuple]:
        """Run one read query on its own cursor and return all rows."""
        with contextlib.closing(self.cursor()) as cursor:
            return cursor.execute(sql, params or {}).fetchall()

    def query_dicts(self, sql: str, params: dict[str, object] | list[object] | None = None) -> list[dict]:
        """Rows as dicts keyed by column name."""
        with contextlib.closing(self.cursor()) as cursor:
            result = cursor.execute(sql, params or {})
            names = [column[0] for column in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    @contextlib.contextmanager
    def transaction(self, cursor: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT on `cursor` (default: a fresh one); ROLLBACK on any error.

        Conflicts with a concurrent writer surface as WriteConflict.
        """
        own = cursor is None
        active = self.cursor() if cursor is None else cursor
        try:
            active.execute("BEGIN TRANSACTION")
            try:
                yield active
                active.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(duckdb.Error):
                    active.execute("ROLLBACK")
                if is_disk_full(error):  # also at COMMIT, as a TransactionException: no use retrying
                    where = full_directory(error)
                    raise DiskFullError(
                        f"the disk is full{f' ({where})' if where else ''}; nothing was written. Free some space and "
                        "try again.",
                        where,
                    ) from None
                if isinstance(error, duckdb.TransactionException):
                    raise WriteConflict(str(error)) from error
                raise
        finally:
            if own:
                active.close()

    def write(
        self,
        work: Callable[[duckdb.DuckDBPyConnection], T],
        *,
        cursor: duckdb.DuckDBPyConnection | None = None,
        attempts: int = WRITE_ATTEMPTS,
    ) -> T:
        """Run `work(cursor)` in one transaction, retrying with backoff when a concurrent writer conflicts.

        On DuckLake a conflict shows at COMMIT and is per table; every write bumps `counters`, so concurrent
        writers from several servers take turns (isokpi.writequeue), and retry a conflict only when one of them
        wrote without its turn or another program wrote the lake. The backoff grows from 50 ms to at most 1 s, with
        jitter so that losers do not collide again in step: 30 attempts give up after about 25 s of waiting (plus,
        on DuckLake, at most one wait of writequeue.TURN_WAIT_MS for a turn).
        """
        queued = self.write_queue is not None
        for attempt in range(attempts):
            try:
                turn = self.write_queue.turn() if queued else contextlib.nullcontext(False)
                with self._write_lock, turn as had_turn, self.transaction(cursor) as active:
                    queued = queued and had_turn  # missed once: the retries do not wait for the queue again
                    return work(active)
            except WriteConflict as conflict:
                if attempt == attempts - 1:
                    log.warning("write gave up after %d conflicts: %s", attempts, conflict)
                    raise DatabaseError(
                        "the database stayed busy with other writers; nothing was changed. Try again in a minute."
                    ) from None
                self.write_retries += 1
                log.info("write conflict, attempt %d of %d, retrying: %s", attempt + 1, attempts, conflict)
                time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))
        raise AssertionError("unreachable")


def quote(identifier: str) -> str:
    """Quote an identifier from our own declarations (never user text); anything else is refused."""
    if not _IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"not an allowed identifier: {identifier!r}")
    return f'"{identifier}"'


def now_utc() -> dt.datetime:
    """The time stored with every record: UTC, without a time zone (DuckDB TIMESTAMP)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def bound(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The subset of `params` that `sql` names ($name): DuckDB refuses unused named parameters."""
    code = re.sub(r"--[^\n]*", "", sql)  # a name mentioned in a comment is not a use
    return {name: value for name, value in params.items() if re.search(rf"\${re.escape(name)}\b", code)}


def next_id(cursor: duckdb.DuckDBPyConnection, counter: str) -> int:
    """Allocate the next id of `counter` inside the caller's transaction.

    Two writers bumping the same counter row conflict, so one retries: this is also what serialises loads
    on DuckLake, where there are no unique constraints to stop a duplicate.
    """
    cursor.execute("UPDATE counters SET value = value + 1 WHERE name = $name", {"name": counter})
    row = cursor.execute("SELECT value FROM counters WHERE name = $name", {"name": counter}).fetchone()
    if row is None:
        raise DatabaseError(f"counter {counter!r} is missing: the database was not migrated")
    return int(row[0])
