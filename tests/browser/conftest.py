"""Real-browser fixtures: a real `streamlit run app.py` on a free localhost port over a fresh database, and
Debian's Chromium driven by Playwright. Without /usr/bin/chromium these tests skip with the reason."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (shared with scripts/screenshots.py)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def streamlit_server(
    db_path: Path,
    *,
    port: int | None = None,
    secrets: Path | None = None,
    env: dict[str, str] | None = None,
    script: Path = ROOT / "app.py",
    options: tuple[str, ...] = (),
) -> Iterator[str]:
    """`streamlit run app.py` (or `script`) on a free port (or `port`), with extra command-line `options`;
    yields its base URL; stops it afterwards."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               *options]  # fmt: skip
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    environment = {**os.environ, "ISOKPI_DB": str(db_path), "ISOKPI_NO_DEMO": "1", **(env or {})}
    log = (db_path.parent / f"streamlit-{port}.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()  # gone, and its database file free, before the test reads it
        log.close()


@pytest.fixture(scope="session")
def demo_db(demo_database) -> Path:
    """One demo database for the servers that only read; tests that write take fresh_db."""
    return demo_database()


@pytest.fixture
def fresh_db(demo_database) -> Path:
    return demo_database()


@pytest.fixture(scope="session")
def shared_server(demo_db, chromium) -> Iterator[str]:
    """One server over the read-only demo database, for the tests that do not write."""
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture
def page(playwright_browser, request, tmp_path):
    """A new browser page that records console errors; on failure a screenshot lands in tests/artifacts/."""
    context = playwright_browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    if getattr(request.node, "failed", False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.failed = True


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Until Streamlit has finished running the script (no running indicator, the page has content)."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && document.querySelector('[data-testid=\"stMainBlockContainer\"]')",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def watch_runs(page) -> list[float]:
    """The moment of every script run's end that `page` hears of from now on (the server's ScriptFinished messages),
    so that a test can wait for the run a click starts instead of a fixed time (after_click)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    finished: list[float] = []

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            # A run cut short by the rerun a click asks for is not the end of that click's run.
            if message.HasField("script_finished") and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                finished.append(time.monotonic())

    page.on("websocket", lambda socket: socket.on("framereceived", frame))
    return finished


def after_click(page, locator, runs: list[float], timeout: float = 60) -> None:
    """Click `locator` and wait until the script run it starts has ended and the page is drawn (`runs`: watch_runs
    of the page, set before it was opened). A click that starts no run is given 1.5 s, as the tests once waited."""
    before = len(runs)
    started = time.monotonic()
    locator.click()
    while len(runs) == before and time.monotonic() - started < timeout:
        page.wait_for_timeout(50)
        if (
            len(runs) == before
            and time.monotonic() - started > 1.5
            and not page.query_selector('[data-testid="stStatusWidget"]')
        ):
            break  # no run started: nothing to wait for
    wait_for_app(page, timeout=timeout * 1000)


def record_sessions(page) -> list[str]:
    """The Streamlit session id of every websocket connection `page` opens from now on, newest last (read from
    the server's NewSession messages)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    sessions: list[str] = []

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            if message.HasField("new_session"):
                sessions.append(message.new_session.initialize.session_id)

    page.on("websocket", lambda socket: socket.on("framereceived", frame))
    return sessions


def request(base: str, method: str, path: str, *, host: str | None = None, headers=None, body=None):
    """One HTTP request to the server at `base` with the Host header given (default: the server's own);
    returns (status, body text)."""
    address = base.removeprefix("http://")
    connection = http.client.HTTPConnection(*address.split(":"), timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host or address, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def put_file(base: str, session_id: str, context, content: bytes = b"a,b\n1,2\n") -> tuple[int, str]:
    """Send a file to Streamlit's upload route for `session_id` as the browser `context` would (its XSRF
    cookie and token); returns (status, body text)."""
    xsrf = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "_streamlit_xsrf")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="export.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Xsrftoken": xsrf,
        "Cookie": f"_streamlit_xsrf={xsrf}",
    }
    return request(base, "PUT", f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}", headers=headers, body=body)
