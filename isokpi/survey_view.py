"""The Surveys page's aggregates and charts: favourable answers per pillar across waves with intervals, the
distribution of Likert answers, response counts. No streamlit here.

Anonymity: a group of fewer than 5 respondents (isokpi.stats.suppress_small) is never shown. Its row keeps n,
but its results are blanked here, before any chart or download sees them; charts say "fewer than 5 respondents"
in its place.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from isokpi import format as fmt
from isokpi import stats
from isokpi.charts import BAD, GOOD, NEUTRAL, small_multiples, theme
from isokpi.datasets import STAKEHOLDERS
from isokpi.db import Database
from isokpi.kpis import Filters, Series
from isokpi.periods import period_label
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.views import Chart, view_frame

SMALL_GROUP = f"fewer than {stats.MIN_GROUP_SIZE} respondents"
AGREEMENT = ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree")
AGREEMENT_NAMES = {name: name.replace("_", " ") for name in AGREEMENT}
# Disagreement in the concern colour, agreement in the good colour, the stronger answer darker; neutral grey.
AGREEMENT_COLOURS = {
    "strongly_disagree": BAD,
    "disagree": "#f5b26b",
    "neutral": "#c9ccd1",
    "agree": "#8db8e0",
    "strongly_agree": GOOD,
}


# --- waves and responses -------------------------------------------------------------------------------------


def responses(database: Database, filters: Filters) -> pd.DataFrame:
    """Respondents per survey wave in the date range (site and department filters apply, standard does not)."""
    return view_frame(database, "survey_responses", filters)


def responses_chart(database: Database, filters: Filters) -> Chart:
    frame = responses(database, filters)
    return Chart(frame, None if frame.empty else responses_figure(frame))


def _stakeholder_order(values) -> list[str]:
    """The stakeholder groups among `values` in the usual order (employee, customer, supplier, investor), then
    any others alphabetically; missing values (NULL) skipped."""
    present = {value for value in values if isinstance(value, str)}
    return [s for s in STAKEHOLDERS if s in present] + sorted(present - set(STAKEHOLDERS))


def likert_stakeholders(waves: pd.DataFrame) -> list[str]:
    """Stakeholder groups with Likert waves, in the usual order."""
    return _stakeholder_order(waves.loc[waves["likert"], "stakeholder"])


def likert_waves(waves: pd.DataFrame, stakeholder: str) -> list[str]:
    """A stakeholder group's waves with Likert answers, oldest first."""
    chosen = waves[waves["likert"] & (waves["stakeholder"] == stakeholder)]
    return list(chosen.sort_values(["wave_start", "survey_id"])["survey_id"])


def responses_title(waves: pd.DataFrame) -> str:
    if waves.empty:
        return "No survey responses for these filters"
    latest = waves.sort_values(["wave_start", "survey_id"]).iloc[-1]
    return (
        f"{len(waves)} survey waves drew {int(waves['respondents'].sum()):,} responses; the latest, "
        f"{latest['survey_id']}, had {int(latest['respondents']):,}"
    )


def responses_figure(waves: pd.DataFrame) -> go.Figure:
    """Respondents per wave, one panel per stakeholder group."""
    groups = _stakeholder_order(waves["stakeholder"])
    figure = make_subplots(
        rows=1, cols=max(1, len(groups)), shared_xaxes=True, subplot_titles=[g.capitalize() for g in groups]
    )
    for index, group in enumerate(groups):
        part = waves[waves["stakeholder"] == group]
        figure.add_trace(
            go.Bar(x=part["wave_start"], y=part["respondents"], name=group, showlegend=False, marker_color=NEUTRAL,
                   customdata=part["survey_id"], hovertemplate="%{customdata}: %{y} respondents<extra></extra>"),
            row=1, col=index + 1,
        )  # fmt: skip
    theme(figure, title=responses_title(waves), height=320)
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(title_text="respondents per wave", row=1, col=1)
    figure.update_annotations(font={"size": 12})
    return figure


# --- favourable answers per pillar across waves ------------------------------------------------------------------


def favourable_by_wave(database: Database, filters: Filters, stakeholder: str) -> pd.DataFrame:
    """Per wave of a stakeholder group's surveys and pillar: respondents, favourable % and its 95% interval;
    groups under 5 respondents keep n only."""
    frame = view_frame(
        database, "survey_favourable_waves", filters, fragments=("survey_answers",), stakeholder=stakeholder
    )
    frame["pillar_name"] = frame["pillar"].map(PILLAR_NAMES)
    frame["suppressed"] = [stats.suppress_small(int(n)) for n in frame["respondents"]]
    # The interval of the favourable KPIs: centred on the same share of answers, within 0-100%.
    intervals = [
        None
        if row.suppressed
        else stats.clustered_share_ci(
            float(row.successes), float(row.answers), int(row.respondents), (row.sum_ss, row.sum_sa, row.sum_aa)
        )
        for row in frame.itertuples()
    ]
    frame["ci_low"] = [100 * i[0] if i else math.nan for i in intervals]
    frame["ci_high"] = [100 * i[1] if i else math.nan for i in intervals]
    frame.loc[frame["suppressed"], ["favourable_pct", "ci_low", "ci_high"]] = math.nan
    columns = [
        "survey_id",
        "wave_start",
        "pillar",
        "pillar_name",
        "respondents",
        "favourable_pct",
        "ci_low",
        "ci_high",
        "suppressed",
    ]
    return frame[columns]


