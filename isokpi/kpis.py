"""The KPI engine: series per period from DuckDB aggregates, targets in force, and the statistics on them.

Each KPI's SQL (isokpi/sql/kpis/) returns one row per period; only those few rows reach Python, where
the XmR limits, special-cause signals, Mann-Kendall trend and verdicts are computed (isokpi.stats.spc, the same
code as `python -m isokpi spc`).

A dataset KPI's series covers every period from its first value on: a period without data is a gap, which breaks
moving ranges and runs. A survey KPI's series has a point per period with a survey wave. Mann-Kendall and Sen's
slope place points on the calendar, so the slope is per period (month, quarter, year) in both. A trailing period
whose outcomes are still arriving (PROVISIONAL_SHARE) is shown as provisional and kept out of the statistics.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import datetime as dt
import math
import statistics
from dataclasses import dataclass, field, replace

from isokpi import rollups, stats
from isokpi.cache import cached
from isokpi.catalog import HIGHER, KM_MEDIAN, KPI_BY_ID, KPIS, Kpi, get_kpi, kpis_of_pillar
from isokpi.datasets import FAVOURABLE_FROM, SCALE_RANGES
from isokpi.db import Database, bound
from isokpi.errors import InputError
from isokpi.periods import GRAINS, MONTHS_PER, add_months, months_between, period_label, period_last_day, period_start
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.sql import load_sql

# Fewer limit-setting points than this: the limits are drawn, the variation and assurance verdicts withheld.
MIN_POINTS_FOR_LIMITS = stats.MIN_LIMIT_POINTS
# A trailing period is provisional while the share of its items whose outcome is known yet (evaluated training,
# reviewed corrective actions) is under this fraction of the series' median share.
PROVISIONAL_SHARE = 0.8
# What a mean of scores can be: its t interval is clipped to the scale (share and NPS intervals stay inside by design).
MEAN_BOUNDS = {"index 0-100": (0.0, 100.0)}


@dataclass(frozen=True)
class Filters:
    """What the series cover. Empty tuples mean everything; values are always bound as parameters."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sites: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()
    grain: str = "month"
    as_of: dt.date | None = None  # the data's "today" (default: today); only complete periods are reported
    # A date range selects whole periods: every period that overlaps it (a range from 16 June includes June).

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise InputError(f"period {self.grain!r} is unknown: use month, quarter or year")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError(f"the date range starts ({self.date_from}) after it ends ({self.date_to}): swap them")

    @property
    def today(self) -> dt.date:
        """The day the data is read as of: as_of (default today), at the latest the end of the date range, so a
        scorecard to a date shows what was known on that date."""
        day = self.as_of or dt.date.today()
        return min(day, self.date_to) if self.date_to else day

    @property
    def statistics(self) -> Filters:
        """The filters the statistics are computed with: the KPI's whole history up to the end of the range. The
        range's start only crops what is shown (crop), never a limit or a verdict."""
        return replace(self, date_from=None)


@dataclass(frozen=True)
class Point:
    period: dt.date
    value: float | None
    n: int | None
    target: float | None = None
    ci: tuple[float, float] | None = None
    suppressed: bool = False  # fewer than 5 respondents: never shown
    provisional: bool = False  # outcomes still arriving: shown, but kept out of limits, signals, trend and verdicts
    special_cause: str | None = None  # the point's class (stats.spc); None for a gap or a point kept out
    mean: float | None = None  # the limits of the point's rebase group (stats.spc); None where it has none
    lpl: float | None = None
    upl: float | None = None

    @property
    def label(self) -> str:
        return self.period.isoformat()


