"""What an attacker on this machine tried, against a real `streamlit run app.py` and a real Chromium: uploaded names
drawn as markup, file names and e-mails turned into links, the demo brought back into an emptied database by a
clear-cache message, a second server on a database in use."""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from isokpi.db import resolve_target
from isokpi.opening import open_target
from isokpi.safety import WORD_JOINER

from ..holder import held
from ..hostile import EVIL, hostile_database
from .conftest import streamlit_server, wait_for_app
from .test_flows import app_errors, last_month_late_findings, open_page

pytestmark = pytest.mark.browser

DATASETS = ("training", "findings", "survey", "targets")

# Elements plotly (or markdown) would make from the markup in tests/hostile.py, anywhere in the page: links, styled
# and superscript text. (Bold and italic are plotly's own for titles: those names must show their tags as text.)
INJECTED = """() => [
    ...document.querySelectorAll('[*|href*="evil.example"], a[href*="evil.example"]'),
    ...document.querySelectorAll('[style*="77px"], [style*="#ff0000"], [style*="rgb(255, 0, 0)"]'),
    ...document.querySelectorAll('.js-plotly-plot tspan[style*="70%"], .js-plotly-plot [baseline-shift]'),
].map(element => element.outerHTML)"""
# The charts' text without spaces: a title wrapped onto two lines loses the space where it broke.
CHART_TEXT = (
    "() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => chart.textContent).join('')"
    ".replace(/\\s+/g, '')"
)


def links_to_evil(page) -> list[str]:
    """Every link on the page that names evil.example, with the text around it."""
    return page.locator(f"a:has-text('{EVIL}'), a[href*='{EVIL}']").evaluate_all(
        "links => links.map(link => link.outerHTML + ' in: ' + link.parentElement.textContent)"
    )


def shown_text(page) -> str:
    """The page's text as a reader sees it (the invisible word joiners of isokpi.safety.plain left out)."""
    return page.locator("body").inner_text().replace(WORD_JOINER, "")


def history_tab(page) -> None:
    """Open the Upload page's History tab, once Streamlit has replaced the previous run's tabs."""
    tab = page.get_by_role("tab", name="History")
    expect(tab).to_have_count(1, timeout=60_000)
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def run_script(stream, page: str = "") -> None:
    """Ask the server, as Streamlit's frontend does, to run the app for this websocket session; until it finished."""
    message = BackMsg()
    message.rerun_script.page_name = page
    stream.send(message.SerializeToString())
    while not ForwardMsg.FromString(stream.recv(timeout=120)).HasField("script_finished"):
        pass


def websocket(base: str):
    port = int(base.rsplit(":", 1)[1])
    return connect(f"ws://localhost:{port}/_stcore/stream", sock=socket.create_connection(("127.0.0.1", port)))


def rows(path) -> dict[str, int]:
    database = open_target(resolve_target(path))
    try:
        return {name: database.query(f"SELECT count(*) FROM {name}")[0][0] for name in DATASETS}
    finally:
        database.close()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, chromium):
    with streamlit_server(hostile_database(tmp_path_factory.mktemp("hostile-browser"))) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "shown", "hovered"),
    [
        ("training", ["<b>Production</b>", '<span style="font-size:77px">'], "<b>"),  # a panel's department
        ("findings", ["<sup>", '<span style="color:#ff0000">'], None),
        (
            "surveys",
            [f'<a href="https://{EVIL}/survey">DEMO-ENG-'],
            f'<a href="https://{EVIL}/survey">',
        ),  # a wave's bar
    ],
)
def test_no_element_is_made_from_uploaded_names_in_any_chart(hostile_server, page, path, shown, hovered):
    open_page(page, hostile_server, path)
    # The names are drawn, as typed (until every chart is drawn, on a busy machine too).
    page.wait_for_function(
        f"typed => typed.every(name => ({CHART_TEXT})().includes(name.replace(/\\s+/g, '')))", arg=shown, timeout=90_000
    )
    assert page.evaluate(INJECTED) == []
    if hovered:  # and in the hover box: training's first chart (lines), surveys' last (respondents per wave, bars)
        chart = page.locator(".js-plotly-plot").first if path == "training" else page.locator(".js-plotly-plot").last
        chart.scroll_into_view_if_needed()
        box = chart.locator(".nsewdrag").first.bounding_box()
        layer = chart.locator(".hoverlayer")
        for step in range(1, 20):  # across the chart until a hover box shows
            page.mouse.move(box["x"] + box["width"] * step / 20, box["y"] + box["height"] * 0.9)
            for _ in range(5):  # up to a second for it to be drawn (late on a busy machine)
                page.wait_for_timeout(200)
                if layer.text_content():
                    break
            if layer.text_content():
                break
        assert hovered in layer.text_content()
        assert page.evaluate(INJECTED) == []
    assert not app_errors(page)


