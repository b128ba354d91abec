"""Making Data Count SPC (isokpi.stats.spc): every rule edge with exact figures, then hundreds of seeded series
against the independent reference written from NHSRplotthedots' R sources (tests/spc_reference.py)."""

from __future__ import annotations

import random

import pytest

from isokpi.stats import (
    COMMON_CAUSE,
    CONCERN,
    FAIL,
    IMPROVEMENT,
    INCONSISTENT,
    OUTSIDE_LIMITS,
    PASS,
    RUN_OF_7,
    TREND_OF_7,
    TWO_OF_THREE,
    Signal,
    spc,
)

from .spc_reference import reference_spc

# 12 points alternating 10 and 12: mean 11, every moving range 2, limits 11 -/+ 5.32 = 5.68 and 16.32, the
# close-to-limits lines 11 -/+ (2 * 2.66 / 3) * 2 = 7.453 and 14.547.
STEADY = [10, 12] * 6


def classes(result) -> list[str | None]:
    return [p.special_cause for p in result.points]


def rules(result) -> list[str | None]:
    return [p.rule for p in result.points]


# --- limits -----------------------------------------------------------------------------------------------


def test_limits_are_mean_plus_minus_2_66_mean_moving_ranges():
    result = spc(STEADY, "higher")
    assert (result.limits.mean, result.limits.mean_moving_range) == (11.0, 2.0)
    assert (result.limits.lcl, result.limits.ucl) == pytest.approx((5.68, 16.32))
    assert (result.limits.near_lcl, result.limits.near_ucl) == pytest.approx(
        (11 - 2 * 2.66 / 3 * 2, 11 + 2 * 2.66 / 3 * 2)
    )
    assert result.points[0].mean == 11.0 and result.points[0].upl == pytest.approx(16.32)
    assert result.limits.points == 12 and result.limits.baseline == (0, 12)


def test_a_gap_breaks_the_moving_range_and_is_not_bridged():
    # 10 12 _ 20 22: moving ranges |12-10| = 2 and |22-20| = 2 (12 to 20 is not one): mean moving range 2, mean 16.
    result = spc([10, 12, None, 20, 22], "higher")
    assert (result.limits.mean, result.limits.mean_moving_range) == (16.0, 2.0)
    assert result.points[2].special_cause is None and result.points[2].value is None
    assert result.points[2].mean == 16.0  # the gap row still sits under its group's limits


def test_a_baseline_fixes_the_limits_on_the_first_rows():
    values = [49, 51, 50, 48, 52, 50, 49, 51, 50, 52, 48, 50, 60, 60, 60]
    fixed = spc(values, "higher", baseline=12)
    # First 12: mean 50, moving ranges 2 1 2 4 2 1 2 1 2 4 2 = 23 over 11.
    assert fixed.limits.mean == 50.0 and fixed.limits.mean_moving_range == pytest.approx(23 / 11)
    assert fixed.limits.baseline == (0, 12) and fixed.limits.span == (0, 15)
    assert classes(fixed)[12:] == [IMPROVEMENT] * 3  # 60 > 50 + 2.66 * 23 / 11 = 55.56


def test_a_rebase_starts_new_limits_and_rules_do_not_look_across_it():
    values = [50] * 6 + [60] * 6
    rebased = spc(values, "higher", rebase_at=[6])
    assert [lim.mean for lim in rebased.segments] == [50.0, 60.0]
    assert [lim.span for lim in rebased.segments] == [(0, 6), (6, 12)]
    assert rebased.points[8].mean == 60.0 and rebased.limits.mean == 60.0
    assert set(classes(rebased)) == {COMMON_CAUSE}
    assert rebased.variation is None  # the latest group has 6 limit-setting points


def test_outlier_screening_leaves_out_large_moving_ranges_then_recomputes():
    # Moving ranges: nine of 2, then 18 and 18 around the 30: mean 54 / 11 = 4.909; 3.267 * 4.909 = 16.04 drops
    # both 18s, leaving a mean moving range of 2. The mean (152 / 12) is unchanged: it uses every point.
    values = [10, 12] * 5 + [30, 12]
    plain = spc(values, "higher")
    screened = spc(values, "higher", screen_outliers=True)
    assert plain.limits.mean_moving_range == pytest.approx(54 / 11)
    assert screened.limits.mean_moving_range == 2.0
    assert screened.limits.mean == plain.limits.mean == pytest.approx(152 / 12)
    assert screened.limits.ucl == pytest.approx(152 / 12 + 2.66 * 2)
    # A range just under 3.267 times the mean stays: nine of 2 and two of 9 give a mean of 36 / 11 = 3.27, and
    # 3.267 * 3.27 = 10.69 keeps the 9s.
    kept = spc([10, 12] * 5 + [21, 12], "higher", screen_outliers=True)
    assert kept.limits.mean_moving_range == pytest.approx(36 / 11)


