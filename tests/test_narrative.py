"""Plain-language findings on hand-built series: the sentence, the verdict explanations, numbers and pillars."""

from __future__ import annotations

import datetime as dt

from isokpi import narrative, stats
from isokpi.catalog import get_kpi
from isokpi.kpis import AT_RISK, OFF_TRACK, ON_TRACK, PillarCard, Point, Series, analyse, comparison_point
from isokpi.periods import add_months

START = dt.date(2024, 11, 1)


def series(kpi_id: str, values: list[float | None], *, target: float | None = None, start: dt.date = START) -> Series:
    """A monthly series from START with the statistics filled in as the KPI engine does."""
    points = [Point(add_months(start, i), v, 40, target) for i, v in enumerate(values)]
    return analyse(Series(get_kpi(kpi_id), "month", points))


def limits(lcl: float, ucl: float) -> stats.XmR:
    return stats.XmR((lcl + ucl) / 2, (ucl - lcl) / (2 * stats.E2), lcl, ucl, (0, 12), (0, 12), 12)


def fixed(kpi_id: str, values: list[float], *, variation: str, target: float | None = None, **fields) -> Series:
    """A series whose verdicts are set by hand, to pin one wording at a time."""
    points = [Point(add_months(START, i), v, 40, target) for i, v in enumerate(values)]
    fields.setdefault("limits", limits(50, 90))
    built = Series(get_kpi(kpi_id), "month", points, variation=variation, **fields)
    built.earlier = comparison_point(built)
    return built


STEADY = [60, 62, 58, 61, 59, 60, 62, 58, 61, 59, 60, 61]
BETTER = [78, 77, 79, 78, 76, 79, 77, 78, 79, 77, 78, 78]


# --- numbers ---------------------------------------------------------------------------------------------


# --- one KPI: the sentence -------------------------------------------------------------------------------


def test_a_sustained_rise_of_a_higher_is_better_kpi_is_a_real_improvement():
    rising = series("findings_closed_on_time_pct", STEADY + BETTER, target=85)
    assert rising.variation == stats.IMPROVEMENT
    assert (
        narrative.kpi_sentence(rising)
        == "Findings closed on time rose from 61.0% to 78.0% over 12 months: a real improvement"
    )


def test_a_rise_of_a_lower_is_better_kpi_is_a_real_deterioration():
    slower = series("median_days_to_close", [20, 21, 19, 20, 22, 20, 19, 21, 20, 20, 21, 20] + [35] * 6 + [34, 36] * 3)
    assert slower.variation == stats.CONCERN
    assert (
        narrative.kpi_sentence(slower)
        == "Median days to close a finding rose from 20 to 36 days over 12 months: a real deterioration"
    )


def test_noise_is_within_normal_variation_and_an_unchanged_value_held():
    assert narrative.kpi_sentence(series("findings_closed_on_time_pct", STEADY + STEADY)) == (
        "Findings closed on time held at 61.0% over 12 months: within normal variation"
    )
    wobble = series("customer_nps", [20, 25, 18, 22, 27, 19, 21, 24, 20, 23, 26, 18, 22])
    assert wobble.variation == stats.COMMON_CAUSE
    assert narrative.kpi_sentence(wobble) == (
        "Customer Net Promoter Score rose from +20 to +22 NPS points over 12 months: within normal variation"
    )


def test_a_recent_signal_against_the_yearly_change_is_said_with_but():
    worse = fixed("overdue_open_findings", [8] * 5 + [6] * 7 + [9], variation=stats.IMPROVEMENT)
    assert narrative.kpi_sentence(worse) == (
        "Overdue open findings rose from 8 to 9 findings over 12 months, but the latest period shows a real improvement"
    )
    better = fixed("findings_closed_on_time_pct", [70] + [80] * 12, variation=stats.CONCERN)
    assert narrative.kpi_sentence(better) == (
        "Findings closed on time rose from 70.0% to 80.0% over 12 months, but the latest period shows a real deterioration"
    )


