"""Statistics behind the dashboard: XmR process limits, special-cause rules, trend tests, survival and intervals.

SPC follows NHS England's "Making Data Count" (MDC) as NHSRplotthedots implements it (ptd_spc_standard.R,
ptd_calculate_point_type.R, ptd_calculate_assurance_type.R), with the MDC team's 2-in-3 rule of
NHSRplotthedots issue #194:
- limits per rebase group, from its limit-setting points (the first `baseline` rows of the group, or all):
  mean +/- 2.66 x mean moving range, where a moving range joins two consecutive rows that both have a value,
  so a gap (a missing period) breaks it; the "close to limits" lines at mean +/- (2 x 2.66 / 3) x mean
  moving range. Outlier screening (off unless asked): moving ranges of 3.267 x the mean or more are left
  out and the mean moving range computed again;
- a point outside the limits; 7 in a row on one side of the mean (a point on the mean breaks the run);
  7 in a row each strictly higher, or each strictly lower, than the one before (a tie breaks it); 2 of 3 in
  a row beyond the same close-to-limits line with all three on that side of the mean (points beyond the
  limits count). Every point of a run or trend is marked; of a 2-in-3, the points beyond the line. No rule
  looks across a gap or a rebase point;
- a point's class comes from the first rule that marks it, in the order outside > trend > 2-in-3 > run;
  a trend's side is its direction (a point in two trends takes the later one's), any other rule's side is
  the point's side of the mean; on the better side of the KPI's direction it is improvement, else concern;
- the variation verdict is the class of the latest point; assurance compares the target with the latest
  limits (strictly above the upper or below the lower limit: pass or fail by direction; else inconsistent);
  under 12 limit-setting points both verdicts are withheld (None), the limits are still given.

Trends use the Mann-Kendall test with a Theil-Sen slope per calendar step; times to close use the
Kaplan-Meier estimator so that findings still open count; intervals are Wilson (proportions, on an effective
sample size for answers clustered in respondents), t (means) and adjusted Wald (NPS).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# 3 / d2 for moving ranges of two points (d2 = 1.128), rounded as MDC and the XmR literature do.
E2 = 2.66
NEAR_LIMIT = 2 * E2 / 3  # the "close to limits" (two-sigma) lines, in mean moving ranges
SCREEN_LIMIT = 3.267  # D4 for ranges of two points: a moving range this many times the mean is an outlier

RUN_LENGTH = 7  # points in a row: both the run and the trend rule (6 steps) look at 7
MIN_LIMIT_POINTS = 12  # fewer limit-setting points: limits are drawn, verdicts withheld
MIN_GROUP_SIZE = 5  # anonymity: groups under 5 respondents are never shown

OUTSIDE_LIMITS = "outside_limits"
TREND_OF_7 = "trend_of_7"
TWO_OF_THREE = "two_of_three_beyond_2sigma"
RUN_OF_7 = "run_of_7"
RULE_ORDER = (OUTSIDE_LIMITS, TREND_OF_7, TWO_OF_THREE, RUN_OF_7)  # which rule sets a point's class

HIGH = "high"
LOW = "low"
HIGHER = "higher"
LOWER = "lower"

IMPROVEMENT = "improvement"
CONCERN = "concern"
COMMON_CAUSE = "common_cause"

PASS = "pass"
FAIL = "fail"
INCONSISTENT = "inconsistent"

# S(t) is a product of fractions, so an exact 0.5 can land a rounding error above it.
_HALF_TOLERANCE = 1e-12

Values = Sequence[float | None]


@dataclass(frozen=True)
class XmR:
    """The process limits of one rebase group."""

    mean: float
    mean_moving_range: float
    lcl: float  # lower process limit: mean - 2.66 * mean moving range
    ucl: float  # upper process limit: mean + 2.66 * mean moving range
    baseline: tuple[int, int]  # [start, end) rows whose values set the limits
    span: tuple[int, int]  # [start, end) rows of the group the limits apply to
    points: int  # limit-setting points: rows of the baseline with a value

    @property
    def sigma(self) -> float:
        """One sigma as MDC places it: a third of the distance from the mean to a limit."""
        return E2 / 3 * self.mean_moving_range

    @property
    def near_lcl(self) -> float:
        return self.mean - NEAR_LIMIT * self.mean_moving_range

    @property
    def near_ucl(self) -> float:
        return self.mean + NEAR_LIMIT * self.mean_moving_range


@dataclass(frozen=True)
class Signal:
    index: int  # row of the series
    rule: str  # OUTSIDE_LIMITS, TREND_OF_7, TWO_OF_THREE or RUN_OF_7
    side: str  # HIGH or LOW; for a trend HIGH means rising


@dataclass(frozen=True)
class SpcPoint:
    value: float | None
    mean: float | None  # the limits of the point's group (None where the group has none)
    lpl: float | None
    upl: float | None
    special_cause: str | None  # IMPROVEMENT, CONCERN or COMMON_CAUSE; None for a gap (no value)
    rule: str | None  # the rule that set a special cause's class
    side: str | None  # HIGH or LOW: the side that rule gives the point


@dataclass(frozen=True)
class Spc:
    points: tuple[SpcPoint, ...]
    segments: tuple[XmR, ...]  # the limits of each rebase group that has them, in order
    limits: XmR | None  # the limits of the latest point's group
    marks: tuple[Signal, ...]  # every point each rule marks (a point can carry several)
    variation: str | None  # the latest point's class; None when withheld
    assurance: str | None  # PASS, FAIL or INCONSISTENT; None without a target or when withheld

    @property
    def signals(self) -> list[Signal]:
        """One signal per special-cause point: the rule and side that set its class."""
        return [Signal(i, p.rule, p.side) for i, p in enumerate(self.points) if p.rule is not None]


@dataclass(frozen=True)
class Trend:
    tau: float | None  # Mann-Kendall tau, S / (n (n - 1) / 2)
    p_value: float | None  # two-sided, normal approximation with tie and continuity correction; never 0.0
    sen_slope: float | None  # Theil-Sen slope per step of the positions (a calendar period)
    n: int  # non-missing points used


# --- helpers -------------------------------------------------------------------------------------------------


def _as_float_array(values: Values) -> np.ndarray:
    """The values as a float array with None turned into NaN."""
    return np.array([np.nan if value is None else float(value) for value in values], dtype=float)


def _present(values: np.ndarray) -> np.ndarray:
    """Indices of the non-missing values."""
    return np.flatnonzero(~np.isnan(values))


def check_direction(direction: str) -> None:
    """Reject anything but "higher" or "lower"."""
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")


def _z_for_level(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def _group_bounds(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    """[start, end) of each rebase group: a rebase row starts a new group (one at 0 or past the end changes nothing)."""
    starts = sorted({int(index) for index in rebase_at if 0 < int(index) < n})
    bounds = [0, *starts, n]
    return [(start, end) for start, end in zip(bounds, bounds[1:], strict=False) if start < end]


# --- XmR limits ----------------------------------------------------------------------------------------------


def xmr_limits(
    values: Values, span: tuple[int, int] | None = None, *, baseline: int | None = None, screen_outliers: bool = False
) -> XmR | None:
    """The limits of the rows in span [start, end) (default: all), from its first `baseline` rows (default: all).

    A moving range joins two consecutive rows that both have a value: a gap breaks it. None when the
    limit-setting rows hold no moving range.
    """
    series = _as_float_array(values)
    start, end = span if span is not None else (0, len(series))
    start, end = max(0, int(start)), min(len(series), int(end))
    if baseline is not None and baseline < 1:
        raise ValueError(f"baseline must be at least 1 point, not {baseline!r}")
    fixed_end = end if baseline is None else min(end, start + int(baseline))
    window = series[start:fixed_end]
    ranges = np.abs(np.diff(window))
    ranges = ranges[~np.isnan(ranges)]
    if len(ranges) == 0:
        return None
    mean_moving_range = float(ranges.mean())
    # Screening leaves out the moving ranges of an outlier; when every range is 0 there is nothing to screen
    # (NHSRplotthedots would screen them all and be left with no limits).
    if screen_outliers and mean_moving_range > 0:
        mean_moving_range = float(ranges[ranges < SCREEN_LIMIT * mean_moving_range].mean())
    mean = float(np.nanmean(window))
    return XmR(
        mean=mean,
        mean_moving_range=mean_moving_range,
        lcl=mean - E2 * mean_moving_range,
        ucl=mean + E2 * mean_moving_range,
        baseline=(start, fixed_end),
        span=(start, end),
        points=int(np.count_nonzero(~np.isnan(window))),
    )


# --- special-cause rules -------------------------------------------------------------------------------------


def _side_of_mean(value: float, mean: float) -> int:
    """+1 above the mean, -1 below, 0 on it."""
    return (value > mean) - (value < mean)


def _group_marks(y: list[float | None], lim: XmR) -> dict[str, dict[int, int]]:
    """Per rule, the rows of one group it marks and the side (+1 high or rising, -1 low or falling) it gives each."""
    n = len(y)
    side = [0 if v is None else _side_of_mean(v, lim.mean) for v in y]
    marks: dict[str, dict[int, int]] = {rule: {} for rule in RULE_ORDER}
    for i, v in enumerate(y):
        if v is not None and (v > lim.ucl or v < lim.lcl):
            marks[OUTSIDE_LIMITS][i] = side[i]
    # Windows of 7 rows without a gap: a run on one side of the mean, or a trend of 6 strict steps one way.
    for end in range(RUN_LENGTH - 1, n):
        window = range(end - RUN_LENGTH + 1, end + 1)
        if any(y[i] is None for i in window):
            continue
        if side[end] != 0 and all(side[i] == side[end] for i in window):
            for i in window:
                marks[RUN_OF_7][i] = side[end]
        steps = {_side_of_mean(y[i], y[i - 1]) for i in window if i > window.start}
        if len(steps) == 1 and 0 not in steps:
            (direction,) = steps
            for i in window:  # windows go in order, so a point in two trends keeps the later one's direction
                marks[TREND_OF_7][i] = direction
    # Windows of 3 rows without a gap, all on one side of the mean, 2 or more beyond the close-to-limits line.
    beyond = [v is not None and (v > lim.near_ucl or v < lim.near_lcl) for v in y]
    for first in range(n - 2):
        window = range(first, first + 3)
        if any(y[i] is None for i in window) or abs(sum(side[i] for i in window)) != 3:
            continue
        if sum(beyond[i] for i in window) >= 2:
            for i in window:
                if beyond[i]:
                    marks[TWO_OF_THREE][i] = side[i]
    return marks


def spc(
    values: Values,
    direction: str,
    *,
    target: float | None = None,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    screen_outliers: bool = False,
) -> Spc:
    """The Making Data Count reading of a series (None for a missing period): per-row limits and class, the
    marks of every rule, and the variation and assurance verdicts (None when withheld).

    baseline: the limits of each rebase group come from its first `baseline` rows; rebase_at: rows that start a
    new group with limits of its own.
    """
    check_direction(direction)
    if baseline is not None and baseline < 1:
        raise ValueError(f"baseline must be at least 1 point, not {baseline!r}")
    series = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
    better = 1 if direction == HIGHER else -1
    points: list[SpcPoint] = []
    segments: list[XmR] = []
    group_limits: list[XmR | None] = []
    marks: list[Signal] = []
    for start, end in _group_bounds(len(series), rebase_at):
        lim = xmr_limits(series, (start, end), baseline=baseline, screen_outliers=screen_outliers)
        y = series[start:end]
        if lim is None:
            group_limits += [None] * len(y)
            points += [SpcPoint(v, None, None, None, None if v is None else COMMON_CAUSE, None, None) for v in y]
            continue
        segments.append(lim)
        group_limits += [lim] * len(y)
        by_rule = _group_marks(y, lim)
        for rule in RULE_ORDER:
            marks += [Signal(start + i, rule, HIGH if s > 0 else LOW) for i, s in sorted(by_rule[rule].items())]
        for i, v in enumerate(y):
            first = next((rule for rule in RULE_ORDER if i in by_rule[rule]), None)
            if v is None:
                cause, side = None, None
            elif first is None:
                cause, side = COMMON_CAUSE, None
            else:
                s = by_rule[first][i]
                cause, side = (IMPROVEMENT if s == better else CONCERN), (HIGH if s > 0 else LOW)
            points.append(SpcPoint(v, lim.mean, lim.lcl, lim.ucl, cause, first, side))
    latest = next((i for i in range(len(series) - 1, -1, -1) if series[i] is not None), None)
    limits = None if latest is None else group_limits[latest]
    judged = limits is not None and limits.points >= MIN_LIMIT_POINTS
    return Spc(
        points=tuple(points),
        segments=tuple(segments),
        limits=limits,
        marks=tuple(sorted(marks, key=lambda m: (m.index, RULE_ORDER.index(m.rule)))),
        variation=points[latest].special_cause if judged else None,
        assurance=assurance_verdict(limits, target, direction) if judged else None,
    )


def assurance_verdict(limits: XmR | None, target: float | None, direction: str) -> str | None:
    """Pass when the target lies strictly beyond the limit on the bad side (both limits are better than it),
    fail when strictly beyond the one on the good side; inconsistent otherwise, a target on a limit included.
    None without limits or target."""
    check_direction(direction)
    if limits is None or target is None:
        return None
    if target > limits.ucl:
        return FAIL if direction == HIGHER else PASS
    if target < limits.lcl:
        return PASS if direction == HIGHER else FAIL
    return INCONSISTENT


# --- Mann-Kendall trend --------------------------------------------------------------------------------------


def _mk_variance(points: np.ndarray) -> float:
    """Variance of the Mann-Kendall S with the correction for tied values."""
    n = len(points)
    _, tie_sizes = np.unique(points, return_counts=True)
    ties = float(np.sum(tie_sizes * (tie_sizes - 1) * (2 * tie_sizes + 5)))
    return (n * (n - 1) * (2 * n + 5) - ties) / 18


def _mk_z(s: float, var_s: float) -> float:
    """Standardised S with the continuity correction of one toward zero."""
    if s == 0:
        return 0.0
    return (s - math.copysign(1, s)) / math.sqrt(var_s)


def two_sided_p(z: float) -> float:
    """2 (1 - Phi(|z|)) without the cancellation that turns small p-values into 0.0; never below the smallest
    normal float, so a p-value is never reported as exactly 0."""
    return max(math.erfc(abs(z) / math.sqrt(2)), sys.float_info.min)


def mann_kendall(values: Values, positions: Sequence[float] | None = None) -> Trend:
    """Mann-Kendall tau and two-sided p with the Theil-Sen slope; missing points are skipped.

    positions: where each value lies in time, in calendar periods (default 0, 1, 2, ...), so the slope is per
    period even when some periods have no point; fewer than 3 points give only n.
    """
    series = _as_float_array(values)
    where = np.arange(len(series), dtype=float) if positions is None else np.asarray(positions, dtype=float)
    if len(where) != len(series):
        raise ValueError("values and positions must have the same length")
    present = _present(series)
    points, at = series[present], where[present]
    if np.any(np.diff(at) <= 0):
        raise ValueError("positions must increase from one value to the next")
    n = len(points)
    if n < 3:
        return Trend(tau=None, p_value=None, sen_slope=None, n=n)
    # All pairs at once: O(n^2) memory, fine for the few hundred points of a KPI series.
    first, second = np.triu_indices(n, k=1)
    differences = points[second] - points[first]
    s = float(np.sign(differences).sum())
    z = _mk_z(s, _mk_variance(points))
    return Trend(
        tau=s / (n * (n - 1) / 2),
        p_value=two_sided_p(z),
        sen_slope=float(np.median(differences / (at[second] - at[first]))),
        n=n,
    )


# --- Kaplan-Meier time to close ------------------------------------------------------------------------------


def _km_curve(times: Sequence[float], events: Sequence[float], censored: Sequence[float]) -> tuple[np.ndarray, ...]:
    """Distinct event times and S(t) just after each, from counts per time (times may repeat or be unsorted)."""
    times_arr = np.asarray(times, dtype=float)
    events_arr = np.asarray(events, dtype=float)
    censored_arr = np.asarray(censored, dtype=float)
    if not len(times_arr) == len(events_arr) == len(censored_arr):
        raise ValueError("times, events and censored must have the same length")
    if np.isnan(times_arr).any() or (times_arr < 0).any():
        raise ValueError("times must be non-negative numbers")
    if (events_arr < 0).any() or (censored_arr < 0).any():
        raise ValueError("counts must be non-negative")
    distinct, which = np.unique(times_arr, return_inverse=True)
    closed_at = np.bincount(which, weights=events_arr, minlength=len(distinct))
    left_at = closed_at + np.bincount(which, weights=censored_arr, minlength=len(distinct))
    # At risk at t: everything that closes or is censored at t or later; a censored finding at t counts at t.
    at_risk = np.cumsum(left_at[::-1])[::-1]
    has_event = closed_at > 0
    survival = np.cumprod(1 - closed_at[has_event] / at_risk[has_event])
    return distinct[has_event], survival


def _durations_as_counts(durations: Sequence[float], closed: Sequence[bool]) -> tuple[np.ndarray, ...]:
    """One row per finding as (time, events, censored) counts, dropping findings without a duration."""
    times = np.asarray(durations, dtype=float)
    is_closed = np.asarray(closed, dtype=bool)
    if len(times) != len(is_closed):
        raise ValueError("durations and closed must have the same length")
    known = ~np.isnan(times)
    return times[known], is_closed[known].astype(float), (~is_closed[known]).astype(float)


def _median_time(times: np.ndarray, survival: np.ndarray) -> float | None:
    """Smallest time where S(t) <= 0.5, or None when the curve never gets there."""
    reached = np.flatnonzero(survival <= 0.5 + _HALF_TOLERANCE)
    return float(times[reached[0]]) if len(reached) else None


def kaplan_meier(durations: Sequence[float], closed: Sequence[bool]) -> list[tuple[float, float]]:
    """Kaplan-Meier curve of "still open" as [(t, S(t))], starting (0, 1.0) then one step per distinct close time.

    closed False means still open (censored); a duration of 0 closed gives a second point at t = 0.
    """
    times, survival = _km_curve(*_durations_as_counts(durations, closed))
    return [(0.0, 1.0)] + [(float(t), float(s)) for t, s in zip(times, survival, strict=False)]


def km_median(durations: Sequence[float], closed: Sequence[bool]) -> float | None:
    """Kaplan-Meier median time to close, open findings counted as censored; None if S(t) never reaches 0.5."""
    return _median_time(*_km_curve(*_durations_as_counts(durations, closed)))


def km_median_from_counts(times: Sequence[float], events: Sequence[float], censored: Sequence[float]) -> float | None:
    """km_median from counts per time (closed and still-open findings), e.g. aggregated in SQL."""
    return _median_time(*_km_curve(times, events, censored))


# --- confidence intervals and anonymity ----------------------------------------------------------------------


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a share p of n (n may be an effective, fractional count), as fractions."""
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # At a share of 0 or 1 the bound is exactly 0 or 1; floating point would leave a speck.
    low = 0.0 if p == 0 else max(0.0, centre - half_width)
    high = 1.0 if p == 1 else min(1.0, centre + half_width)
    return low, high


def proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes / n, as fractions; None for n == 0."""
    if n == 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n, got {successes} of {n}")
    return _wilson(successes / n, n, _z_for_level(level))


def clustered_share_ci(
    successes: float,
    answers: float,
    respondents: int,
    sums: tuple[float, float, float],
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Wilson interval for a share of answers that come in clusters (several answers per respondent), as fractions,
    centred on the same share successes / answers.

    sums: over respondents, sum of s_i^2, of s_i * a_i and of a_i^2 (s_i a respondent's favourable answers, a_i
    all their answers). The ratio estimator's linearised variance n / (n - 1) * sum (s_i - R a_i)^2 / answers^2
    gives the effective number of answers R (1 - R) / variance (Kish), never more than the answers themselves;
    None for fewer than 2 respondents.
    """
    if answers <= 0 or respondents < 2:
        return None
    if not 0 <= successes <= answers:
        raise ValueError(f"successes must be between 0 and the answers, got {successes} of {answers}")
    share = successes / answers
    squares, products, answer_squares = sums
    residual = max(0.0, squares - 2 * share * products + share**2 * answer_squares)
    variance = respondents / (respondents - 1) * residual / answers**2
    spread = share * (1 - share)
    effective = answers if variance <= 0 or spread <= 0 else min(float(answers), spread / variance)
    return _wilson(share, max(effective, 1.0), _z_for_level(level))


