"""Plain-language findings: one sentence per KPI and per pillar, and why each verdict was reached. No streamlit.

A sentence compares the latest value with the one about 12 months earlier and ends with the variation verdict
("a real improvement", "within normal variation"), because a line going up is not yet an improvement. Numbers
are written by isokpi.format, so a value reads the same on a tile, in a sentence, on a chart and in a pack.
"""

from __future__ import annotations

from dataclasses import dataclass

from isokpi import stats, words
from isokpi.catalog import HIGHER, Kpi
from isokpi.eta import eta_dict
from isokpi.format import clamp, difference, number, rounds_to_zero, short, unit_of, value, value_range
from isokpi.kpis import AT_RISK, MIN_POINTS_FOR_LIMITS, OFF_TRACK, ON_TRACK, PillarCard, Series, meets, scorecard_dict
from isokpi.periods import months_between, period_name

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
    earlier = series.earlier  # over the whole history: the display window never changes the sentence
    if earlier is None:
        when = period_name(latest.period, series.grain)
        only = ", the only survey wave so far" if kpi.survey else ""
        return f"{kpi.name} was {value(latest.value, kpi.unit)} in {when}{only}: too few periods to judge a trend"
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
    tail = words.VARIATION_TAIL[series.variation]
    if series.variation == stats.IMPROVEMENT and not moved_better:
        return f", but the latest period shows {tail}"
    if series.variation == stats.CONCERN and moved_better is not False:
        return f", but the latest period shows {tail}"
    return f": {tail}"


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
        described.append(f"{words.RULES[(rule, side)]} ({when})")
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
    periods are provisional. Over the whole history, whatever window is shown."""
    series = series.history or series
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
    meaning = words.ASSURANCE_MEANING.get(series.assurance, "")
    if series.assurance == stats.PASS:
        return f"The process limits ({span}) lie wholly {good_side} {goal}: {meaning}."
    if series.assurance == stats.FAIL:
        return f"The process limits ({span}) lie wholly {bad_side} {goal}: {meaning}."
    return (
        f"{goal[0].upper()}{goal[1:]} lies inside normal variation, within the process limits ({span}) or on one: "
        "expect to hit and miss it by chance."
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
    label = words.variation(series.variation, has_value=series.latest is not None)
    higher = series.kpi.direction == HIGHER
    if series.latest is None:
        return Badge(label, ":material/block:", "gray")
    if series.variation == stats.IMPROVEMENT:
        return Badge(label, ":material/trending_up:" if higher else ":material/trending_down:", "blue")
    if series.variation == stats.CONCERN:
        return Badge(label, ":material/trending_down:" if higher else ":material/trending_up:", "orange")
    if series.variation == stats.COMMON_CAUSE:
        return Badge(label, ":material/trending_flat:", "gray")
    return Badge(label, ":material/more_horiz:", "gray")


ASSURANCE_ICONS = {
    stats.PASS: (":material/check_circle:", "blue"),
    stats.FAIL: (":material/cancel:", "orange"),
    stats.INCONSISTENT: (":material/swap_vert:", "gray"),
}


def assurance_badge(series: Series) -> Badge:
    label = words.assurance(series.assurance, has_target=series.target is not None, has_value=series.latest is not None)
    icon, colour = ASSURANCE_ICONS.get(series.assurance or "", (":material/remove:", "gray"))
    return Badge(label, icon, colour)


STATUS_ICONS = {
    ON_TRACK: (":material/check_circle:", "blue"),
    AT_RISK: (":material/warning:", "orange"),
    OFF_TRACK: (":material/cancel:", "red"),
}


def status_badge(item: PillarCard | Series) -> Badge:
    """On track, at risk or off track (kpis.STATUS_RULE) for a pillar or one KPI; colour and icon follow it."""
    icon, colour = STATUS_ICONS.get(item.status or "", (":material/block:", "gray"))
    return Badge(words.status(item.status), icon, colour)


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
    """'Monitoring & Review is at risk: Findings closed on time misses its target. Median days to close a finding
    shows a real improvement. 3 of 4 KPIs on target.' The KPIs that make a pillar at risk or off track come first,
    each with its reason (kpis.STATUS_RULE); then the real improvements of those on track."""
    with_data = [series for series in card.series if series.latest is not None]
    if not with_data:
        return f"{card.name}: no data for these filters."
    state = words.status(card.status).lower()
    reasons = [f"{series.kpi.name} {status_reason(series)}" for series in with_data if series.status != ON_TRACK]
    better = [s.kpi.name for s in with_data if s.status == ON_TRACK and s.variation == stats.IMPROVEMENT]
    improving = f"{_join(better)} {'shows' if len(better) == 1 else 'show'} a real improvement" if better else ""
    if reasons and _off_track_by_targets(card):  # no KPI is off track itself: say why the pillar is
        why = (
            "as its one KPI with a target misses it"
            if card.with_target == 1
            else f"as each of its {card.with_target} KPIs with a target misses it"
        )
        text = f"{card.name} is {state}, {why}: {'; '.join(reasons)}." + (f" {improving}." if improving else "")
    elif reasons:
        text = f"{card.name} is {state}: {'; '.join(reasons)}." + (f" {improving}." if improving else "")
    elif improving:
        text = f"{card.name} is {state}: {improving}."
    elif card.variation is None:  # no KPI has limits on enough points: no change can be told from noise yet
        calm = (
            "its one KPI with data has too few periods for a verdict yet"
            if len(with_data) == 1
            else f"none of its {len(with_data)} KPIs with data has enough periods for a verdict yet"
        )
        text = f"{card.name} is {state}: {calm}."
    else:
        calm = (
            "its one KPI with data shows no real change"
            if len(with_data) == 1
            else f"none of its {len(with_data)} KPIs with data shows a real change"
        )
        text = f"{card.name} is {state}: {calm}."
    if on_target:
        text += f" {on_target_phrase(card)}."
    return text


def _off_track_by_targets(card: PillarCard) -> bool:
    """Off track because every KPI with a target misses it (kpis.STATUS_RULE), while none of them is off track
    itself: the tile reads "Off track" above KPIs that each read "At risk"."""
    return card.misses_every_target and not any(series.status == OFF_TRACK for series in card.series)


def status_reason(series: Series) -> str:
    """Why a KPI is at risk or off track, in words.py's words: 'misses its target reliably', 'misses its target and
    shows a real deterioration', 'misses its target, though it shows a real improvement', 'shows a real
    deterioration'."""
    misses = series.on_target() is False
    first = words.MISSES_RELIABLY if series.assurance == stats.FAIL else words.MISSES if misses else ""
    if series.variation == stats.CONCERN:
        return f"{first} and {words.DETERIORATES}" if first else words.DETERIORATES
    if series.variation == stats.IMPROVEMENT and first:
        return f"{first}, though it {words.IMPROVES}"
    return first or words.MISSES


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