def test_short_series_get_no_verdict():
    three = series("findings_closed_on_time_pct", [61, 70, 78])
    assert narrative.kpi_sentence(three) == (
        "Findings closed on time rose from 61.0% to 78.0% over 2 months: too few periods to tell a real change from noise"
    )
    one = series("findings_closed_on_time_pct", [78])
    assert (
        narrative.kpi_sentence(one) == "Findings closed on time was 78.0% in Nov 2024: too few periods to judge a trend"
    )


def test_no_data_and_suppressed_series_say_so():
    empty = Series(get_kpi("customer_nps"), "month", [])
    assert narrative.kpi_sentence(empty) == "Customer Net Promoter Score: no data for these filters"
    hidden = Series(get_kpi("customer_nps"), "month", [Point(START, None, 3, 30.0, suppressed=True)])
    assert narrative.kpi_sentence(hidden) == (
        "Customer Net Promoter Score: not shown, because every period has fewer than 5 respondents"
    )
    assert narrative.variation_explanation(hidden).startswith("Every period has fewer than 5 respondents")
    assert narrative.assurance_explanation(empty) == "No values in these periods, so the target cannot be judged."


def test_the_comparison_is_the_point_nearest_12_months_earlier():
    # Annual surveys 13 months apart, with gaps between: compare with the previous wave.
    values: list[float | None] = [None] * 14
    values[0], values[13] = 62.0, 70.0
    annual = series("survey_favourable_culture_pct", values)
    assert comparison_point(annual).period == START
    assert narrative.kpi_sentence(annual).startswith(
        "Culture of Excellence: favourable answers rose from 62.0% to 70.0% over 13 months"
    )
    # A series shorter than a year compares with its first point.
    assert comparison_point(series("findings_closed_on_time_pct", [50, 60, 70])).value == 50


# --- one KPI: why --------------------------------------------------------------------------------------------


def test_variation_explanation_names_the_rules_behind_the_verdict_and_when():
    rising = series("findings_closed_on_time_pct", STEADY + BETTER, target=85)
    assert narrative.variation_explanation(rising) == (
        "A real improvement (higher is better), because the latest point (Oct 2026) is a special cause on the good "
        "side: above the upper process limit (Nov 2025 to Oct 2026); 2 of 3 beyond two sigma above the mean (Nov 2025 "
        "to Oct 2026); 7 or more in a row above the mean (Nov 2025 to Oct 2026)."
    )


def test_a_latest_point_of_common_cause_after_a_signal_two_points_back_is_normal_variation():
    # 12 steady months, one far above the limits, then two ordinary months: the latest point decides. (The 90 lifts
    # the mean, so the steady year is a run below it.)
    back = series("findings_closed_on_time_pct", [*STEADY, 90, 61, 59])
    assert back.variation == stats.COMMON_CAUSE
    assert narrative.kpi_sentence(back).endswith(": within normal variation")
    assert narrative.variation_explanation(back) == (
        "Within normal variation: the latest point (Jan 2026) is not a special cause, so recent ups and downs are "
        "noise. Earlier special causes: above the upper process limit (Nov 2025); 7 or more in a row below the mean "
        "(Nov 2024 to Oct 2025)."
    )


def test_a_verdict_needs_12_points_setting_the_limits():
    eleven = series("findings_closed_on_time_pct", STEADY[:10] + [90])
    twelve = series("findings_closed_on_time_pct", STEADY[:11] + [90])
    assert (eleven.limit_points, eleven.variation, narrative.has_verdict(eleven)) == (11, None, False)
    assert (twelve.limit_points, twelve.variation, narrative.has_verdict(twelve)) == (12, stats.IMPROVEMENT, True)
    assert narrative.variation_badge(eleven).label == "No verdict yet"
    assert narrative.variation_explanation(eleven) == (
        "The process limits rest on only 11 points; Making Data Count needs at least 12 to tell a real change from "
        "noise, so the limits are drawn but there is no verdict yet."
    )
    assert narrative.kpi_sentence(eleven).endswith(": too few periods to tell a real change from noise")


