"""Through a real load balancer: HAProxy with cookie stickiness in front of two app servers over one DuckLake whose
data files are in object storage (deploy/local.py starts them). Two browser sessions land on different servers;
a file uploaded on one is on the other's Data page after a rerun."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, free_port, wait_for_app

sys.path.insert(0, str(ROOT / "deploy"))
import local as deploy  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.ducklake, pytest.mark.s3]
FINDINGS = "finding_id,audit_type,standard,site,severity,raised_on,due_on,closed_on,status\n" + "".join(
    f"LB-{i:03d},internal,ISO 9001,Leeds,minor_nc,2025-03-0{1 + i % 9},2025-04-01,,open\n" for i in range(37)
)


@pytest.fixture
def stack(pg_server, s3_store, chromium):
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        pytest.skip("HAProxy is not installed (apt-get install haproxy); .ci/run installs it")
    server, reason = pg_server
    store, why = s3_store
    if server is None or store is None:
        pytest.skip(f"no PostgreSQL or object store: {reason}; {why}")
    catalog = server.create_database()
    try:
        with deploy.running(2, free_port(), first_app_port=free_port(), catalog=catalog, store=store) as running:
            yield running
    finally:
        server.drop_database(catalog)


def pinned_to(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == deploy.COOKIE), None)


def findings_rows(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Findings")
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_two_sessions_on_two_servers_see_one_upload(stack, playwright_browser, tmp_path):
    contexts, pages = [], {}
    try:
        # Round robin gives each new browser the next server; the cookie keeps it there.
        for _ in range(6):
            context = playwright_browser.new_context(viewport={"width": 1440, "height": 1000})
            contexts.append(context)
            page = context.new_page()
            page.goto(f"{stack.url}/data")
            wait_for_app(page)
            server = pinned_to(context)
            assert server in stack.servers
            pages.setdefault(server, page)
            if len(pages) == 2:
                break
        assert len(pages) == 2, "every browser landed on the same app server"
        (first, uploader), (second, viewer) = pages.items()
        assert findings_rows(viewer) == "0 rows"

        path = tmp_path / "findings.csv"
        path.write_text(FINDINGS, encoding="utf-8")
        uploader.goto(f"{stack.url}/upload")
        wait_for_app(uploader)
        uploader.locator("input[type='file']").first.set_input_files(str(path))
        uploader.get_by_text("To insert").wait_for(timeout=60_000)
        uploader.locator(".st-key-load button").click()
        uploader.get_by_text("37 rows inserted").wait_for(timeout=60_000)
        assert pinned_to(uploader.context) == first  # the upload went through the server it was pinned to

        viewer.reload()  # a rerun on the other server
        wait_for_app(viewer)
        assert pinned_to(viewer.context) == second
        assert findings_rows(viewer) == "37 rows"
        # Each app server's own log shows its session: they really were two processes.
        assert first != second
    finally:
        for context in contexts:
            context.close()
