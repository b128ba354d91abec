"""Plain-language findings: one sentence per KPI and per pillar, and why each verdict was reached. No streamlit.

A sentence compares the latest value with the one about 12 months earlier and ends with the variation verdict
("a real improvement", "within normal variation"), because a line going up is not yet an improvement. Numbers
are written by isokpi.format, so a value reads the same on a tile, in a sentence, on a chart and in a pack.
"""

from __future__ import annotations

from dataclasses import dataclass

from isokpi import stats
from isokpi.catalog import HIGHER, Kpi
from isokpi.format import clamp, difference, number, rounds_to_zero, short, unit_of, value, value_range
from isokpi.kpis import CONCERNING, IMPROVING, MIN_POINTS_FOR_LIMITS, PillarCard, Point, Series, meets
from isokpi.periods import months_between, period_name

LOOKBACK_MONTHS = 12  # sentences compare with the value about a year earlier, at any period length
MOST_RANGES = 2  # when a rule fired more often than this, name only its latest stretch

READING_GUIDE = (
    "Each sentence compares the latest value with the one about 12 months earlier. A real improvement or "
    "deterioration is a latest point that is a special cause on an XmR chart (beyond the process limits, 7 rising "
    "or falling in a row, 2 of 3 beyond two sigma on one side of the mean, or 7 in a row on one side of the mean); "
    f"anything else is normal variation, however the line looks. Limits resting on fewer than {MIN_POINTS_FOR_LIMITS} "
    "points give no verdict yet, and a period whose data is still arriving is marked provisional and not judged."
)