def test_variation_explanation_of_noise_mentions_earlier_signals():
    quiet = fixed(
        "major_ncs_per_audit",
        [0.5] * 13,
        variation=stats.COMMON_CAUSE,
        marks=[stats.Signal(3, stats.OUTSIDE_LIMITS, stats.HIGH), stats.Signal(5, stats.OUTSIDE_LIMITS, stats.HIGH)],
    )
    assert narrative.variation_explanation(quiet) == (
        "Within normal variation: the latest point (Nov 2025) is not a special cause, so recent ups and downs are "
        "noise. Earlier special causes: above the upper process limit (Feb 2025 and Apr 2025)."
    )
    calm = fixed("major_ncs_per_audit", [0.5] * 13, variation=stats.COMMON_CAUSE)
    assert narrative.variation_explanation(calm).startswith("Within normal variation: every point lies within")
    three = series("findings_closed_on_time_pct", [61, 70, 78])
    assert narrative.variation_explanation(three) == (
        "The process limits rest on only 3 points; Making Data Count needs at least 12 to tell a real change from "
        "noise, so the limits are drawn but there is no verdict yet."
    )
    one = series("findings_closed_on_time_pct", [61])
    assert narrative.variation_explanation(one) == (
        "Only 1 period has a value, too few for process limits; Making Data Count needs at least 12 points to tell a "
        "real change from noise, so there is no verdict yet."
    )


def test_long_signal_histories_name_only_the_latest_stretch():
    many = [stats.Signal(i, stats.TREND_OF_7, stats.LOW) for i in (0, 1, 4, 5, 8, 9)]
    noisy = fixed("findings_closed_on_time_pct", [70] * 13, variation=stats.COMMON_CAUSE, marks=many)
    assert narrative.signal_descriptions(noisy) == [
        "7 or more falling in a row (3 times, most recently Jul 2025 to Aug 2025)"
    ]


def test_assurance_explanation_places_the_limits_against_the_target():
    kpi = "findings_closed_on_time_pct"
    fail = fixed(
        kpi, [70] * 13, variation=stats.COMMON_CAUSE, target=90.0, assurance=stats.FAIL, limits=limits(52.81, 84.66)
    )
    assert narrative.assurance_explanation(fail) == (
        "The process limits (52.8% to 84.7%) lie wholly below the 90.0% target: the target will not be met without a change to the process."
    )
    passing = fixed(
        kpi, [70] * 13, variation=stats.COMMON_CAUSE, target=50.0, assurance=stats.PASS, limits=limits(52.81, 84.66)
    )
    assert narrative.assurance_explanation(passing) == (
        "The process limits (52.8% to 84.7%) lie wholly above the 50.0% target: the target will be met consistently "
        "unless the process changes."
    )
    days = fixed(
        "median_days_to_close",
        [30] * 13,
        variation=stats.COMMON_CAUSE,
        target=30.0,
        assurance=stats.INCONSISTENT,
        limits=limits(-4, 55),
    )
    assert narrative.assurance_explanation(days) == (
        "The target of 30 days lies inside normal variation, within the process limits (0 to 55 days) or on one: "
        "expect to hit and miss it by chance."
    )
    no_target = fixed(kpi, [70] * 13, variation=stats.COMMON_CAUSE)
    assert narrative.assurance_explanation(no_target) == (
        "No target is set for this KPI: load one in the targets dataset to judge whether it will be met."
    )


def test_target_gap_is_direction_aware():
    below = fixed("mandatory_training_completion_pct", [92.7] * 7, variation=stats.COMMON_CAUSE, target=95.0)
    assert narrative.target_gap(below) == narrative.TargetGap("2.3 pts below target", "95.0%", False, "below")
    faster = fixed("median_days_to_close", [22] * 7, variation=stats.COMMON_CAUSE, target=30.0)
    assert narrative.target_gap(faster) == narrative.TargetGap("8 days below target", "30", True, "below")
    exact = fixed("findings_closed_on_time_pct", [90.0] * 7, variation=stats.COMMON_CAUSE, target=90.0)
    assert narrative.target_gap(exact) == narrative.TargetGap("on target", "90.0%", True, "on")
    hair = fixed("findings_closed_on_time_pct", [89.98] * 7, variation=stats.COMMON_CAUSE, target=90.0)
    assert narrative.target_gap(hair) == narrative.TargetGap("just below target", "90.0%", False, "below")