@dataclass
class Series:
    kpi: Kpi
    grain: str
    points: list[Point]
    limits: stats.XmR | None = None  # the latest rebase group's limits
    segments: list[stats.XmR] = field(default_factory=list)  # every rebase group's limits, in order
    signals: list[stats.Signal] = field(default_factory=list)  # one per special-cause point: the rule of its class
    marks: list[stats.Signal] = field(default_factory=list)  # every point each rule marks
    trend: stats.Trend = field(default_factory=lambda: stats.Trend(None, None, None, 0))
    variation: str | None = None  # the latest point's class; None when withheld (fewer than 12 limit-setting points)
    assurance: str | None = None  # None without a target or when withheld
    earlier: Point | None = None  # the settled point about 12 months before the latest, over the whole history
    # The series over its whole history when this one is cropped to a display window (crop): what the words say.
    history: Series | None = field(default=None, repr=False, compare=False)

    @property
    def shown(self) -> list[Point]:
        """Points with a value that may be shown (provisional ones included)."""
        return [p for p in self.points if p.value is not None and not p.suppressed]

    @property
    def latest(self) -> Point | None:
        """The latest point the verdicts speak for: with a value, not suppressed, not provisional; over the whole
        history, so a display window that starts after it does not hide the value as of its end."""
        settled = [p for p in (self.history or self).shown if not p.provisional]
        return settled[-1] if settled else None

    @property
    def limit_points(self) -> int:
        """How many points set the latest limits (verdicts need MIN_POINTS_FOR_LIMITS)."""
        return self.limits.points if self.limits else 0

    @property
    def target(self) -> float | None:
        latest = self.latest
        return latest.target if latest else None

    def on_target(self) -> bool | None:
        """Whether the latest value meets its target (None without one)."""
        latest = self.latest
        if latest is None or latest.target is None:
            return None
        return meets(self.kpi, latest.value, latest.target)

    @property
    def misses_every_target(self) -> bool:
        """Every KPI with a target misses it (and at least one has a target): off track by STATUS_RULE."""
        return self.with_target > 0 and self.on_target == 0

    @property
    def status(self) -> str | None:
        """ON_TRACK, AT_RISK or OFF_TRACK by STATUS_RULE; None without a value."""
        if self.latest is None:
            return None
        misses = self.on_target() is False
        concern = self.variation == stats.CONCERN
        if self.assurance == stats.FAIL or (misses and concern):
            return OFF_TRACK
        if misses or concern:
            return AT_RISK
        return ON_TRACK


ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
STATUS_RULE = (
    "A KPI is off track when its process limits lie wholly on the wrong side of its target (the target will not be "
    "met without a change), or when its latest value misses the target and is a concerning special cause; at risk "
    "when its latest value misses the target or is a concerning special cause; on track otherwise. A pillar is off "
    "track when every one of its KPIs with a target misses it, or when at least half of its KPIs with a value are "
    "off track; at risk when any of its KPIs is at risk or off track; on track otherwise."
)
LOOKBACK_MONTHS = 12  # a KPI's latest value is compared with the settled one about a year earlier


def meets(kpi: Kpi, value: float, target: float) -> bool:
    return value >= target if kpi.direction == HIGHER else value <= target


# --- data bounds and periods ------------------------------------------------------------------------


def _data_range(database: Database) -> tuple[dt.date | None, dt.date | None]:
    """The earliest and latest dates in training, findings and survey."""
    row = database.query(
        """
        SELECT least((SELECT min(coalesce(completed_on, due_date)) FROM training),
                     (SELECT min(raised_on) FROM findings), (SELECT min(responded_on) FROM survey)),
               greatest((SELECT max(coalesce(completed_on, due_date)) FROM training),
                        (SELECT max(raised_on) FROM findings), (SELECT max(responded_on) FROM survey))
        """
    )[0]
    return row[0], row[1]


DATA_DATASETS = ("training", "findings", "survey")
data_range = cached(_data_range, reads=lambda: DATA_DATASETS)


def periods(database: Database, filters: Filters) -> list[dt.date]:
    """First days of the complete periods to report: from the filter's start (or the data's) to its end."""
    first, last = data_range(database)
    if first is None:
        return []
    start = period_start(max(first, filters.date_from) if filters.date_from else first, filters.grain)
    end = min(filters.today, filters.date_to or filters.today, last + dt.timedelta(days=366 * 5))
    result = []
    period = start
    while period_last_day(period, filters.grain) <= filters.today and period <= end:
        result.append(period)
        period = add_months(period, MONTHS_PER[filters.grain])
    return result


