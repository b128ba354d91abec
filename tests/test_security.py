"""Values are bound, never formatted into SQL: hostile filter values and cell values stay plain values."""

from __future__ import annotations

import datetime as dt

from isokpi.ingest import ingest_file
from isokpi.kpis import Filters, kpi_series
from isokpi.ui import csv_bytes

HOSTILE = [
    "Leeds'; DROP TABLE findings_versions; --",
    "' OR 1=1 --",
    "x') UNION SELECT * FROM read_csv('/etc/passwd') --",
    "$sites",
]


def test_hostile_filter_values_are_only_values(db, write):
    result = ingest_file(
        db,
        "findings",
        write(
            "f.csv",
            "finding_id,audit_type,standard,site,severity,raised_on,status\nF1,internal,ISO 9001,Leeds,ofi,2025-01-05,open\n",
        ),
    )
    assert result.ok
    for value in HOSTILE:
        filters = Filters(as_of=dt.date(2025, 7, 1), sites=(value,), departments=(value,), standards=(value,))
        assert kpi_series(db, "improvement_opportunities_per_100_staff", filters).points == []
    assert db.query("SELECT count(*) FROM findings") == [(1,)]


def test_hostile_cell_values_are_stored_as_text(db, write):
    rows = "".join(
        f'F{i},internal,ISO 9001,"{v.replace(chr(34), chr(34) * 2)}",ofi,2025-01-05,open\n'
        for i, v in enumerate(HOSTILE)
    )
    result = ingest_file(
        db, "findings", write("f.csv", "finding_id,audit_type,standard,site,severity,raised_on,status\n" + rows)
    )
    assert result.ok, result.errors
    assert sorted(row[0] for row in db.query("SELECT site FROM findings")) == sorted(HOSTILE)
    assert db.query("SELECT count(*) FROM findings_versions") == [(len(HOSTILE),)]


def test_exports_neutralise_formulas():
    import pandas as pd

    text = csv_bytes(pd.DataFrame({"title": ['=HYPERLINK("http://x")', "ok"], "n": [1, 2]})).decode("utf-8-sig")
    assert text.splitlines() == ["title,n", '"\'=HYPERLINK(""http://x"")",1', "ok,2"]


def test_chart_text_from_uploaded_data_is_escaped_for_plotly():
    import plotly.graph_objects as go

    from isokpi.charts import theme

    figure = go.Figure(go.Bar(x=['<a href="http://evil">Leeds</a>', "Porto"], y=[1, 2], text=["<b>1</b>", "2<br>3"]))
    figure.add_annotation(text="<img src=x onerror=alert(1)>", x=0, y=0)
    theme(figure, title="<script>x</script> rose<br>by 3")
    assert figure.data[0].x == ('&lt;a href="http://evil"&gt;Leeds&lt;/a&gt;', "Porto")
    assert figure.data[0].text == ("&lt;b&gt;1&lt;/b&gt;", "2<br>3")  # our own line breaks stay
    assert figure.layout.annotations[0].text == "&lt;img src=x onerror=alert(1)&gt;"
    assert figure.layout.title.text == "&lt;script&gt;x&lt;/script&gt; rose<br>by 3"
