"""The one module of isokpi that imports streamlit: shared resources and page scaffolding.

Every page calls `start_page()` at its top. Streamlit runs a `pages/` script directly on the first visit
to its URL after a restart, before app.py runs, so nothing a page needs may depend on app.py having run.
"""

from __future__ import annotations

import os

import streamlit as st

from isokpi.db import Database, open_database

APP_TITLE = "isokpi"


@st.cache_resource(show_spinner=False)
def _database() -> Database:
    database = open_database()
    if os.environ.get("ISOKPI_NO_DEMO") != "1":
        from isokpi.demo import database_is_empty, load_demo

        if database_is_empty(database):
            load_demo(database, user="first run")
    return database


def database() -> Database:
    """The process-wide database; on the very first run an empty one is filled with demo data."""
    with st.spinner("Opening the database (the first run fills an empty one with demo data)…"):
        return _database()


def shows_demo_data(database: Database) -> bool:
    """True while every loaded batch came from the demo generator."""
    rows = database.query(
        "SELECT count(*), count(*) FILTER (WHERE source = 'demo') FROM batches WHERE status = 'loaded'"
    )
    total, demo = rows[0]
    return total > 0 and total == demo


def demo_notice(database: Database) -> None:
    if shows_demo_data(database):
        st.info(
            "You are looking at demo data: a 3-site manufacturer over 36 months, generated because the database was "
            "empty. Load your own exports on the Upload page; undo the demo batches on the Data page.",
            icon=":material/science:",
        )


def start_page(title: str, icon: str) -> Database:
    """The top of every page: the database, and the page title."""
    db = database()
    st.title(title, anchor=False)
    return db
