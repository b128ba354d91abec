"""Results kept per data version: a library call asked again before the data changes costs nothing.

One cache for the KPI engine, the page views and the review's evidence, keyed by the function, the database, its
data version (which changes with every load and undo, on any server), today's date and the arguments (filter
values, never DataFrames); the database as this process opened it, so a file replaced and opened again is
another database. The costly results underneath (each KPI's rows, the staff counts, each view's rows) are kept
per version of the datasets they read instead (`reads=`), so a load of one dataset leaves the others'. Two
sessions that ask for the same result at once compute it once. Results are shared, not copied: callers treat
them as read-only.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from isokpi.db import Database

T = TypeVar("T")
ENTRIES = 512  # a tour of every page on one set of filters keeps about 150 (the demo, 2026-12)


class ResultCache:
    """The newest ENTRIES results, with one computation at a time per key."""

    def __init__(self, entries: int = ENTRIES) -> None:
        self.entries = entries
        self._results: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # a second caller of the same key waits for the first one's result
            with self._lock:
                if key in self._results:
                    return self._results[key]
            try:
                value = compute()
            finally:  # a computation that failed leaves no lock behind (the next caller tries again)
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self._results[key] = value
                while len(self._results) > self.entries:
                    self._results.popitem(last=False)
            return value

    def kept(self, key: tuple) -> tuple[bool, Any]:
        """(True, the result) when `key`'s result is kept, else (False, None); never computes."""
        with self._lock:
            if key in self._results:
                return True, self._results[key]
            return False, None

    def clear(self) -> None:
        with self._lock:
            self._results.clear()


RESULTS = ResultCache()


def cached(function: Callable[..., T], *, reads: Callable[..., tuple[str, ...]] | None = None) -> Callable[..., T]:
    """`function(database, *args, **kwargs)` with its result kept per data version (see the module docstring).

    With `reads`, which names the datasets the call reads from its arguments (`reads(*args, **kwargs)`), the
    result is kept per version of those datasets only (Database.dataset_versions): a load of another dataset
    leaves it as it is. Only for calls that read nothing else: every KPI's SQL, which tests/test_reads.py checks
    against the tables DuckDB's plan scans."""
    name = f"{function.__module__}.{function.__qualname__}"

    def key_of(database: Database, args: tuple, kwargs: dict) -> tuple:
        version = database.data_version() if reads is None else database.dataset_versions(reads(*args, **kwargs))
        return (name, database.serial, version, dt.date.today(), args, tuple(sorted(kwargs.items())))

    @functools.wraps(function)
    def call(database: Database, *args: Any, **kwargs: Any) -> T:
        with database.pinned_version():  # the calls inside ask for the data version once
            return RESULTS.get(key_of(database, args, kwargs), lambda: function(database, *args, **kwargs))

    def kept(database: Database, *args: Any, **kwargs: Any) -> T | None:
        """The result this call would give when it is kept for the data as it is now, else None (nothing computed)."""
        return RESULTS.kept(key_of(database, args, kwargs))[1]

    call.compute = function  # type: ignore[attr-defined]  # the same call, computed now (benchmarks)
    call.kept = kept  # type: ignore[attr-defined]
    return call