# --- rules ------------------------------------------------------------------------------------------------


def test_a_point_outside_the_limits():
    result = spc([*STEADY, 17, 5], "higher")
    # 14 points: mean 11.571, moving ranges 2 x 11, 5, 12: mean 39 / 13 = 3; limits 3.591 and 19.55: still inside.
    assert rules(result)[-2:] == [None, None]
    above = spc([*STEADY, 25], "higher")  # mean 11.077, mmr 26/12 = 2.167, ucl 16.84
    assert (above.points[-1].rule, above.points[-1].side, above.variation) == (OUTSIDE_LIMITS, "high", IMPROVEMENT)
    below = spc([*STEADY, -3], "higher")
    assert (below.points[-1].rule, below.points[-1].side, below.variation) == (OUTSIDE_LIMITS, "low", CONCERN)


def test_seven_in_a_row_on_one_side_marks_the_whole_run():
    values = [10, 12, 10, 12, 10, 12] + [12] * 7 + [10, 12]  # mean 11.333; the seven 12s above it
    result = spc(values, "lower")
    assert rules(result)[5:13] == [RUN_OF_7] * 8  # the 12 before the seven joins the run
    assert classes(result)[5:13] == [CONCERN] * 8  # above the mean is bad when lower is better
    assert rules(result)[13:] == [None, None]


def test_a_point_on_the_mean_breaks_the_run():
    # Six above, one on the mean (11), six above, then twelve below: sum 275 over 25 points, mean exactly 11;
    # mean moving range 28 / 24, so nothing is outside the limits or beyond two sigma.
    values = [12, 13] * 3 + [11] + [12, 13] * 3 + [9, 10] * 6
    result = spc(values, "higher")
    assert result.limits.mean == 11.0
    assert rules(result)[:13] == [None] * 13
    assert rules(result)[13:] == [RUN_OF_7] * 12 and classes(result)[13:] == [CONCERN] * 12
    unbroken = spc([12, 13] * 3 + [12] + [12, 13] * 3 + [9, 10] * 6, "higher")
    # Without the point on the mean the 13 make one run (some of them are 2-in-3 points too, which sets their class).
    assert sorted(m.index for m in unbroken.marks if m.rule == RUN_OF_7)[:13] == list(range(13))


def test_seven_rising_marks_the_trend_and_a_tie_breaks_it():
    rising = spc([5, 6, 7, 8, 9, 10, 11, 3, 9, 5, 7, 6], "higher")
    assert rules(rising)[:7] == [TREND_OF_7] * 7 and classes(rising)[:7] == [IMPROVEMENT] * 7
    tied = spc([5, 6, 7, 8, 8, 9, 10, 11, 3, 9, 5, 7], "higher")  # 8 8: no 7 strictly rising in a row
    assert TREND_OF_7 not in rules(tied)
    falling = spc([12, 11, 10, 9, 8, 7, 6, 9, 10, 8, 9, 10], "higher")
    assert rules(falling)[:7] == [TREND_OF_7] * 7
    assert {p.side for p in falling.points[:7]} == {"low"} and classes(falling)[:7] == [CONCERN] * 7


def test_a_point_in_two_trends_takes_the_later_ones_direction():
    # Limits from 12 wide swings (mean 10, mean moving range 20); then up for 7 to the peak 13, down for 7 from it:
    # the peak belongs to both trends, and takes the falling one's direction.
    values = [0, 20] * 6 + [7, 8, 9, 10, 11, 12, 13, 12, 11, 10, 9, 8, 7]
    result = spc(values, "higher", baseline=12)
    assert rules(result) == [None] * 12 + [TREND_OF_7] * 13
    assert [p.side for p in result.points[12:]] == ["high"] * 6 + ["low"] * 7
    assert classes(result)[12:] == [IMPROVEMENT] * 6 + [CONCERN] * 7