# --- SQL -------------------------------------------------------------------------------------------


KNOWN_STAFF = (
    "known_staff AS (SELECT unnest(CAST($staff_periods AS DATE[])) AS period, "
    "unnest(CAST($staff_counts AS BIGINT[])) AS staff)"
)


def kpi_sql(kpi: Kpi | str) -> str:
    """The full query of one KPI (or of kpis/<name>.sql): the shared CTEs, then its own SQL."""
    own = load_sql(f"kpis/{kpi.sql_file if isinstance(kpi, Kpi) else kpi + '.sql'}").strip()
    ctes = [load_sql("common.sql").strip()]
    if "known_staff" in own:
        ctes.append(KNOWN_STAFF)
    return "WITH " + ",\n".join(ctes) + ",\nkpi AS (\n" + own + "\n)\nSELECT * FROM kpi"


def uses_staff(kpi: Kpi) -> bool:
    return "known_staff" in load_sql(f"kpis/{kpi.sql_file}")


def staff_counts(database: Database, filters: Filters, period_list: list[dt.date]) -> dict[str, list]:
    """Staff on record per period, counted once, as the parameters the staff-based KPIs take."""
    periods_of, counts = _staff_counts(database, filters, tuple(period_list))
    return {"staff_periods": list(periods_of), "staff_counts": list(counts)}


def _count_staff(
    database: Database, filters: Filters, period_list: tuple[dt.date, ...]
) -> tuple[tuple[dt.date, ...], tuple[int, ...]]:
    sql = kpi_sql("staff")
    rollups.current(database, sql)
    with contextlib.closing(database.cursor()) as cursor:
        rows = cursor.execute(sql, bound(sql, _params(None, filters, list(period_list)))).fetchall()
    return tuple(row[0] for row in rows), tuple(int(row[1]) for row in rows)


# Staff come from the training records alone: kept while only findings or survey answers are loaded.
_staff_counts = cached(_count_staff, reads=lambda filters, period_list: ("training",))


def _params(kpi: Kpi | None, filters: Filters, period_list: list[dt.date]) -> dict[str, object]:
    scales = list(SCALE_RANGES)
    params: dict[str, object] = {
        "grain": filters.grain,
        "periods": period_list,
        "as_of": filters.today,
        "sites": list(filters.sites),
        "departments": list(filters.departments),
        "standards": list(filters.standards),
        "scales": scales,
        "favourable_from": [float(FAVOURABLE_FROM[s]) for s in scales],
        "scale_min": [float(SCALE_RANGES[s][0]) for s in scales],
        "scale_max": [float(SCALE_RANGES[s][1]) for s in scales],
        **(dict(kpi.sql_params) if kpi else {}),
    }
    return params


def kpi_params(kpi: Kpi, filters: Filters, period_list: list[dt.date]) -> dict[str, object]:
    """Every parameter a KPI's SQL (and its records' SQL, isokpi.records) may name; bound() keeps those it uses."""
    return _params(kpi, filters, period_list)


def _rows(
    database: Database, kpi: Kpi, filters: Filters, period_list: list[dt.date], staff: dict[str, list] | None = None
) -> list[dict]:
    """The KPI's SQL rows, kept per version of the datasets it reads (catalog `datasets`): loading findings leaves
    the training KPIs' rows as they are. Shared, not copied: read-only."""
    if not uses_staff(kpi):
        staff_key = None
    else:
        staff = staff if staff is not None else staff_counts(database, filters, period_list)
        staff_key = (tuple(staff["staff_periods"]), tuple(staff["staff_counts"]))
    return _kept_rows(database, kpi.id, filters, tuple(period_list), staff_key)


