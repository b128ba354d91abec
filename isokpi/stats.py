"""Statistics behind the dashboard: XmR process limits, special-cause rules, trend tests, survival and intervals.

XmR (individuals and moving range) chart, as in Wheeler and NHS "Making Data Count":
- the centre line is the mean of the baseline points, the moving range is |x[i] - x[i-1]| between
  consecutive non-missing points;
- process limits are mean +/- 2.66 * mean moving range, where 2.66 = 3 / 1.128 and 1.128 is the bias
  constant d2 for ranges of two points, so the limits sit at about 3 sigma;
- sigma is estimated as mean moving range / 1.128, which places the 2-sigma lines used by the 2-of-3 rule.

Special-cause rules, applied within each segment between rebase points:
- outside_limits: a point above the upper or below the lower process limit;
- run_of_7: 7 or more consecutive points on the same side of the mean (a point on the mean breaks the run);
- trend_of_6: 6 or more consecutive points each strictly higher (or strictly lower) than the one before;
- two_of_three_beyond_2sigma: 2 of any 3 consecutive points beyond the same 2-sigma line.

Trends use the Mann-Kendall test with a Theil-Sen slope, matching pymannkendall.original_test; times to
close use the Kaplan-Meier estimator so that findings still open count; intervals are Wilson (proportions),
t (means) and trinomial-normal (NPS).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# d2 for moving ranges of two points, and 3 / d2 rounded as in the XmR literature.
D2 = 1.128
E2 = 2.66

RUN_LENGTH = 7
TREND_LENGTH = 6
RECENT_POINTS = 3
MIN_GROUP_SIZE = 5  # anonymity: groups under 5 respondents are never shown

OUTSIDE_LIMITS = "outside_limits"
RUN_OF_7 = "run_of_7"
TREND_OF_6 = "trend_of_6"
TWO_OF_THREE = "two_of_three_beyond_2sigma"

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
class Signal:
    index: int  # position in the series
    rule: str  # OUTSIDE_LIMITS, RUN_OF_7, TREND_OF_6 or TWO_OF_THREE
    side: str  # HIGH or LOW; for a trend HIGH means rising


@dataclass(frozen=True)
class XmR:
    mean: float
    mean_moving_range: float
    lcl: float  # mean - 2.66 * mean moving range
    ucl: float  # mean + 2.66 * mean moving range
    sigma: float  # mean moving range / 1.128
    baseline: tuple[int, int]  # [start, end) indices of the points the limits were computed from


@dataclass(frozen=True)
class Trend:
    tau: float | None  # Mann-Kendall tau, S / (n (n - 1) / 2)
    p_value: float | None  # two-sided, normal approximation with tie and continuity correction
    sen_slope: float | None  # Theil-Sen slope per step
    n: int  # non-missing points used


# --- helpers -------------------------------------------------------------------------------------------------


def _as_float_array(values: Values) -> np.ndarray:
    """The values as a float array with None turned into NaN."""
    return np.array([np.nan if value is None else float(value) for value in values], dtype=float)


def _present(values: np.ndarray) -> np.ndarray:
    """Indices of the non-missing values."""
    return np.flatnonzero(~np.isnan(values))


def _check_direction(direction: str) -> None:
    """Reject anything but "higher" or "lower"."""
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")


def _z_for_level(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def _valid_rebase_points(n: int, rebase_at: Sequence[int]) -> list[int]:
    """Sorted distinct rebase indices strictly inside the series (a rebase at 0 or past the end is a no-op)."""
    return sorted({int(index) for index in rebase_at if 0 < int(index) < n})


def _limits_list(limits: XmR | Sequence[XmR] | None) -> list[XmR]:
    """Limits as a list ordered by baseline start, whether given as one XmR, several or None."""
    if limits is None:
        return []
    if isinstance(limits, XmR):
        return [limits]
    return sorted(limits, key=lambda lim: lim.baseline[0])


def _governing_limits(index: int, limits: list[XmR]) -> XmR:
    """The last XmR whose baseline starts at or before index; the first one for earlier points."""
    governing = limits[0]
    for lim in limits[1:]:
        if lim.baseline[0] <= index:
            governing = lim
    return governing


def _segments(n: int, limits: list[XmR], rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    """[start, end) stretches the rules look within: split at rebase points and at each later baseline start."""
    starts = set(_valid_rebase_points(n, rebase_at))
    starts.update(lim.baseline[0] for lim in limits[1:] if 0 < lim.baseline[0] < n)
    bounds = [0, *sorted(starts), n]
    return [(start, end) for start, end in itertools.pairwise(bounds) if start < end]


def _equal_label_runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal stretches [start, end) of equal non-zero labels, as (start, end, label)."""
    runs = []
    start = 0
    for k in range(1, len(labels) + 1):
        if k == len(labels) or labels[k] != labels[start]:
            if labels[start] != 0:
                runs.append((start, k, int(labels[start])))
            start = k
    return runs