def test_badges_follow_the_making_data_count_colours():
    rising = series("findings_closed_on_time_pct", STEADY + BETTER, target=85)
    assert narrative.variation_badge(rising) == narrative.Badge("Improving", ":material/trending_up:", "blue")
    faster = fixed("median_days_to_close", [22] * 7, variation=stats.IMPROVEMENT)
    assert narrative.variation_badge(faster) == narrative.Badge("Improving", ":material/trending_down:", "blue")
    slower = fixed("median_days_to_close", [22] * 7, variation=stats.CONCERN, assurance=stats.FAIL, target=20.0)
    assert narrative.variation_badge(slower) == narrative.Badge("Deteriorating", ":material/trending_up:", "orange")
    assert narrative.assurance_badge(slower) == narrative.Badge("Misses target reliably", ":material/cancel:", "orange")
    assert narrative.status_badge(slower) == narrative.Badge("Off track", ":material/cancel:", "red")


# --- pillars ---------------------------------------------------------------------------------------------------


def card(*members: Series) -> PillarCard:
    return PillarCard("monitoring_review", "Monitoring & Review", list(members))


def test_pillar_sentences_state_status_counts_and_targets():
    up = fixed("findings_closed_on_time_pct", [80] * 7, variation=stats.IMPROVEMENT, target=85.0)
    down = fixed("median_days_to_close", [40] * 7, variation=stats.CONCERN, target=30.0)
    flat = fixed("overdue_open_findings", [4] * 7, variation=stats.COMMON_CAUSE, target=5.0)
    empty = Series(get_kpi("major_ncs_per_audit"), "month", [])
    # up misses 85 (at risk), down misses 30 and deteriorates (off track), flat meets 5 (on track).
    assert [s.status for s in (up, down, flat)] == [AT_RISK, OFF_TRACK, ON_TRACK]
    # The KPIs that are not on track come first, each with why; an improvement never hides a missed target.
    assert narrative.pillar_sentence(card(up, down, flat, empty)) == (
        "Monitoring & Review is at risk: Findings closed on time misses its target, though it shows a real "
        "improvement; Median days to close a finding misses its target and shows a real deterioration. "
        "1 of 3 KPIs on target."
    )
    assert narrative.pillar_sentence(card(up, flat)) == (
        "Monitoring & Review is at risk: Findings closed on time misses its target, though it shows a real "
        "improvement. 1 of 2 KPIs on target."
    )
    better = fixed("overdue_open_findings", [4] * 7, variation=stats.IMPROVEMENT, target=5.0)
    assert narrative.pillar_sentence(card(better, flat)) == (
        "Monitoring & Review is on track: Overdue open findings shows a real improvement. 2 of 2 KPIs on target."
    )
    assert narrative.pillar_sentence(card(flat, empty), on_target=False) == (
        "Monitoring & Review is on track: its one KPI with data shows no real change."
    )
    # Every KPI with a target misses it: off track, however calm the trend.
    assert card(up, down).status == OFF_TRACK and card(up, down).variation == "concerning"
    calm = fixed("overdue_open_findings", [9] * 7, variation=stats.COMMON_CAUSE, target=5.0)
    assert (calm.status, card(calm).status, card(calm).variation) == (AT_RISK, OFF_TRACK, "stable")
    assert narrative.pillar_sentence(card(calm)) == (
        "Monitoring & Review is off track, as its one KPI with a target misses it: Overdue open findings misses its "
        "target. 0 of 1 KPI on target."
    )
    # Two KPIs at risk, each missing its target: the pillar is off track, and says why.
    also = fixed("findings_closed_on_time_pct", [70] * 7, variation=stats.COMMON_CAUSE, target=85.0)
    assert [s.status for s in (calm, also)] == [AT_RISK, AT_RISK] and card(calm, also).status == OFF_TRACK
    assert narrative.pillar_sentence(card(calm, also), on_target=False) == (
        "Monitoring & Review is off track, as each of its 2 KPIs with a target misses it: Overdue open findings "
        "misses its target; Findings closed on time misses its target."
    )
    # A KPI off track itself explains its pillar: no "as ..." then.
    assert narrative.pillar_sentence(card(up, down)).startswith("Monitoring & Review is off track: ")
    failing = fixed("overdue_open_findings", [9] * 7, variation=stats.CONCERN, assurance=stats.FAIL, target=5.0)
    assert narrative.status_reason(failing) == "misses its target reliably and shows a real deterioration"
    assert narrative.pillar_sentence(card(empty)) == "Monitoring & Review: no data for these filters."
    # Its trend says no data too, on the tile, in the packs (pillar_texts) and on the command line alike.
    assert narrative.pillar_trend(card(empty)) == narrative.pillar_texts(card(empty))["variation"] == "No data"
    assert narrative.on_target_phrase(card(empty)) == "No KPI has a value and a target yet"


