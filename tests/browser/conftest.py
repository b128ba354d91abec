"""Real-browser fixtures: a real `streamlit run app.py` on a free localhost port over a fresh database, and
Debian's Chromium driven by Playwright. Without /usr/bin/chromium these tests skip with the reason."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
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
    db_path: Path, *, port: int | None = None, secrets: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`streamlit run app.py` on a free port (or `port`); yields its base URL; stops it afterwards."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
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


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Until Streamlit has finished running the script (no running indicator, the page has content)."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && document.querySelector('[data-testid=\"stMainBlockContainer\"]')",
        timeout=timeout,
    )
    page.wait_for_timeout(300)
