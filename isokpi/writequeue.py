"""Writers to one DuckLake take turns on a PostgreSQL advisory lock instead of colliding at COMMIT.

Every isokpi write bumps a row of `counters` (a batch id, an audit event id), and DuckLake refuses the second of two
concurrent transactions that update the same table: it finds out only at COMMIT, after all the work, which the loser
then does again. With four app servers loading at once, most of the time went on work thrown away (0.15-0.30
uploads/s against 1.10 with one server). So before a write begins its transaction it waits for the turn of its
lake: a session-level advisory lock on the catalog's PostgreSQL database, held until the transaction has
committed or rolled back. The turn is only a queue, never what keeps the data right: DuckLake still checks every
commit, and a writer that cannot get its turn (the catalog unreachable for a moment, a wait longer than
TURN_WAIT) writes without it, as before, retrying on a conflict.

The lock is held on a connection of its own (psycopg, imported by the first write: 0.24 s that a reader never pays), not through DuckDB's postgres extension, whose pooled
connections could take a lock on one session and release it on another. A server that dies loses its session,
and PostgreSQL releases its turn with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CATALOG_PREFIX = "postgres:"
TURN_WAIT_MS = 60_000  # a write waits at most this long for its turn (a load of a million rows takes about 20 s)
CONNECT_TIMEOUT_S = 5


def lock_key(catalog: str, data_path: str) -> int:
    """The advisory lock of one lake: several lakes may keep their catalogs in the same PostgreSQL database."""
    digest = hashlib.sha256(f"isokpi writes\n{catalog}\n{data_path}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class WriteQueue:
    """The turn of one lake's writers (one per Database; its caller serialises the threads of a process)."""

    def __init__(self, conninfo: str, key: int) -> None:
        self.conninfo = conninfo
        self.key = key
        self._connection: psycopg.Connection | None = None
        self.waits = 0  # writes that waited for another server's (benchmarks, tests)
        self.turns_missed = 0  # writes that went ahead without their turn (benchmarks, tests)

    @classmethod
    def for_lake(cls, location: str, data_path: str) -> WriteQueue | None:
        """The queue of a DuckLake whose catalog is PostgreSQL (`location` as after "ducklake:"), else None."""
        if not location.startswith(CATALOG_PREFIX):
            return None
        return cls(location[len(CATALOG_PREFIX) :], lock_key(location, data_path))

    def _connect(self) -> psycopg.Connection:
        import psycopg

        if self._connection is None or self._connection.closed:
            connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
            connection.execute(f"SET lock_timeout = {int(TURN_WAIT_MS)}")
            connection.execute("SET application_name = 'isokpi write queue'")
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Wait for this lake's turn, yield whether it was had, and give it back after the caller's transaction."""
        import psycopg

        held = False
        try:
            connection = self._connect()
            if not connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
                self.waits += 1  # another server is writing: wait for it
                connection.execute("SELECT pg_advisory_lock(%s)", (self.key,))
            held = True
        except psycopg.Error as error:
            # Unreachable catalog or a long wait: write without the turn; DuckLake still refuses a conflict.
            self.turns_missed += 1
            log.warning(
                "writing without a turn in the write queue: %s", str(error).splitlines()[0] if str(error) else error
            )
            self._drop()
        try:
            yield held
        finally:
            if held:
                try:
                    self._connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
                except psycopg.Error:
                    self._drop()  # the session goes, and its lock with it

    def close(self) -> None:
        self._drop()
