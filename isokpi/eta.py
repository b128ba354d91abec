"""When will we hit target? For a KPI with a real trend (Mann-Kendall p < 0.05) that misses its target, the period
at which the Theil-Sen line reaches the target, with the range the slope's 95% interval gives; nothing without a
real trend. The line is scipy.stats.theilslopes over the settled points, placed on the calendar as the trend is
(isokpi.kpis.analyse): its slope is the series' Sen slope. No streamlit here.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass

from scipy import stats as scipy_stats

from isokpi import format as fmt
from isokpi.catalog import HIGHER
from isokpi.kpis import Series, meets
from isokpi.periods import MONTHS_PER, add_months, months_between, period_label, period_name

SIGNIFICANCE = 0.05  # a trend is real below this Mann-Kendall p-value
LEVEL = 0.95  # the slope's interval
HORIZON_PERIODS = {"month": 120, "quarter": 40, "year": 10}  # further out than this is "not in sight"


@dataclass(frozen=True)
class Eta:
    reaches: bool  # whether the line moves towards the target at all
    period: dt.date | None  # the first period whose line value meets the target (None: beyond the horizon)
    earliest: dt.date | None  # from the steeper end of the slope's interval
    latest: dt.date | None  # from the shallower end; None when that end never reaches it (or beyond the horizon)
    slope: float
    p_value: float
    target: float


def target_eta(series: Series) -> Eta | None:
    """The ETA of the series' target by its Sen line, or None (no target, no real trend, target met already)."""
    whole = series.history or series
    latest, target, trend = whole.latest, whole.target, whole.trend
    if latest is None or target is None or trend.p_value is None or trend.p_value >= SIGNIFICANCE:
        return None
    if meets(whole.kpi, latest.value, target):
        return None
    settled = [p for p in whole.shown if not p.provisional]
    months = MONTHS_PER[whole.grain]
    first = settled[0].period
    x = [months_between(first, p.period) / months for p in settled]
    y = [p.value for p in settled]
    slope, _, low, high = scipy_stats.theilslopes(y, x, alpha=LEVEL)
    towards = (slope > 0) == (whole.kpi.direction == HIGHER) and slope != 0
    if not towards:
        return Eta(False, None, None, None, float(slope), float(trend.p_value), float(target))
    horizon = x[-1] + HORIZON_PERIODS[whole.grain]
    centre_x, centre_y = statistics.median(x), statistics.median(y)

    def when(b: float) -> dt.date | None:
        """The first period after the latest whose line (through the medians, as theilslopes draws it) meets it."""
        if b == 0 or (b > 0) != (slope > 0):
            return None
        crossing = centre_x + (target - centre_y) / b
        step = max(math.ceil(crossing - 1e-9), math.floor(x[-1]) + 1)
        return None if step > horizon else add_months(first, step * months)

    steep, shallow = (high, low) if slope > 0 else (low, high)
    return Eta(True, when(slope), when(steep), when(shallow), float(slope), float(trend.p_value), float(target))


def eta_sentence(series: Series) -> str | None:
    """The ETA in words, or None when there is none to give."""
    eta = target_eta(series)
    if eta is None:
        return None
    kpi, grain = series.kpi, series.grain
    per = {"month": "a month", "quarter": "a quarter", "year": "a year"}[grain]
    p_text = "p < 0.001" if eta.p_value < 0.001 else f"p = {eta.p_value:.3f}"
    trend = f"Sen's slope {fmt.change(eta.slope, kpi.unit)} {per}, Mann-Kendall {p_text}"
    target = fmt.value(eta.target, kpi.unit)
    if not eta.reaches:
        return (
            f"When will it hit target? Not on its present trend ({trend}): it moves away from its target of {target}."
        )
    if eta.period is None:
        return f"When will it hit target? Not within {HORIZON_PERIODS[grain]} {grain}s on its present trend ({trend})."
    low = period_name(eta.earliest, grain) if eta.earliest else None
    high = period_name(eta.latest, grain) if eta.latest else None
    if low and high:
        spread = (
            f"between {low} and {high} by the slope's 95% interval"
            if low != high
            else f"{low} by the slope's 95% interval too"
        )
    elif low:
        spread = f"from {low} on by the slope's 95% interval, and possibly never: its shallow end does not reach it"
    else:
        spread = "the slope's 95% interval does not narrow it down"
    return (
        f"When will it hit target? On its present trend ({trend}) the target of {target} is reached around "
        f"{period_name(eta.period, grain)}; {spread}. A trend can change: this says where the line goes, not what "
        "will happen."
    )


def eta_dict(series: Series) -> dict[str, object] | None:
    """`scorecard --json`'s `eta` of a KPI and the review record's: None without a real trend (or a target met);
    else whether the line moves towards the target, the period it reaches it and the interval's ends (YYYY-MM,
    YYYY-Qn or YYYY; null beyond the horizon or never), the Sen slope per period, the Mann-Kendall p-value, the
    target, and the sentence people read (eta_sentence)."""
    eta = target_eta(series)
    if eta is None:
        return None
    grain = series.grain

    def label(day: dt.date | None) -> str | None:
        return None if day is None else period_label(day, grain)

    return {
        "reaches": eta.reaches,
        "period": label(eta.period),
        "earliest": label(eta.earliest),
        "latest": label(eta.latest),
        "slope_per_period": eta.slope,
        "p_value": eta.p_value,
        "target": eta.target,
        "sentence": eta_sentence(series),
    }
