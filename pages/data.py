"""Data: what is loaded per dataset, how fresh it is."""

import datetime as dt

import streamlit as st

from isokpi import auth, ui
from isokpi.queries import dataset_summaries
from isokpi.safety import plain

database, user = ui.start_page(__file__, caption="What is loaded, how far it reaches, and when it was last refreshed.")
ui.demo_notice(database, removal_for=user)

today = dt.date.today()
summaries = ui.cached(dataset_summaries)(database)
if all(summary.rows == 0 for summary in summaries):
    st.info(
        "Nothing is loaded yet. Load CSV or Excel exports of training records, audit findings and survey results on "
        "the Upload page (or `python -m isokpi ingest DATASET FILE`); `python -m isokpi demo` loads demo data.",
        icon=":material/upload_file:",
    )

columns = st.columns(len(summaries))
for column, summary in zip(columns, summaries, strict=True):
    with column.container(border=True):
        st.metric(summary.title, f"{summary.rows:,} rows")
        if summary.first:
            st.caption(f"{summary.first:%d %b %Y} – {summary.last:%d %b %Y}")
        if summary.last_loaded_at:
            st.caption(
                f"Last load {summary.last_loaded_at:%d %b %Y %H:%M} UTC by {plain(auth.shown_user(summary.last_loaded_by))}: "
                f"{plain(summary.last_file)}"
            )
        if summary.is_stale(today):
            st.warning(
                f"Newest record is {summary.days_since_last(today)} days old: load a fresh export.",
                icon=":material/schedule:",
            )
        elif summary.rows:
            st.success(f"{summary.batches} batch(es) loaded", icon=":material/check_circle:")
