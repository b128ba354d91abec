"""The app's database as the app opens it (isokpi.ui.database): the demo goes only into a database that has never
held a batch, never again once its batches were undone, whatever clears Streamlit's caches; a database another
process holds is named with that process."""

from __future__ import annotations

import subprocess
import sys

import pytest
import streamlit as st

from isokpi.auth import system_user
from isokpi.db import resolve_target
from isokpi.demo import never_held_a_batch
from isokpi.ingest import ingest_file, list_batches, undo_batch
from isokpi.opening import open_database, open_target

from .apptest import app_page

DATASETS = ("training", "findings", "survey", "targets")
LEAD = system_user("test")


def rows(database) -> dict[str, int]:
    return {name: database.query(f"SELECT count(*) FROM {name}")[0][0] for name in DATASETS}


@pytest.fixture
def emptied(tmp_path, write):
    """A database that held one batch, undone: every dataset empty, the ledger not."""
    path = tmp_path / "emptied.duckdb"
    database = open_target(resolve_target(path))
    assert never_held_a_batch(database)
    result = ingest_file(
        database, "targets", write("targets.csv", "kpi_id,target\nmandatory_training_completion_pct,95\n")
    )
    assert result.ok and not never_held_a_batch(database)
    undo_batch(database, result.batch_id, actor=LEAD)
    assert rows(database) == dict.fromkeys(DATASETS, 0) and not never_held_a_batch(database)
    database.close()
    return path


def test_an_emptied_database_gets_no_demo_after_a_restart_or_a_cleared_cache(emptied, use_database, monkeypatch):
    monkeypatch.delenv("ISOKPI_NO_DEMO")  # as the app runs for real
    use_database(emptied)  # a fresh process: nothing opened, nothing cached
    at = app_page("overview")
    at.run()
    assert not at.exception, at.exception
    # What any client's clear-cache message makes Streamlit do (AppSession._handle_clear_cache_request), then the
    # next run of any page.
    st.cache_data.clear()
    st.cache_resource.clear()
    at.run()
    assert not at.exception, at.exception
    database = open_database()  # the connection the app used
    assert rows(database) == dict.fromkeys(DATASETS, 0)
    assert [(b["dataset"], b["status"]) for b in list_batches(database)] == [("targets", "undone")]


def test_only_a_database_that_never_held_a_batch_is_new(tmp_path, write):
    database = open_target(resolve_target(tmp_path / "new.duckdb"))
    assert never_held_a_batch(database)
    checked = ingest_file(database, "targets", write("t.csv", "kpi_id,target\ncustomer_nps,30\n"), check_only=True)
    assert checked.ok and never_held_a_batch(database)  # a check writes nothing
    refused = ingest_file(database, "targets", write("bad.csv", "kpi_id,target\nnps,lots\n"))
    assert not refused.ok and never_held_a_batch(database)  # a refused file loads nothing
    assert ingest_file(database, "targets", write("t.csv", "kpi_id,target\ncustomer_nps,30\n")).ok
    assert not never_held_a_batch(database)
    database.close()


def test_a_database_held_by_another_process_is_named_with_it_on_the_page(tmp_path, use_database):
    path = tmp_path / "held.duckdb"
    open_target(resolve_target(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        use_database(path)
        at = app_page("overview")
        at.run()
        assert not at.exception, at.exception
        [error] = [element.value for element in at.error]
        assert f"is in use by process {holder.pid}, probably another isokpi server or command" in error
        assert "Stop that process and reload this page" in error
        assert not at.get("plotly_chart") and not at.title  # the page stopped there
    finally:
        holder.kill()
        holder.wait()
    at.run()  # the holder is gone: the next run opens the database
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