def _query_rows(
    database: Database,
    kpi_id: str,
    filters: Filters,
    period_list: tuple[dt.date, ...],
    staff: tuple[tuple[dt.date, ...], tuple[int, ...]] | None,
) -> list[dict]:
    kpi = get_kpi(kpi_id)
    sql = kpi_sql(kpi)
    rollups.current(database, sql)
    params = _params(kpi, filters, list(period_list))
    if staff is not None:  # the staff counts are part of the key: the rows follow the training they came from
        params.update(staff_periods=list(staff[0]), staff_counts=list(staff[1]))
    with contextlib.closing(database.cursor()) as cursor:
        result = cursor.execute(sql, bound(sql, params))
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


_kept_rows = cached(_query_rows, reads=lambda kpi_id, *rest: get_kpi(kpi_id).datasets)


# --- targets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    kpi_id: str
    target: float
    period_start: dt.date | None
    period_end: dt.date | None
    site: str | None


def load_targets(database: Database) -> list[TargetRow]:
    return [
        TargetRow(*row) for row in database.query("SELECT kpi_id, target, period_start, period_end, site FROM targets")
    ]


@dataclass(frozen=True)
class Context:
    """What the KPIs of one computation share, looked up once: the periods, the targets in force, and the staff
    on record per period (None: counted by each staff-based KPI that needs it)."""

    periods: list[dt.date]
    targets: list[TargetRow]
    staff: dict[str, list] | None = None


def context(database: Database, filters: Filters, *, with_staff: bool = False) -> Context:
    period_list = periods(database, filters)
    staff = staff_counts(database, filters, period_list) if with_staff and period_list else None
    return Context(period_list, load_targets(database), staff)


def target_for(kpi: Kpi, period: dt.date, grain: str, rows: list[TargetRow], sites: tuple[str, ...]) -> float | None:
    """The target in force for a period: a site's own when exactly that site is shown, else the company's;
    the one that started last before the period ends; else the catalog default. Targets of period totals
    (catalog per_month) are per month and scale with the period."""
    last_day = period_last_day(period, grain)
    candidates = [
        row
        for row in rows
        if row.kpi_id == kpi.id
        and (row.site is None or (len(sites) == 1 and row.site == sites[0]))
        and (row.period_start is None or row.period_start <= last_day)
        and (row.period_end is None or row.period_end >= period)
    ]
    if not candidates:
        target = kpi.default_target
    else:
        target = max(candidates, key=lambda row: (row.site is not None, row.period_start or dt.date.min)).target
    # Targets of period totals are monthly: a quarter's is three months' worth.
    if target is not None and kpi.per_month:
        target *= MONTHS_PER[grain]
    return target


# --- series ----------------------------------------------------------------------------------------


def _points(
    kpi: Kpi, rows: list[dict], filters: Filters, targets: list[TargetRow], period_list: list[dt.date]
) -> list[Point]:
    """One point per row, and for a dataset KPI one per period without a row too (a gap), from its first row on."""
    if kpi.value_from == KM_MEDIAN:
        rows = _km_medians(rows)
    by_period = {row["period"]: row for row in rows}
    spine = sorted(by_period) if kpi.survey else period_list
    provisional = _provisional_periods(rows)
    points = []
    for period in spine:
        row = by_period.get(period, {"period": period, "value": None, "n": None})
        value = row["value"]
        n = None if row.get("n") is None else int(row["n"])
        suppressed = kpi.survey and stats.suppress_small(n)
        ci = None if suppressed or value is None else _interval(kpi, row)
        points.append(
            Point(
                period=period,
                value=None if suppressed or value is None else float(value),
                n=n,
                target=target_for(kpi, period, filters.grain, targets, filters.sites),
                ci=ci,
                suppressed=suppressed,
                provisional=period in provisional,
            )
        )
    first = next((i for i, p in enumerate(points) if p.period in by_period), len(points))
    return points[first:]