def _span(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- one KPI ----------------------------------------------------------------------------------------------


def comparison_point(series: Series) -> Point | None:
    """The shown point nearest to 12 months before the latest (the first point of a shorter series); provisional
    points are left out, as the sentence speaks of the latest settled value."""
    shown = [p for p in series.shown if not p.provisional]
    if len(shown) < 2:
        return None
    latest = shown[-1]
    return min(shown[:-1], key=lambda p: (abs(months_between(p.period, latest.period) - LOOKBACK_MONTHS), p.period))


def has_verdict(series: Series) -> bool:
    """Whether the verdicts were given: limits resting on at least MIN_POINTS_FOR_LIMITS points."""
    return series.variation is not None


def kpi_sentence(series: Series) -> str:
    """'Findings closed on time rose from 61.0% to 78.0% over 12 months: a real improvement'."""
    kpi = series.kpi
    latest = series.latest
    if latest is None:
        if any(p.suppressed for p in series.points):
            return f"{kpi.name}: not shown, because every period has fewer than {stats.MIN_GROUP_SIZE} respondents"
        return f"{kpi.name}: no data for these filters"
    earlier = comparison_point(series)
    if earlier is None:
        when = period_name(latest.period, series.grain)
        return f"{kpi.name} was {value(latest.value, kpi.unit)} in {when}: too few periods to judge a trend"
    span = _span(months_between(earlier.period, latest.period))
    if number(earlier.value, kpi.unit) == number(latest.value, kpi.unit):
        movement, moved = f"held at {value(latest.value, kpi.unit)} over {span}", None
    else:
        rose = latest.value > earlier.value
        verb = "rose" if rose else "fell"
        movement, moved = (
            f"{verb} from {value_range(earlier.value, latest.value, kpi.unit)} over {span}",
            rose == (kpi.direction == HIGHER),
        )
    return f"{kpi.name} {movement}{_verdict_tail(series, moved)}"


def _verdict_tail(series: Series, moved_better: bool | None) -> str:
    """How the sentence ends: the verdict, with a 'but' when the recent signal runs against the yearly change."""
    if not has_verdict(series):
        return ": too few periods to tell a real change from noise"
    if series.variation == stats.IMPROVEMENT:
        return ": a real improvement" if moved_better else ", but the latest period shows a real improvement"
    if series.variation == stats.CONCERN:
        return (
            ": a real deterioration" if moved_better is False else ", but the latest period shows a real deterioration"
        )
    return ": within normal variation"


RULE_PHRASES = {
    (stats.OUTSIDE_LIMITS, stats.HIGH): "above the upper process limit",
    (stats.OUTSIDE_LIMITS, stats.LOW): "below the lower process limit",
    (stats.TREND_OF_7, stats.HIGH): "7 or more rising in a row",
    (stats.TREND_OF_7, stats.LOW): "7 or more falling in a row",
    (stats.TWO_OF_THREE, stats.HIGH): "2 of 3 beyond two sigma above the mean",
    (stats.TWO_OF_THREE, stats.LOW): "2 of 3 beyond two sigma below the mean",
    (stats.RUN_OF_7, stats.HIGH): "7 or more in a row above the mean",
    (stats.RUN_OF_7, stats.LOW): "7 or more in a row below the mean",
}
RULE_ORDER = stats.RULE_ORDER  # the order that sets a point's class: outside, trend, 2 of 3, run


def _latest_judged(series: Series) -> int | None:
    """Index of the point the variation verdict speaks for: the latest with a value that is not provisional."""
    return next(
        (
            i
            for i in range(len(series.points) - 1, -1, -1)
            if series.points[i].value is not None and not series.points[i].provisional
        ),
        None,
    )


def signal_descriptions(series: Series, *, recent: bool | None = None) -> list[str]:
    """Each rule that fired, with when: '7 or more rising in a row (Mar 2026 to Sep 2026)'.

    recent=True keeps only the stretches that hold the latest point (the ones behind the verdict), recent=False
    only the others, None all of them.
    """
    # Rules never look across a gap, so a stretch is consecutive points of the series.
    rank = {index: index for index in range(len(series.points))}
    latest = _latest_judged(series)
    groups: dict[tuple[str, str], set[int]] = {}
    for mark in series.marks:
        if series.points[mark.index].value is not None:
            groups.setdefault((mark.rule, mark.side), set()).add(mark.index)
    described = []
    for rule, side in sorted(groups, key=lambda key: (RULE_ORDER.index(key[0]), key[1])):
        stretches = [
            (first, last)
            for first, last in _stretches(sorted(groups[(rule, side)]), rank)
            if recent is None or recent == (latest is not None and first <= latest <= last)
        ]
        if not stretches:
            continue
        labels = [_stretch_name(series, first, last) for first, last in stretches]
        when = _join(labels) if len(labels) <= MOST_RANGES else f"{len(labels)} times, most recently {labels[-1]}"
        described.append(f"{RULE_PHRASES[(rule, side)]} ({when})")
    return described


def _stretches(indexes: list[int], rank: dict[int, int]) -> list[tuple[int, int]]:
    stretches: list[tuple[int, int]] = []
    for index in indexes:
        if stretches and rank[index] == rank[stretches[-1][1]] + 1:
            stretches[-1] = (stretches[-1][0], index)
        else:
            stretches.append((index, index))
    return stretches


def _stretch_name(series: Series, first: int, last: int) -> str:
    start = period_name(series.points[first].period, series.grain)
    if first == last:
        return start
    return f"{start} to {period_name(series.points[last].period, series.grain)}"


def variation_explanation(series: Series) -> str:
    """Why the variation verdict is what it is: the latest point's class, which rules fired, and when; and which
    periods are provisional."""
    text = _variation_reason(series)
    provisional = [p for p in series.shown if p.provisional]
    if provisional:
        names = _join([period_name(p.period, series.grain) for p in provisional])
        one = len(provisional) == 1
        text += (
            f" {names} {'is' if one else 'are'} provisional: {'its' if one else 'their'} data is still arriving, so "
            f"{'it is' if one else 'they are'} shown but not judged."
        )
    return text


def _variation_reason(series: Series) -> str:
    shown = series.shown
    if not shown:
        if any(p.suppressed for p in series.points):
            return (
                f"Every period has fewer than {stats.MIN_GROUP_SIZE} respondents, so no value is shown, to keep answers "
                "anonymous."
            )
        return "No values in these periods, so there is nothing to judge."
    if not has_verdict(series):
        if series.limits is None:
            count = "Only 1 period has" if len(shown) == 1 else f"Only {len(shown)} periods have"
            return (
                f"{count} a value, too few for process limits; Making Data Count needs at least "
                f"{MIN_POINTS_FOR_LIMITS} points to tell a real change from noise, so there is no verdict yet."
            )
        return (
            f"The process limits rest on only {series.limit_points} points; Making Data Count needs at least "
            f"{MIN_POINTS_FOR_LIMITS} to tell a real change from noise, so the limits are drawn but there is no "
            "verdict yet."
        )
    better = series.kpi.better
    index = _latest_judged(series)
    when = period_name(series.points[index].period, series.grain)
    latest = "; ".join(signal_descriptions(series, recent=True))
    earlier = "; ".join(signal_descriptions(series, recent=False))
    if series.variation in (stats.IMPROVEMENT, stats.CONCERN):
        good = series.variation == stats.IMPROVEMENT
        what = "A real improvement" if good else "A real deterioration"
        side = "good" if good else "bad"
        return f"{what} ({better}), because the latest point ({when}) is a special cause on the {side} side: {latest}."
    if earlier:
        return (
            f"Within normal variation: the latest point ({when}) is not a special cause, so recent ups and downs are "
            f"noise. Earlier special causes: {earlier}."
        )
    return (
        "Within normal variation: every point lies within the process limits and no special-cause rule fired, so the "
        "ups and downs are the noise this process always produces."
    )


def displayed_limits(series: Series) -> tuple[float, float] | None:
    """The latest process limits as far as the unit allows (a share stays within 0% to 100%)."""
    if series.limits is None:
        return None
    return clamp(series.limits.lcl, series.kpi.unit), clamp(series.limits.ucl, series.kpi.unit)


def target_phrase(kpi: Kpi, target: float) -> str:
    """'the 90.0% target', 'the target of 30 days'."""
    if unit_of(kpi.unit).is_symbol or not unit_of(kpi.unit).plural:
        return f"the {value(target, kpi.unit)} target"
    return f"the target of {value(target, kpi.unit)}"


def assurance_explanation(series: Series) -> str:
    """Where the process limits sit against the target, and what that means for meeting it."""
    kpi = series.kpi
    target = series.target
    if series.latest is None:
        return "No values in these periods, so the target cannot be judged."
    if target is None:
        return "No target is set for this KPI: load one in the targets dataset to judge whether it will be met."
    limits = displayed_limits(series)
    goal = target_phrase(kpi, target)
    if limits is None:
        return f"Too few periods to place process limits against {goal}."
    span = value_range(*limits, kpi.unit)
    if series.assurance is None:
        return (
            f"The process limits ({span}) rest on only {series.limit_points} points; with fewer than "
            f"{MIN_POINTS_FOR_LIMITS} there is no verdict against {goal} yet."
        )
    good_side, bad_side = ("above", "below") if kpi.direction == HIGHER else ("below", "above")
    if series.assurance == stats.PASS:
        return (
            f"The process limits ({span}) lie wholly {good_side} {goal}: the target will be met consistently unless "
            "the process changes."
        )
    if series.assurance == stats.FAIL:
        return f"The process limits ({span}) lie wholly {bad_side} {goal}: the target will not be met without a change."
    return (
        f"{goal[0].upper()}{goal[1:]} lies within the process limits ({span}), or on one: the process will meet it in some "
        "periods and miss it in others, by chance alone."
    )


@dataclass(frozen=True)
class TargetGap:
    """The latest value against its target, short enough for a tile: '2.3 pts below target'."""

    text: str
    target: str  # the target, short: '95.0%', '30' (days)
    met: bool
    side: str  # "above", "below" or "on"


def target_gap(series: Series) -> TargetGap | None:
    latest = series.latest
    if latest is None or latest.target is None:
        return None
    kpi = series.kpi
    met = meets(kpi, latest.value, latest.target)
    gap = latest.value - latest.target
    target = short(latest.target, kpi.unit)
    side = "on" if gap == 0 else "above" if gap > 0 else "below"
    if side == "on" or (met and rounds_to_zero(gap, kpi.unit)):
        return TargetGap("on target", target, met, "on")
    if rounds_to_zero(gap, kpi.unit):
        return TargetGap(f"just {side} target", target, met, side)
    return TargetGap(f"{difference(gap, kpi.unit)} {side} target", target, met, side)


# --- badges: the "Making Data Count" icons as words, a Material icon and a colour meaning ---------------------


@dataclass(frozen=True)
class Badge:
    label: str
    icon: str  # a Material Symbols name, ":material/…:"
    colour: str  # blue: good, orange: bad, gray: neutral (as in isokpi.charts)


def variation_badge(series: Series) -> Badge:
    """Improvement or deterioration with the arrow of the data's movement; grey for normal variation."""
    if series.latest is None:
        return Badge("No data", ":material/block:", "gray")
    if not has_verdict(series):
        return Badge("Too few periods", ":material/more_horiz:", "gray")
    higher = series.kpi.direction == HIGHER
    if series.variation == stats.IMPROVEMENT:
        return Badge("Improving", ":material/trending_up:" if higher else ":material/trending_down:", "blue")
    if series.variation == stats.CONCERN:
        return Badge("Deteriorating", ":material/trending_down:" if higher else ":material/trending_up:", "orange")
    return Badge("Normal variation", ":material/trending_flat:", "gray")


def assurance_badge(series: Series) -> Badge:
    if series.assurance == stats.PASS:
        return Badge("Target met reliably", ":material/check_circle:", "blue")
    if series.assurance == stats.FAIL:
        return Badge("Target missed reliably", ":material/cancel:", "orange")
    if series.assurance == stats.INCONSISTENT:
        return Badge("Target hit and miss", ":material/help:", "gray")
    return Badge("No target verdict", ":material/remove:", "gray")


def status_badge(card: PillarCard) -> Badge:
    if headline(card) is None:
        return Badge("No data", ":material/block:", "gray")
    if card.status == CONCERNING:
        return Badge("Concerning", ":material/trending_down:", "orange")
    if card.status == IMPROVING:
        return Badge("Improving", ":material/trending_up:", "blue")
    return Badge("Stable", ":material/trending_flat:", "gray")


# --- one pillar -------------------------------------------------------------------------------------------


def headline(card: PillarCard) -> Series | None:
    """The pillar's headline KPI: the first in catalog order that has a value."""
    return next((series for series in card.series if series.latest is not None), None)


def on_target_phrase(card: PillarCard) -> str:
    """'3 of 4 KPIs on target' (of those with a value and a target)."""
    if card.with_target == 0:
        return "No KPI has a value and a target yet"
    noun = "KPI" if card.with_target == 1 else "KPIs"
    return f"{card.on_target} of {card.with_target} {noun} on target"


def pillar_sentence(card: PillarCard, *, on_target: bool = True) -> str:
    """'Training & Development is improving: 4 of 4 KPIs show a real improvement and none a deterioration.'"""
    with_data = [series for series in card.series if series.latest is not None]
    if not with_data:
        return f"{card.name}: no data for these filters."
    total = len(with_data)
    if card.status == CONCERNING:
        names = [series.kpi.name for series in card.series if series.variation == stats.CONCERN]
        verb = "shows" if len(names) == 1 else "show"
        text = f"{card.name} is concerning: {_join(names)} {verb} a real deterioration"
        if card.improving:
            text += f"; {card.improving} of {total} KPIs {'improves' if card.improving == 1 else 'improve'}"
    elif card.status == IMPROVING:
        verb = "shows" if card.improving == 1 else "show"
        text = f"{card.name} is improving: {card.improving} of {total} KPIs {verb} a real improvement and none a deterioration"
    elif total == 1:
        text = f"{card.name} is stable: its one KPI with data shows no real change"
    else:
        text = f"{card.name} is stable: none of its {total} KPIs with data shows a real change"
    text += "."
    if on_target:
        text += f" {on_target_phrase(card)}."
    return text


def values_period(cards: list[PillarCard]) -> str | None:
    """Which period the tiles' values refer to: 'Latest values: Oct 2026, the last complete month.'"""
    latest = [series.latest.period for card in cards for series in card.series if series.latest is not None]
    if not latest:
        return None
    grain = cards[0].series[0].grain
    return (
        f"Latest values: {period_name(max(latest), grain)}, the last complete {grain} with data; a survey KPI shows its "
        "latest survey wave."
    )


# --- a KPI as the review record keeps it (JSON): the words of the review page and the packs -----------------------

VARIATION_LABELS = {
    stats.IMPROVEMENT: "improving signal",
    stats.CONCERN: "concerning signal",
    stats.COMMON_CAUSE: "common cause (noise)",
}
ASSURANCE_LABELS = {
    stats.PASS: "will meet target",
    stats.FAIL: "will miss target",
    stats.INCONSISTENT: "may or may not meet target",
    None: "no target",
}


def kpi_finding(kpi: dict) -> str:
    """The finding in words, for a chart title: 'Customer NPS rose from 12 to 20.3 NPS points (2025-11 to 2026-10)'."""
    name, unit = kpi["name"], kpi["unit"]
    if kpi["latest"] is None:
        return f"{name}: no data in the period"
    if kpi["first_period"] == kpi["latest_period"]:
        return f"{name} was {value(kpi['latest'], unit)} in {kpi['latest_period']}"
    first, latest = kpi["first"], kpi["latest"]
    verb = "held at" if abs(latest - first) < 1e-9 else ("rose from" if latest > first else "fell from")
    span = f"({kpi['first_period']} to {kpi['latest_period']})"
    if verb == "held at":
        return f"{name} held at {value(latest, unit)} {span}"
    start = value(first, "%" if unit == "%" else "")
    return f"{name} {verb} {start} to {value(latest, unit)} {span}"


def too_few(kpi: dict) -> bool:
    """No verdict: withheld (variation None, under MIN_POINTS_FOR_LIMITS limit-setting points), or, in a record
    frozen before verdicts were withheld, fewer points with a value than that."""
    return kpi["variation"] is None or sum(1 for p in kpi["points"] if p["value"] is not None) < MIN_POINTS_FOR_LIMITS


def variation_label(kpi: dict) -> str:
    """The variation verdict in words; a series too short for signals says so instead of claiming noise."""
    if too_few(kpi):
        return f"too few months for signals (needs {MIN_POINTS_FOR_LIMITS})"
    return VARIATION_LABELS.get(kpi["variation"], kpi["variation"])


def assurance_label(kpi: dict) -> str:
    if kpi["assurance"] is None:
        return "no target" if kpi["target_latest"] is None else "too few months to judge against the target"
    return ASSURANCE_LABELS[kpi["assurance"]]


def verdict_line(kpi: dict) -> str:
    """Latest value, target and the two verdicts in one line."""
    target = "no target" if kpi["target_latest"] is None else f"target {value(kpi['target_latest'], kpi['unit'])}"
    latest = value(kpi["latest"], kpi["unit"])
    when = f" ({kpi['latest_period']})" if kpi["latest_period"] else ""
    return f"Latest {latest}{when}, {target}; {variation_label(kpi)}; {assurance_label(kpi)}"