def test_a_tie_after_a_trend_keeps_the_trends_own_direction():
    # Rising 7 to 13, a tie (13 13), then falling 7: the first 13 is only in the rising trend.
    values = [0, 20] * 6 + [7, 8, 9, 10, 11, 12, 13, 13, 12, 11, 10, 9, 8, 7]
    result = spc(values, "higher", baseline=12)
    assert [p.side for p in result.points[12:]] == ["high"] * 7 + ["low"] * 7


def test_two_of_three_beyond_two_sigma_marks_the_points_beyond_not_the_third():
    # Limits from STEADY (baseline 12): close-to-limits line 14.547; 15 and 15.5 beyond it, 13 above the mean.
    result = spc([*STEADY, 15, 13, 15.5], "higher", baseline=12)
    assert rules(result)[12:] == [TWO_OF_THREE, None, TWO_OF_THREE]
    assert classes(result)[12:] == [IMPROVEMENT, COMMON_CAUSE, IMPROVEMENT]


def test_two_of_three_needs_all_three_on_one_side_of_the_mean():
    # The middle point below the mean (9 < 11): no 2-in-3 (issue #143 of NHSRplotthedots).
    across = spc([*STEADY, 15, 9, 15.5], "higher", baseline=12)
    assert TWO_OF_THREE not in rules(across)
    # Two points beyond opposite lines are on opposite sides: none either.
    opposite = spc([*STEADY, 15, 7], "higher", baseline=12)
    assert TWO_OF_THREE not in rules(opposite)


def test_two_of_three_counts_a_point_beyond_the_limits():
    # 15 beyond two sigma, then 17 beyond the limit (16.32): both count (issue #194); 17's class stays outside.
    result = spc([*STEADY, 15, 17], "higher", baseline=12)
    assert rules(result)[12:] == [TWO_OF_THREE, OUTSIDE_LIMITS]
    assert Signal(13, TWO_OF_THREE, "high") in result.marks and Signal(13, OUTSIDE_LIMITS, "high") in result.marks


def test_the_first_rule_sets_the_class_outside_then_trend_then_two_in_three_then_run():
    # Limits from STEADY (mean 11, upper limit 16.32, two-sigma line 14.547); then 7 rising, all above the mean,
    # the last beyond the limit. The 12 before them joins the run above the mean.
    values = [*STEADY, 11.5, 12, 12.5, 13, 14.6, 15, 17]
    result = spc(values, "lower", baseline=12)
    assert rules(result)[11:] == [RUN_OF_7] + [TREND_OF_7] * 6 + [OUTSIDE_LIMITS]
    assert [m.rule for m in result.marks if m.index == 18] == [OUTSIDE_LIMITS, TREND_OF_7, TWO_OF_THREE, RUN_OF_7]
    assert [m.rule for m in result.marks if m.index == 16] == [TREND_OF_7, TWO_OF_THREE, RUN_OF_7]
    assert classes(result)[11:] == [CONCERN] * 8  # rising and above are both bad when lower is better
    assert result.variation is not None and result.signals[-1] == Signal(18, OUTSIDE_LIMITS, "high")


def test_a_gap_breaks_runs_trends_and_two_in_three():
    run = spc([10, 12] * 3 + [12, 12, 12, None, 12, 12, 12, 12], "higher")
    assert RUN_OF_7 not in rules(run)
    trend = spc([1, 2, 3, None, 4, 5, 6, 7, 3, 5], "higher")
    assert TREND_OF_7 not in rules(trend)
    two = spc([*STEADY, 15, None, 15.5], "higher", baseline=12)
    assert TWO_OF_THREE not in rules(two)


# --- verdicts ---------------------------------------------------------------------------------------------


def test_the_variation_verdict_is_the_class_of_the_latest_point():
    # A point above the limit two points back, then two common-cause points: common cause, not "a recent signal".
    values = [*STEADY, 30, 12, 10]
    result = spc(values, "higher", baseline=12)
    assert classes(result)[-3:] == [IMPROVEMENT, COMMON_CAUSE, COMMON_CAUSE]
    assert result.variation == COMMON_CAUSE
    assert spc([*STEADY, 12, 10, 30], "higher", baseline=12).variation == IMPROVEMENT


def test_the_latest_point_is_the_latest_with_a_value():
    assert spc([*STEADY, 30, None], "higher", baseline=12).variation == IMPROVEMENT


