"""Sites side by side on the Pillar page: each site's own series, limits and verdicts, and the table of signals."""

from __future__ import annotations

import datetime as dt
import json

from isokpi import format as fmt
from isokpi import sites_view, stats
from isokpi.catalog import KPIS, kpis_of_pillar
from isokpi.db import resolve_target
from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, kpi_series
from isokpi.opening import open_target
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES

from .apptest import app_page

FINDINGS = "finding_id,audit_id,audit_type,standard,site,severity,raised_on,due_on,closed_on,status\n" + "".join(
    f"F-{site}-{m},A-{site}-{m},internal,ISO 9001,{site},minor_nc,2025-{m:02d}-02,2025-{m:02d}-20,"
    f"{f'2025-{m:02d}-10' if site == 'Leeds' or m % 2 else ''},{'closed' if site == 'Leeds' or m % 2 else 'open'}\n"
    for site in ("Leeds", "Brno")
    for m in range(1, 7)
)


def test_each_site_has_its_own_series_and_the_table_says_so(tmp_path, write, use_database):
    path = tmp_path / "sites.duckdb"
    database = open_target(resolve_target(path))
    assert ingest_file(database, "findings", write("findings.csv", FINDINGS)).ok
    expected = {
        site: {
            k.id: sites_view.cell(kpi_series(database, k.id, Filters(sites=(site,))))
            for k in kpis_of_pillar("monitoring_review")
        }
        for site in ("Brno", "Leeds")
    }
    leeds = kpi_series(database, "findings_closed_on_time_pct", Filters(sites=("Leeds",)))
    brno = kpi_series(database, "findings_closed_on_time_pct", Filters(sites=("Brno",)))
    database.close()
    # Leeds closes everything on time, Brno every other month: their own values, not the company's.
    assert {p.value for p in leeds.shown} == {100.0} and {p.value for p in brno.shown} == {0.0, 100.0}
    assert expected["Leeds"]["findings_closed_on_time_pct"] == "100.0%: No verdict yet"
    assert expected["Leeds"]["median_days_to_close"].split(":")[0].endswith(" days")  # a word unit is said too
    use_database(path)
    at = app_page("pillar")
    at.query_params["pillar"] = "monitoring_review"
    at.run()
    assert not at.exception and not [c for c in at.get("plotly_chart") if c.key == "sites-chart"]
    at.toggle(key="sites-side-by-side").set_value(True).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["KPI", "Brno", "Leeds"]
    assert list(table["KPI"]) == [k.name for k in kpis_of_pillar("monitoring_review")]
    for site in ("Brno", "Leeds"):
        assert list(table[site]) == [expected[site][k.id] for k in kpis_of_pillar("monitoring_review")]
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "sites-chart"]
    spec = json.loads(chart.proto.spec)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Brno", "Leeds"]
    values = [t["y"] for t in spec["data"] if t.get("mode") == "lines+markers"]
    assert [v for v in values[1] if v is not None] == [p.value for p in leeds.points if p.value is not None]


