"""The words for every verdict, status and rule, in one table: a tile, a chart, a sentence, the review, a pack and
the CLI's text output all say the same thing the same way. Identifiers (improvement, off_track) stay in JSON and
files; people read these words.
"""

from __future__ import annotations

from isokpi import stats
from isokpi.kpis import AT_RISK, CONCERNING, IMPROVING, OFF_TRACK, ON_TRACK, STABLE

NO_DATA = "No data"
NO_VERDICT = "No verdict yet"  # limits resting on fewer than stats.MIN_LIMIT_POINTS points
NO_TARGET = "No target"

# A point's class (Making Data Count), in words: as a KPI's variation (the class of its latest point), as the end of
# a sentence on it, and as the class of a point on a chart (its colour).
_CLASS_WORDS = {
    stats.IMPROVEMENT: ("Improving", "a real improvement", "special cause, improvement"),
    stats.CONCERN: ("Deteriorating", "a real deterioration", "special cause, concern"),
    stats.COMMON_CAUSE: ("Normal variation", "within normal variation", "common cause"),
}
VARIATION = {verdict: words[0] for verdict, words in _CLASS_WORDS.items()}
VARIATION_TAIL = {verdict: words[1] for verdict, words in _CLASS_WORDS.items()}
POINT = {verdict: words[2] for verdict, words in _CLASS_WORDS.items()}
# Where the process limits lie against the target: the verdict, and what it means.
_ASSURANCE_WORDS = {
    stats.PASS: ("Meets target reliably", "the target will be met consistently unless the process changes"),
    stats.FAIL: ("Misses target reliably", "the target will not be met without a change to the process"),
    stats.INCONSISTENT: (
        "Target within normal variation",
        "the target lies inside normal variation: expect to hit and miss it by chance",
    ),
}
ASSURANCE = {verdict: words[0] for verdict, words in _ASSURANCE_WORDS.items()}
ASSURANCE_MEANING = {verdict: words[1] for verdict, words in _ASSURANCE_WORDS.items()}
# Why a KPI is not on track (kpis.STATUS_RULE), as a pillar's sentence says it after the KPI's name.
MISSES_RELIABLY = "misses its target reliably"
MISSES = "misses its target"
DETERIORATES = "shows a real deterioration"
IMPROVES = "shows a real improvement"
# A KPI's and a pillar's status, weighing targets and change (kpis.STATUS_RULE).
STATUS = {ON_TRACK: "On track", AT_RISK: "At risk", OFF_TRACK: "Off track"}
# A pillar's variation: the roll-up of its KPIs' verdicts (kpis.VARIATION_RULE).
PILLAR_VARIATION = {IMPROVING: "Improving", CONCERNING: "Concerning", STABLE: "Stable", None: NO_VERDICT}
# The special-cause rules, as a chart's hover and an explanation name them, by side.
RULES = {
    (stats.OUTSIDE_LIMITS, stats.HIGH): "above the upper process limit",
    (stats.OUTSIDE_LIMITS, stats.LOW): "below the lower process limit",
    (stats.TREND_OF_7, stats.HIGH): "7 or more rising in a row",
    (stats.TREND_OF_7, stats.LOW): "7 or more falling in a row",
    (stats.TWO_OF_THREE, stats.HIGH): "2 of 3 beyond two sigma above the mean",
    (stats.TWO_OF_THREE, stats.LOW): "2 of 3 beyond two sigma below the mean",
    (stats.RUN_OF_7, stats.HIGH): "7 or more in a row above the mean",
    (stats.RUN_OF_7, stats.LOW): "7 or more in a row below the mean",
}
# A rule by name alone (a CSV's signal column).
RULE_NAMES = {
    stats.OUTSIDE_LIMITS: "outside the process limits",
    stats.TREND_OF_7: "7 or more rising or falling in a row",
    stats.TWO_OF_THREE: "2 of 3 beyond two sigma on one side of the mean",
    stats.RUN_OF_7: "7 or more in a row on one side of the mean",
}
# The lines of a KPI's process-behaviour chart, by the names its legend shows: the same on the pages, in the HTML
# pack and in the PowerPoint's native charts.
VALUE_LINE, MEAN_LINE, UPPER_LINE, LOWER_LINE, TARGET_LINE = "Value", "Mean", "Upper limit", "Lower limit", "Target"
SPECIAL_CAUSE_MARKS, PROVISIONAL_MARKS = "Special cause", "Provisional"


def variation(verdict: str | None, *, has_value: bool = True) -> str:
    """A KPI's variation verdict in words: 'Improving', 'Normal variation', 'No verdict yet', 'No data'."""
    if not has_value:
        return NO_DATA
    return VARIATION.get(verdict or "", NO_VERDICT)


def assurance(verdict: str | None, *, has_target: bool, has_value: bool = True) -> str:
    """A KPI's assurance verdict in words: 'Meets target reliably', ..., 'No target', 'No verdict yet'."""
    if not has_value:
        return NO_DATA
    if not has_target:
        return NO_TARGET
    return ASSURANCE.get(verdict or "", NO_VERDICT)


def status(value: str | None) -> str:
    """'On track', 'At risk', 'Off track'; 'No data' for None."""
    return STATUS.get(value or "", NO_DATA)
