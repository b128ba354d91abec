"""The KPI engine: series per period from DuckDB aggregates, targets in force, and the statistics on them.

Each KPI's SQL (isokpi/sql/kpis/) returns one row per period; only those few rows reach Python, where
the XmR limits, special-cause signals, Mann-Kendall trend and verdicts are computed (isokpi.stats).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
from dataclasses import dataclass, field

from isokpi import stats
from isokpi.cache import cached
from isokpi.catalog import HIGHER, KM_MEDIAN, KPI_BY_ID, KPIS, Kpi, get_kpi, kpis_of_pillar
from isokpi.datasets import FAVOURABLE_FROM, SCALE_RANGES
from isokpi.db import Database, bound
from isokpi.errors import InputError
from isokpi.periods import GRAINS, MONTHS_PER, add_months, period_label, period_last_day, period_start
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.sql import load_sql

# A point tells little from fewer than this many periods; verdicts need it.
MIN_POINTS_FOR_LIMITS = 6


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
        return self.as_of or dt.date.today()


@dataclass(frozen=True)
class Point:
    period: dt.date
    value: float | None
    n: int | None
    target: float | None = None
    ci: tuple[float, float] | None = None
    suppressed: bool = False  # fewer than 5 respondents: never shown

    @property
    def label(self) -> str:
        return self.period.isoformat()


@dataclass
class Series:
    kpi: Kpi
    grain: str
    points: list[Point]
    limits: stats.XmR | None = None
    segments: list[stats.XmR] = field(default_factory=list)
    signals: list[stats.Signal] = field(default_factory=list)
    trend: stats.Trend = field(default_factory=lambda: stats.Trend(None, None, None, 0))
    variation: str = stats.COMMON_CAUSE
    assurance: str | None = None

    @property
    def shown(self) -> list[Point]:
        """Points with a value that may be shown."""
        return [p for p in self.points if p.value is not None and not p.suppressed]

    @property
    def latest(self) -> Point | None:
        shown = self.shown
        return shown[-1] if shown else None

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


def meets(kpi: Kpi, value: float, target: float) -> bool:
    return value >= target if kpi.direction == HIGHER else value <= target


# --- data bounds and periods ------------------------------------------------------------------------


def data_range(database: Database) -> tuple[dt.date | None, dt.date | None]:
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
    sql = kpi_sql("staff")
    with contextlib.closing(database.cursor()) as cursor:
        rows = cursor.execute(sql, bound(sql, _params(None, filters, period_list))).fetchall()
    return {"staff_periods": [row[0] for row in rows], "staff_counts": [int(row[1]) for row in rows]}


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
    if period_list:
        # Month numbers (year * 12 + month - 1) bounding the 12-month windows of the periods.
        last_day = period_last_day(period_list[-1], filters.grain)
        params["month_base"] = period_list[0].year * 12 + period_list[0].month - 1 - 11
        params["month_top"] = last_day.year * 12 + last_day.month - 1
    return params


def _rows(
    database: Database, kpi: Kpi, filters: Filters, period_list: list[dt.date], staff: dict[str, list] | None = None
) -> list[dict]:
    sql = kpi_sql(kpi)
    params = _params(kpi, filters, period_list)
    if uses_staff(kpi):
        params.update(staff if staff is not None else staff_counts(database, filters, period_list))
    with contextlib.closing(database.cursor()) as cursor:
        result = cursor.execute(sql, bound(sql, params))
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


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


def _points(kpi: Kpi, rows: list[dict], filters: Filters, targets: list[TargetRow]) -> list[Point]:
    if kpi.value_from == KM_MEDIAN:
        rows = _km_medians(rows)
    points = []
    for row in rows:
        value = row["value"]
        n = None if row.get("n") is None else int(row["n"])
        suppressed = kpi.survey and stats.suppress_small(n)
        ci = None if suppressed or value is None else _interval(kpi, row)
        points.append(
            Point(
                period=row["period"],
                value=None if suppressed or value is None else float(value),
                n=n,
                target=target_for(kpi, row["period"], filters.grain, targets, filters.sites),
                ci=ci,
                suppressed=suppressed,
            )
        )
    return points


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
    if kpi.ci == "mean" and row.get("sd") is not None:
        return stats.mean_ci(float(row["value"]), float(row["sd"]), int(row["n"]))
    if kpi.ci == "nps":
        return stats.nps_ci(int(row["promoters"]), int(row["detractors"]), int(row["answers"]))
    if kpi.ci == "wilson":
        interval = stats.proportion_ci(int(row["successes"]), int(row["answers"]))
        return None if interval is None else (100 * interval[0], 100 * interval[1])
    return None


def analyse(series: Series, *, baseline: int | None = None, rebase_at: tuple[dt.date, ...] = ()) -> Series:
    """Fill in limits, signals, trend and verdicts from the series' points."""
    values = [p.value if not p.suppressed else None for p in series.points]
    usable = [v for v in values if v is not None]
    series.trend = stats.mann_kendall(values)
    if len(usable) < 2:
        return series
    rebase_indexes = [i for i, p in enumerate(series.points) if p.period in rebase_at]
    if rebase_indexes:
        series.segments = stats.xmr_segments(values, rebase_indexes)
        limits = series.segments
    else:
        window = (0, min(baseline, len(values))) if baseline else None
        single = stats.xmr_limits(values, window)
        series.segments = [single] if single else []
        limits = single
    series.limits = series.segments[-1] if series.segments else None
    if series.limits is None:
        return series
    if len(usable) >= MIN_POINTS_FOR_LIMITS:
        series.signals = stats.special_causes(values, limits, rebase_indexes)
        series.variation = stats.variation_verdict(values, series.signals, series.kpi.direction, limits)
    series.assurance = stats.assurance_verdict(series.limits, series.target, series.kpi.direction)
    return series