def test_a_pillar_none_of_whose_kpis_has_a_verdict_has_none_either():
    # At Quarter on three years of data no KPI has limits on 12 points: "stable" would claim a verdict.
    short = [
        series("overdue_open_findings", [4, 5, 4], target=5.0),
        series("median_days_to_close", [20, 22], target=30),
    ]
    assert [s.variation for s in short] == [None, None]
    assert card(*short).variation is None
    assert narrative.pillar_texts(card(*short))["variation"] == "No verdict yet"
    assert narrative.pillar_sentence(card(*short), on_target=False) == (
        "Monitoring & Review is on track: none of its 2 KPIs with data has enough periods for a verdict yet."
    )
    # One KPI with a verdict of normal variation is enough for "stable".
    steady = series("findings_closed_on_time_pct", STEADY, target=50)
    assert steady.variation == stats.COMMON_CAUSE and card(steady, *short).variation == "stable"


def test_the_headline_is_the_first_kpi_with_data_in_catalog_order():
    empty = Series(get_kpi("findings_closed_on_time_pct"), "month", [])
    second = fixed("median_days_to_close", [22] * 7, variation=stats.COMMON_CAUSE)
    third = fixed("overdue_open_findings", [4] * 7, variation=stats.COMMON_CAUSE)
    assert narrative.headline(card(empty, second, third)) is second
    assert narrative.headline(card(empty)) is None
    assert narrative.status_badge(card(empty)).label == "No data"


def test_values_period_names_the_latest_period():
    flat = fixed("overdue_open_findings", [4] * 7, variation=stats.COMMON_CAUSE)
    assert narrative.values_period([card(flat)]) == (
        "Latest values: May 2025, the last complete month with data; a survey KPI shows its latest survey wave."
    )
    assert narrative.values_period([card(Series(get_kpi("overdue_open_findings"), "month", []))]) is None


def test_limits_from_few_periods_give_no_assurance_verdict():
    three = series("investor_favourable_pct", [50.0, 61.0, 72.7], target=70.0)
    assert three.limits is not None and three.assurance is None
    assert narrative.assurance_explanation(three) == (
        "The process limits (31.0% to 91.4%) rest on only 3 points; with fewer than 12 there is no verdict against "
        "the 70.0% target yet."
    )
    assert narrative.assurance_badge(three).label == "No verdict yet"


def test_a_provisional_period_is_said_to_be_shown_but_not_judged():
    points = [Point(add_months(START, i), v, 40, 85.0) for i, v in enumerate(STEADY)]
    points.append(Point(add_months(START, 12), 20.0, 3, 85.0, provisional=True))
    late = analyse(Series(get_kpi("training_effectiveness_pct"), "month", points))
    assert late.latest.period == add_months(START, 11) and late.variation == stats.COMMON_CAUSE
    # The sentence runs to Oct 2025, the latest settled point, not to the provisional November.
    assert comparison_point(late).period == START
    assert narrative.kpi_sentence(late) == (
        "Training judged effective rose from 60.0% to 61.0% over 11 months: within normal variation"
    )
    assert narrative.variation_explanation(late).endswith(
        " Nov 2025 is provisional: its data is still arriving, so it is shown but not judged."
    )
