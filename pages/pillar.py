"""Pillar: every KPI of one pillar as a process-behaviour chart, what its verdicts mean, and notes on periods."""

import streamlit as st

from isokpi import auth, charts, eta, kpis, narrative, notes, sites_view, ui
from isokpi.catalog import KPI_BY_ID
from isokpi.periods import period_name
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES, PILLAR_QUESTIONS
from isokpi.safety import plain

MAX_BASELINE = 120  # periods: ten years of months

db, user = ui.start_page(__file__)
ui.demo_notice(db)
filters = ui.sidebar_filters(db)
# The baseline lives in the URL (?baseline=18) by hand: a number input bound to it fails on ?baseline=inf.
refused = ui.number_from_url("baseline", kpis.MIN_POINTS_FOR_LIMITS, MAX_BASELINE)
with st.sidebar:
    baseline = st.number_input(
        "Baseline: first N periods",
        min_value=kpis.MIN_POINTS_FOR_LIMITS,
        max_value=MAX_BASELINE,
        value=None,
        step=1,
        key="baseline",
        placeholder="All periods",
        help="Compute the mean and process limits from the first N periods only, to judge later periods against them.",
    )
    if refused:
        st.warning(
            # The link's text is not repeated: a link could make it say anything.
            f"The link's baseline is not a number of periods from {kpis.MIN_POINTS_FOR_LIMITS} to {MAX_BASELINE}: "
            "the limits use all periods.",
            icon=":material/link_off:",
        )
if baseline:
    st.query_params["baseline"] = str(int(baseline))
elif "baseline" in st.query_params:
    del st.query_params["baseline"]

# The URL carries the pillar's fixed id (?pillar=monitoring_review), which a bound widget cannot: it would
# carry the displayed name. So the id is read from and written to the query string here.
requested = st.query_params.get("pillar")
pillar = st.selectbox(
    "Pillar",
    PILLAR_IDS,
    index=PILLAR_IDS.index(requested) if requested in PILLAR_IDS else 0,
    format_func=PILLAR_NAMES.get,
    key="pillar",
    width=320,
)
st.query_params["pillar"] = pillar
card = next(card for card in ui.cached(kpis.scorecard)(db, filters) if card.id == pillar)
if baseline:
    card = kpis.PillarCard(
        card.id,
        card.name,
        [ui.cached(kpis.kpi_series)(db, s.kpi.id, filters, baseline=int(baseline)) for s in card.series],
    )

st.subheader(PILLAR_QUESTIONS[pillar], anchor=False)
status = narrative.status_badge(card)
st.markdown(
    f":{status.colour}-badge[{status.icon} {status.label}] {narrative.pillar_sentence(card)}", help=kpis.STATUS_RULE
)

if narrative.headline(card) is None:
    ui.empty_state(
        "No KPI of this pillar has data for these filters: widen the date range, clear the site, department or "
        "standard filter, or load the datasets its KPIs need on the Upload page."
    )
    st.stop()

if st.toggle(
    "Sites side by side",
    key="sites-side-by-side",
    help="Each KPI of this pillar per site, each site with its own process limits, verdicts and target.",
):
    compared = ui.cached(sites_view.comparison)(db, filters, pillar)
    if len(compared.sites) < 2:
        st.info("The data (or the site filter) holds one site: there is nothing to set side by side.")
    else:
        st.dataframe(compared.table, hide_index=True)
        chosen = st.selectbox(
            "KPI per site", [s.kpi.id for s in card.series], format_func=lambda k: KPI_BY_ID[k].name, key="sites-kpi"
        )
        ui.chart(
            sites_view.small_multiples(compared, chosen), compared.signals, name=f"{pillar}-per-site", key="sites-chart"
        )
        st.caption(
            "Each site's latest value and its variation verdict, and how many of its points over its whole history are "
            "special causes. A site "
            "against the others is a filter away: pick it in the sidebar."
            + (
                f" {compared.left_out} more sites are left out: pick the sites to compare in the sidebar."
                if compared.left_out
                else ""
            )
        )

can_edit = user.can("quality_lead")
pillar_notes = notes.list_notes(db, [series.kpi.id for series in card.series])

for series in card.series:
    kpi = series.kpi
    kpi_notes = [note for note in pillar_notes if note.kpi_id == kpi.id]
    with st.container(border=True, key=f"kpi-{kpi.id}"):
        if series.latest is None or len(series.shown) < 2:
            # No value, or one (a survey's first wave): words, not a one-point chart.
            st.markdown(f"**{narrative.kpi_sentence(series)}.**")
            st.caption(f"{kpi.definition} Data it needs: {', '.join(kpi.datasets)}.")
            continue
        figure = charts.xmr_chart(
            series, title=narrative.kpi_sentence(series), notes=[(note.period, note.text) for note in kpi_notes]
        )
        ui.kpi_chart(db, series, figure, charts.xmr_frame(series), filters, name=kpi.id, key=f"chart-{kpi.id}")
        st.caption(f"{kpi.definition} Unit: {kpi.unit}, {kpi.better}. ISO clause {kpi.clause}.")
        when = eta.eta_sentence(series)
        if when:
            st.markdown(f":material/flag: {plain(when)}")
        state = narrative.status_badge(series)
        variation, assurance = narrative.variation_badge(series), narrative.assurance_badge(series)
        st.markdown(f":{state.colour}-badge[{state.icon} {state.label}]", help=kpis.STATUS_RULE)
        left, right = st.columns(2)
        with left:
            st.markdown(f":{variation.colour}-badge[{variation.icon} {variation.label}]")
            st.markdown(narrative.variation_explanation(series))
        with right:
            st.markdown(f":{assurance.colour}-badge[{assurance.icon} {assurance.label}]")
            st.markdown(narrative.assurance_explanation(series))

        if not kpi_notes and not can_edit:
            continue
        with st.expander(f"Notes ({len(kpi_notes)})", icon=":material/sticky_note_2:", expanded=bool(kpi_notes)):
            for note in kpi_notes:
                when = period_name(note.period, "month")
                text_column, button_column = st.columns([6, 1], vertical_alignment="center")
                text_column.text(f"{when}: {note.text}")
                text_column.caption(f"{plain(auth.shown_user(note.created_by))}, {note.created_at:%d %b %Y}")
                if can_edit and button_column.button(
                    "Delete", key=f"delete-note-{note.note_id}", icon=":material/delete:", type="tertiary"
                ):
                    try:
                        notes.delete_note(db, user, note.note_id)
                    except notes.NoteError as error:
                        st.error(f"The note was not deleted: {error}.", icon=":material/error:")
                    else:
                        st.rerun()
            if can_edit:
                with st.form(key=f"note-form-{kpi.id}", clear_on_submit=True, border=False):
                    period_column, text_column = st.columns([1, 3], vertical_alignment="bottom")
                    period = period_column.selectbox(
                        "Period",
                        [point.period for point in reversed(series.points)],
                        format_func=lambda day: period_name(day, filters.grain),
                        key=f"note-period-{kpi.id}",
                    )
                    text = text_column.text_input(
                        "Note",
                        max_chars=notes.MAX_LENGTH,
                        placeholder="What changed, e.g. new calibration process from March",
                        key=f"note-text-{kpi.id}",
                    )
                    if st.form_submit_button("Add note", icon=":material/add_comment:", key=f"add-note-{kpi.id}"):
                        try:
                            notes.add_note(db, user, kpi.id, period, text)
                        except notes.NoteError as error:
                            st.error(f"The note was not added: {error}.", icon=":material/error:")
                        else:
                            st.rerun()
