"""Sign-in through a real OpenID Connect provider (a local oidc-provider-mock): the first direct visit to
/upload after a restart, which Streamlit runs without app.py, so the page must refuse a viewer itself; roles
that follow the provider account, not an e-mail claim; uploads refused to every session but a quality lead's."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from contextlib import contextmanager

import pytest

from isokpi import auth
from isokpi.db import resolve_target
from isokpi.opening import open_target

from .conftest import free_port, put_file, record_sessions, streamlit_server, wait_for, wait_for_app

USERS = [
    {"sub": "vera", "email": "viewer@example.com", "email_verified": True, "name": "Vera Viewer"},
    {"sub": "lee", "email": "lead@example.com", "email_verified": True, "name": "Lee Lead"},
    # Una's provider sends no email_verified claim; una@example.com was given the quality-lead role.
    {"sub": "una", "email": "una@example.com", "name": "Una Unverified"},
    # A later account that claims (and has verified) the address Lee signed in with first.
    {"sub": "mallory", "email": "lead@example.com", "email_verified": True, "name": "Mallory"},
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


def set_claims(provider: str, claims: dict) -> None:
    """Change what the provider says about a user from the next sign-in on (oidc-provider-mock's PUT /users)."""
    sub = claims["sub"]
    body = json.dumps({key: value for key, value in claims.items() if key != "sub"}).encode()
    put = urllib.request.Request(
        f"{provider}/users/{sub}", data=body, method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(put, timeout=10) as response:
        assert response.status == 204


@pytest.fixture
def signin(fresh_db, tmp_path, chromium):
    database = open_target(resolve_target(fresh_db))
    for email in ("lead@example.com", "una@example.com"):
        auth.assign_role(database, auth.User("setup", "Setup", auth.ADMIN), email, auth.QUALITY_LEAD)
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
        yield fresh_db, port, secrets, provider


def sign_in(page, base: str, who: str) -> None:
    page.goto(base)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who).click()  # the provider's button for a predefined user
    page.wait_for_url(f"{base}/**", timeout=60_000)
    wait_for_app(page)


def upload_page_as(playwright_browser, base: str, who: str):
    """A fresh browser signed in as `who`, on /upload: its context, page and the sessions it opened."""
    context = playwright_browser.new_context()
    page = context.new_page()
    sessions = record_sessions(page)
    sign_in(page, base, who)
    page.goto(f"{base}/upload")
    wait_for_app(page)
    return context, page, sessions


def test_a_viewer_signs_in_and_the_first_direct_visit_to_upload_shows_no_upload_widget(signin, playwright_browser):
    db_path, port, secrets, _ = signin
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
        sessions = record_sessions(page)
        page.goto(f"{base}/upload")
        wait_for_app(page)
        page.get_by_text("This page needs the Quality lead role").wait_for(timeout=60_000)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.locator('input[type="file"]').count() == 0
        assert put_file(base, sessions[-1], context)[0] == 403  # nor can it send a file by hand
        context.close()


def signed_in_role(playwright_browser, base: str, who: str) -> str:
    """Sign `who` in with a fresh browser and return the role the sidebar names."""
    context = playwright_browser.new_context()
    page = context.new_page()
    sign_in(page, base, who)
    caption = page.get_by_text("Signed in as").inner_text()
    context.close()
    return caption.rsplit("(", 1)[1].rstrip(")")


def test_the_role_stays_with_the_account_when_its_e_mail_changes_and_not_with_the_address(signin, playwright_browser):
    db_path, port, secrets, provider = signin
    with streamlit_server(db_path, port=port, secrets=secrets) as base:
        # An address the provider does not say is verified gets no assigned role: una@example.com is a quality lead.
        assert signed_in_role(playwright_browser, base, "una") == "Viewer"
        assert signed_in_role(playwright_browser, base, "lee") == "Quality lead"
        set_claims(provider, {**USERS[1], "email": "lee.lead@new.example.com"})
        assert signed_in_role(playwright_browser, base, "lee") == "Quality lead"
        assert signed_in_role(playwright_browser, base, "mallory") == "Viewer"
    database = open_target(resolve_target(db_path))
    # Lee's account holds the address it first signed in with; neither Una's unverified one nor Mallory is linked.
    assert database.query("SELECT issuer, subject, email FROM user_subjects") == [(provider, "lee", "lead@example.com")]
    database.close()


def test_only_a_quality_lead_on_the_upload_page_can_send_a_file(signin, playwright_browser):
    db_path, port, secrets, _ = signin
    with streamlit_server(db_path, port=port, secrets=secrets) as base:
        context = playwright_browser.new_context()
        page = context.new_page()
        sessions = record_sessions(page)
        page.goto(f"{base}/upload")
        wait_for_app(page)
        page.get_by_role("button", name="Sign in").wait_for()
        assert put_file(base, sessions[-1], context)[0] == 403  # signed out

        sign_in(page, base, "vera")
        page.goto(f"{base}/upload")  # not in a viewer's menu: Streamlit shows the overview instead
        wait_for_app(page)
        page.get_by_text("Signed in as").wait_for()
        assert page.locator('input[type="file"]').count() == 0
        assert put_file(base, sessions[-1], context)[0] == 403  # a viewer
        context.close()

        context, page, sessions = upload_page_as(playwright_browser, base, "lee")  # a quality lead gets the page
        page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=60_000)
        assert put_file(base, sessions[-1], context) == (204, "")
        context.close()