def _provisional_periods(rows: list[dict]) -> set[dt.date]:
    """Trailing periods whose outcomes are still arriving: counting back from the latest, while the share of a
    period's items with an outcome (n of eligible) is under PROVISIONAL_SHARE of the median share of all periods."""
    shares = [
        (row["period"], int(row["n"] or 0) / int(row["eligible"]))
        for row in sorted(rows, key=lambda row: row["period"])
        if row.get("eligible")
    ]
    if not shares:
        return set()
    typical = statistics.median(share for _, share in shares)
    provisional = set()
    for period, share in reversed(shares):
        if share >= PROVISIONAL_SHARE * typical:
            break
        provisional.add(period)
    return provisional


def _km_medians(rows: list[dict]) -> list[dict]:
    """Kaplan-Meier median per period from the aggregated (days, closed, still_open) counts."""
    by_period: dict[dt.date, list[dict]] = {}
    for row in rows:
        by_period.setdefault(row["period"], []).append(row)
    result = []
    for period, group in sorted(by_period.items()):
        median = stats.km_median_from_counts(
            [r["days"] for r in group], [r["closed"] for r in group], [r["still_open"] for r in group]
        )
        total = sum(int(r["closed"]) + int(r["still_open"]) for r in group)
        result.append({"period": period, "value": median, "n": total})
    return result


def _interval(kpi: Kpi, row: dict) -> tuple[float, float] | None:
    """The 95% interval of a survey point, within what the KPI's unit allows."""
    low, high = MEAN_BOUNDS.get(kpi.unit, (-math.inf, math.inf))
    if kpi.ci == "mean" and row.get("sd") is not None:
        interval = stats.mean_ci(float(row["value"]), float(row["sd"]), int(row["n"]))
        return None if interval is None else (max(low, interval[0]), min(high, interval[1]))
    if kpi.ci == "nps":
        return stats.nps_ci(int(row["promoters"]), int(row["detractors"]), int(row["answers"]))
    if kpi.ci == "share":
        sums = (float(row["sum_ss"]), float(row["sum_sa"]), float(row["sum_aa"]))
        interval = stats.clustered_share_ci(float(row["successes"]), float(row["answers"]), int(row["n"]), sums)
        return None if interval is None else (100 * interval[0], 100 * interval[1])
    return None


def analyse(
    series: Series,
    *,
    baseline: int | None = None,
    rebase_at: tuple[dt.date, ...] = (),
    screen_outliers: bool = False,
) -> Series:
    """Fill in limits, classes, signals, trend and verdicts from the series' points (stats.spc and mann_kendall).

    Suppressed and provisional points are left out, as gaps; a rebase date starts new limits at the first point on
    or after it.
    """
    values = [None if p.suppressed or p.provisional else p.value for p in series.points]
    if series.points:
        first = series.points[0].period
        months = MONTHS_PER[series.grain]
        positions = [months_between(first, p.period) / months for p in series.points]
        series.trend = stats.mann_kendall(values, positions)
    rebase_indexes = sorted(
        {next((i for i, p in enumerate(series.points) if p.period >= day), len(series.points)) for day in rebase_at}
    )
    result = stats.spc(
        values,
        series.kpi.direction,
        target=series.target,
        baseline=baseline,
        rebase_at=rebase_indexes,
        screen_outliers=screen_outliers,
    )
    series.points = [
        replace(p, special_cause=s.special_cause, mean=s.mean, lpl=s.lpl, upl=s.upl)
        for p, s in zip(series.points, result.points, strict=True)
    ]
    series.limits = result.limits
    series.segments = list(result.segments)
    series.signals = result.signals
    series.marks = list(result.marks)
    series.variation = result.variation
    series.assurance = result.assurance
    series.earlier = comparison_point(series)
    return series


def comparison_point(series: Series) -> Point | None:
    """The settled point nearest to LOOKBACK_MONTHS before the latest (the first of a shorter history)."""
    settled = [p for p in series.shown if not p.provisional]
    if len(settled) < 2:
        return None
    latest = settled[-1]
    return min(settled[:-1], key=lambda p: (abs(months_between(p.period, latest.period) - LOOKBACK_MONTHS), p.period))


