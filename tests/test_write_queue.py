"""DuckLake's writers take turns on an advisory lock of the PostgreSQL catalog (isokpi.writequeue) instead of
colliding at COMMIT; a writer that cannot have its turn writes without it, as before."""

from __future__ import annotations

import threading
import time

import pytest

from isokpi.db import next_id
from isokpi.opening import open_target
from isokpi.writequeue import WriteQueue, lock_key

pytestmark = pytest.mark.ducklake
ON_A_LAKE = pytest.mark.parametrize("backend", ["ducklake"], indirect=True)


@ON_A_LAKE
def test_a_second_server_waits_for_the_first_to_commit_instead_of_conflicting(target):
    first, second = open_target(target), open_target(target)  # two servers: two connections, two sessions
    try:
        inside, order = threading.Event(), []

        def slow(cursor):
            value = next_id(cursor, "note")
            inside.set()
            time.sleep(0.5)  # the second server asks for its turn meanwhile
            order.append(("first", value))
            return value

        def quick(cursor):
            value = next_id(cursor, "note")
            order.append(("second", value))
            return value

        thread = threading.Thread(target=lambda: first.write(slow))
        thread.start()
        assert inside.wait(10)
        assert second.write(quick) == 2  # its transaction began after the first's commit: it saw 1
        thread.join()
        assert order == [("first", 1), ("second", 2)]
        assert (first.write_retries, second.write_retries) == (0, 0)  # no conflict: nothing done twice
        assert (first.write_queue.waits, second.write_queue.waits) == (0, 1)
        assert second.query("SELECT value FROM counters WHERE name = 'note'") == [(2,)]
    finally:
        first.close()
        second.close()


@ON_A_LAKE
def test_a_write_that_fails_gives_its_turn_back_and_a_lost_session_is_opened_again(target):
    first, second = open_target(target), open_target(target)
    try:

        def failing(cursor):
            next_id(cursor, "note")
            raise ValueError("the work failed")

        with pytest.raises(ValueError):
            first.write(failing)
        # The turn went back with the rollback: the second server has it at once.
        assert second.write(lambda cursor: next_id(cursor, "note")) == 1
        assert second.write_queue.waits == 0
        # The queue's session ended while idle (the catalog restarted, a firewall dropped it): opened again once.
        pid = first.write_queue._connection.info.backend_pid
        second.write_queue._connect().execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert first.write(lambda cursor: next_id(cursor, "note")) == 2
        assert (first.write_queue.turns_missed, first.write_retries) == (0, 0)
    finally:
        first.close()
        second.close()


@ON_A_LAKE
def test_a_writer_that_cannot_reach_the_queue_writes_without_its_turn(target):
    database = open_target(target)
    try:
        database.write_queue = WriteQueue("host=127.0.0.1 port=1 dbname=nowhere connect_timeout=1", 7)
        assert database.write(lambda cursor: next_id(cursor, "note")) == 1
        assert database.write_queue.turns_missed == 1
        assert database.query("SELECT value FROM counters WHERE name = 'note'") == [(1,)]
    finally:
        database.close()


def test_each_lake_has_its_own_turn():
    catalog = "postgres:dbname=isokpi host=db"
    assert lock_key(catalog, "/srv/lake") == lock_key(catalog, "/srv/lake")
    assert lock_key(catalog, "/srv/lake") != lock_key(catalog, "/srv/other")
    assert lock_key(catalog, "/srv/lake") != lock_key("postgres:dbname=other host=db", "/srv/lake")
    assert WriteQueue.for_lake("sqlite:catalog.db", "/srv/lake") is None
    assert WriteQueue.for_lake(catalog, "/srv/lake").conninfo == "dbname=isokpi host=db"
