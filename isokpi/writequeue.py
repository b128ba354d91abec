"""Writers to one DuckLake take turns on a PostgreSQL advisory lock instead of colliding at COMMIT.

Every isokpi write bumps a row of `counters` (a batch id, an audit event id), and DuckLake refuses the second of two
concurrent transactions that update the same table: it finds out only at COMMIT, after all the work, which the loser
then does again. With four app servers loading at once, most of the time went on work thrown away (0.15-0.30
uploads/s against 1.10 with one server). So before a write begins its transaction it waits for the turn of its
lake: a transaction-level advisory lock on the catalog's PostgreSQL database, taken in a transaction of the queue's
own session and held until the write's transaction has committed or rolled back. The turn is only a queue, never
what keeps the data right: DuckLake still checks every commit, and a writer that cannot get its turn (the catalog
unreachable for a moment, a wait longer than TURN_WAIT_MS) writes without it, as before, retrying on a conflict. A
write that missed its turn does its remaining attempts without it, so that a stuck queue costs it one wait, not one
per retry.

The lock is held on a connection of its own (psycopg, imported by the first write: 0.24 s that a reader never
pays), not through DuckDB's postgres extension, whose pooled connections could take a lock on one session and
release it on another. A server that dies loses its session, and PostgreSQL releases its turn with it; keepalives
find a frozen or cut-off one within about half a minute. Servers that spell the same catalog differently (another
order of its settings, another user) get different locks: they still write correctly, through conflicts and
retries, as without the queue.
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
TURN_WAIT_MS = 60_000  # a write waits at most this long for its turn, once (then it writes without one)
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
        self.waits = 0  # writes that waited for another server's (tests)
        self.turns_missed = 0  # writes that went ahead without their turn (tests)

    @classmethod
    def for_lake(cls, location: str, data_path: str) -> WriteQueue | None:
        """The queue of a DuckLake whose catalog is PostgreSQL (`location` as after "ducklake:"), else None."""
        if not location.startswith(CATALOG_PREFIX):
            return None
        return cls(location[len(CATALOG_PREFIX) :], lock_key(location, data_path))

    def _connect(self) -> psycopg.Connection:
        import psycopg

        if self._connection is None or self._connection.closed:
            # Keepalives both ways, so that a server cut off or frozen while it holds the turn loses it within about
            # half a minute, not the two hours of the system's defaults.
            connection = psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
                application_name="isokpi write queue",
            )
            connection.execute(f"SET lock_timeout = {int(TURN_WAIT_MS)}")
            with contextlib.suppress(psycopg.Error):  # ignored on a Unix socket; refused by some poolers
                connection.execute("SET tcp_keepalives_idle = 10")
                connection.execute("SET tcp_keepalives_interval = 5")
                connection.execute("SET tcp_keepalives_count = 3")
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None

    def _take(self) -> psycopg.Connection:
        """The lock, in a transaction of the queue's session (pg_advisory_xact_lock: released when that transaction
        ends or the session goes, and kept on one backend by a pooler in transaction mode)."""
        connection = self._connect()
        connection.execute("BEGIN")
        if not connection.execute("SELECT pg_try_advisory_xact_lock(%s)", (self.key,)).fetchone()[0]:
            self.waits += 1  # another server is writing: wait for it
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (self.key,))
        return connection

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Wait for this lake's turn, yield whether it was had, and give it back after the caller's transaction."""
        connection = None
        try:
            import psycopg

            try:
                connection = self._take()
            except psycopg.OperationalError:
                if self._connection is None:
                    raise
                self._drop()  # a session gone stale while idle (the catalog restarted, a firewall): once more
                connection = self._take()
        except Exception as error:  # psycopg missing or failing, the catalog unreachable, a wait too long
            # Write without the turn: DuckLake still refuses a conflict, and the write retries it.
            self.turns_missed += 1
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            log.warning("writing without a turn in the write queue: %s", first)
            self._drop()
            connection = None
        try:
            yield connection is not None
        finally:
            if connection is not None:
                try:
                    connection.execute("COMMIT")  # ends the queue's transaction: the next server's turn
                except Exception:
                    self._drop()  # the session goes, and its lock with it

    def close(self) -> None:
        self._drop()