# --- a KPI's words, for every surface that shows it --------------------------------------------------------------


def kpi_texts(series: Series) -> dict[str, str | None]:
    """Everything a person reads about one KPI, as text: the tiles, the Pillar page, the review, the packs and the
    CLI show these strings, so a value, a verdict and a sentence read the same everywhere. JSON-ready: a closed
    review keeps them as they were presented."""
    latest, kpi = series.latest, series.kpi
    gap = target_gap(series)
    return {
        "value": value(latest.value, kpi.unit) if latest else None,
        "short": short(latest.value, kpi.unit) if latest else None,
        "period": period_name(latest.period, series.grain) if latest else None,
        "target": value(series.target, kpi.unit) if series.target is not None else None,
        "gap": gap.text if gap else None,
        "sentence": kpi_sentence(series),
        "variation": variation_badge(series).label,
        "assurance": assurance_badge(series).label,
        "status": status_badge(series).label,
        "variation_explanation": variation_explanation(series),
        "assurance_explanation": assurance_explanation(series),
    }


def record_texts(kpi: dict) -> dict[str, str | None]:
    """A review record's KPI in words: the texts it was frozen with, or, for a record frozen before it kept them,
    the same texts from its stored values and verdicts."""
    if "text" in kpi:
        return kpi["text"]
    unit, latest = kpi["unit"], kpi.get("latest")
    withheld = (
        kpi["variation"] is None or sum(1 for p in kpi["points"] if p["value"] is not None) < MIN_POINTS_FOR_LIMITS
    )
    target = kpi.get("target_latest")
    return {
        "value": value(latest, unit) if latest is not None else None,
        "short": short(latest, unit) if latest is not None else None,
        "period": kpi.get("latest_period"),
        "target": value(target, unit) if target is not None else None,
        "gap": None,
        "sentence": f"{kpi['name']} was {value(latest, unit)} in {kpi.get('latest_period')}"
        if latest is not None
        else f"{kpi['name']}: no data in the period",
        "variation": words.variation(None if withheld else kpi["variation"], has_value=latest is not None),
        "assurance": words.assurance(
            None if withheld else kpi["assurance"], has_target=target is not None, has_value=latest is not None
        ),
        "status": words.status(kpi.get("status")),
        "variation_explanation": None,
        "assurance_explanation": None,
    }