def test_the_sites_page_sets_every_kpi_side_by_side(tmp_path, write, use_database):
    path = tmp_path / "sites.duckdb"
    database = open_target(resolve_target(path))
    assert ingest_file(database, "findings", write("findings.csv", FINDINGS)).ok
    every = [k for p in PILLAR_IDS for k in kpis_of_pillar(p)]
    series = {
        site: {k.id: kpi_series(database, k.id, Filters(sites=(site,))) for k in every} for site in ("Brno", "Leeds")
    }
    database.close()
    use_database(path)
    at = app_page("sites").run()
    assert not at.exception, at.exception
    (table,) = [frame.value for frame in at.dataframe]
    assert list(table.columns) == ["Pillar", "KPI", "Brno", "Leeds"]
    assert list(table["KPI"]) == [k.name for k in every] and len(every) == len(KPIS)
    assert list(table["Pillar"]) == [PILLAR_NAMES[k.pillar] for k in every]
    for site in ("Brno", "Leeds"):
        assert list(table[site]) == [sites_view.cell(series[site][k.id]) for k in every]
    # A chart for every KPI with a value at some site, each with a panel per site, in the catalog's order by pillar:
    # one pillar's charts at a time, opening on the first pillar where a site shows a special cause.
    with_data = [k for k in every if any(series[s][k.id].latest is not None for s in series)]
    charted = list(dict.fromkeys(k.pillar for k in with_data))
    signalling = {
        p: [k for k in with_data if k.pillar == p and any(
            pt.special_cause in (stats.IMPROVEMENT, stats.CONCERN) for s in series for pt in series[s][k.id].points
        )] for p in charted
    }  # fmt: skip
    picker = at.selectbox(key="sites-pillar")
    assert picker.options == [
        PILLAR_NAMES[p] + (f" ({len(signalling[p])} of {fmt.counted(sum(k.pillar == p for k in with_data), 'KPI')} "
                           "with a special cause)" if signalling[p] else "")
        for p in charted
    ]  # fmt: skip
    assert picker.value == next((p for p in charted if signalling[p]), charted[0])
    drawn = []
    for pillar in charted:
        at = at.selectbox(key="sites-pillar").select(pillar).run()
        assert not at.exception, at.exception
        assert [h.value for h in at.main.subheader][-1] == PILLAR_NAMES[pillar]
        drawn += [c.key for c in at.get("plotly_chart") if c.key.startswith("sites-")]
    assert drawn == [f"sites-{k.id}" for k in with_data] and "sites-findings_closed_on_time_pct" in drawn
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "sites-findings_closed_on_time_pct"]
    spec = json.loads(chart.proto.spec)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Brno", "Leeds"]
    lines = [t["y"] for t in spec["data"] if t.get("mode") == "lines+markers"]
    brno = series["Brno"]["findings_closed_on_time_pct"]
    assert [v for v in lines[0] if v is not None] == [p.value for p in brno.points if p.value is not None]


def test_the_sites_page_with_one_site_says_there_is_nothing_to_compare(app_database):
    app_database({"findings": FINDINGS}, "one.duckdb")
    at = app_page("sites")
    at.query_params["site"] = "Leeds"
    at = at.run()
    assert not at.exception, at.exception
    assert at.info[0].value.startswith("The data (or the site filter) holds one site")
    assert not at.get("plotly_chart")


def test_a_site_called_like_a_column_of_the_table_keeps_both():
    assert sites_view.site_column("KPI", {"Pillar": "Culture", "KPI": "Staff reached"}) == "KPI (site)"
    assert sites_view.site_column("Leeds", {"KPI": "Staff reached"}) == "Leeds"


KEPT = ("findings_closed_on_time_pct",)


def test_a_kpis_small_multiples_are_built_again_only_when_its_points_move(tmp_path, write):
    database = open_target(resolve_target(tmp_path / "kept.duckdb"))
    assert ingest_file(database, "findings", write("findings.csv", FINDINGS)).ok
    filters = Filters(as_of=dt.date(2025, 7, 1))
    before = {k: sites_view.small_multiples(sites_view.every_kpi(database, filters), k) for k in KEPT}
    survey = "response_id,survey_id,survey_type,responded_on,site,question_id,pillar,scale,score\n"
    assert ingest_file(
        database, "survey", write("s.csv", survey + "R1,S1,engagement,2025-03-02,Leeds,Q1,culture,likert5,4\n")
    ).ok
    after = {k: sites_view.small_multiples(sites_view.every_kpi(database, filters), k) for k in KEPT}
    assert after["findings_closed_on_time_pct"] is before["findings_closed_on_time_pct"]  # its points did not move
    late = "finding_id,audit_id,audit_type,standard,site,severity,raised_on,due_on,closed_on,status\n"
    late += "F-Leeds-late,A-Leeds-late,internal,ISO 9001,Leeds,minor_nc,2025-03-05,2025-03-20,2025-04-30,closed\n"
    assert ingest_file(database, "findings", write("late.csv", late)).ok
    later = {k: sites_view.small_multiples(sites_view.every_kpi(database, filters), k) for k in KEPT}
    moved = later["findings_closed_on_time_pct"]
    assert moved is not before["findings_closed_on_time_pct"]
    leeds = next(trace for trace in moved.data if trace.name == "Leeds")
    assert 50.0 in list(leeds.y)  # March at Leeds: one of its two findings closed on time
    database.close()
