"""Sites side by side: a pillar's KPIs per site, each site with its own process limits, verdicts and target, and a
table of which sites show signals. Each site's series is the scorecard's with that one site as the filter (the
same code, the same cache), so a site's figure here is the one its own filter shows. No streamlit here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from isokpi import format as fmt
from isokpi import kpis, stats, words
from isokpi.catalog import Kpi, kpis_of_pillar
from isokpi.charts import BAD, GOOD, LIMIT, NEUTRAL, TARGET, period_axis, theme
from isokpi.db import Database
from isokpi.kpis import Filters, Point, Series
from isokpi.periods import period_name
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.queries import filter_options
from isokpi.safety import plotly_text

MAX_SITES = 8  # small multiples side by side stay readable up to this many; the first by name, and said so


def sites_compared(database: Database, filters: Filters) -> list[str]:
    """The sites the sidebar selects, else every site in the data, by name."""
    return sorted(filters.sites or filter_options(database)["sites"])


def site_series(database: Database, filters: Filters, site: str) -> dict[str, Series]:
    """Every KPI for one site: the scorecard's series with that site as the only site filter."""
    return kpis.all_series(database, replace(filters, sites=(site,)))


@dataclass
class Comparison:
    sites: list[str]
    series: dict[str, dict[str, Series]]  # site -> KPI id -> series
    table: pd.DataFrame  # one row per KPI of the pillar, a column per site: latest value and its verdict
    signals: pd.DataFrame  # the same in long form, for the CSV: kpi, site, latest, variation, special causes
    left_out: int = 0  # sites beyond MAX_SITES


def cell(series: Series) -> str:
    """A site's latest value with its unit ("4 days"), its variation verdict, and how many special causes its shown
    points carry."""
    latest = series.latest
    if latest is None:
        return words.NO_DATA
    improving = sum(1 for p in series.points if p.special_cause == stats.IMPROVEMENT)
    concerning = sum(1 for p in series.points if p.special_cause == stats.CONCERN)
    marks = "".join(
        [f", {improving} improving" if improving else "", f", {concerning} concerning" if concerning else ""]
    )
    return f"{fmt.value(latest.value, series.kpi.unit)}: {words.variation(series.variation)}{marks}"


def site_column(site: str, taken) -> str:
    """A site's column in the table: its name, unless a site is called like a column already there ("KPI")."""
    return f"{site} (site)" if site in taken else site


def comparison(database: Database, filters: Filters, pillar: str | None) -> Comparison:
    """The pillar's KPIs (pillar None: every KPI of the catalog, by pillar) for each site compared (at most
    MAX_SITES)."""
    every = sites_compared(database, filters)
    sites = every[:MAX_SITES]
    by_site = {site: site_series(database, filters, site) for site in sites}
    rows, long = [], []
    for kpi in kpis_of_pillar(pillar) if pillar else [k for p in PILLAR_IDS for k in kpis_of_pillar(p)]:
        named = {"KPI": kpi.name} if pillar else {"Pillar": PILLAR_NAMES[kpi.pillar], "KPI": kpi.name}
        rows.append({**named, **{site_column(site, named): cell(by_site[site][kpi.id]) for site in sites}})
        for site in sites:
            series = by_site[site][kpi.id]
            long.append(
                {
                    "kpi_id": kpi.id,
                    "site": site,
                    "period": None if series.latest is None else period_name(series.latest.period, series.grain),
                    "latest": None if series.latest is None else series.latest.value,
                    "variation": series.variation,
                    "status": series.status,
                    "special_causes_improving": sum(1 for p in series.points if p.special_cause == stats.IMPROVEMENT),
                    "special_causes_concerning": sum(1 for p in series.points if p.special_cause == stats.CONCERN),
                }
            )
    return Comparison(sites, by_site, pd.DataFrame(rows), pd.DataFrame(long), len(every) - len(sites))


def small_multiples(compared: Comparison, kpi_id: str) -> go.Figure:
    """One KPI, one panel per site on a shared scale: values, that site's mean and process limits, its target,
    special causes in the colour of their class. Shared, not copied: read-only."""
    first = compared.series[compared.sites[0]][kpi_id] if compared.sites else None
    panels = tuple((site, tuple(compared.series[site][kpi_id].points)) for site in compared.sites)
    return _small_multiples(kpi_id, first.kpi if first else None, first.grain if first else "month", panels)


# Built from exactly what it draws (points are frozen), so a figure is kept while its points are as they were: after
# an upload of one dataset the Sites page builds again only the figures of the KPIs whose points moved (building
# two dozen plotly figures took 5.6 of the 7.8 s its first view took after a survey upload on 5M training rows).
@functools.lru_cache(maxsize=256)
def _small_multiples(
    kpi_id: str, kpi: Kpi | None, grain: str, panels: tuple[tuple[str, tuple[Point, ...]], ...]
) -> go.Figure:
    sites = [site for site, _ in panels]
    figure = make_subplots(
        rows=1, cols=len(sites), shared_yaxes=True, subplot_titles=[plotly_text(site) for site in sites],
        horizontal_spacing=0.02,
    )  # fmt: skip
    for column, (site, points) in enumerate(panels, start=1):
        x = [p.period for p in points]
        values = [None if p.suppressed else p.value for p in points]
        for y, name, dash, colour in (
            ([p.mean for p in points], "mean", "solid", LIMIT),
            ([p.lpl for p in points], "process limits", "dot", LIMIT),
            ([p.upl for p in points], "process limits", "dot", LIMIT),
            ([p.target for p in points], "target", "dash", TARGET),
        ):
            figure.add_trace(
                go.Scatter(x=x, y=y, mode="lines", name=name, line={"color": colour, "dash": dash, "width": 1},
                           showlegend=False, hoverinfo="skip"),
                row=1, col=column,
            )  # fmt: skip
        colours = [
            GOOD if p.special_cause == stats.IMPROVEMENT else BAD if p.special_cause == stats.CONCERN else NEUTRAL
            for p in points
        ]
        figure.add_trace(
            go.Scatter(
                x=x, y=values, mode="lines+markers", name=plotly_text(site), line={"color": NEUTRAL, "width": 1.5},
                marker={"size": 5, "color": colours}, showlegend=False, connectgaps=False,
                hovertemplate=f"{plotly_text(site)}<br>%{{x|%b %Y}}: %{{y:.3~g}} {plotly_text(kpi.unit)}<extra></extra>",
            ),
            row=1, col=column,
        )  # fmt: skip
    title = f"{kpi.name if kpi else kpi_id} per site, each with its own process limits and target"
    theme(figure, title=title, y_title=kpi.unit if kpi else "", height=340, wrap=None)
    figure.update_layout(hovermode="closest")
    return period_axis(figure, grain) if sites else figure


def signalling_sites(compared: Comparison, kpi_id: str) -> list[str]:
    """The sites whose series of `kpi_id` carries a special cause (improving or concerning), by name."""
    return [
        site
        for site in compared.sites
        if any(p.special_cause in (stats.IMPROVEMENT, stats.CONCERN) for p in compared.series[site][kpi_id].points)
    ]


def has_data(compared: Comparison, kpi_id: str) -> bool:
    """Whether any site has a value of `kpi_id` to draw."""
    return any(compared.series[site][kpi_id].latest is not None for site in compared.sites)


def every_kpi(database: Database, filters: Filters) -> Comparison:
    """The Sites page: every KPI compared across the sites. Its small multiples are built for the pillar shown
    (small_multiples, kept per KPI while its points are as they were): after an upload, building all two dozen
    figures cost more than the series behind them."""
    return comparison(database, filters, None)
