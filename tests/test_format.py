"""isokpi.format: one spelling per value, unit by unit."""

import datetime as dt

from isokpi import format as fmt
from isokpi.periods import period_label, period_name

MINUS = "\u2212"


def test_values_are_written_in_their_units_precision():
    assert fmt.value(61, "%") == "61.0%"
    assert fmt.value(22.4, "days") == "22 days"
    assert fmt.value(1, "days") == "1 day"
    assert fmt.value(3.44, "hours") == "3.4 hours"
    assert fmt.value(70.66, "index 0-100") == "70.7"
    assert fmt.value(0.5, "per audit") == "0.50 per audit"
    assert fmt.value(1250, "findings") == "1,250 findings"
    assert fmt.value(2.04, "per 100 staff") == "2.0 per 100 staff"


def test_zero_negatives_and_the_nps_sign():
    assert fmt.value(0, "%") == "0.0%"
    assert fmt.value(-4.6, "NPS points") == f"{MINUS}5 NPS points"
    assert fmt.value(-0.2, "NPS points") == "0 NPS points"  # never "-0"
    assert fmt.value(37, "NPS points") == "+37 NPS points"
    assert fmt.value(1, "NPS points") == "+1 NPS point"
    assert fmt.value(-12.5, "%") == f"{MINUS}12.5%"
    assert fmt.value(-0.001, "%") == "0.0%"


def test_a_very_small_share_is_never_written_as_zero():
    assert fmt.value(0.5, "%") == "0.5%"
    assert fmt.value(0.04, "%") == "<0.1%"
    assert fmt.value(0.05, "%") == "0.1%"
    assert fmt.short(0.004, "%") == "<0.1%"


def test_counts_and_plain_numbers():
    assert fmt.count(7) == "7"
    assert fmt.count(31928) == "31,928"
    assert fmt.value(82.14) == "82.1"
    assert fmt.value(31928.5, "hours") == "31,928.5 hours"
    assert fmt.value(None, "%") == "–"
    assert fmt.count(None) == "–"


def test_short_keeps_only_a_symbol_unit():
    assert fmt.short(61, "%") == "61.0%"
    assert fmt.short(22.4, "days") == "22"
    assert fmt.short(20, "NPS points") == "+20"


def test_ranges_say_a_word_unit_once_and_gaps_are_in_points():
    assert fmt.value_range(52.81, 84.66, "%") == "52.8% to 84.7%"
    assert fmt.value_range(18, 41, "days") == "18 to 41 days"
    assert fmt.difference(-2.34, "%") == "2.3 pts"
    assert fmt.difference(10, "NPS points") == "10 pts"
    assert fmt.difference(1, "NPS points") == "1 pt"
    assert fmt.difference(1, "per 100 staff") == "1.0"
    assert fmt.difference(8, "days") == "8 days"


def test_hover_templates_and_limits_within_the_unit():
    assert fmt.hover("%") == "%{y:,.1f}%"
    assert fmt.hover("NPS points") == "%{y:,.0f} NPS points"
    assert fmt.clamp(-3.2, "%") == 0.0
    assert fmt.clamp(104.0, "%") == 100.0
    assert fmt.clamp(-120.0, "NPS points") == -100.0
    assert fmt.clamp(-1.0, "days") == 0.0


def test_period_names_at_each_grain():
    day = dt.date(2026, 7, 1)
    assert [period_name(day, grain) for grain in ("month", "quarter", "year")] == ["Jul 2026", "Q3 2026", "2026"]
    assert [period_label(day, grain) for grain in ("month", "quarter", "year")] == ["2026-07", "2026-Q3", "2026"]


def test_a_signed_change_for_a_tiles_delta():
    assert fmt.change(2.34, "%") == "+2.3 pts"
    assert fmt.change(-8, "days") == f"{MINUS}8 days"
    assert fmt.change(1.5, "hours") == "+1.5 hours"
    assert fmt.change(0.01, "%") == "0.0 pts"
    assert fmt.change(-5, "NPS points") == f"{MINUS}5 pts"
