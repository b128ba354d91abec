"""Scorecard benchmark: the full KPI scorecard over 5,000,000 training rows, cold and warm, against pandas.

    python bench/scorecard.py [--db PATH] [--rebuild] [--times N]

Builds once (again with --rebuild) bench/out/scorecard.duckdb: the demo data as of 2026-11-25, scaled to at
least 5,000,000 training rows, 500,000 findings and 2,000,000 survey answers (--times 10: ten times as many, into
bench/out/scorecard-x10.duckdb, for bench/pages.py --after-upload on a database ten times larger). Then, each in a
fresh process:

  engine  opens the file and computes isokpi.kpis.scorecard() once (cold), three times more (warm,
          median), times one page-level call (kpi_series of findings_closed_on_time_pct, warm) and
          breaks the scorecard down into its KPI queries;
  pandas  "the common way": the training, findings and survey views read with .df(), then a
          representative set of KPIs computed with groupby per month, on the SQL files' definitions.

Prints wall times, each process's peak resident memory (VmHWM), the pandas values next to the engine's,
and a summary against the targets: warm <= 0.5 s, cold <= 0.5 s (the KPIs read the roll-ups), memory a fraction
of the pandas way.
The OS file cache is not dropped: "cold" means a new process and a new DuckDB connection, not a cold disk.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/scorecard.py` puts bench/, not the checkout, on the path

from isokpi.cache import RESULTS  # noqa: E402
from isokpi.catalog import KPIS  # noqa: E402
from isokpi.datasets import FAVOURABLE_FROM  # noqa: E402
from isokpi.db import Database  # noqa: E402
from isokpi.kpis import (  # noqa: E402
    Filters,
    compute_all_series,
    context,
    kpi_series,
    load_targets,
    periods,
    scorecard,
    staff_counts,
)
from isokpi.opening import close_all, open_database  # noqa: E402

# pandas is imported only inside the functions that use it, so this script adds no DataFrames to the engine's
# process, whose memory is one of the things measured. (DuckDB's client imports the pandas module itself on the
# first query with bound parameters, as it does in the app.)
if TYPE_CHECKING:
    import pandas as pd

    from isokpi.demo import DemoScale

AS_OF = dt.date(2026, 11, 25)
DEFAULT_DB = ROOT / "bench" / "out" / "scorecard.duckdb"
TARGET_ROWS = {"training": 5_000_000, "findings": 500_000, "survey": 2_000_000}
HEADROOM = 1.03  # the demo's row counts are random draws: aim a little above the target
WARM_RUNS = 3
PAGE_KPI = "findings_closed_on_time_pct"
TARGET_WARM_S = 0.5
TARGET_COLD_S = 0.5  # issue 16: the KPIs read roll-ups, so a new process computes the scorecard from aggregates
LIKERT = ("likert4", "likert5", "likert7")
VERDICTS = ("effective", "partially_effective", "not_effective")
# The pillars with a "favourable answers" KPI (favourable_share.sql); stakeholders has its own survey KPIs.
FAVOURABLE_PILLARS = tuple(dict(kpi.sql_params)["pillar"] for kpi in KPIS if kpi.sql == "survey_favourable")
# Printed side by side, month by month, after the comparison of every KPI pandas computes.
SHOWN_KPIS = ("training_hours_per_employee", "findings_closed_on_time_pct", "customer_nps")


# --- helpers ----------------------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (this benchmark needs Linux)")


def month_label(day: dt.date) -> str:
    return f"{day:%Y-%m}"


# --- the benchmark database -------------------------------------------------------------------------


def csv_rows(path: Path) -> int:
    with contextlib.closing(duckdb.connect()) as connection:
        return connection.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchone()[0]


def demo_scale(times: int = 1) -> DemoScale:
    """Scales that reach TARGET_ROWS (times `times`), from the row counts of the scale-1 demo with the same as_of."""
    from isokpi.demo import DemoScale, write_demo_files

    with tempfile.TemporaryDirectory(prefix="isokpi-bench-") as tmp:
        paths = write_demo_files(Path(tmp), scale=DemoScale(), as_of=AS_OF)
        at_one = {name: csv_rows(paths[name]) for name in TARGET_ROWS}
    print("scale-1 demo rows: " + ", ".join(f"{name} {count:,}" for name, count in at_one.items()))
    return DemoScale(**{name: math.ceil(TARGET_ROWS[name] * times * HEADROOM / at_one[name]) for name in TARGET_ROWS})


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def build_database(path: Path, times: int = 1) -> float:
    """Load the scaled demo into a new file at `path`; return the seconds it took."""
    from isokpi.demo import load_demo

    remove_database(path)
    scale = demo_scale(times)
    print(f"building {path} with {scale} as of {AS_OF} ...", flush=True)
    started = time.perf_counter()
    database = open_database(path)
    load_demo(database, scale=scale, as_of=AS_OF)
    close_all()  # the file admits one process at a time: the measured processes open it next
    return time.perf_counter() - started


def row_counts(path: Path) -> dict[str, int]:
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as connection:
        return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TARGET_ROWS}


def report_rows(counts: dict[str, int], times: int = 1) -> bool:
    """Print the rows of each dataset against its target; True when every target is reached."""
    reached = True
    for name, count in counts.items():
        target = TARGET_ROWS[name] * times
        short = count < target
        reached = reached and not short
        note = f"UNDER the target of {target:,}" if short else f"target >= {target:,}"
        print(f"  {name:<9}{count:>12,} rows   ({note})")
    return reached


# --- the engine, in its own process -----------------------------------------------------------------


def engine_run(path: Path) -> dict:
    """Cold scorecard, warm scorecards, a page-level call and the per-KPI breakdown, in this new process."""
    filters = Filters(as_of=AS_OF)
    opening = time.perf_counter()
    database = open_database(path)
    computing = time.perf_counter()
    cards = scorecard(database, filters)
    cold_done = time.perf_counter()
    cold_ready_at = time.time()  # the parent subtracts its own clock at spawn from this
    warm = [timed(lambda: scorecard(database, filters)) for _ in range(WARM_RUNS)]
    # The same again with nothing remembered: every query runs on DuckDB's warm buffers.
    recomputed = [timed(lambda: forgotten(compute_all_series)(database, filters)) for _ in range(WARM_RUNS)]
    page = [timed(lambda: kpi_series(database, PAGE_KPI, filters)) for _ in range(WARM_RUNS)]
    peak = peak_rss_mb()  # before the breakdown, which is extra work of this benchmark
    values = {
        series.kpi.id: {month_label(p.period): p.value for p in series.shown}
        for card in cards
        for series in card.series
    }
    return {
        "open_s": computing - opening,
        "cold_s": cold_done - computing,
        "cold_ready_at": cold_ready_at,
        "warm_s": warm,
        "recomputed_s": recomputed,
        "page_s": page,
        "peak_mb": peak,
        "threads": database.query("SELECT current_setting('threads')")[0][0],
        "kpi_count": len(values),
        "values": values,
        "breakdown": kpi_breakdown(database, filters),
    }


def kpi_breakdown(database: Database, filters: Filters) -> list[tuple[str, float]]:
    """Warm seconds (median of 3) of each piece of compute_all_series, one at a time: its period, target and staff
    look-ups, then every dataset KPI as it computes them (with the periods, targets and staff passed in)."""
    shared = context(database, filters, with_staff=True)
    period_list = shared.periods
    pieces: list[tuple[str, Callable[[], object]]] = [
        ("periods() (data_range over all 3 views)", lambda: periods(database, filters)),
        ("load_targets()", lambda: load_targets(database)),
        ("staff_counts() (once, for the per-staff KPIs)", lambda: staff_counts(database, filters, period_list)),
    ]

    def series_of(kpi_id: str) -> Callable[[], object]:
        return lambda: kpi_series(database, kpi_id, filters, context=shared)

    pieces += [(kpi.id, series_of(kpi.id)) for kpi in KPIS if not kpi.derived]
    return [(name, statistics.median([timed(forgotten(work)) for _ in range(3)])) for name, work in pieces]


def forgotten(work: Callable[..., object]) -> Callable[..., object]:
    """`work` with every kept result forgotten first (isokpi.cache): each of its queries runs."""

    def run(*args: object) -> object:
        RESULTS.clear()
        return work(*args)

    return run


# --- the common way, in its own process -------------------------------------------------------------


def pandas_run(path: Path) -> dict:
    """Load the three views into DataFrames, then compute the KPIs with pandas, in this new process."""
    import pandas  # noqa: F401  (imported before the clock starts, as any pandas program would)

    started = time.perf_counter()
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as connection:
        frames = {name: connection.execute(f"SELECT * FROM {name}").df() for name in TARGET_ROWS}
    loaded = time.perf_counter()
    values = pandas_kpis(frames["training"], frames["findings"], frames["survey"])
    done = time.perf_counter()
    return {
        "load_s": loaded - started,
        "compute_s": done - loaded,
        "peak_mb": peak_rss_mb(),
        "frame_mb": sum(frame.memory_usage(deep=True).sum() for frame in frames.values()) / 2**20,
        "values": values,
    }


def report_months(training: pd.DataFrame, findings: pd.DataFrame, survey: pd.DataFrame) -> pd.PeriodIndex:
    """The months the engine reports: from the earliest date in the data to the last month complete at AS_OF."""
    import pandas as pd

    first = min(
        training.completed_on.fillna(training.due_date).min(), findings.raised_on.min(), survey.responded_on.min()
    )
    last = pd.Period(AS_OF + dt.timedelta(days=1), "M") - 1
    return pd.period_range(first.to_period("M"), last, freq="M")


def pandas_kpis(training: pd.DataFrame, findings: pd.DataFrame, survey: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{kpi id: {month: value}} for the KPIs PANDAS_KPIS lists, each as its SQL file defines it."""
    months = report_months(training, findings, survey)
    series = {**training_kpis(training, months), **findings_kpis(findings, months), **survey_kpis(survey)}
    result = {}
    for kpi_id, values in series.items():
        kept = values.reindex(months).dropna()
        result[kpi_id] = {str(month): float(value) for month, value in kept.items()}
    return result


