"""When will we hit target: the Sen line's crossing of the target, its interval, and nothing without a real trend."""

from __future__ import annotations

import datetime as dt
import math

from scipy import stats as scipy_stats

from isokpi import eta
from isokpi.catalog import get_kpi
from isokpi.kpis import Point, Series, analyse
from isokpi.periods import add_months

START = dt.date(2025, 1, 1)


def series(kpi_id: str, values: list[float], target: float) -> Series:
    points = [Point(add_months(START, i), value, 100, target) for i, value in enumerate(values)]
    return analyse(Series(get_kpi(kpi_id), "month", points))


def test_a_steady_rise_reaches_the_target_where_its_line_does():
    rising = series("mandatory_training_completion_pct", [50 + 2 * i for i in range(12)], 90.0)
    found = eta.target_eta(rising)
    # 50 + 2x = 90 at x = 20: September 2026; a perfect line leaves the slope no room either way.
    assert (found.reaches, found.period, found.earliest, found.latest) == (
        True,
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 1),
    )
    assert found.slope == rising.trend.sen_slope == 2.0
    assert eta.eta_sentence(rising).startswith(
        "When will it hit target? On its present trend (Sen's slope +2.0 pts a month, Mann-Kendall p < 0.001) the "
        "target of 90.0% is reached around Sep 2026; Sep 2026 by the slope's 95% interval too."
    )


def test_a_noisy_rise_gives_the_range_of_the_slopes_interval():
    values = [60, 63, 61, 66, 64, 69, 67, 70, 72, 71, 75, 74]
    noisy = series("mandatory_training_completion_pct", values, 95.0)
    found = eta.target_eta(noisy)
    slope, _, low, high = scipy_stats.theilslopes(values, list(range(12)), alpha=0.95)
    assert found.slope == slope == noisy.trend.sen_slope
    middle_x, middle_y = 5.5, (67 + 69) / 2

    def when(b):
        return add_months(START, max(math.ceil(middle_x + (95 - middle_y) / b - 1e-9), 12))

    assert (found.period, found.earliest, found.latest) == (when(slope), when(high), when(low))
    assert found.earliest < found.period < found.latest


def test_no_real_trend_a_met_target_or_no_target_give_nothing_and_a_wrong_way_trend_says_so():
    flat = series("mandatory_training_completion_pct", [70, 72, 69, 71, 70, 72, 69, 71, 70, 72, 69, 71], 95.0)
    assert flat.trend.p_value > 0.05 and eta.target_eta(flat) is None and eta.eta_sentence(flat) is None
    met = series("mandatory_training_completion_pct", [90 + i for i in range(10)], 95.0)
    assert eta.target_eta(met) is None
    falling = series("mandatory_training_completion_pct", [80 - i for i in range(12)], 95.0)
    assert eta.target_eta(falling).reaches is False
    assert "it moves away from its target of 95.0%" in eta.eta_sentence(falling)
    # Lower is better: a falling count reaches a lower target.
    overdue = series("overdue_open_findings", [30 - 2 * i for i in range(12)], 2.0)
    assert eta.target_eta(overdue).period == add_months(START, 14)