def test_verdicts_need_12_limit_setting_points():
    eleven = spc([10, 12] * 5 + [25], "higher", target=5)
    assert eleven.limits is not None and eleven.limits.points == 11
    assert eleven.points[-1].rule == OUTSIDE_LIMITS  # the limits and classes are still there
    assert (eleven.variation, eleven.assurance) == (None, None)
    # 12 points: mean 135 / 12 = 11.25, moving ranges 10 of 2 and 15: 35 / 11; the lower limit 2.79 is above 1.
    twelve = spc([10, 12] * 5 + [10, 25], "higher", target=1)
    assert twelve.limits.points == 12
    assert (twelve.variation, twelve.assurance) == (IMPROVEMENT, PASS)
    # A gap does not count: 12 rows, 11 with a value.
    assert spc([10, 12] * 5 + [None, 25], "higher", target=1).variation is None


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [
        (4.0, "higher", PASS),
        (17.0, "higher", FAIL),
        (11.0, "higher", INCONSISTENT),
        (4.0, "lower", FAIL),
        (17.0, "lower", PASS),
        (11.0, "lower", INCONSISTENT),
    ],
)
def test_assurance_from_where_the_target_lies_against_the_limits(target, direction, expected):
    assert spc(STEADY, direction, target=target).assurance == expected


def test_a_target_equal_to_a_limit_is_inconsistent():
    limits = spc(STEADY, "higher").limits
    assert spc(STEADY, "higher", target=limits.ucl).assurance == INCONSISTENT
    assert spc(STEADY, "higher", target=limits.lcl).assurance == INCONSISTENT
    assert spc(STEADY, "lower", target=limits.lcl).assurance == INCONSISTENT
    assert spc(STEADY, "higher").assurance is None  # no target


def test_assurance_uses_the_latest_groups_limits():
    result = spc([50] * 12 + [70, 71] * 6, "higher", target=60, rebase_at=[12])
    assert result.limits.mean == 70.5 and result.assurance == PASS


def test_no_limits_without_a_moving_range():
    result = spc([5, None, 7], "higher")
    assert result.limits is None and result.segments == ()
    assert classes(result) == [COMMON_CAUSE, None, COMMON_CAUSE] and result.variation is None
    assert spc([], "higher").points == ()
    with pytest.raises(ValueError, match="direction"):
        spc([1, 2, 3], "up")
    with pytest.raises(ValueError, match="baseline"):
        spc([1, 2, 3], "higher", baseline=0)


# --- against the reference --------------------------------------------------------------------------------


def random_series(rng: random.Random) -> tuple[list[float | None], dict]:
    """A series in one of several shapes, with ties, values on the mean, gaps, shifts, trends and outliers."""
    n = rng.randint(1, 40)
    shape = rng.choice(["normal", "integers", "shift", "trend", "outliers", "steps", "constant_runs"])
    if shape == "normal":
        values = [rng.gauss(50, 5) for _ in range(n)]
    elif shape == "integers":  # small integers: many ties and points exactly on an integer mean
        values = [float(rng.randint(0, 4)) for _ in range(n)]
    elif shape == "shift":
        cut = rng.randint(0, n)
        values = [rng.gauss(50 if i < cut else 58, 3) for i in range(n)]
    elif shape == "trend":
        values = [rng.gauss(0.8 * i, 1.5) for i in range(n)]
    elif shape == "outliers":
        values = [rng.gauss(20, 2) + (rng.choice([-15, 15]) if rng.random() < 0.1 else 0) for _ in range(n)]
    elif shape == "steps":
        values = [float(round(rng.gauss(10, 2))) for _ in range(n)]
    else:
        values = [float(rng.choice([3, 3, 3, 4, 5])) for _ in range(n)]
    gap_rate = rng.choice([0, 0, 0.05, 0.15])
    series = [None if rng.random() < gap_rate else v for v in values]
    options = {
        "direction": rng.choice(["higher", "lower"]),
        "target": rng.choice([None, rng.gauss(50, 10), float(rng.randint(0, 4))]),
        "baseline": rng.choice([None, None, rng.randint(12, 30)]),
        "rebase_at": tuple(sorted(rng.sample(range(1, n), k=min(n - 1, rng.choice([0, 0, 1, 2]))))) if n > 1 else (),
        "screen_outliers": rng.random() < 0.3,
    }
    return series, options


