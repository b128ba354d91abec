"""The gate in front of a real `streamlit run app.py` (isokpi/gate.py): in local mode only loopback names are
served, so a web page whose name resolves to 127.0.0.1 (DNS rebinding) never gets the local admin; and files
are taken only from a session showing the Upload page, before Streamlit reads a byte of them."""

from __future__ import annotations

import http.client
import socket

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from isokpi.uploads import MAX_UPLOAD_BYTES

from ..conftest import CHROMIUM_ARGS
from .conftest import ROOT, put_file, record_sessions, request, streamlit_server, wait_for_app

EVIL = "evil.example"


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def websocket_status(base: str, host: str) -> int:
    """101 when Streamlit's websocket opens for a browser that asked for `host`, else the refusal's status."""
    port = port_of(base)
    try:
        with connect(f"ws://{host}:{port}/_stcore/stream", sock=socket.create_connection(("127.0.0.1", port))):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.fixture
def rebinding_browser(playwright_browser, chromium):
    """A Chromium in which evil.example resolves to 127.0.0.1, as a rebinding attacker's page would."""
    browser = playwright_browser.browser_type.launch(
        executable_path=str(chromium),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"],
    )
    yield browser
    browser.close()


def test_in_local_mode_another_name_is_refused_and_the_loopback_names_are_served(shared_server):
    port = port_of(shared_server)
    status, text = request(shared_server, "GET", "/", host=f"{EVIL}:{port}")
    assert (status, text) == (403, "This server does not answer to the name evil.example.\n")
    assert request(shared_server, "GET", "/_stcore/health", host=EVIL)[0] == 403
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert request(shared_server, "GET", "/", host=name)[0] == 200, name
    assert websocket_status(shared_server, EVIL) == 403
    assert websocket_status(shared_server, "localhost") == 101
    assert websocket_status(shared_server, "127.0.0.1") == 101


def test_a_page_whose_name_resolves_to_this_machine_gets_no_app(shared_server, rebinding_browser):
    port = port_of(shared_server)
    page = rebinding_browser.new_page()
    response = page.goto(f"http://{EVIL}:{port}/admin")
    assert response.status == 403
    assert page.locator('[data-testid="stAppViewContainer"]').count() == 0
    page.goto(f"http://localhost:{port}/")
    wait_for_app(page)
    page.get_by_role("link", name="Admin").wait_for(timeout=60_000)  # the local admin, on a loopback name
    page.close()


def test_without_the_gate_streamlit_refuses_the_websocket_and_the_app_refuses_local_mode(demo_db, rebinding_browser):
    ungated = ROOT / "tests" / "browser" / "ungated_app.py"
    with streamlit_server(demo_db, script=ungated) as base:
        # server.allowedHosts (.streamlit/config.toml) alone: the page loads, but no script ever runs for it
        assert request(base, "GET", "/", host=EVIL)[0] == 200
        assert websocket_status(base, EVIL) == 403
        assert websocket_status(base, "localhost") == 101
    with streamlit_server(demo_db, script=ungated, options=("--server.allowedHosts", "*")) as base:
        # and were the option missing, the app itself gives a rebinding page no local admin
        page = rebinding_browser.new_page()
        page.goto(f"http://{EVIL}:{port_of(base)}/admin")
        wait_for_app(page)
        page.get_by_text("answers only to localhost and 127.0.0.1, not to evil.example").wait_for(timeout=60_000)
        assert page.get_by_text("Audit trail").count() == 0
        assert page.locator('[data-testid="stTextInput"]').count() == 0  # no role form
        page.goto(f"http://{EVIL}:{port_of(base)}/upload")
        wait_for_app(page)
        page.get_by_text("answers only to localhost").wait_for(timeout=60_000)
        assert page.locator('input[type="file"]').count() == 0
        page.close()


def test_files_are_taken_only_from_a_session_showing_the_upload_page(shared_server, page):
    sessions = record_sessions(page)
    page.goto(shared_server)
    wait_for_app(page)
    session = sessions[-1]
    status, text = put_file(shared_server, session, page.context)
    assert (status, text) == (403, "Files are taken only from the Upload page, by a quality lead.\n")
    assert put_file(shared_server, "no-such-session", page.context)[0] == 403

    page.get_by_role("link", name="Upload").click()
    wait_for_app(page)
    assert sessions[-1] == session  # the same session, now on the Upload page
    assert put_file(shared_server, session, page.context) == (204, "")

    # Over the limit: refused from the Content-Length alone, before any of the body is sent.
    connection = http.client.HTTPConnection("127.0.0.1", port_of(shared_server), timeout=10)
    connection.putrequest("PUT", f"/_stcore/upload_file/{session}/big")
    connection.putheader("Content-Length", str(MAX_UPLOAD_BYTES + 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    assert (response.status, response.read()) == (413, b"The file is over the 100 MB upload limit.\n")
    connection.close()

    page.get_by_role("link", name="Overview").click()
    wait_for_app(page)
    assert put_file(shared_server, session, page.context)[0] == 403
