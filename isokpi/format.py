"""One spelling for every number people read: pages, sentences, packs and the CLI's text output.

A value is written in its KPI's unit with that unit's precision ("61.0%", "22 days", "+20 NPS points",
"0.25 per audit"); counts with thousands separators ("1,204"). Negative numbers take a true minus sign
(U+2212), so that no exported cell starts with "-", which spreadsheets would read as a formula. Files and JSON
keep full precision: rounding belongs to what people read.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUS = "\u2212"
DASH = "–"  # no value


@dataclass(frozen=True)
class Unit:
    """How values of one unit are written."""

    decimals: int | None  # None: whole numbers without decimals, others with one
    plural: str  # what follows the digits: "%", " days"
    singular: str | None = None  # after exactly 1 ("1 day"); default: the plural
    signed: bool = False  # a plus sign on positive values (NPS)
    gap: str | None = None  # what follows the size of a difference ("2.3 pts" for percentages)

    @property
    def is_symbol(self) -> bool:
        """'%' is part of the number ('61.0%'); a word unit ('22 days') can be said once for a range."""
        return self.plural == "%"


UNITS: dict[str, Unit] = {
    "%": Unit(1, "%", gap=" pts"),
    "days": Unit(0, " days", " day"),
    "hours": Unit(1, " hours", " hour"),
    "findings": Unit(0, " findings", " finding"),
    "per 100 staff": Unit(1, " per 100 staff", gap=""),
    "per audit": Unit(2, " per audit", gap=""),
    "index 0-100": Unit(1, ""),
    "NPS points": Unit(0, " NPS points", " NPS point", signed=True, gap=" pts"),
    "": Unit(None, ""),  # a count, or a plain number
}
# What a value of each unit can be: limits beyond these are drawn and described at the bound.
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "%": (0.0, 100.0),
    "index 0-100": (0.0, 100.0),
    "NPS points": (-100.0, 100.0),
}


def unit_of(unit: str) -> Unit:
    return UNITS.get(unit) or Unit(1, f" {unit}")


def _decimals(spec: Unit, amount: float) -> int:
    if spec.decimals is not None:
        return spec.decimals
    return 0 if float(amount).is_integer() else 1


def number(value: float, unit: str = "") -> str:
    """The digits in the unit's precision, without the unit: '61.0', '22', '1,250', '−3.5'."""
    spec = unit_of(unit)
    decimals = _decimals(spec, value)
    smallest = 10.0**-decimals
    if spec.is_symbol and 0 < float(value) < smallest / 2:
        return f"<{smallest:.{decimals}f}"  # a share that exists is never written as 0.0%
    rounded = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{abs(rounded):,.{decimals}f}"
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if spec.signed and rounded > 0 else text


def rounds_to_zero(amount: float, unit: str = "") -> bool:
    """True when the amount would be written as zero in its unit's precision (a gap too small to name)."""
    return round(abs(float(amount)), _decimals(unit_of(unit), amount)) == 0


def value(amount: float | None, unit: str = "") -> str:
    """'61.0%', '22 days', '1 day', '3.4 hours', '+20 NPS points', '70.7' (an index), '–' for no value."""
    if amount is None:
        return DASH
    spec = unit_of(unit)
    digits = number(amount, unit)
    one = digits.lstrip("+" + MINUS) == "1"
    return digits + (spec.singular if one and spec.singular is not None else spec.plural)


def short(amount: float | None, unit: str = "") -> str:
    """The value with its unit only when the unit is a symbol: '61.0%', but '22' for days."""
    if amount is None:
        return DASH
    return value(amount, unit) if unit_of(unit).is_symbol else number(amount, unit)


def value_range(low: float, high: float, unit: str = "") -> str:
    """'52.8% to 84.7%', but '18 to 41 days': a word unit is said once."""
    if unit_of(unit).is_symbol:
        return f"{value(low, unit)} to {value(high, unit)}"
    return f"{number(low, unit)} to {value(high, unit)}"


def difference(amount: float, unit: str = "") -> str:
    """The size of a gap, unsigned: '2.3 pts' (percentage points), '8 days', '0.12'."""
    spec = unit_of(unit)
    decimals = _decimals(spec, amount)
    digits = f"{round(abs(float(amount)), decimals):,.{decimals}f}"
    if spec.gap is not None:
        return digits + (" pt" if spec.gap == " pts" and digits == "1" else spec.gap)
    return digits + (spec.singular if digits == "1" and spec.singular is not None else spec.plural)


def change(amount: float, unit: str = "") -> str:
    """A signed change, as a tile's delta: '+2.3 pts', '−8 days', '+1.5 hours'; '0' in the unit's precision."""
    if rounds_to_zero(amount, unit):
        return difference(0, unit)
    return ("+" if amount > 0 else MINUS) + difference(amount, unit)


def count(amount: int | float | None) -> str:
    """A whole number of things: '1,204'."""
    return DASH if amount is None else number(amount, "")


def counted(amount: int, thing: str, things: str = "") -> str:
    """A count with its noun in the right number: '1 finding', '12 findings', '3 classes' (things given)."""
    return f"{count(amount)} {thing if amount == 1 else (things or thing + 's')}"


def hover(unit: str, axis: str = "y") -> str:
    """A plotly hover template in the unit's precision: '%{y:,.1f}%'."""
    spec = unit_of(unit)
    return "%{" + axis + ":,." + str(spec.decimals or 0) + "f}" + spec.plural


def clamp(amount: float, unit: str) -> float:
    """A limit as far as the unit allows: a share never below 0% or above 100%."""
    low, high = UNIT_BOUNDS.get(unit, (0.0, None))
    if low is not None and amount < low:
        return low
    if high is not None and amount > high:
        return high
    return amount