def kpi_series(
    database: Database,
    kpi_id: str,
    filters: Filters = Filters(),
    *,
    baseline: int | None = None,
    rebase_at: tuple[dt.date, ...] = (),
    context: Context | None = None,
) -> Series:
    """One KPI as a series with its statistics; `context` shares the look-ups of several KPIs' computation."""
    kpi = get_kpi(kpi_id)
    shared = context or Context(periods(database, filters), load_targets(database))
    targets = shared.targets
    if kpi.derived:
        # The other KPIs as all_series keeps them: a baseline or rebase changes only this series' statistics.
        others = [series for series in all_series(database, filters).values() if not series.kpi.derived]
        return analyse(
            Series(kpi, filters.grain, _on_target_points(kpi, others, filters, targets)),
            baseline=baseline,
            rebase_at=rebase_at,
        )
    period_list = shared.periods
    rows = _rows(database, kpi, filters, period_list, shared.staff) if period_list else []
    in_range = set(period_list)
    rows = [row for row in rows if row["period"] in in_range]
    return analyse(
        Series(kpi, filters.grain, _points(kpi, rows, filters, targets)), baseline=baseline, rebase_at=rebase_at
    )


def _on_target_points(kpi: Kpi, others: list[Series], filters: Filters, targets: list[TargetRow]) -> list[Point]:
    """kpis_on_target_pct: per period, the share of KPIs with a value and a target that meet it."""
    tallies: dict[dt.date, list[bool]] = {}
    for series in others:
        for point in series.shown:
            if point.target is not None:
                tallies.setdefault(point.period, []).append(meets(series.kpi, point.value, point.target))
    return [
        Point(
            period,
            100.0 * sum(hits) / len(hits),
            len(hits),
            target_for(kpi, period, filters.grain, targets, filters.sites),
        )
        for period, hits in sorted(tallies.items())
    ]


def compute_all_series(database: Database, filters: Filters = Filters(), *, workers: int = 2) -> dict[str, Series]:
    """Every KPI of the catalog, computed now (all_series without its memory); the dataset KPIs concurrently on
    separate cursors, sharing one Context."""
    shared = context(database, filters, with_staff=True)
    plain = [kpi for kpi in KPIS if not kpi.derived]

    def one(kpi: Kpi) -> Series:
        return kpi_series(database, kpi.id, filters, context=shared)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        computed = list(pool.map(one, plain))
    result = {series.kpi.id: series for series in computed}
    for kpi in KPIS:
        if kpi.derived:
            points = _on_target_points(kpi, computed, filters, shared.targets)
            result[kpi.id] = analyse(Series(kpi, filters.grain, points))
    return {kpi.id: result[kpi.id] for kpi in KPIS}


# Every KPI of the catalog; asked again before the data changes, it costs nothing.
all_series = cached(compute_all_series)


# --- scorecard -------------------------------------------------------------------------------------

ROLLUP_RULE = (
    "A pillar is concerning when any of its KPIs shows a concerning special cause, improving when at least one "
    "shows an improving special cause and none a concerning one, and stable otherwise."
)
IMPROVING, CONCERNING, STABLE = "improving", "concerning", "stable"  # PillarCard.status


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
    def status(self) -> str:
        if self.concerning:
            return CONCERNING
        if self.improving:
            return IMPROVING
        return STABLE


def scorecard(database: Database, filters: Filters = Filters()) -> list[PillarCard]:
    """The eight pillars, each with its KPIs' series, in pillar order."""
    series = all_series(database, filters)
    return [
        PillarCard(pillar, PILLAR_NAMES[pillar], [series[k.id] for k in kpis_of_pillar(pillar)])
        for pillar in PILLAR_IDS
    ]


def series_dict(series: Series) -> dict[str, object]:
    """`python -m isokpi kpi --json`: the series, its limits, signals, trend and verdicts."""
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
                "value": _round(p.value),
                "n": p.n,
                "target": p.target,
                **({"ci": [_round(p.ci[0]), _round(p.ci[1])]} if p.ci else {}),
                **({"suppressed": True} if p.suppressed else {}),
            }
            for p in series.points
        ],
        "mean": _round(limits.mean) if limits else None,
        "lcl": _round(limits.lcl) if limits else None,
        "ucl": _round(limits.ucl) if limits else None,
        "signals": [
            {"period": period_label(series.points[s.index].period, series.grain), "rule": s.rule, "side": s.side}
            for s in series.signals
        ],
        "trend": trend_dict(series.trend),
        "variation": series.variation,
        "assurance": series.assurance,
    }


def trend_dict(trend: stats.Trend) -> dict[str, float | None]:
    return {"tau": _round(trend.tau, 4), "p_value": _round(trend.p_value, 4), "sen_slope": _round(trend.sen_slope, 4)}


def scorecard_dict(cards: list[PillarCard]) -> dict[str, object]:
    """`python -m isokpi scorecard --json`."""
    return {
        "rule": ROLLUP_RULE,
        "pillars": [
            {
                "id": card.id,
                "name": card.name,
                "status": card.status,
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
                        "latest": _round(s.latest.value) if s.latest else None,
                        "period": period_label(s.latest.period, s.grain) if s.latest else None,
                        "target": s.target,
                        "variation": s.variation,
                        "assurance": s.assurance,
                        "trend": trend_dict(s.trend),
                    }
                    for s in card.series
                ],
            }
            for card in cards
        ],
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


__all__ = ["Filters", "KPI_BY_ID", "PillarCard", "Series", "all_series", "kpi_series", "scorecard"]
