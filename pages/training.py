"""Training: hours per employee by department and site, mandatory completion, the training matrix, effectiveness."""

import streamlit as st

from isokpi import format as fmt
from isokpi import outcomes_view as ov
from isokpi import ui
from isokpi.safety import plain
from isokpi.training_view import EXPIRING_WITHIN_DAYS, hours_chart, latest_hours, matrix_chart, staff_on_record
from isokpi.views import kpi_chart, latest_value, state_day

CAPTION = "Are people trained on time, do qualifications stay valid, and does training work? (ISO 9001 7.2)"
EMPTY = (
    "No training records are loaded yet. Load an export of training records from your HR or learning system "
    "(employee, department, course, hours, status, due and completion dates) on the Upload page."
)
db, user, filters = ui.dataset_page(__file__, caption=CAPTION, dataset="training", empty=EMPTY)

by_department = ui.cached(hours_chart)(db, filters, "department")
by_site = ui.cached(hours_chart)(db, filters, "site")
matrix = ui.cached(matrix_chart)(db, filters)
mandatory = ui.cached(kpi_chart)(db, filters, "mandatory_training_completion_pct")
effective = ui.cached(kpi_chart)(db, filters, "training_effectiveness_pct")
staff = ui.cached(staff_on_record)(db, filters)
day = state_day(filters)
drill = (db, filters)  # a KPI's chart opens the records behind a clicked point

if all(chart.figure is None for chart in (by_department, matrix, mandatory, effective)):
    ui.empty_state(
        "No training records match these filters: widen the date range, or clear the site, department or standard "
        "filter in the sidebar."
    )
    st.stop()

# --- headline numbers -----------------------------------------------------------------------------------------
hours = latest_hours(by_department.frame, filters.grain)
tiles = st.columns(4)
with tiles[0].container(border=True):
    st.metric(
        "Staff on record", f"{staff:,}", help="Employees with a training record in the 12 months up to the day shown."
    )
    st.caption(f"On {day:%d %b %Y}")
with tiles[1].container(border=True):
    if hours:
        change = None if hours.previous is None else fmt.change(hours.hours - hours.previous, "hours")
        since = f"since {hours.previous_period}" if hours.previous_period else None
        st.metric(f"Training hours, {hours.period}", fmt.value(hours.hours, "hours"), change, delta_description=since)
    else:
        st.metric("Training hours", "–")
    st.caption("Completed in the latest full period")
for tile, chart, label in (
    (tiles[2], mandatory, "Mandatory training on time"),
    (tiles[3], effective, "Training judged effective"),
):
    period, value, change, before = latest_value(chart.series)
    with tile.container(border=True):
        st.metric(
            f"{label}, {period}" if period else label,
            fmt.short(value, "%"),
            None if change is None else fmt.change(change, "%"),
            help=chart.series.kpi.definition,
            delta_description=f"since {before}" if before else None,
        )
        target = chart.series.target
        st.caption(f"Target {fmt.value(target, '%')}" if target is not None else "No target")

# --- hours per employee -----------------------------------------------------------------------------------------
st.subheader("Hours per employee", anchor=False)
department_tab, site_tab = st.tabs(["By department", "By site"])
with department_tab:
    empty = "No training hours for these filters: widen the date range."
    ui.view_chart(by_department, empty=empty, name="training-hours-by-department", key="hours-department")
with site_tab:
    empty = "No training records with a site for these filters: add the site column to your export, or widen the date range."
    ui.view_chart(by_site, empty=empty, name="training-hours-by-site", key="hours-site")
st.caption("Hours of training completed in the period divided by the staff on record at its end, per group.")

# --- mandatory completion ---------------------------------------------------------------------------------------
st.subheader("Mandatory training completed on time", anchor=False)
empty = "No mandatory training fell due in these periods: mark mandatory courses (is_mandatory) in your export, or widen the date range."
caption = mandatory.series.kpi.definition + " Grey lines: mean and process limits; dashed: target."
ui.view_chart(mandatory, empty=empty, name="mandatory-training-on-time", key="mandatory", caption=caption, drill=drill)

# --- training matrix --------------------------------------------------------------------------------------------
st.subheader("Training matrix", anchor=False)
empty = "No current staff have training assignments for these filters: clear the site, department or standard filter."
caption = (
    f"Course assignments of the staff on record on {day:%d %b %Y}, one state per person and course. "
    f"Colour: the share expired or overdue (white none, orange most). Valid: completed and not expiring within "
    f"{EXPIRING_WITHIN_DAYS} days; expiring: within {EXPIRING_WITHIN_DAYS} days; expired: past its expiry date; "
    "overdue: not completed and past its due date; planned: not yet due. Hover a cell for all five counts."
)
ui.view_chart(matrix, empty=empty, name="training-matrix", key="matrix", caption=caption)

# --- effectiveness -----------------------------------------------------------------------------------------------
st.subheader("Training effectiveness", anchor=False)
empty = "No training in these periods has an effectiveness evaluation: add the effectiveness column to your export."
caption = effective.series.kpi.definition
ui.view_chart(effective, empty=empty, name="training-effectiveness", key="effectiveness", caption=caption, drill=drill)

# --- training against outcomes -------------------------------------------------------------------------------------
st.subheader("Training against outcomes", anchor=False)
group = st.segmented_control("Per", ov.GROUPS, default="department", key="outcomes-group", format_func=str.capitalize)
group = group or "department"
x_column, y_column = st.columns(2)
x = x_column.selectbox(
    "Training measure", list(ov.TRAINING_MEASURES), format_func=lambda k: ov.TRAINING_MEASURES[k][0], key="outcomes-x"
)
y = y_column.selectbox("Outcome", list(ov.OUTCOMES), format_func=lambda k: ov.OUTCOMES[k][0], key="outcomes-y")
outcomes = ui.cached(ov.outcomes_chart)(db, filters, group, x, y)
empty = f"No {group} has both values for these filters: widen the date range or clear a filter."
if ui.view_chart(outcomes, empty=empty, name=f"training-outcomes-by-{group}", key="outcomes"):
    correlation = ov.spearman(outcomes.frame, x, y)
    st.markdown(plain(ov.association_words(correlation, group)))
    st.caption(f"{ov.method_words(filters, group)} {ov.caveat_words(correlation.n, group)}")
    st.dataframe(ov.correlation_frame(outcomes.frame), hide_index=True, key="outcomes-correlations")
