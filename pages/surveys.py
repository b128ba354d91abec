"""Surveys: favourable answers per pillar across waves, the spread of answers, customer NPS and response counts."""

import streamlit as st

from isokpi import format as fmt
from isokpi import ui
from isokpi.safety import plain
from isokpi.survey_view import (
    SMALL_GROUP,
    favourable_chart,
    likert_chart,
    likert_stakeholders,
    likert_waves,
    responses_chart,
    suppressed_periods,
)
from isokpi.views import kpi_chart, latest_value

db, user, filters = ui.dataset_page(
    __file__,
    caption="What employees, customers, suppliers and investors say, with how sure we can be. (ISO 9001 7.3, 9.1.2)",
    dataset="survey",
    empty=(
        "No survey results are loaded yet. Load an export of survey answers (one row per answer, or a wide export "
        "with one column per question and a question-to-pillar mapping) on the Upload page."
    ),
    standards=False,
)

responses = ui.cached(responses_chart)(db, filters)
if responses.figure is None:
    ui.empty_state(
        "No survey answers match these filters: widen the date range, or clear the site or department filter."
    )
    st.stop()

nps = ui.cached(kpi_chart)(db, filters, "customer_nps")
waves = responses.frame

# --- headline numbers -----------------------------------------------------------------------------------------
tiles = st.columns(3)
with tiles[0].container(border=True):
    st.metric("Survey waves", f"{len(waves):,}")
with tiles[1].container(border=True):
    st.metric("Responses", f"{int(waves['respondents'].sum()):,}")
with tiles[2].container(border=True):
    period, value, change = latest_value(nps.series)
    st.metric(
        f"Customer NPS, {period}" if period else "Customer NPS",
        fmt.short(value, "NPS points"),
        None if change is None else fmt.change(change, "NPS points"),
        help=nps.series.kpi.definition,
    )
st.caption(
    f"Survey results are not tied to a standard: the standard filter does not apply. Groups of {SMALL_GROUP} are never shown."
)

# --- favourable answers per pillar ---------------------------------------------------------------------------------
st.subheader("Favourable answers per pillar", anchor=False)
groups = likert_stakeholders(waves)
if not groups:
    ui.empty_state(
        "No Likert answers tagged with a pillar match these filters: tag questions with a pillar in your export or its mapping."
    )
else:
    stakeholder = (
        st.segmented_control(
            "Who answered",
            groups,
            format_func=str.capitalize,
            key="stakeholder",
            bind="query-params",
            default=groups[0],
        )
        or groups[0]
    )
    favourable = ui.cached(favourable_chart)(db, filters, stakeholder)
    ui.chart(favourable.figure, favourable.frame, name=f"favourable-{stakeholder}", key="favourable")
    st.caption(
        "Favourable: 4-5 of 5, 3-4 of 4, 5-7 of 7. Bars: 95% confidence interval from respondents' own shares; "
        "hover for n (respondents). " + plain(favourable.note)
    )

    st.subheader("How people answered", anchor=False)
    wave_ids = likert_waves(waves, stakeholder)[::-1]
    wave = st.selectbox("Survey wave", wave_ids, key="wave", bind="query-params") or wave_ids[0]
    distribution = ui.cached(likert_chart)(db, filters, wave)
    if distribution.figure is None:
        ui.empty_state("This wave has no Likert answers for these filters: pick another wave or clear the filters.")
    else:
        ui.chart(distribution.figure, distribution.frame, name=f"answers-{wave}", key="likert")
        st.caption(
            "Neutral answers are split across the centre line. A 4-point scale has no neutral; a 7-point scale's "
            "'somewhat' answers count as agree or disagree. " + plain(distribution.note)
        )

# --- customer NPS ------------------------------------------------------------------------------------------------
st.subheader("Customer Net Promoter Score", anchor=False)
if nps.figure is None:
    ui.empty_state(
        "No customer NPS answers (0-10 scale, customer stakeholder) match these filters: widen the date range."
    )
else:
    ui.kpi_chart(db, nps.series, nps.figure, nps.frame, filters, name="customer-nps", key="nps")
    hidden = suppressed_periods(nps.series)
    st.caption(
        nps.series.kpi.definition
        + " Shaded: 95% interval."
        + (f" Not shown, {SMALL_GROUP}: {', '.join(hidden)}." if hidden else "")
    )

# --- responses -----------------------------------------------------------------------------------------------------
st.subheader("Responses per wave", anchor=False)
ui.chart(responses.figure, waves, name="survey-responses", key="responses")