def mean_ci(mean: float, sd: float, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Student t interval for a mean from its sample sd and n; None for n < 2."""
    if n < 2:
        return None
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    # The t quantile scipy.stats.t.ppf computes, from scipy.special: scipy.stats takes seconds to import.
    from scipy.special import stdtrit

    half_width = float(stdtrit(n - 1, 1 - (1 - level) / 2)) * sd / math.sqrt(n)
    return mean - half_width, mean + half_width


# Rocks (2016), "Interval estimation for the 'Net Promoter Score'", The American Statistician 70(4): the adjusted
# Wald interval, the best performer of the methods compared, adds 3/4 to promoters and to detractors and 3 to n.
NPS_ADD, NPS_ADD_N = 0.75, 3


def nps_ci(promoters: int, detractors: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """NPS interval in points (-100..100): the adjusted Wald interval (Rocks 2016), which keeps a width at an NPS
    of +100 or -100 and covers at small n; None for n == 0."""
    if n == 0:
        return None
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"promoters and detractors must fit in n, got {promoters} + {detractors} of {n}")
    size = n + NPS_ADD_N
    p, d = (promoters + NPS_ADD) / size, (detractors + NPS_ADD) / size
    # var(p - d) = (p + d - (p - d)^2) / n for one trinomial sample.
    half_width = _z_for_level(level) * math.sqrt((p + d - (p - d) ** 2) / size)
    return max(-100.0, 100 * (p - d - half_width)), min(100.0, 100 * (p - d + half_width))


def suppress_small(n: int | None) -> bool:
    """True when a group is too small (or of unknown size) to show without risking anonymity."""
    return n is None or n < MIN_GROUP_SIZE