def favourable_chart(database: Database, filters: Filters, stakeholder: str) -> Chart:
    frame = favourable_by_wave(database, filters, stakeholder)
    return Chart(frame, None if frame.empty else favourable_figure(frame), small_groups_note(frame))


def small_groups_note(frame: pd.DataFrame) -> str:
    """Which groups a chart leaves out for anonymity, in words."""
    hidden = frame[frame["suppressed"]]
    if hidden.empty:
        return ""
    if "survey_id" in hidden and len(hidden) > 6:
        return f"{len(hidden)} wave and pillar groups are not shown: {SMALL_GROUP}."
    names = [
        f"{row['survey_id']} {row['pillar_name']}" if "survey_id" in hidden else row["pillar_name"]
        for _, row in hidden.iterrows()
    ]
    return f"Not shown, {SMALL_GROUP}: {', '.join(names)}."


def _pillar_order(pillars) -> list[str]:
    present = set(pillars)
    return [p for p in PILLAR_IDS if p in present]


def favourable_title(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "No Likert answers tagged with a pillar for these filters"
    last_wave = frame.sort_values(["wave_start", "survey_id"])["survey_id"].iloc[-1]
    latest = frame[(frame["survey_id"] == last_wave) & ~frame["suppressed"]].sort_values(
        "favourable_pct", ascending=False
    )
    if latest.empty:
        return f"Results of {last_wave} are hidden: every group had {SMALL_GROUP}"
    top, low = latest.iloc[0], latest.iloc[-1]
    if len(latest) == 1:
        return f"{top['pillar_name']}: {fmt.value(top['favourable_pct'], '%')} favourable answers in {last_wave} (n = {int(top['respondents'])})"
    return (
        f"In {last_wave}, {top['pillar_name']} had the most favourable answers ({fmt.value(top['favourable_pct'], '%')}) "
        f"and {low['pillar_name']} the fewest ({fmt.value(low['favourable_pct'], '%')})"
    )


def favourable_figure(frame: pd.DataFrame) -> go.Figure:
    """Small multiples per pillar: favourable % per wave with its 95% interval; small groups said, not drawn."""
    pillars = _pillar_order(frame["pillar"])
    figure, columns, rows = small_multiples([PILLAR_NAMES[p] for p in pillars], spacing=0.14)
    for index, pillar in enumerate(pillars):
        part = frame[frame["pillar"] == pillar]
        shown, hidden = part[~part["suppressed"]], part[part["suppressed"]]
        position = {"row": index // columns + 1, "col": index % columns + 1}
        figure.add_trace(
            go.Scatter(
                x=shown["wave_start"],
                y=shown["favourable_pct"],
                mode="lines+markers",
                name=PILLAR_NAMES[pillar],
                showlegend=False,
                line={"color": NEUTRAL, "width": 1.5},
                marker={"color": GOOD, "size": 7},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": shown["ci_high"] - shown["favourable_pct"],
                    "arrayminus": shown["favourable_pct"] - shown["ci_low"],
                    "color": NEUTRAL,
                    "thickness": 1,
                    "width": 3,
                },
                customdata=list(
                    zip(shown["survey_id"], shown["respondents"], shown["ci_low"], shown["ci_high"], strict=True)
                ),
                hovertemplate="%{customdata[0]}: %{y:.1f}% favourable (95% CI %{customdata[2]:.1f}-%{customdata[3]:.1f}%), "
                "n = %{customdata[1]}<extra></extra>",
            ),
            **position,
        )
        if len(hidden):
            figure.add_trace(
                go.Scatter(
                    x=hidden["wave_start"],
                    y=[50.0] * len(hidden),
                    mode="text",
                    text=[SMALL_GROUP] * len(hidden),
                    textfont={"color": NEUTRAL, "size": 10},
                    name=SMALL_GROUP,
                    showlegend=False,
                    customdata=hidden["survey_id"],
                    hovertemplate="%{customdata}: " + SMALL_GROUP + ", not shown<extra></extra>",
                ),
                **position,
            )
    theme(figure, title=favourable_title(frame), height=max(320, 230 * rows + 60))
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(range=[0, 100], ticksuffix="%")
    for row in range(1, rows + 1):
        figure.update_yaxes(title_text="favourable answers", row=row, col=1)
    figure.update_annotations(font={"size": 12})
    return figure


# --- the distribution of Likert answers -----------------------------------------------------------------------


def likert_distribution(database: Database, filters: Filters, survey_id: str) -> pd.DataFrame:
    """Per pillar in one wave: respondents and the percent of answers from strongly disagree to strongly agree
    (4- and 7-point scales mapped onto those five); groups under 5 respondents keep n only."""
    frame = view_frame(database, "survey_likert", filters, fragments=("survey_answers",), survey_id=survey_id)
    frame["pillar_name"] = frame["pillar"].map(PILLAR_NAMES)
    frame["suppressed"] = [stats.suppress_small(int(n)) for n in frame["respondents"]]
    frame.loc[frame["suppressed"], ["answers", *AGREEMENT]] = math.nan
    order = {pillar: i for i, pillar in enumerate(PILLAR_IDS)}
    frame = frame.sort_values("pillar", key=lambda column: column.map(order)).reset_index(drop=True)
    return frame[["pillar", "pillar_name", "respondents", "answers", *AGREEMENT, "suppressed"]]


def likert_chart(database: Database, filters: Filters, survey_id: str) -> Chart:
    frame = likert_distribution(database, filters, survey_id)
    return Chart(frame, None if frame.empty else likert_figure(frame, survey_id), small_groups_note(frame))


def likert_title(frame: pd.DataFrame, survey_id: str) -> str:
    shown = frame[~frame["suppressed"]]
    if shown.empty:
        return f"Results of {survey_id} are hidden: every group had {SMALL_GROUP}"
    disagreeing = (shown["strongly_disagree"] + shown["disagree"]).round(6)
    worst = shown.loc[disagreeing.idxmax()]
    return (
        f"In {survey_id}, {worst['pillar_name']} drew the most disagreement: "
        f"{fmt.value(disagreeing.max(), '%')} of answers disagree or strongly disagree"
    )


def likert_figure(frame: pd.DataFrame, survey_id: str) -> go.Figure:
    """Diverging stacked bars: disagreement to the left of zero, agreement to the right, neutral split across it."""
    frame = frame.iloc[::-1]  # the first pillar at the top
    labels = [f"{name} (n = {int(n)})" for name, n in zip(frame["pillar_name"], frame["respondents"], strict=True)]
    shown = frame.assign(label=labels)[~frame["suppressed"].to_numpy()]
    half_neutral = shown["neutral"] / 2
    # In relative mode each side stacks outward in trace order: the neutral halves sit at zero.
    sides = (
        ("neutral", -half_neutral, True),
        ("disagree", -shown["disagree"], True),
        ("strongly_disagree", -shown["strongly_disagree"], True),
        ("neutral", half_neutral, False),
        ("agree", shown["agree"], True),
        ("strongly_agree", shown["strongly_agree"], True),
    )
    rank = {name: i for i, name in enumerate(AGREEMENT)}
    figure = go.Figure()
    for name, values, legend in sides:
        figure.add_trace(
            go.Bar(
                y=shown["label"],
                x=values,
                orientation="h",
                name=AGREEMENT_NAMES[name],
                legendgroup=name,
                legendrank=rank[name],
                showlegend=legend,
                marker_color=AGREEMENT_COLOURS[name],
                customdata=shown[name],
                hovertemplate="%{y}: %{customdata:.1f}% " + AGREEMENT_NAMES[name] + "<extra></extra>",
            )
        )
    hidden = [label for label, suppressed in zip(labels, frame["suppressed"], strict=True) if suppressed]
    if hidden:
        figure.add_trace(
            go.Scatter(
                y=hidden,
                x=[0.0] * len(hidden),
                mode="text",
                text=[SMALL_GROUP] * len(hidden),
                textfont={"color": NEUTRAL},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    theme(
        figure,
        title=likert_title(frame, survey_id),
        x_title="% of answers (disagree left, agree right)",
        height=max(300, 44 * len(frame) + 140),
    )
    ticks = [-100, -75, -50, -25, 0, 25, 50, 75, 100]
    figure.update_layout(barmode="relative", hovermode="closest", legend={"traceorder": "normal"})
    figure.update_xaxes(
        range=[-100, 100], tickvals=ticks, ticktext=[f"{abs(t)}%" for t in ticks], zeroline=True, zerolinecolor=NEUTRAL
    )
    figure.update_yaxes(categoryorder="array", categoryarray=labels, gridcolor="rgba(0,0,0,0)")
    return figure


# --- customer NPS ---------------------------------------------------------------------------------------------


def suppressed_periods(series: Series) -> list[str]:
    """Labels of the periods a survey series hides for having fewer than 5 respondents."""
    return [period_label(p.period, series.grain) for p in series.points if p.suppressed]