def crop(series: Series, date_from: dt.date | None) -> Series:
    """The series as shown from the period holding `date_from` on. Its limits, verdicts, trend and year-earlier
    comparison stay those of its whole history; only the rows before go (and the indexes into them shift)."""
    if date_from is None or not series.points:
        return series
    start = period_start(date_from, series.grain)
    cut = next((i for i, p in enumerate(series.points) if p.period >= start), len(series.points))
    if cut == 0:
        return series

    def shifted(limits: stats.XmR) -> stats.XmR:
        return replace(
            limits,
            baseline=(max(0, limits.baseline[0] - cut), max(0, limits.baseline[1] - cut)),
            span=(max(0, limits.span[0] - cut), max(0, limits.span[1] - cut)),
        )

    return replace(
        series,
        history=series.history or series,
        points=series.points[cut:],
        limits=None if series.limits is None else shifted(series.limits),
        segments=[shifted(limits) for limits in series.segments if limits.span[1] > cut],
        signals=[replace(s, index=s.index - cut) for s in series.signals if s.index >= cut],
        marks=[replace(m, index=m.index - cut) for m in series.marks if m.index >= cut],
    )


def kpi_series(
    database: Database,
    kpi_id: str,
    filters: Filters = Filters(),
    *,
    baseline: int | None = None,
    rebase_at: tuple[dt.date, ...] = (),
    context: Context | None = None,
) -> Series:
    """One KPI as a series with its statistics over its whole history, shown from the filters' start on;
    `context` shares the look-ups of several KPIs' computation (made with filters.statistics)."""
    kpi = get_kpi(kpi_id)
    shown_from, filters = filters.date_from, filters.statistics
    shared = context or Context(periods(database, filters), load_targets(database))
    targets = shared.targets
    if kpi.derived:
        # The other KPIs as all_series keeps them: a baseline or rebase changes only this series' statistics.
        others = [series for series in all_series(database, filters).values() if not series.kpi.derived]
        series = analyse(
            Series(kpi, filters.grain, _on_target_points(kpi, others, filters, targets)),
            baseline=baseline,
            rebase_at=rebase_at,
        )
        return crop(series, shown_from)
    period_list = shared.periods
    rows = _rows(database, kpi, filters, period_list, shared.staff) if period_list else []
    in_range = set(period_list)
    rows = [row for row in rows if row["period"] in in_range]
    series = analyse(
        Series(kpi, filters.grain, _points(kpi, rows, filters, targets, period_list)),
        baseline=baseline,
        rebase_at=rebase_at,
    )
    return crop(series, shown_from)


def _on_target_points(kpi: Kpi, others: list[Series], filters: Filters, targets: list[TargetRow]) -> list[Point]:
    """kpis_on_target_pct: per period, the share of KPIs with a value and a target that meet it (provisional values
    left out); a period of the others' where none has both is a gap.

    The share starts once every dataset KPI with data has its first value: before that (a look-back KPI's first
    year, a dataset loaded later) it would be a share of fewer, different KPIs, and a change of that set would read
    as a change of the organisation. Survey KPIs come and go with their waves and do not hold the start back.
    """
    firsts = (next((p.period for p in series.points if p.value is not None), None) for series in others)
    start = max(
        (first for first, series in zip(firsts, others, strict=True) if first and not series.kpi.survey),
        default=dt.date.min,
    )
    tallies: dict[dt.date, list[bool]] = {}
    for series in others:
        for point in (p for p in series.points if p.period >= start):
            tallies.setdefault(point.period, [])
            if point.value is not None and not point.suppressed and not point.provisional and point.target is not None:
                tallies[point.period].append(meets(series.kpi, point.value, point.target))
    points = [
        Point(
            period,
            100.0 * sum(hits) / len(hits) if hits else None,
            len(hits),
            target_for(kpi, period, filters.grain, targets, filters.sites),
        )
        for period, hits in sorted(tallies.items())
    ]
    first = next((i for i, p in enumerate(points) if p.value is not None), len(points))
    return points[first:]


