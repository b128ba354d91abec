"""Overview: the eight leadership pillars at a glance, each with its headline KPI against target, its trend and
whether the change is real or noise."""

import streamlit as st

from isokpi import charts, kpis, narrative, ui
from isokpi.demo import database_is_empty

db, user = ui.start_page(__file__, caption="Is our management system improving? One tile per leadership pillar.")
ui.demo_notice(db)
filters = ui.sidebar_filters(db)
cards = ui.cached(kpis.scorecard)(db, filters)

ARROWS = {"above": "up", "below": "down", "on": "off"}

if all(narrative.headline(card) is None for card in cards):
    if ui.cached(database_is_empty)(db):
        ui.empty_state(
            "Nothing is loaded yet. Load exports of training records, audit findings and survey results on the Upload "
            "page (or run `python -m isokpi demo` for demo data), and the eight pillars appear here."
        )
    else:
        ui.empty_state(
            "No data matches these filters: widen the date range, or clear the site, department or standard filter "
            "in the sidebar."
        )
    st.stop()

st.caption(f":material/calendar_month: {narrative.values_period(cards)}")
with st.grid(4, min_column_width=200, gap="small"):
    for card in cards:
        headline = narrative.headline(card)
        with st.container(border=True, key=f"tile-{card.id}", height="stretch"):
            status = narrative.status_badge(card)
            trend = narrative.pillar_trend(card)
            st.markdown(
                f"**{card.name}**  \n:{status.colour}-badge[{status.icon} {status.label}] · trend: {trend.lower()}",
                help=kpis.STATUS_RULE,
            )
            if headline is None:
                st.caption("No data for these filters.")
                continue
            gap = narrative.target_gap(headline)
            texts = narrative.kpi_texts(headline)
            st.caption(
                f"**{headline.kpi.name}**" + (f" · target {gap.target}" if gap else ""),
                help=f"{headline.kpi.definition} Latest value: {texts['period']}.",
            )
            st.metric(
                headline.kpi.name,
                texts["value"],
                delta=gap.text if gap else None,
                delta_color=("blue" if gap.met else "orange") if gap else "gray",
                delta_arrow=ARROWS[gap.side] if gap else "off",
                label_visibility="collapsed",
            )
            recent = headline.shown[-24:]
            ui.sparkline(
                charts.sparkline([p.period for p in recent], [p.value for p in recent], headline.kpi.name),
                key=f"sparkline-{card.id}",
            )
            variation, assurance = narrative.variation_badge(headline), narrative.assurance_badge(headline)
            st.caption(
                f":{variation.colour}[{variation.icon}] {variation.label} · :{assurance.colour}[{assurance.icon}] "
                f"{assurance.label}"
            )
            st.markdown(narrative.pillar_sentence(card, on_target=False))
            st.caption(f":material/flag: {narrative.on_target_phrase(card)}")
            st.page_link(
                "pages/pillar.py",
                label="Open pillar",
                icon=":material/arrow_forward:",
                help=f"Every KPI of {card.name} as a chart, with what its verdicts mean and notes",
                query_params={"pillar": card.id},  # the filters follow by themselves (ui.frame_filters)
            )

st.caption(f":material/info: {kpis.STATUS_RULE} {narrative.READING_GUIDE}")
