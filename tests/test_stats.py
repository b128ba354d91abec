"""Tests for isokpi.stats: exact numbers, worked by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from isokpi.stats import (
    MIN_GROUP_SIZE,
    OUTSIDE_LIMITS,
    RUN_OF_7,
    TREND_OF_6,
    TWO_OF_THREE,
    Signal,
    Trend,
    XmR,
    assurance_verdict,
    kaplan_meier,
    km_median,
    km_median_from_counts,
    mann_kendall,
    mean_ci,
    nps_ci,
    proportion_ci,
    special_causes,
    suppress_small,
    variation_verdict,
    xmr_limits,
    xmr_segments,
)

# Limits from ten points alternating 10, 12: mean 11, every moving range 2, so
# UCL = 11 + 2.66 * 2 = 16.32, LCL = 5.68, sigma = 2 / 1.128 = 1.773, 2-sigma lines 7.454 and 14.546.
STABLE_BASELINE = [10, 12] * 5

# 12 points around 50 (sum 600, mean 50), then 8 points around 60 after a process change.
BEFORE_SHIFT = [49, 51, 50, 48, 52, 50, 49, 51, 50, 52, 48, 50]
AFTER_SHIFT = [59, 61, 60, 58, 62, 60, 59, 61]
SHIFTED = BEFORE_SHIFT + AFTER_SHIFT

# Median days to close, falling from about 30 to 18: lower is better.
FALLING_DAYS = [30, 31, 29, 30, 32, 30, 29, 31, 30, 28, 26, 24, 22, 20, 18]


def rules_of(signals: list[Signal]) -> set[str]:
    """The distinct rules among signals."""
    return {signal.rule for signal in signals}


# --- XmR limits ---


def test_xmr_limits_textbook_example():
    # values 5 7 6 8 4 6 7 5: sum 48, mean 6.
    # moving ranges 2 1 2 4 2 1 2: sum 14 over 7, mean moving range 2.
    # UCL = 6 + 2.66 * 2 = 11.32, LCL = 6 - 5.32 = 0.68, sigma = 2 / 1.128 = 1.77305.
    limits = xmr_limits([5, 7, 6, 8, 4, 6, 7, 5])
    assert limits == XmR(
        mean=6.0,
        mean_moving_range=2.0,
        lcl=pytest.approx(0.68),
        ucl=pytest.approx(11.32),
        sigma=pytest.approx(1.7730496453900710),
        baseline=(0, 8),
    )


def test_xmr_limits_skip_missing_and_bridge_gaps():
    # Points 5, 7, 6: mean 6; moving ranges |7-5| = 2 and |6-7| = 1 bridge the gaps, mean 1.5.
    limits = xmr_limits([5, None, 7, math.nan, 6])
    assert limits.mean == 6.0
    assert limits.mean_moving_range == 1.5
    assert limits.ucl == pytest.approx(6 + 2.66 * 1.5)


def test_xmr_limits_from_a_baseline_only():
    limits = xmr_limits(SHIFTED, baseline=(0, 12))
    # Moving ranges of the first 12: 2 1 2 4 2 1 2 1 2 4 2, sum 23 over 11.
    assert limits.mean == 50.0
    assert limits.mean_moving_range == pytest.approx(23 / 11)
    assert limits.baseline == (0, 12)


def test_xmr_limits_need_two_usable_points():
    assert xmr_limits([]) is None
    assert xmr_limits([7.0]) is None
    assert xmr_limits([7.0, None, math.nan]) is None
    assert xmr_limits([1, 2, 3], baseline=(2, 10)) is None


def test_xmr_segments_one_per_rebase_segment():
    first, second = xmr_segments(SHIFTED, rebase_at=[12])
    assert (first.mean, first.baseline) == (50.0, (0, 12))
    # Second segment: sum 480 over 8, moving ranges 2 1 2 4 2 1 2 -> 14 / 7.
    assert (second.mean, second.mean_moving_range, second.baseline) == (60.0, 2.0, (12, 20))


def test_xmr_segments_too_few_points():
    assert xmr_segments([3.0]) == []
    # A rebase at the last point leaves a 1-point segment: no XmR for it, the earlier limits carry on.
    segments = xmr_segments(SHIFTED, rebase_at=[19])
    assert [segment.baseline for segment in segments] == [(0, 19)]
    # Out-of-range and duplicate rebase points are ignored.
    assert xmr_segments([1, 2, 3, 4], rebase_at=[0, 2, 2, 99]) == [
        xmr_limits([1, 2, 3, 4], (0, 2)),
        xmr_limits([1, 2, 3, 4], (2, 4)),
    ]


# --- special causes ---


def test_planted_shift_flags_run_of_7_and_its_direction():
    limits = xmr_limits(SHIFTED, baseline=(0, 12))
    signals = special_causes(SHIFTED, limits)
    runs = [signal for signal in signals if signal.rule == RUN_OF_7]
    assert [signal.index for signal in runs] == list(range(12, 20))
    assert {signal.side for signal in runs} == {"high"}
    assert all(signal.index >= 12 for signal in signals)
    assert variation_verdict(SHIFTED, signals, "higher", limits) == "improvement"
    assert variation_verdict(SHIFTED, signals, "lower", limits) == "concern"


def test_signals_sorted_without_duplicates():
    signals = special_causes(SHIFTED, xmr_limits(SHIFTED, baseline=(0, 12)))
    keys = [(signal.index, signal.rule, signal.side) for signal in signals]
    assert keys == sorted(set(keys))
    # Every shifted point is beyond the UCL of 55.56 and the 2-sigma line, and in the run.
    assert [signal.rule for signal in signals if signal.index == 12] == [OUTSIDE_LIMITS, RUN_OF_7, TWO_OF_THREE]


def test_rebased_limits_absorb_the_shift():
    segments = xmr_segments(SHIFTED, rebase_at=[12])
    signals = special_causes(SHIFTED, segments, rebase_at=[12])
    assert signals == []
    assert variation_verdict(SHIFTED, signals, "higher", segments) == "common_cause"


def test_rules_do_not_look_across_a_rebase_point():
    values = [1, 2, 1, 2, 1, 2, 5, 5, 5, 5, 4, 6, 4, 6, 4]
    limits = xmr_limits(values)
    # Mean 53 / 15 = 3.533: points 6..14 are 9 in a row above it; split at 10 they are 4 + 5.
    assert {signal.index for signal in special_causes(values, limits) if signal.rule == RUN_OF_7} == set(range(6, 15))
    assert [signal for signal in special_causes(values, limits, rebase_at=[10]) if signal.rule == RUN_OF_7] == []


def test_trend_of_6_only():
    # 8 9 10 11 12 13 at indices 4..9: five increases in a row; nothing else special.
    values = [10, 12, 9, 11, 8, 9, 10, 11, 12, 13, 10, 12, 9, 11, 10, 12]
    signals = special_causes(values, xmr_limits(values))
    assert signals == [Signal(i, TREND_OF_6, "high") for i in range(4, 10)]


def test_trend_of_5_is_not_a_trend_and_ties_break_trends():
    limits = XmR(mean=5.0, mean_moving_range=10.0, lcl=-21.6, ucl=31.6, sigma=10 / 1.128, baseline=(0, 7))
    assert special_causes([9, 8, 7, 6, 5, 1, 4], limits) == [Signal(i, TREND_OF_6, "low") for i in range(6)]
    assert special_causes([9, 8, 7, 6, 5, 5, 4], limits) == []


def test_outside_limits_only():
    values = STABLE_BASELINE + [11, 20, 12, 10, 2, 11]
    signals = special_causes(values, xmr_limits(values, baseline=(0, 10)))
    # 20 > UCL 16.32 and 2 < LCL 5.68; each is alone beyond its 2-sigma line, and no run or trend.
    assert signals == [Signal(11, OUTSIDE_LIMITS, "high"), Signal(14, OUTSIDE_LIMITS, "low")]


def test_two_of_three_beyond_2sigma_only():
    values = STABLE_BASELINE + [10, 12, 15, 11, 15.5, 12, 10]
    limits = xmr_limits(values, baseline=(0, 10))
    # 15 and 15.5 lie between the 2-sigma line 14.546 and the UCL 16.32; 11 sits on the mean and breaks the run.
    assert special_causes(values, limits) == [Signal(12, TWO_OF_THREE, "high"), Signal(14, TWO_OF_THREE, "high")]
    mirrored = [22 - value for value in values]
    assert special_causes(mirrored, xmr_limits(mirrored, baseline=(0, 10))) == [
        Signal(12, TWO_OF_THREE, "low"),
        Signal(14, TWO_OF_THREE, "low"),
    ]


def test_missing_points_are_skipped_not_breaks():
    values = [10, 12, 9, 11, 8, 9, None, 10, 11, 12, 13, 10, 12, 9, 11, 10, 12]
    signals = special_causes(values, xmr_limits(values))
    assert [signal.index for signal in signals] == [4, 5, 7, 8, 9, 10]


def test_no_limits_no_signals():
    assert special_causes([1, 2, 3], None) == []
    assert special_causes([1, 2, 3], []) == []


# --- verdicts ---


def flat_noise() -> np.ndarray:
    """24 points of seeded normal noise around 50, checked to carry no special cause."""
    return np.round(np.random.default_rng(1).normal(50, 2, 24), 1)


def test_flat_noise_is_common_cause():
    values = flat_noise()
    limits = xmr_limits(values)
    signals = special_causes(values, limits)
    assert signals == []
    assert variation_verdict(values, signals, "higher", limits) == "common_cause"
    assert mann_kendall(values).p_value > 0.05


def test_falling_days_to_close_is_improvement_when_lower_is_better():
    limits = xmr_limits(FALLING_DAYS)
    signals = special_causes(FALLING_DAYS, limits)
    assert Signal(14, TREND_OF_6, "low") in signals
    assert Signal(14, OUTSIDE_LIMITS, "low") in signals
    assert variation_verdict(FALLING_DAYS, signals, "lower", limits) == "improvement"
    assert variation_verdict(FALLING_DAYS, signals, "higher", limits) == "concern"


def test_verdict_ignores_signals_before_the_last_3_points():
    values = [1.0] * 10
    assert variation_verdict(values, [Signal(6, OUTSIDE_LIMITS, "high")], "higher") == "common_cause"
    assert variation_verdict(values, [Signal(7, OUTSIDE_LIMITS, "high")], "higher") == "improvement"
    # Trailing missing values do not count as recent points.
    with_gap = [1.0] * 8 + [None, None]
    assert variation_verdict(with_gap, [Signal(5, OUTSIDE_LIMITS, "low")], "higher") == "concern"


def test_verdict_follows_the_most_recent_signal():
    values = [1.0] * 10
    signals = [Signal(7, RUN_OF_7, "high"), Signal(9, OUTSIDE_LIMITS, "low")]
    assert variation_verdict(values, signals, "higher") == "concern"


def test_verdict_conflict_at_one_point_goes_by_side_of_mean():
    limits = XmR(mean=5.0, mean_moving_range=1.0, lcl=2.34, ucl=7.66, sigma=1 / 1.128, baseline=(0, 10))
    signals = [Signal(9, TREND_OF_6, "low"), Signal(9, TWO_OF_THREE, "high")]
    assert variation_verdict([5.0] * 9 + [7.5], signals, "higher", limits) == "improvement"
    assert variation_verdict([5.0] * 9 + [5.0], signals, "higher", limits) == "common_cause"


def test_verdict_rejects_an_unknown_direction():
    with pytest.raises(ValueError):
        variation_verdict([1, 2, 3], [], "up", None)


@pytest.mark.parametrize(
    ("lcl", "ucl", "direction", "expected"),
    [
        (80, 90, "higher", "pass"),
        (75, 90, "higher", "pass"),  # lcl on the target is still wholly on the good side
        (60, 70, "higher", "fail"),
        (70, 80, "higher", "inconsistent"),
        (60, 75, "higher", "inconsistent"),  # ucl on the target is not wholly below it
        (60, 70, "lower", "pass"),
        (60, 75, "lower", "pass"),
        (80, 90, "lower", "fail"),
        (70, 80, "lower", "inconsistent"),
        (75, 90, "lower", "inconsistent"),
    ],
)
def test_assurance_verdict(lcl, ucl, direction, expected):
    limits = XmR(mean=(lcl + ucl) / 2, mean_moving_range=1.0, lcl=lcl, ucl=ucl, sigma=1.0, baseline=(0, 12))
    assert assurance_verdict(limits, 75, direction) == expected


def test_assurance_verdict_needs_target_and_limits():
    limits = xmr_limits([5, 7, 6, 8, 4, 6, 7, 5])
    assert assurance_verdict(limits, None, "higher") is None
    assert assurance_verdict(None, 5.0, "lower") is None


# --- Mann-Kendall ---
# Reference values follow pymannkendall.original_test: S = sum of sign(x_j - x_i) over i < j,
# var(S) = (n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)) / 18, z = (S - sign(S)) / sqrt(var S),
# p = 2 (1 - Phi(|z|)), tau = S / (n(n-1)/2), slope = median of (x_j - x_i) / (j - i) at original positions.


def test_mann_kendall_strictly_rising():
    # n = 10: S = 45, var = 10 * 9 * 25 / 18 = 125, z = 44 / sqrt(125) = 3.93548, p = 8.30307e-05.
    trend = mann_kendall([2 * i + 1 for i in range(10)])
    assert trend.tau == 1.0
    assert trend.sen_slope == 2.0
    assert trend.p_value == pytest.approx(8.303070332660312e-05, rel=1e-9)
    assert trend.p_value < 0.05
    assert trend.n == 10


def test_mann_kendall_with_ties():
    # 1 3 2 3 5 4 5 7 6 8: S = 37; two tie groups of 2 remove 2 * 18, var = (2250 - 36) / 18 = 123,
    # z = 36 / sqrt(123) = 3.24601, p = 0.00117034. scipy's tau-b 37 / sqrt(45 * 43) = 0.84113 agrees on S.
    values = [1, 3, 2, 3, 5, 4, 5, 7, 6, 8]
    trend = mann_kendall(values)
    assert trend.tau == pytest.approx(37 / 45)
    assert trend.p_value == pytest.approx(0.0011703444685275954, rel=1e-9)
    assert trend.sen_slope == pytest.approx(scipy_stats.theilslopes(values).slope) == pytest.approx(2 / 3)
    assert scipy_stats.kendalltau(range(10), values).statistic == pytest.approx(37 / math.sqrt(45 * 43))


def test_mann_kendall_falling():
    # 12 11 13 10 9 10 8 7: S = -21, one tie pair, var = (8 * 7 * 21 - 18) / 18 = 64.333,
    # z = -20 / sqrt(64.333) = -2.49351, p = 0.0126485.
    trend = mann_kendall([12, 11, 13, 10, 9, 10, 8, 7])
    assert trend == Trend(
        tau=-0.75,
        p_value=pytest.approx(0.01264852738024791, rel=1e-9),
        sen_slope=pytest.approx(-2 / 3),
        n=8,
    )


def test_mann_kendall_skips_missing_but_keeps_positions():
    # Points 4 5.5 5 7 6.5 8 at positions 0 2 3 5 6 7: S = 11, var = 6 * 5 * 17 / 18 = 28.333,
    # z = 10 / sqrt(28.333) = 1.87867, p = 0.0602892. Slope 0.5 per step at the real positions
    # (0.75 if the gaps were closed up, as scipy.stats.theilslopes on the bare values gives).
    values = [4.0, None, 5.5, 5.0, math.nan, 7.0, 6.5, 8.0]
    trend = mann_kendall(values)
    assert trend.n == 6
    assert trend.tau == pytest.approx(11 / 15)
    assert trend.p_value == pytest.approx(0.060289173990602185, rel=1e-9)
    assert trend.sen_slope == pytest.approx(scipy_stats.theilslopes([4, 5.5, 5, 7, 6.5, 8], [0, 2, 3, 5, 6, 7]).slope)
    assert trend.sen_slope == pytest.approx(0.5)


def test_mann_kendall_too_few_points_and_constant_series():
    assert mann_kendall([1.0, None, 2.0]) == Trend(tau=None, p_value=None, sen_slope=None, n=2)
    # All ties: S = 0 gives z = 0 and p = 1, as in pymannkendall.
    assert mann_kendall([4, 4, 4, 4]) == Trend(tau=0.0, p_value=1.0, sen_slope=0.0, n=4)


# --- Kaplan-Meier ---

DURATIONS = [5, 10, 10, 15, 20, 30]
CLOSED = [True, True, False, True, False, True]


def test_kaplan_meier_hand_computed():
    # t=5: 6 at risk, 1 closes -> 5/6. t=10: 5 at risk (the one open at 10 still counts), 1 closes -> 5/6 * 4/5 = 2/3.
    # t=15: 3 at risk, 1 closes -> 2/3 * 2/3 = 4/9. t=30: 1 at risk, 1 closes -> 0. The open one at 20 only leaves.
    curve = kaplan_meier(DURATIONS, CLOSED)
    assert [t for t, _ in curve] == [0.0, 5.0, 10.0, 15.0, 30.0]
    assert [s for _, s in curve] == pytest.approx([1.0, 5 / 6, 2 / 3, 4 / 9, 0.0])


def test_km_median_differs_from_naive_median_of_closed():
    # S first drops to 0.5 or below at t=15 (4/9); the closed findings alone (5 10 15 30) have median 12.5.
    assert km_median(DURATIONS, CLOSED) == 15.0
    assert float(np.median([d for d, c in zip(DURATIONS, CLOSED, strict=False) if c])) == 12.5


def test_km_median_never_reached_or_all_open():
    assert km_median([1, 2, 3, 4], [True, False, False, False]) is None  # S stays at 3/4
    assert km_median([3, 8, 13], [False, False, False]) is None
    assert kaplan_meier([3, 8, 13], [False, False, False]) == [(0.0, 1.0)]
    assert km_median([], []) is None


def test_km_median_exactly_half():
    # 4 findings, 2 close at t=7: S(7) = 2/4 = 0.5 reaches the median.
    assert km_median([7, 7, 9, 12], [True, True, False, True]) == 7.0


def test_km_median_from_counts_matches_row_level():
    # The same findings aggregated per distinct time, as SQL would; order and repeats do not matter.
    assert km_median_from_counts([5, 10, 15, 20, 30], [1, 1, 1, 0, 1], [0, 1, 0, 1, 0]) == 15.0
    assert km_median_from_counts([30, 10, 5, 10, 20, 15], [1, 1, 1, 0, 0, 1], [0, 0, 0, 1, 1, 0]) == 15.0
    rng = np.random.default_rng(7)
    durations = rng.integers(0, 40, 200).astype(float)
    closed = rng.random(200) < 0.6
    times = np.unique(durations)
    events = [int(np.sum(closed & (durations == t))) for t in times]
    censored = [int(np.sum(~closed & (durations == t))) for t in times]
    assert km_median_from_counts(times, events, censored) == km_median(durations, closed)


def test_kaplan_meier_agrees_with_scipy():
    rng = np.random.default_rng(7)
    durations = rng.integers(0, 40, 60).astype(float)
    closed = rng.random(60) < 0.7
    reference = scipy_stats.ecdf(scipy_stats.CensoredData(uncensored=durations[closed], right=durations[~closed]))
    curve = kaplan_meier(durations, closed)[1:]
    assert [s for _, s in curve] == pytest.approx(reference.sf.evaluate([t for t, _ in curve]).tolist())


def test_kaplan_meier_rejects_negative_durations():
    with pytest.raises(ValueError):
        kaplan_meier([-1, 3], [True, True])


# --- intervals and anonymity ---


def test_wilson_interval_8_of_10():
    # z = 1.959964, z^2 = 3.841459: centre (0.8 + 0.192073) / 1.384146 = 0.716740,
    # half width 1.959964 / 1.384146 * sqrt(0.016 + 0.009604) = 0.226578 -> (0.490162, 0.943318).
    low, high = proportion_ci(8, 10)
    assert (low, high) == pytest.approx((0.4901624715366418, 0.9433178485456248), rel=1e-9)


def test_wilson_interval_edges():
    assert proportion_ci(0, 0) is None
    low, high = proportion_ci(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775327998628892, rel=1e-9)
    assert proportion_ci(10, 10)[1] <= 1.0


def test_mean_ci():
    # t(0.975, 15) = 2.131450; half width 2.131450 * 2 / 4 = 1.065725.
    assert mean_ci(10.0, 2.0, 16) == pytest.approx((8.934275227220112, 11.065724772779888), rel=1e-9)
    assert mean_ci(10.0, 2.0, 1) is None


def test_nps_ci():
    # 50 promoters, 20 detractors of 100: NPS 30; var = (0.5 + 0.2 - 0.3^2) / 100 = 0.0061,
    # se = 7.8102 points, half width 1.959964 * 7.8102 = 15.3078 -> (14.6922, 45.3078).
    assert nps_ci(50, 20, 100) == pytest.approx((14.69219192495733, 45.30780807504267), rel=1e-9)
    assert nps_ci(0, 0, 0) is None
    # All promoters: zero variance, clipped at 100.
    assert nps_ci(10, 0, 10) == (100.0, 100.0)
    # 1 promoter of 2: NPS 50, var = (0.5 - 0.25) / 2 = 0.125, half width 1.959964 * 35.3553 = 69.2952.
    assert nps_ci(1, 0, 2) == (pytest.approx(50 - 69.29519121748391), 100.0)


def test_suppress_small_boundary():
    assert MIN_GROUP_SIZE == 5
    assert suppress_small(None)
    assert suppress_small(4)
    assert not suppress_small(5)
