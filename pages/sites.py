"""Sites side by side: the table of every KPI per site and which sites show signals, then one pillar's KPIs as small
multiples, each site with its own process limits, verdicts and target."""

import streamlit as st

from isokpi import format as fmt
from isokpi import sites_view, ui
from isokpi.catalog import kpis_of_pillar
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.safety import plain

db, user = ui.start_page(
    __file__,
    caption="Is one site doing better or worse than the others, KPI by KPI? Each site is judged against its own "
    "limits and target.",
)
ui.demo_notice(db)
filters = ui.sidebar_filters(db)
compared = ui.cached(sites_view.every_kpi)(db, filters)
if len(compared.sites) < 2:
    held = "no site" if not compared.sites else "one site"
    ui.empty_state(
        f"The data (or the site filter) holds {held}: there is nothing to set side by side. Load records with a "
        "site, clear the site filter, or pick two or more sites in the sidebar."
    )
    st.stop()

st.subheader("Which sites show signals", anchor=False)
wide = {column: st.column_config.TextColumn(width="medium") for column in compared.table.columns}
st.dataframe(compared.table, hide_index=True, key="sites-table", column_config=wide)
st.caption(
    "Each site's latest value and its variation verdict, and how many of its points in the date range shown are "
    "special causes, improving or concerning. A site against the others is a filter away: pick it in the sidebar."
    + (
        f" {compared.left_out} more sites are left out: pick the sites to compare in the sidebar."
        if compared.left_out
        else ""
    )
)
ui.chart_data(compared.signals, name="sites-signals", key="sites-signals")

# The charts of one pillar at a time: all 24 KPIs' small multiples on one page took 11-13 s to draw in the browser.
charted = {pillar: [k for k in kpis_of_pillar(pillar) if sites_view.has_data(compared, k.id)] for pillar in PILLAR_IDS}
charted = {pillar: shown for pillar, shown in charted.items() if shown}
signalling = {
    pillar: sum(1 for kpi in shown if sites_view.signalling_sites(compared, kpi.id))
    for pillar, shown in charted.items()
}
if not charted:
    ui.empty_state("No KPI has a value at these sites for these filters: widen the date range, or clear a filter.")
    st.stop()
first = next((pillar for pillar in charted if signalling[pillar]), next(iter(charted)))
pillar = st.selectbox(
    "Charts of the pillar",
    list(charted),
    index=list(charted).index(first),
    format_func=lambda p: (
        PILLAR_NAMES[p]
        + (f" ({signalling[p]} of {fmt.counted(len(charted[p]), 'KPI')} with a special cause)" if signalling[p] else "")
    ),
    key="sites-pillar",
    help="Each KPI of the pillar, one panel per site. It opens on the first pillar where a site shows a special cause.",
)
st.subheader(PILLAR_NAMES[pillar], anchor=False)
for kpi in charted[pillar]:
    signalling_at = sites_view.signalling_sites(compared, kpi.id)
    ui.chart(
        sites_view.small_multiples(compared, kpi.id),
        compared.signals[compared.signals["kpi_id"] == kpi.id],
        name=f"{kpi.id}-per-site",
        key=f"sites-{kpi.id}",
    )
    named = ", ".join(plain(site) for site in signalling_at)
    st.caption(f"Special causes at {named}." if signalling_at else "No site shows a special cause.")