def verdict_line(kpi: dict) -> str:
    """A review record's KPI in one line: latest value, target and the two verdicts."""
    texts = record_texts(kpi)
    if texts["value"] is None:
        return f"{texts['sentence']}."
    target = f"target {texts['target']}" if texts["target"] else words.NO_TARGET.lower()
    return (
        f"Latest {texts['value']} ({texts['period']}), {target}: {texts['status']}; {texts['variation']}; "
        f"{texts['assurance']}"
    )


def pillar_trend(card: PillarCard) -> str:
    """A pillar's trend roll-up in words, on the tiles, in the packs and on the command line: 'Stable', 'No verdict
    yet' (none of its KPIs has one), 'No data' (none has a value)."""
    return words.PILLAR_VARIATION[card.variation] if card.status is not None else words.NO_DATA


def pillar_texts(card: PillarCard) -> dict[str, str]:
    """A pillar in words, as the tiles, the review and the packs show it."""
    return {
        "status": status_badge(card).label,
        "variation": pillar_trend(card),
        "sentence": pillar_sentence(card),
        "on_target": on_target_phrase(card),
    }


def scorecard_json(cards: list[PillarCard]) -> dict[str, object]:
    """`python -m isokpi scorecard --json`, and the scorecard a review record keeps: kpis.scorecard_dict with the
    words people read beside every pillar and KPI (`text`), so a machine reads the same spelling as a person."""
    document = scorecard_dict(cards)
    for card, pillar in zip(cards, document["pillars"], strict=True):
        pillar["text"] = pillar_texts(card)
        for series, kpi in zip(card.series, pillar["kpis"], strict=True):
            kpi["text"] = kpi_texts(series)
            kpi["eta"] = eta_dict(series)
    return document


def record_pillar_texts(pillar: dict) -> dict[str, str]:
    """A review record's pillar in words: the texts it was frozen with, or, for a record frozen before pillars had
    a status, its trend roll-up (then called its status)."""
    if "text" in pillar:
        return pillar["text"]
    trend = words.PILLAR_VARIATION.get(pillar["status"], words.NO_DATA)
    on_target = f"{pillar['on_target']} of {pillar['with_target']} KPIs on target"
    return {
        "status": words.NO_VERDICT,
        "variation": trend,
        "sentence": f"{pillar['name']}: {trend.lower()}.",
        "on_target": on_target,
    }
