"""Findings and corrective actions: what is open and overdue, how fast findings close, where they concentrate."""

import streamlit as st

from isokpi import findings_view as fv
from isokpi import ui
from isokpi.views import state_day

CAPTION = "Are audit findings closed swiftly, and are the same problems coming back? (ISO 9001 9.2, 10.2)"
EMPTY = (
    "No audit findings are loaded yet. Load an export of audit findings and their corrective actions "
    "(finding id, audit type, standard, severity, raised and closed dates, status) on the Upload page."
)
db, user, filters = ui.dataset_page(__file__, caption=CAPTION, dataset="findings", empty=EMPTY)

aging = ui.cached(fv.aging_chart)(db, filters)
closing = ui.cached(fv.close_chart)(db, filters)
severity = ui.cached(fv.severity_chart)(db, filters)
totals = fv.open_totals(aging.frame)
day = state_day(filters)

if totals.open == 0 and closing.figure is None and severity.figure is None:
    ui.empty_state(
        "No findings match these filters: widen the date range, or clear the site, department or standard filter "
        "in the sidebar."
    )
    st.stop()

# --- open, overdue, due this month ------------------------------------------------------------------------------
tiles = st.columns(3)
for tile, label, value, explanation in (
    (tiles[0], "Open findings", totals.open, "Raised and not yet closed."),
    (tiles[1], "Overdue", totals.overdue, "Open and past their corrective-action due date."),
    (tiles[2], "Due this month", totals.due_this_month, "Open, due from the day shown to the end of its month."),
):
    with tile.container(border=True):
        st.metric(label, f"{value:,}", help=explanation)
st.caption(
    f"On {day:%d %b %Y}. Findings that need an action: nonconformities and observations, not improvement "
    "opportunities; the site, department and standard filters apply."
)

st.subheader("How long findings stay open", anchor=False)
left, right = st.columns(2)
with left:
    ui.chart(aging.figure, aging.frame, name="open-findings-by-age", key="aging")
with right:
    ui.view_chart(
        closing,
        empty="No findings were raised in this date range: widen it to see how long findings take to close.",
        name="time-to-close",
        key="time-to-close",
        caption="Kaplan-Meier estimate for findings raised in the date range: findings still open count for as long "
        "as they have been open, so slow ones are not hidden.",
    )

# --- Pareto ------------------------------------------------------------------------------------------------------
st.subheader("Where findings concentrate", anchor=False)
columns = st.columns(2)
for column, by in zip(columns, ("clause", "root_cause"), strict=True):
    chart = ui.cached(fv.pareto_chart)(db, filters, by)
    with column:
        empty = f"No findings with a {by.replace('_', ' ')} in this date range: add the column to your export."
        ui.view_chart(chart, empty=empty, name=f"findings-by-{by.replace('_', '-')}", key=f"pareto-{by}")
        if chart.note:
            st.caption(chart.note)

# --- severity over time ------------------------------------------------------------------------------------------
st.subheader("Severity over time", anchor=False)
empty, data = (
    "No findings were raised in these periods: widen the date range.",
    severity.frame.dropna(subset=["severity"]),
)
ui.view_chart(severity, empty=empty, name="findings-by-severity", key="severity", data=data)

# --- repeat findings ---------------------------------------------------------------------------------------------
st.subheader("Repeat findings", anchor=False)
repeats = ui.cached(fv.repeats_chart)(db, filters)
rated = repeats.frame[repeats.frame["ncs"] > 0]  # the periods with a repeat rate: a point of its KPI each
empty = "No nonconformities were raised in these periods: widen the date range."
caption = (
    "A repeat: a nonconformity that names an earlier one (repeat_of), or follows one on the same clause of the "
    "same standard at the same site within 12 months."
)
points = ("repeat_finding_rate_pct", [period.date() for period in rated["period"]])
drill = (db, filters)
if ui.view_chart(
    repeats, empty=empty, name="repeat-findings", key="repeats", caption=caption, drill=drill, points=points
):
    pairs = ui.cached(fv.repeat_pairs)(db, filters)
    if not pairs.empty:
        st.markdown("**Most repeated clause and site pairs**")
        st.dataframe(
            pairs,
            hide_index=True,
            column_config={
                "repeats": st.column_config.NumberColumn("repeats", help="Repeat nonconformities in the date range"),
                "ncs": st.column_config.NumberColumn("nonconformities"),
                "last_raised": st.column_config.DateColumn("last raised"),
            },
        )
