"""Data: what is loaded per dataset, how fresh it is, and the load history."""

import datetime as dt

import streamlit as st

from isokpi import ui
from isokpi.queries import dataset_summaries

database = ui.start_page("Data", ":material/database:")
ui.demo_notice(database)

today = dt.date.today()
summaries = dataset_summaries(database)
if all(summary.rows == 0 for summary in summaries):
    st.info(
        "Nothing is loaded yet. Load CSV or Excel exports of training records, audit findings and survey results "
        "with `python -m isokpi ingest DATASET FILE`, or `python -m isokpi demo` for demo data.",
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
                f"Last load {summary.last_loaded_at:%d %b %Y %H:%M} UTC by {summary.last_loaded_by}: {summary.last_file}"
            )
        if summary.is_stale(today):
            st.warning(
                f"Newest record is {summary.days_since_last(today)} days old: load a fresh export.",
                icon=":material/schedule:",
            )
