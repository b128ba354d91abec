"""Tests for isokpi.stats: exact numbers, worked by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from isokpi.stats import (
    MIN_GROUP_SIZE,
    Trend,
    clustered_share_ci,
    kaplan_meier,
    km_median,
    km_median_from_counts,
    mann_kendall,
    mean_ci,
    nps_ci,
    proportion_ci,
    suppress_small,
    two_sided_p,
    xmr_limits,
)

# 12 points around 50 (sum 600, mean 50), then 8 points around 60 after a process change.
BEFORE_SHIFT = [49, 51, 50, 48, 52, 50, 49, 51, 50, 52, 48, 50]
AFTER_SHIFT = [59, 61, 60, 58, 62, 60, 59, 61]
SHIFTED = BEFORE_SHIFT + AFTER_SHIFT


# --- XmR limits (the rules and verdicts: tests/test_spc.py) ---


def test_xmr_limits_textbook_example():
    # values 5 7 6 8 4 6 7 5: sum 48, mean 6.
    # moving ranges 2 1 2 4 2 1 2: sum 14 over 7, mean moving range 2.
    # UCL = 6 + 2.66 * 2 = 11.32, LCL = 6 - 5.32 = 0.68; sigma 2.66 / 3 * 2 = 1.7733, the 2-sigma lines 2.453, 9.547.
    limits = xmr_limits([5, 7, 6, 8, 4, 6, 7, 5])
    assert (limits.mean, limits.mean_moving_range) == (6.0, 2.0)
    assert (limits.lcl, limits.ucl) == pytest.approx((0.68, 11.32))
    assert limits.sigma == pytest.approx(2.66 / 3 * 2)
    assert (limits.near_lcl, limits.near_ucl) == pytest.approx((6 - 2 * 2.66 / 3 * 2, 6 + 2 * 2.66 / 3 * 2))
    assert (limits.baseline, limits.span, limits.points) == ((0, 8), (0, 8), 8)


def test_xmr_limits_a_gap_breaks_the_moving_range():
    # Points 5, 7, 6 with gaps between: the mean uses all three (6), but no two are consecutive: no limits.
    assert xmr_limits([5, None, 7, math.nan, 6]) is None
    # 5 7 _ 6 8: moving ranges |7-5| = 2 and |8-6| = 2 only, not |6-7|.
    limits = xmr_limits([5, 7, None, 6, 8])
    assert (limits.mean, limits.mean_moving_range, limits.points) == (6.5, 2.0, 4)


def test_xmr_limits_from_a_baseline_only():
    limits = xmr_limits(SHIFTED, baseline=12)
    # Moving ranges of the first 12: 2 1 2 4 2 1 2 1 2 4 2, sum 23 over 11.
    assert limits.mean == 50.0
    assert limits.mean_moving_range == pytest.approx(23 / 11)
    assert (limits.baseline, limits.span) == ((0, 12), (0, 20))
    # A span: the 8 points after the change alone; sum 480 over 8, moving ranges 2 1 2 4 2 1 2 -> 14 / 7.
    after = xmr_limits(SHIFTED, (12, 20))
    assert (after.mean, after.mean_moving_range, after.baseline) == (60.0, 2.0, (12, 20))


def test_xmr_limits_need_a_moving_range():
    assert xmr_limits([]) is None
    assert xmr_limits([7.0]) is None
    assert xmr_limits([7.0, None, math.nan]) is None
    assert xmr_limits([1, 2, 3], (2, 10)) is None
    with pytest.raises(ValueError, match="baseline"):
        xmr_limits([1, 2, 3], baseline=0)


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


def test_sens_slope_is_per_calendar_period_when_points_are_waves():
    # Survey waves in May and November of three years (month positions 4, 10, 16, 22, 28, 34) rising by 3 a wave:
    # 0.5 per month, not 3 per point.
    waves = [60, 63, 66, 69, 72, 75]
    trend = mann_kendall(waves, positions=[4, 10, 16, 22, 28, 34])
    assert trend.sen_slope == pytest.approx(0.5)
    assert trend.tau == 1.0 and trend.p_value == mann_kendall(waves).p_value  # S and p ignore spacing
    with pytest.raises(ValueError, match="increase"):
        mann_kendall([1, 2, 3], positions=[0, 2, 1])
    with pytest.raises(ValueError, match="same length"):
        mann_kendall([1, 2, 3], positions=[0, 1])


def test_a_p_value_is_never_zero():
    # 60 rising points: z = (1770 - 1) / sqrt(60 * 59 * 125 / 18) = 11.2, p about 4e-29 (1 - Phi underflows to 0).
    trend = mann_kendall(list(range(60)))
    assert 0 < trend.p_value < 1e-25
    assert trend.p_value == pytest.approx(math.erfc(1769 / math.sqrt(60 * 59 * 125 / 18) / math.sqrt(2)), rel=1e-12)
    assert two_sided_p(50.0) > 0.0 and two_sided_p(0.0) == 1.0


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


def test_nps_ci_is_the_adjusted_wald_interval():
    # 50 promoters, 20 detractors of 100: p = 50.75 / 103 = 0.492718, d = 20.75 / 103 = 0.201456, centre 29.1262;
    # var = (0.694175 - 0.291262^2) / 103 = 0.0059159, half width 1.959964 * 0.0769151 = 15.0751 points.
    low, high = nps_ci(50, 20, 100)
    p, d = 50.75 / 103, 20.75 / 103
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 103)
    assert (low, high) == pytest.approx((100 * (p - d - half), 100 * (p - d + half)), rel=1e-12)
    assert (low, high) == pytest.approx((14.0511, 44.2013), abs=1e-4)
    assert nps_ci(0, 0, 0) is None


def test_nps_ci_keeps_its_width_at_100_and_stays_in_range():
    # All 10 promoters: p = 10.75 / 13, d = 0.75 / 13; the interval is (47.5, 100), not the point 100.
    low, high = nps_ci(10, 0, 10)
    assert high == 100.0 and low == pytest.approx(47.50, abs=0.01)
    assert nps_ci(0, 10, 10) == pytest.approx((-100.0, -low))
    assert nps_ci(1, 0, 2)[1] <= 100.0


def _nps_coverage(p: float, d: float, n: int, interval) -> float:
    """Exact coverage of an NPS interval: the probability, over every trinomial sample of n, that it holds p - d."""
    from math import comb

    covered = 0.0
    for promoters in range(n + 1):
        for detractors in range(n - promoters + 1):
            chance = comb(n, promoters) * comb(n - promoters, detractors)
            chance *= p**promoters * d**detractors * (1 - p - d) ** (n - promoters - detractors)
            low, high = interval(promoters, detractors, n)
            covered += chance if low <= 100 * (p - d) <= high else 0.0
    return covered


def _plain_wald(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    p, d = promoters / n, detractors / n
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / n) * 100
    return 100 * (p - d) - half, 100 * (p - d) + half


@pytest.mark.parametrize(("p", "d"), [(0.5, 0.2), (0.7, 0.1), (0.85, 0.05), (0.3, 0.3), (0.9, 0.02)])
@pytest.mark.parametrize("n", [5, 10, 20, 40])
def test_nps_ci_covers_at_small_n(p, d, n):
    # The adjusted interval covers 90-97% of the time on this grid (the least, 89.7%, with 5 answers at p = 0.85);
    # the plain Wald interval (the old one) covers 40-80% near the top at small n.
    coverage = _nps_coverage(p, d, n, nps_ci)
    assert coverage >= 0.89, coverage
    if p >= 0.85 and n <= 10:
        assert _nps_coverage(p, d, n, _plain_wald) < 0.85 < coverage


def test_clustered_share_ci_is_centred_on_the_share_of_answers():
    # 5 respondents answering 4 items: favourable 4, 4, 3, 1, 0 -> share 12 / 20 = 0.6.
    favourable, answers = [4, 4, 3, 1, 0], [4, 4, 4, 4, 4]
    sums = (
        sum(s * s for s in favourable),
        sum(s * a for s, a in zip(favourable, answers, strict=True)),
        sum(a * a for a in answers),
    )
    # Residuals s - 0.6 a: 1.6 1.6 0.6 -1.4 -2.4, squares sum 13.2; variance 5/4 * 13.2 / 400 = 0.04125;
    # effective answers 0.24 / 0.04125 = 5.818 (20 answers, but clustered in 5 people).
    low, high = clustered_share_ci(12, 20, 5, sums)
    z = 1.959963984540054
    n = 0.24 / 0.04125
    centre = (0.6 + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(0.24 / n + z**2 / (4 * n**2))
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert low < 0.6 < high and low >= 0 and high <= 1
    # Wider than the Wilson interval that takes the 20 answers as independent.
    naive = proportion_ci(12, 20)
    assert high - low > naive[1] - naive[0]


def test_clustered_share_ci_at_the_edges():
    # Everyone favourable on every item: no spread, so the 20 answers count; the interval keeps a width below 100%.
    low, high = clustered_share_ci(20, 20, 5, (80, 80, 80))
    assert high == 1.0 and low == pytest.approx(proportion_ci(20, 20)[0])
    assert clustered_share_ci(0, 20, 5, (0, 0, 80)) == (0.0, pytest.approx(proportion_ci(0, 20)[1]))
    assert clustered_share_ci(3, 4, 1, (9, 12, 16)) is None  # one respondent
    assert clustered_share_ci(0, 0, 0, (0, 0, 0)) is None


def test_suppress_small_boundary():
    assert MIN_GROUP_SIZE == 5
    assert suppress_small(None)
    assert suppress_small(4)
    assert not suppress_small(5)