def test_hundreds_of_random_series_agree_with_the_reference_point_for_point():
    rng = random.Random(20261201)
    seen = {"special": 0, "variation": set(), "assurance": set(), "rules": set()}
    for case in range(600):
        series, options = random_series(rng)
        ours = spc(series, **options)
        theirs = reference_spc(series, **options)
        where = f"case {case}: {series} {options}"
        assert len(ours.points) == len(theirs["points"]), where
        for index, (mine, ref) in enumerate(zip(ours.points, theirs["points"], strict=True)):
            at = f"{where} row {index}"
            assert mine.special_cause == ref["special_cause"], at
            assert mine.rule == ref["rule"], at
            for key in ("mean", "lpl", "upl"):
                value, expected = getattr(mine, key), ref[key]
                assert (value is None) == (expected is None), f"{at} {key}"
                if value is not None:
                    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), f"{at} {key}"
            seen["special"] += mine.rule is not None
            seen["rules"].add(mine.rule)
        assert ours.variation == theirs["variation"], where
        assert ours.assurance == theirs["assurance"], where
        seen["variation"].add(ours.variation)
        seen["assurance"].add(ours.assurance)
    # The comparison exercised every outcome, not just the quiet ones.
    assert seen["rules"] == {None, OUTSIDE_LIMITS, TREND_OF_7, TWO_OF_THREE, RUN_OF_7}
    assert seen["variation"] == {None, IMPROVEMENT, CONCERN, COMMON_CAUSE}
    assert seen["assurance"] == {None, PASS, FAIL, INCONSISTENT}
    assert seen["special"] > 500


# --- the reference reproduces NHSRplotthedots' own unit tests (tests/testthat/test-ptd_calculate_point_type.R) ---


def test_reference_seven_point_one_side_mean_as_in_the_r_tests():
    from .spc_reference import seven_point_one_side_mean as f

    assert f([]) == []
    assert f([1] * 6) == [0] * 6
    assert f([1] * 6 + [-1]) == [0] * 7
    assert f([1] * 8 + [-1]) == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert f([-1] * 8 + [1]) == [0, 0, 0, 0, 0, 0, 1, 1, 0]


def test_reference_part_of_seven_trend_as_in_the_r_tests():
    from .spc_reference import part_of_seven_trend as f

    assert f([]) == []
    assert f([0] * 6) == [0] * 6
    assert f([0] * 6 + [1, 0]) == [1] * 7 + [0]
    assert f([0] * 7 + [1, 0]) == [0] + [1] * 7 + [0]
    assert f([0] * 6 + [-1, 0]) == [1] * 7 + [0]


def test_reference_seven_point_trend_as_in_the_r_tests():
    from .spc_reference import seven_point_trend as f

    assert f([]) == []
    assert f(list(range(1, 7))) == [0] * 6
    assert f([1, 2, 3, 3, 4, 5, 6]) == [0] * 7
    assert f(list(range(1, 8))) == [0] * 6 + [1]
    assert f([2, *range(1, 8), 3]) == [0] * 7 + [1, 0]
    assert f(list(range(7, 0, -1))) == [0] * 6 + [-1]
    assert f([2, *range(7, 0, -1), 3]) == [0] * 7 + [-1, 0]


def test_reference_two_in_three_as_in_the_r_tests():
    from .spc_reference import part_of_two_in_three, two_in_three

    assert two_in_three([], []) == []
    for close in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two_in_three(close, [1, 1, 1]) == [1, 1, 1]
        assert two_in_three(close, [1, -1, 1]) == [0, 0, 0]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1] * 7) == [0, 0, 1, 1, 1, 0, 0]
    assert two_in_three([0, 0, 1, 1, 0, 0, 0], [1] * 7) == [0, 1, 1, 1, 1, 0, 0]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1]) == [0] * 7
    close = [1, 0, 0, 1, 1]
    assert part_of_two_in_three(two_in_three(close, [1] * 5), close) == [False, False, False, True, True]
    close = [1, 0, 0, 1]
    assert part_of_two_in_three(two_in_three(close, [1] * 4), close) == [False] * 4


def test_reference_opposite_sides_of_the_mean_as_in_the_r_tests():
    # test-ptd_spc_standard.R: symmetric data, then 5.5 and -5.5 close to opposite limits: both common cause.
    data = [1, -1] * 8
    data[14], data[15] = 5.5, -5.5
    assert [p["special_cause"] for p in reference_spc(data, "higher")["points"][-2:]] == ["common_cause"] * 2
    assert [p.special_cause for p in spc(data, "higher").points[-2:]] == [COMMON_CAUSE] * 2