def compute_all_series(database: Database, filters: Filters = Filters(), *, workers: int = 2) -> dict[str, Series]:
    """Every KPI of the catalog over its whole history up to the filters' end, computed now; the dataset KPIs
    concurrently on separate cursors, sharing one Context. all_series keeps it and crops it to the filters' start."""
    filters = filters.statistics
    shared = context(database, filters, with_staff=True)
    plain = [kpi for kpi in KPIS if not kpi.derived]

    def one(kpi: Kpi) -> Series:
        return kpi_series(database, kpi.id, filters, context=shared)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        # Each in a copy of this context: the data version this computation pinned holds in the workers too.
        futures = [pool.submit(contextvars.copy_context().run, one, kpi) for kpi in plain]
        computed = [future.result() for future in futures]
    result = {series.kpi.id: series for series in computed}
    for kpi in KPIS:
        if kpi.derived:
            points = _on_target_points(kpi, computed, filters, shared.targets)
            result[kpi.id] = analyse(Series(kpi, filters.grain, points))
    return {kpi.id: result[kpi.id] for kpi in KPIS}


_whole_histories = cached(compute_all_series)


def whole_history(database: Database, kpi_id: str, filters: Filters = Filters()) -> Series:
    """One KPI's series over its whole history, as all_series holds it: the series all_series keeps when this
    process has it for the data as it is now (to the bit: what the pages drew), else this KPI alone, computed as
    compute_all_series computes it (the same periods, targets and staff counts), without the other KPIs.
    kpis_on_target_pct needs every other KPI, so it comes from all_series."""
    filters = filters.statistics
    kept = _whole_histories.kept(database, filters)
    kpi = get_kpi(kpi_id)
    if kept is not None or kpi.derived:
        return (kept or _whole_histories(database, filters))[kpi.id]
    return kpi_series(database, kpi.id, filters, context=context(database, filters, with_staff=uses_staff(kpi)))


def _shown_from_start(database: Database, filters: Filters) -> dict[str, Series]:
    return {
        kpi_id: crop(series, filters.date_from)
        for kpi_id, series in _whole_histories(database, filters.statistics).items()
    }


# Every KPI of the catalog, shown from the filters' start on. The statistics are computed once per data version
# over the whole history up to the filters' end: moving the start changes what is shown, never a limit or verdict.
all_series = cached(_shown_from_start)


# --- scorecard -------------------------------------------------------------------------------------

VARIATION_RULE = (
    "A pillar's KPIs are concerning when the latest point of any of them is a concerning special cause, improving "
    "when at least one is an improving special cause and none a concerning one, and stable when at least one has "
    f"a verdict and none is a special cause; a KPI whose limits rest on fewer than {MIN_POINTS_FOR_LIMITS} points "
    "has no verdict yet, and a pillar none of whose KPIs has one has no verdict yet either."
)
IMPROVING, CONCERNING, STABLE = "improving", "concerning", "stable"  # PillarCard.variation


@dataclass
class PillarCard:
    id: str
    name: str
    series: list[Series]

    @property
    def improving(self) -> int:
        return sum(1 for s in self.series if s.variation == stats.IMPROVEMENT)

    @property
    def concerning(self) -> int:
        return sum(1 for s in self.series if s.variation == stats.CONCERN)

    @property
    def on_target(self) -> int:
        return sum(1 for s in self.series if s.on_target())

    @property
    def with_target(self) -> int:
        return sum(1 for s in self.series if s.on_target() is not None)

    @property
    def variation(self) -> str | None:
        """The roll-up of its KPIs' variation verdicts, by VARIATION_RULE; None when none of them has one (too few
        points for limits, as at Quarter on three years of data): "stable" would claim a verdict nobody reached."""
        if self.concerning:
            return CONCERNING
        if self.improving:
            return IMPROVING
        return STABLE if any(s.variation is not None for s in self.series) else None

    @property
    def misses_every_target(self) -> bool:
        """Every KPI with a target misses it (and at least one has a target): off track by STATUS_RULE."""
        return self.with_target > 0 and self.on_target == 0

    @property
    def status(self) -> str | None:
        """ON_TRACK, AT_RISK or OFF_TRACK by STATUS_RULE, weighing targets and change; None without data."""
        statuses = [s.status for s in self.series if s.status is not None]
        if not statuses:
            return None
        if self.misses_every_target or statuses.count(OFF_TRACK) * 2 >= len(statuses):
            return OFF_TRACK
        if AT_RISK in statuses or OFF_TRACK in statuses:
            return AT_RISK
        return ON_TRACK