PANDAS_KPIS = (
    "training_hours_per_employee",
    "mandatory_training_completion_pct",
    "training_effectiveness_pct",
    "findings_closed_on_time_pct",
    "overdue_open_findings",
    "repeat_finding_rate_pct",
    "customer_nps",
    "customer_csat_pct",
    *(f"survey_favourable_{pillar}_pct" for pillar in FAVOURABLE_PILLARS),
)


def share_pct(hit: pd.Series, month: pd.Series) -> pd.Series:
    """100 x the share of rows where `hit` is true, per month."""
    return 100.0 * hit.groupby(month).mean()


def staff_on_record(training: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    """common.sql's `staff`: employees whose records start by the month's last day and whose latest record
    falls after the same day a year earlier; no count for a month whose 12 months reach before the first record."""
    import pandas as pd

    dates = training[["due_date", "completed_on"]]
    spans = (
        pd.DataFrame({"employee_id": training.employee_id, "first": dates.min(axis=1), "last": dates.max(axis=1)})
        .groupby("employee_id")
        .agg(first=("first", "min"), last=("last", "max"))
        .dropna(subset=["first"])
    )
    month_ends = months.to_timestamp(how="end").normalize()
    year_before = month_ends - pd.DateOffset(years=1)
    counts = [
        int(((spans["first"] <= end) & (spans["last"] > before)).sum())
        for end, before in zip(month_ends, year_before, strict=True)
    ]
    staff = pd.Series(counts, index=months, dtype=float)
    return staff[months >= spans["first"].min().to_period("M") + 11]


def training_kpis(training: pd.DataFrame, months: pd.PeriodIndex) -> dict[str, pd.Series]:
    import pandas as pd

    as_of = pd.Timestamp(AS_OF)
    completed = training[(training.status == "completed") & training.completed_on.notna()]
    hours = completed.hours.groupby(completed.completed_on.dt.to_period("M")).sum().reindex(months, fill_value=0.0)
    staff = staff_on_record(training, months)
    hours_per_employee = (hours.reindex(staff.index) / staff)[staff > 0]

    due = training[
        training.is_mandatory.fillna(False)
        & training.status.notna()
        & (training.status != "cancelled")
        & (training.due_date <= as_of)
    ]
    on_time = due.completed_on.notna() & (due.completed_on <= due.due_date)

    evaluated = completed[completed.effectiveness.isin(VERDICTS)]
    return {
        "training_hours_per_employee": hours_per_employee,
        "mandatory_training_completion_pct": share_pct(on_time, due.due_date.dt.to_period("M")),
        "training_effectiveness_pct": share_pct(
            evaluated.effectiveness == "effective", evaluated.completed_on.dt.to_period("M")
        ),
    }


def findings_kpis(findings: pd.DataFrame, months: pd.PeriodIndex) -> dict[str, pd.Series]:
    import pandas as pd

    kept = findings[findings.status.notna() & (findings.status != "cancelled")]  # f_findings
    actions = kept[kept.severity.notna() & (kept.severity != "ofi")]
    due = actions[actions.due_on <= pd.Timestamp(AS_OF)]
    closed_on_time = due.closed_on.notna() & (due.closed_on <= due.due_on)
    return {
        "findings_closed_on_time_pct": share_pct(closed_on_time, due.due_on.dt.to_period("M")),
        "overdue_open_findings": overdue_open(actions, months[months >= kept.raised_on.min().to_period("M")]),
        "repeat_finding_rate_pct": repeat_rate(kept, findings.raised_on.min().to_period("M") + 12),
    }


def overdue_open(actions: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    """Per month end: actions raised by then, due before it, and still open at it (a snapshot, not a flow)."""
    import pandas as pd

    open_or_closed = actions[actions.closed_on.notna() | actions.status.isin(["open", "in_progress"])]
    counts = {}
    for month in months:
        end = month.to_timestamp(how="end").normalize()
        still_open = open_or_closed.closed_on.isna() | (open_or_closed.closed_on > end)
        counts[month] = ((open_or_closed.raised_on <= end) & (open_or_closed.due_on < end) & still_open).sum()
    return pd.Series(counts, dtype=float)


def repeat_rate(kept: pd.DataFrame, seen_from: pd.Period) -> pd.Series:
    """Nonconformities with a repeat_of, or raised within 365 days after one on the same standard, site and clause,
    from `seen_from` on (a year after the first finding: a repeat needs a year of findings before it)."""
    place = ["standard", "site", "clause"]
    ncs = kept[kept.severity.isin(["major_nc", "minor_nc"])].sort_values([*place, "raised_on", "finding_id"])
    previous_on = ncs.groupby(place, dropna=False).raised_on.shift()
    placed = ncs.site.notna() & ncs.clause.notna()
    repeat = ncs.repeat_of.notna() | (placed & ((ncs.raised_on - previous_on).dt.days <= 365))
    rate = share_pct(repeat, ncs.raised_on.dt.to_period("M"))
    return rate[rate.index >= seen_from]


def survey_kpis(survey: pd.DataFrame) -> dict[str, pd.Series]:
    customer = survey[survey.stakeholder == "customer"]
    nps = customer[customer.scale == "nps10"]
    net = (nps.score >= 9).astype(int) - (nps.score <= 6).astype(int)
    csat = customer[customer.scale == "csat5"]

    likert = survey[survey.scale.isin(LIKERT)]
    favourable = likert.score >= likert.scale.map(FAVOURABLE_FROM)
    by_pillar = share_pct(favourable, [likert.pillar, likert.responded_on.dt.to_period("M")])
    return {
        "customer_nps": 100.0 * net.groupby(nps.responded_on.dt.to_period("M")).mean(),
        "customer_csat_pct": share_pct(csat.score >= 4, csat.responded_on.dt.to_period("M")),
        **{
            f"survey_favourable_{pillar}_pct": by_pillar.xs(pillar, level=0)
            for pillar in FAVOURABLE_PILLARS
            if pillar in by_pillar.index.get_level_values(0)
        },
    }


# --- the parent: run both processes, compare, summarise ---------------------------------------------


def load_average() -> str:
    """The 1-minute load average, printed with each process: on 2 cores, anything else running skews the times."""
    return f"{os.getloadavg()[0]:.2f}"


def run_child(kind: str, path: Path) -> tuple[dict, float, float]:
    """Run this script as `--child kind`; return its result, its wall time and its spawn time (epoch)."""
    print(f"\n[{kind} process starting; load average {load_average()} on {os.cpu_count()} cores]", flush=True)
    spawned_at = time.time()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the {kind} process failed:\n{done.stderr}")
    print(f"[{kind} process done in {wall:.1f} s; load average {load_average()}]")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, spawned_at


def compare(engine: dict[str, dict[str, float | None]], pandas: dict[str, dict[str, float]]) -> bool:
    """Print, per KPI pandas computes, how far its values are from the engine's; True when all agree."""
    print(f"\n{'KPI':<44}{'months':>7}{'max |diff|':>12}  verdict")
    all_agree = True
    for kpi_id in PANDAS_KPIS:
        ours, theirs = engine.get(kpi_id, {}), pandas.get(kpi_id, {})
        common = sorted(set(ours) & set(theirs))
        diff = max((abs(ours[m] - theirs[m]) for m in common), default=float("nan"))
        only = sorted(set(ours) ^ set(theirs))
        agree = bool(common) and not only and diff <= 1e-9 * max(1.0, *(abs(ours[m]) for m in common))
        all_agree = all_agree and agree
        verdict = "same" if agree else f"DIFFERENT ({len(only)} months in one only: {', '.join(only[:4])})"
        print(f"{kpi_id:<44}{len(common):>7}{diff:>12.2e}  {verdict}")
    return all_agree


def show_side_by_side(engine: dict[str, dict[str, float | None]], pandas: dict[str, dict[str, float]]) -> None:
    for kpi_id in SHOWN_KPIS:
        print(f"\n{kpi_id}: month, engine (DuckDB SQL), pandas")
        for month in sorted(engine.get(kpi_id, {}))[-3:]:
            theirs = pandas.get(kpi_id, {}).get(month)
            shown = "missing" if theirs is None else f"{theirs:.6f}"
            print(f"  {month}  {engine[kpi_id][month]:>14.6f}  {shown:>14}")


def show_breakdown(breakdown: list[tuple[str, float]], warm: float) -> None:
    ranked = sorted(breakdown, key=lambda item: item[1], reverse=True)
    total = sum(seconds for _, seconds in breakdown)
    print(
        f"\nPer-KPI breakdown, warm, one at a time (sum {total:.2f} s; the scorecard runs them on 2 threads, {warm:.2f} s):"
    )
    for rank, (name, seconds) in enumerate(ranked, 1):
        marker = "  <- top 5" if rank <= 5 else ""
        print(f"  {rank:>2}. {name:<46}{seconds:>8.3f} s  {100 * seconds / total:5.1f}%{marker}")


def summary(engine: dict, engine_ready_s: float, pandas: dict, pandas_wall: float) -> None:
    warm = statistics.median(engine["warm_s"])
    page = statistics.median(engine["page_s"])
    pandas_total = pandas["load_s"] + pandas["compute_s"]
    ratio = engine["peak_mb"] / pandas["peak_mb"]
    # (what, measured, shown as, target as text, limit: measured <= limit meets it)
    rows = [
        ("scorecard cold, process (spawn -> result)", engine_ready_s, "s", f"<= {TARGET_COLD_S:g} s", TARGET_COLD_S),
        ("scorecard cold, compute in the process", engine["cold_s"], "s", f"<= {TARGET_COLD_S:g} s", TARGET_COLD_S),
        (f"scorecard warm, median of {WARM_RUNS}", warm, "s", f"<= {TARGET_WARM_S:g} s", TARGET_WARM_S),
        ("scorecard warm, recomputed (no results kept)", statistics.median(engine["recomputed_s"]), "s", "", None),
        (f"page call kpi_series({PAGE_KPI}), warm", page, "s", "", None),
        ("engine peak memory (VmHWM)", engine["peak_mb"], "MB", "", None),
        ("pandas load (3 views .df())", pandas["load_s"], "s", "", None),
        (f"pandas compute ({len(PANDAS_KPIS)} KPIs)", pandas["compute_s"], "s", "", None),
        ("pandas total (load + compute)", pandas_total, "s", "", None),
        ("pandas whole process", pandas_wall, "s", "", None),
        ("pandas peak memory (VmHWM)", pandas["peak_mb"], "MB", "", None),
        ("memory ratio engine / pandas", ratio, "", "a fraction (< 1)", 1.0),
    ]
    print(f"\n{'Summary':<58}{'measured':>12}  target")
    for name, value, unit, target, limit in rows:
        shown = f"{value:,.0f} MB" if unit == "MB" else f"{value:.3f} {unit}".rstrip()
        verdict = "" if limit is None else ("  ok" if value <= limit else "  MISSED")
        print(f"{name:<58}{shown:>12}  {target}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"benchmark database (default {DEFAULT_DB})")
    parser.add_argument("--rebuild", action="store_true", help="build the benchmark database again")
    parser.add_argument(
        "--times", type=int, default=1, help="build a database with N times the rows (default file scorecard-xN.duckdb)"
    )
    parser.add_argument("--child", choices=("engine", "pandas"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.times < 1:
        parser.error("--times must be 1 or more")
    if args.times > 1 and args.db == DEFAULT_DB:
        args.db = DEFAULT_DB.with_name(f"scorecard-x{args.times}.duckdb")
    path = args.db.expanduser().resolve()

    if args.child:
        result = engine_run(path) if args.child == "engine" else pandas_run(path)
        print(json.dumps(result))
        return

    if args.rebuild or not path.exists():
        print(f"built in {build_database(path, args.times):.0f} s")
    else:
        print(f"reusing {path} (--rebuild to build it again)")
    print(f"rows as of {AS_OF}:")
    if not report_rows(row_counts(path), args.times):
        print("  the database is smaller than this benchmark is meant for: run with --rebuild")

    engine, engine_wall, spawned_at = run_child("engine", path)
    engine_ready = engine["cold_ready_at"] - spawned_at
    print(
        f"engine process ({engine['kpi_count']} KPIs, DuckDB threads {engine['threads']}): open {engine['open_s']:.2f} s, "
        f"cold scorecard {engine['cold_s']:.2f} s, ready {engine_ready:.2f} s after spawn; "
        f"warm {', '.join(f'{t:.2f}' for t in engine['warm_s'])} s; whole process incl. breakdown {engine_wall:.1f} s"
    )
    pandas, pandas_wall, _ = run_child("pandas", path)
    print(
        f"pandas process: load {pandas['load_s']:.2f} s, compute {pandas['compute_s']:.2f} s, "
        f"DataFrames {pandas['frame_mb']:,.0f} MB; it computes {len(PANDAS_KPIS)} KPIs: {', '.join(PANDAS_KPIS)}"
    )
    print(
        f"  (the engine computes all {engine['kpi_count']}, their statistics and the rollup; pandas only the values. "
        "Staff for training_hours_per_employee is common.sql's: employees whose first record is on or before the "
        "month's last day and whose last record is after the same day a year earlier.)"
    )
    if not compare(engine["values"], pandas["values"]):
        print("  pandas and the engine disagree somewhere above: see the months listed")
    show_side_by_side(engine["values"], pandas["values"])
    show_breakdown(engine["breakdown"], statistics.median(engine["warm_s"]))
    summary(engine, engine_ready, pandas, pandas_wall)


if __name__ == "__main__":
    main()
