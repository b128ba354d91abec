"""Sign-in through a real OpenID Connect provider (a local oidc-provider-mock), and the first direct visit
to /upload after a restart, which Streamlit runs without app.py: the page must refuse a viewer itself."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import pytest

from isokpi import auth
from isokpi.db import resolve_target
from isokpi.opening import open_target

from .conftest import free_port, streamlit_server, wait_for, wait_for_app

USERS = [
    {"sub": "vera", "email": "viewer@example.com", "name": "Vera Viewer"},
    {"sub": "lee", "email": "lead@example.com", "name": "Lee Lead"},
]


@contextmanager
def oidc_provider():
    port = free_port()
    command = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)]
    for user in USERS:
        command += ["--user-claims", json.dumps(user)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def signin(fresh_db, tmp_path, chromium):
    database = open_target(resolve_target(fresh_db))
    auth.assign_role(database, auth.User("setup", "Setup", auth.ADMIN), "lead@example.com", auth.QUALITY_LEAD)
    database.close()
    with oidc_provider() as provider:
        port = free_port()
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-test-cookie-secret-that-is-long-enough"
client_id = "isokpi-test"
client_secret = "isokpi-test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[isokpi]
unknown_users = "viewer"
"""
        )
        yield fresh_db, port, secrets


def sign_in(page, base: str, who: str) -> None:
    page.goto(base)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who).click()  # the provider's button for a predefined user
    page.wait_for_url(f"{base}/**", timeout=30_000)
    wait_for_app(page)


def test_a_viewer_signs_in_and_the_first_direct_visit_to_upload_shows_no_upload_widget(signin, playwright_browser):
    db_path, port, secrets = signin
    context = playwright_browser.new_context()
    page = context.new_page()
    with streamlit_server(db_path, port=port, secrets=secrets) as base:
        sign_in(page, base, "vera")
        page.get_by_text("Signed in as").wait_for()
        assert "Vera Viewer" in page.content() and "(Viewer)" in page.content()
        assert page.get_by_role("link", name="Upload").count() == 0  # not in the menu
        state = context.storage_state()
    context.close()

    # Restart the server: its first request is /upload, which Streamlit runs without app.py.
    with streamlit_server(db_path, port=port, secrets=secrets) as base:
        context = playwright_browser.new_context(storage_state=state)
        page = context.new_page()
        page.goto(f"{base}/upload")
        wait_for_app(page)
        page.get_by_text("This page needs the Quality lead role").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.locator('input[type="file"]').count() == 0
        context.close()


def test_a_quality_lead_gets_the_upload_page(signin, playwright_browser):
    db_path, port, secrets = signin
    with streamlit_server(db_path, port=port, secrets=secrets) as base:
        context = playwright_browser.new_context()
        page = context.new_page()
        sign_in(page, base, "lee")
        page.goto(f"{base}/upload")
        wait_for_app(page)
        page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=30_000)
        context.close()