def _side(label: int) -> str:
    """HIGH for a positive label, LOW for a negative one."""
    return HIGH if label > 0 else LOW


# --- XmR limits ----------------------------------------------------------------------------------------------


def xmr_limits(values: Values, baseline: tuple[int, int] | None = None) -> XmR | None:
    """XmR limits from the non-missing points in baseline [start, end) (default: all); None under 2 points.

    Moving ranges are taken between consecutive non-missing points, bridging any gap.
    """
    series = _as_float_array(values)
    start, end = baseline if baseline is not None else (0, len(series))
    start, end = max(0, int(start)), min(len(series), int(end))
    window = series[start:end]
    points = window[~np.isnan(window)]
    if len(points) < 2:
        return None
    mean = float(points.mean())
    mean_moving_range = float(np.abs(np.diff(points)).mean())
    return XmR(
        mean=mean,
        mean_moving_range=mean_moving_range,
        lcl=mean - E2 * mean_moving_range,
        ucl=mean + E2 * mean_moving_range,
        sigma=mean_moving_range / D2,
        baseline=(start, end),
    )


def xmr_segments(values: Values, rebase_at: Sequence[int] = ()) -> list[XmR]:
    """One XmR per segment between rebase points, each from its own points; [] when no segment has 2 points.

    A segment with fewer than 2 usable points gets no XmR, so the previous segment's limits carry on over it.
    """
    n = len(values)
    bounds = [0, *_valid_rebase_points(n, rebase_at), n]
    segments = (xmr_limits(values, (start, end)) for start, end in itertools.pairwise(bounds))
    return [segment for segment in segments if segment is not None]


# --- special-cause rules -------------------------------------------------------------------------------------


def _outside_limits(positions: np.ndarray, points: np.ndarray, lim: XmR) -> list[Signal]:
    """Points above the upper or below the lower process limit."""
    high = [Signal(int(i), OUTSIDE_LIMITS, HIGH) for i in positions[points > lim.ucl]]
    low = [Signal(int(i), OUTSIDE_LIMITS, LOW) for i in positions[points < lim.lcl]]
    return high + low


def _runs_of_7(positions: np.ndarray, points: np.ndarray, lim: XmR) -> list[Signal]:
    """Every point of a run of 7+ on one side of the mean; a point on the mean has label 0 and breaks runs."""
    labels = np.sign(points - lim.mean).astype(int)
    return [
        Signal(int(i), RUN_OF_7, _side(label))
        for start, end, label in _equal_label_runs(labels)
        if end - start >= RUN_LENGTH
        for i in positions[start:end]
    ]


def _trends_of_6(positions: np.ndarray, points: np.ndarray, lim: XmR) -> list[Signal]:
    """Every point of 6+ points each strictly above (or below) the previous; equal neighbours break trends."""
    # Labels are per step: a run of k equal steps spans k + 1 points.
    steps = np.sign(np.diff(points)).astype(int)
    return [
        Signal(int(i), TREND_OF_6, _side(label))
        for start, end, label in _equal_label_runs(steps)
        if end - start + 1 >= TREND_LENGTH
        for i in positions[start : end + 1]
    ]


def _two_of_three(positions: np.ndarray, points: np.ndarray, lim: XmR) -> list[Signal]:
    """The beyond-2-sigma points of any 3 consecutive points with 2 or more beyond the same 2-sigma line."""
    signals = []
    for side, beyond in ((HIGH, points > lim.mean + 2 * lim.sigma), (LOW, points < lim.mean - 2 * lim.sigma)):
        for start in range(max(1, len(points) - 2)):
            window = beyond[start : start + 3]
            if window.sum() >= 2:
                signals += [Signal(int(positions[start + k]), TWO_OF_THREE, side) for k in np.flatnonzero(window)]
    return signals


_RULES = (_outside_limits, _runs_of_7, _trends_of_6, _two_of_three)