def test_a_file_name_or_an_e_mail_never_becomes_a_link(fresh_db, tmp_path, page):
    named = [tmp_path / "www.evil.example.csv", tmp_path / "quality@evil.example.csv"]
    for number, path in enumerate(named):
        path.write_text(last_month_late_findings(3).replace("BR-", f"L{number}-"))
    with streamlit_server(fresh_db) as base:
        for path in named:
            open_page(page, base, "upload")
            page.locator("input[type='file']").first.set_input_files(str(path))
            expect(page.locator(".st-key-load button")).to_be_enabled(timeout=60_000)
            page.locator(".st-key-load button").click()
            page.get_by_text("3 rows inserted").wait_for(timeout=60_000)
            assert f"Loaded {path.name} as batch" in shown_text(page)  # as typed, not as a link
            assert links_to_evil(page) == []
        open_page(page, base, "admin")
        page.get_by_label("E-mail").fill(f"boss@{EVIL}")
        page.get_by_role("button", name="Assign role").click()
        page.get_by_text("is now Viewer").wait_for(timeout=60_000)
        assert f"boss@{EVIL} is now Viewer" in shown_text(page)
        assert links_to_evil(page) == []
        assert not app_errors(page)


def test_an_emptied_database_stays_empty_when_any_client_clears_the_cache(fresh_db, page):
    with streamlit_server(fresh_db, env={"ISOKPI_NO_DEMO": "0"}) as base:  # the demo on, as the app runs for real
        open_page(page, base, "upload")
        for batch in (4, 3, 2, 1):  # undo every demo batch, newest first, as a quality lead would
            history_tab(page)
            # Only demo batches are loaded: the box offers none by itself, so pick the batch as a person would.
            page.locator(".st-key-undo-batch input").filter(visible=True).click(timeout=60_000)
            page.locator("[role='option']").filter(has_text=re.compile(rf"^{batch}: ")).first.click(timeout=60_000)
            wait_for_app(page)
            history_tab(page)
            confirm = page.locator(".st-key-undo-confirm label").filter(visible=True)
            expect(confirm).to_have_text(f"Yes, undo batch {batch}", timeout=60_000)
            confirm.click()
            wait_for_app(page)
            history_tab(page)  # the run after a message may have opened the first tab again
            undo = page.locator(".st-key-undo button:not([disabled])").filter(visible=True)  # once the box is ticked
            undo.click(timeout=60_000)
            page.get_by_text(f"Batch {batch} (").wait_for(timeout=120_000)
            wait_for_app(page)
        # Any client, signed out too: Streamlit's clear-cache message, then a run that rebuilds what it cleared.
        with websocket(base) as stream:
            stream.send(BackMsg(clear_cache=True).SerializeToString())
            run_script(stream)
        open_page(page, base)
        assert not app_errors(page)
    assert rows(fresh_db) == dict.fromkeys(DATASETS, 0)


def test_a_second_server_on_a_database_in_use_names_the_process_that_holds_it(fresh_db, page):
    with held(fresh_db, 120) as holder, streamlit_server(fresh_db) as base:
        open_page(page, base)
        page.get_by_text(f"is in use by process {holder.pid}").wait_for(timeout=60_000)
        holder.kill()
        holder.wait()
        open_page(page, base)  # the holder is gone: the next view opens it
        expect(page.locator("[class*='st-key-tile-']")).to_have_count(8, timeout=60_000)
        assert not app_errors(page)
