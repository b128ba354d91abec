"""Surveys: favourable answers per pillar across waves, the spread of answers, customer NPS and response counts."""

import streamlit as st

from isokpi import format as fmt
from isokpi import survey_view as sv
from isokpi import ui
from isokpi.safety import plain
from isokpi.views import kpi_chart, latest_value

CAPTION = "What employees, customers, suppliers and investors say, with how sure we can be. (ISO 9001 7.3, 9.1.2)"
EMPTY = (
    "No survey results are loaded yet. Load an export of survey answers (one row per answer, or a wide export "
    "with one column per question and a question-to-pillar mapping) on the Upload page."
)
db, user, filters = ui.dataset_page(__file__, caption=CAPTION, dataset="survey", empty=EMPTY, standards=False)

responses = ui.cached(sv.responses_chart)(db, filters)
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
    period, value, change, before = latest_value(nps.series)
    st.metric(
        f"Customer NPS, {period}" if period else "Customer NPS",
        fmt.short(value, "NPS points"),
        None if change is None else fmt.change(change, "NPS points"),
        help=nps.series.kpi.definition,
        delta_description=f"since {before}" if before else None,
    )
st.caption(
    f"Survey results are not tied to a standard: the standard filter does not apply. Groups of {sv.SMALL_GROUP} are never shown."
)

# --- favourable answers per pillar ---------------------------------------------------------------------------------
st.subheader("Favourable answers per pillar", anchor=False)
groups = sv.likert_stakeholders(waves)
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
    favourable = ui.cached(sv.favourable_chart)(db, filters, stakeholder)
    ui.chart(favourable.figure, favourable.frame, name=f"favourable-{stakeholder}", key="favourable")
    st.caption(
        "Favourable: 4-5 of 5, 3-4 of 4, 5-7 of 7. Bars: 95% confidence interval from respondents' own shares; "
        "hover for n (respondents). " + plain(favourable.note)
    )

    st.subheader("How people answered", anchor=False)
    wave_ids = sv.likert_waves(waves, stakeholder)[::-1]
    wave = st.selectbox("Survey wave", wave_ids, key="wave", bind="query-params") or wave_ids[0]
    distribution = ui.cached(sv.likert_chart)(db, filters, wave)
    ui.view_chart(
        distribution,
        empty="This wave has no Likert answers for these filters: pick another wave or clear the filters.",
        name=f"answers-{wave}",
        key="likert",
        caption="Neutral answers are split across the centre line. A 4-point scale has no neutral; a 7-point scale's "
        "'somewhat' answers count as agree or disagree. " + plain(distribution.note),
    )

# --- customer NPS ------------------------------------------------------------------------------------------------
st.subheader("Customer Net Promoter Score", anchor=False)
hidden = sv.suppressed_periods(nps.series)
ui.view_chart(
    nps,
    empty="No customer NPS answers (0-10 scale, customer stakeholder) match these filters: widen the date range.",
    name="customer-nps",
    key="nps",
    caption=nps.series.kpi.definition
    + " Shaded: 95% interval."
    + (f" Not shown, {sv.SMALL_GROUP}: {', '.join(hidden)}." if hidden else ""),
    drill=(db, filters),
)

# --- responses -----------------------------------------------------------------------------------------------------
st.subheader("Responses per wave", anchor=False)
ui.chart(responses.figure, waves, name="survey-responses", key="responses")