def scorecard(database: Database, filters: Filters = Filters()) -> list[PillarCard]:
    """The eight pillars, each with its KPIs' series, in pillar order."""
    series = all_series(database, filters)
    return [
        PillarCard(pillar, PILLAR_NAMES[pillar], [series[k.id] for k in kpis_of_pillar(pillar)])
        for pillar in PILLAR_IDS
    ]


def series_dict(series: Series) -> dict[str, object]:
    """`python -m isokpi kpi --json`: the series, its limits, signals, trend and verdicts, at full precision."""
    limits = series.limits
    return {
        "id": series.kpi.id,
        "name": series.kpi.name,
        "unit": series.kpi.unit,
        "direction": series.kpi.direction,
        "period": series.grain,
        "points": [
            {
                "period": period_label(p.period, series.grain),
                "start": p.period.isoformat(),
                "value": p.value,
                "n": p.n,
                "target": p.target,
                "special_cause": p.special_cause,
                "mean": p.mean,
                "lpl": p.lpl,
                "upl": p.upl,
                **({"ci": [p.ci[0], p.ci[1]]} if p.ci else {}),
                **({"suppressed": True} if p.suppressed else {}),
                **({"provisional": True} if p.provisional else {}),
            }
            for p in series.points
        ],
        "mean": limits.mean if limits else None,
        "lcl": limits.lcl if limits else None,
        "ucl": limits.ucl if limits else None,
        "limit_points": series.limit_points,
        "signals": [
            {"period": period_label(series.points[s.index].period, series.grain), "rule": s.rule, "side": s.side}
            for s in series.signals
        ],
        "trend": trend_dict(series.trend),
        "variation": series.variation,
        "assurance": series.assurance,
    }


def trend_dict(trend: stats.Trend) -> dict[str, float | None]:
    """Mann-Kendall tau and p, and Sen's slope per period, unrounded."""
    return {"tau": trend.tau, "p_value": trend.p_value, "sen_slope": trend.sen_slope}


def scorecard_dict(cards: list[PillarCard]) -> dict[str, object]:
    """`python -m isokpi scorecard --json`."""
    return {
        "rule": STATUS_RULE,
        "variation_rule": VARIATION_RULE,
        "pillars": [
            {
                "id": card.id,
                "name": card.name,
                "status": card.status,
                "variation": card.variation,
                "improving": card.improving,
                "concerning": card.concerning,
                "on_target": card.on_target,
                "with_target": card.with_target,
                "kpis": [
                    {
                        "id": s.kpi.id,
                        "name": s.kpi.name,
                        "unit": s.kpi.unit,
                        "direction": s.kpi.direction,
                        "latest": s.latest.value if s.latest else None,
                        "period": period_label(s.latest.period, s.grain) if s.latest else None,
                        "target": s.target,
                        "variation": s.variation,
                        "assurance": s.assurance,
                        "status": s.status,
                        "on_target": s.on_target(),
                        "trend": trend_dict(s.trend),
                    }
                    for s in card.series
                ],
            }
            for card in cards
        ],
    }


__all__ = ["Filters", "KPI_BY_ID", "PillarCard", "Series", "all_series", "kpi_series", "scorecard"]
