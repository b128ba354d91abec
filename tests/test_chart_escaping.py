"""Uploaded names reach charts as text, never as markup: every page's plotly charts over a database whose every site,
department, course, category, clause, root cause and survey is wrapped in tags (tests/hostile.py)."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from isokpi.charts import sanitise, theme
from isokpi.navigation import PAGES

from .apptest import app_page
from .hostile import ESCAPED, raw_tags, strings

# Where each kind of uploaded name is drawn (a page's charts, as their JSON reaches the browser).
DRAWN_ON = {
    "training": ("site", "department", "category"),
    "findings": ("clause", "root_cause"),
    "surveys": ("survey_id",),
}


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    from .hostile import hostile_database

    return hostile_database(tmp_path_factory.mktemp("hostile"))


def page_charts(use_database, path, page: str) -> list[dict]:
    use_database(path)
    at = app_page(page)
    at.run()
    assert not at.exception, at.exception
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("page", [spec.url_path or "overview" for spec in PAGES])
def test_no_chart_on_any_page_carries_markup_from_uploaded_names(use_database, hostile_file, page):
    charts = page_charts(use_database, hostile_file, page)
    assert [found for chart in charts for found in raw_tags(chart)] == []
    drawn = strings(charts)
    for column in DRAWN_ON.get(page, ()):
        # The escaped name is there: the chart draws it, as text.
        prefix = ESCAPED[column].split("{}")[0]
        assert any(prefix in text for text in drawn), f"{page}: no {column} drawn"


def test_every_text_a_trace_or_the_layout_carries_is_escaped_numpy_arrays_and_nested_lists_too():
    hostile = "<b>Ops</b>"
    figure = make_subplots(rows=1, cols=2, subplot_titles=[hostile, "Porto"], specs=[[{}, {"type": "domain"}]])
    figure.add_trace(
        go.Bar(
            x=np.array([hostile, "QA"], dtype=object),
            y=[1, 2],
            text=np.array(["<i>1</i>", "2"]),
            hovertext=[hostile, "b"],
            customdata=list(zip([hostile, "x"], [3, 4], strict=True)),
            hovertemplate="%{customdata[0]}<extra>" + hostile + "</extra>",
            name=hostile,
            marker={"colorbar": {"title": {"text": hostile}}},
        ),
        row=1,
        col=1,
    )
    figure.add_trace(go.Pie(labels=np.array([hostile, "b"], dtype=object), values=[1, 2], name="pie"), row=1, col=2)
    table = go.Figure(
        go.Table(header={"values": [hostile, "n"]}, cells={"values": [[hostile, "<a href='x'>y</a>"], [1, 2]]})
    )
    theme(figure, title="Hours by department")
    figure.update_xaxes(tickvals=[hostile], ticktext=[hostile], categoryarray=[hostile, "QA"])  # after theme()
    sanitise(figure)
    sanitise(table)
    escaped = "&lt;b&gt;Ops&lt;/b&gt;"
    bar, pie = figure.data
    assert list(bar.x) == [escaped, "QA"]
    assert list(bar.text) == ["&lt;i&gt;1&lt;/i&gt;", "2"]
    assert list(bar.hovertext) == [escaped, "b"]
    assert [list(row) for row in bar.customdata] == [[escaped, 3], ["x", 4]]
    assert bar.hovertemplate == f"%{{customdata[0]}}<extra>{escaped}</extra>"  # plotly's own box stays
    assert (bar.name, bar.marker.colorbar.title.text) == (escaped, escaped)
    assert list(pie.labels) == [escaped, "b"]
    assert [a.text for a in figure.layout.annotations] == [escaped, "Porto"]
    assert list(figure.layout.xaxis.ticktext) == [escaped]
    assert list(figure.layout.xaxis.tickvals) == [escaped]
    assert list(figure.layout.xaxis.categoryarray) == [escaped, "QA"]  # still names the escaped categories
    assert list(table.data[0].header.values) == [escaped, "n"]
    assert [list(column) for column in table.data[0].cells.values] == [
        [escaped, "&lt;a href='x'&gt;y&lt;/a&gt;"],
        [1, 2],
    ]
    assert raw_tags(json.loads(figure.to_json())) == [] and raw_tags(json.loads(table.to_json())) == []


def test_escaping_twice_changes_nothing_and_numbers_and_dates_are_left_alone():
    days = np.array(["2025-01-01", "2025-02-01"], dtype="datetime64[D]")
    figure = go.Figure(go.Scatter(x=days, y=np.array([1.5, 2.5]), text=["a & b<br>c", "<b>x</b>"]))
    once = sanitise(figure).to_plotly_json()
    twice = sanitise(figure).to_plotly_json()
    assert list(once["data"][0]["text"]) == ["a &amp; b<br>c", "&lt;b&gt;x&lt;/b&gt;"]
    assert list(twice["data"][0]["text"]) == list(once["data"][0]["text"])
    assert figure.data[0].x.dtype == days.dtype and list(figure.data[0].y) == [1.5, 2.5]


def test_escaping_reads_what_plotly_would_serialise():
    """sanitise() reads a trace's and the layout's properties in place (plotly's private _props, to spare the deep
    copy of to_plotly_json()): if an upgrade of plotly changed what _props holds, this fails."""
    from isokpi.charts import _props

    figure = make_subplots(rows=1, cols=2, subplot_titles=["<b>Leeds</b>", "Porto"])
    figure.add_trace(go.Scatter(x=[1, 2], y=[3, 4], name="<i>x</i>", text=["<a>"]), row=1, col=1)
    figure.update_traces(hovertemplate="%{y}<extra></extra>")
    for trace in figure.data:
        assert _props(trace) == trace.to_plotly_json()
    assert _props(figure.layout) == figure.layout.to_plotly_json()