def special_causes(values: Values, limits: XmR | Sequence[XmR] | None, rebase_at: Sequence[int] = ()) -> list[Signal]:
    """All special-cause signals, sorted by index, rule and side; missing points are skipped, not breaks.

    Rules never look across a rebase point (rebase_at, or the baseline start of each later XmR in a list);
    each segment is judged against the last XmR whose baseline starts at or before the segment's start.
    """
    series = _as_float_array(values)
    limits_list = _limits_list(limits)
    if not limits_list:
        return []
    signals: set[Signal] = set()
    for start, end in _segments(len(series), limits_list, rebase_at):
        positions = start + _present(series[start:end])
        points = series[positions]
        lim = _governing_limits(start, limits_list)
        for rule in _RULES:
            signals.update(rule(positions, points, lim))
    return sorted(signals, key=lambda signal: (signal.index, signal.rule, signal.side))


# --- verdicts ------------------------------------------------------------------------------------------------


def variation_verdict(
    values: Values, signals: Sequence[Signal], direction: str, limits: XmR | Sequence[XmR] | None = None
) -> str:
    """Improvement, concern or common_cause for a KPI whose better direction is "higher" or "lower".

    The verdict follows the most recent special cause that touches any of the last 3 non-missing points (high
    is improvement when higher is better); if that point carries both sides, its side of the mean decides.
    """
    _check_direction(direction)
    series = _as_float_array(values)
    recent = set(_present(series)[-RECENT_POINTS:].tolist())
    touching = [signal for signal in signals if signal.index in recent]
    if not touching:
        return COMMON_CAUSE
    latest = max(signal.index for signal in touching)
    sides = {signal.side for signal in touching if signal.index == latest}
    side = sides.pop() if len(sides) == 1 else _side_of_mean(series[latest], latest, limits)
    if side is None:
        return COMMON_CAUSE
    good_side = HIGH if direction == HIGHER else LOW
    return IMPROVEMENT if side == good_side else CONCERN


def _side_of_mean(value: float, index: int, limits: XmR | Sequence[XmR] | None) -> str | None:
    """HIGH or LOW for a point against its governing mean; None on the mean or without limits."""
    limits_list = _limits_list(limits)
    if not limits_list:
        return None
    mean = _governing_limits(index, limits_list).mean
    if value == mean:
        return None
    return HIGH if value > mean else LOW


def assurance_verdict(limits: XmR | None, target: float | None, direction: str) -> str | None:
    """Pass when both process limits are on the good side of target, fail when both are on the bad side.

    "inconsistent" when the target lies between the limits; None without limits or target.
    """
    _check_direction(direction)
    if limits is None or target is None:
        return None
    if direction == HIGHER:
        if limits.lcl >= target:
            return PASS
        return FAIL if limits.ucl < target else INCONSISTENT
    if limits.ucl <= target:
        return PASS
    return FAIL if limits.lcl > target else INCONSISTENT


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


def mann_kendall(values: Values) -> Trend:
    """Mann-Kendall tau and two-sided p with the Theil-Sen slope; missing points are skipped.

    Slopes use the points' original positions, as pymannkendall does; fewer than 3 points give only n.
    """
    series = _as_float_array(values)
    positions = _present(series)
    points = series[positions]
    n = len(points)
    if n < 3:
        return Trend(tau=None, p_value=None, sen_slope=None, n=n)
    # All pairs at once: O(n^2) memory, fine for the few hundred points of a KPI series.
    first, second = np.triu_indices(n, k=1)
    differences = points[second] - points[first]
    s = float(np.sign(differences).sum())
    z = _mk_z(s, _mk_variance(points))
    slopes = differences / (positions[second] - positions[first])
    return Trend(
        tau=s / (n * (n - 1) / 2),
        p_value=float(2 * (1 - NormalDist().cdf(abs(z)))),
        sen_slope=float(np.median(slopes)),
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


def proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes / n, as fractions; None for n == 0."""
    if n == 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n, got {successes} of {n}")
    z = _z_for_level(level)
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # At 0 or n successes the bound is exactly 0 or 1; floating point would leave a speck.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


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


def nps_ci(promoters: int, detractors: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """NPS interval in points (-100..100): normal approximation with the trinomial variance; None for n == 0."""
    if n == 0:
        return None
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"promoters and detractors must fit in n, got {promoters} + {detractors} of {n}")
    p, d = promoters / n, detractors / n
    # NPS = p - d, and var(p - d) = (p + d - (p - d)^2) / n for one trinomial sample.
    half_width = _z_for_level(level) * math.sqrt((p + d - (p - d) ** 2) / n) * 100
    nps = (p - d) * 100
    return max(-100.0, nps - half_width), min(100.0, nps + half_width)


def suppress_small(n: int | None) -> bool:
    """True when a group is too small (or of unknown size) to show without risking anonymity."""
    return n is None or n < MIN_GROUP_SIZE
