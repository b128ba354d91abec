"""Roles on every page: each page checks the signed-in user's role itself, whatever app.py did."""

from __future__ import annotations

import os
import shutil
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from isokpi import auth, uploads
from isokpi.db import resolve_target
from isokpi.opening import open_target
from isokpi.safety import plain

from .apptest import SIGN_IN
from .conftest import ROOT

ISSUER = "https://login.example.com"
PAGES = [
    "overview",
    "pillar",
    "sites",
    "training",
    "findings",
    "surveys",
    "review",
    "actions",
    "data",
    "upload",
    "admin",
]
NEEDS = {"upload": auth.QUALITY_LEAD, "admin": auth.ADMIN}


@pytest.fixture(scope="module")
def demo_file(demo_database):
    path = demo_database()
    database = open_target(resolve_target(path))
    auth.assign_role(database, auth.User("local", "Local", auth.ADMIN), "lead@example.com", auth.QUALITY_LEAD)
    auth.assign_role(database, auth.User("local", "Local", auth.ADMIN), "boss@example.com", auth.ADMIN)
    database.close()
    return path


@pytest.fixture
def app(demo_file, tmp_path, use_database):
    copy = tmp_path / "db.duckdb"
    shutil.copy(demo_file, copy)
    use_database(copy)

    def make(
        page: str,
        email: str | None,
        *,
        refuse_unknown: bool = False,
        verified: bool | None = True,
        subject: str | None = None,
        trusted: tuple[str, ...] = (),
    ) -> AppTest:
        """The page as `email` sees it after signing in (verified unless told; the account's subject is the
        e-mail unless told); email None: nobody signed in."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.secrets["auth"] = SIGN_IN
        at.secrets["isokpi"] = {
            "unknown_users": "refuse" if refuse_unknown else "viewer",
            "verified_email_issuers": list(trusted),
        }
        if email is None:
            at.user = {"is_logged_in": False}
        else:
            at.user = {"is_logged_in": True, "iss": ISSUER, "sub": subject or email, "email": email, "name": email}
            if verified is not None:
                at.user = {**at.user, "email_verified": verified}
        at.switch_page(f"pages/{page}.py")
        return at.run()

    return make


def page_text(at: AppTest) -> str:
    parts = [e.value for e in at.warning] + [e.value for e in at.error] + [e.value for e in at.markdown]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("email", "role"),
    [("someone@example.com", auth.VIEWER), ("lead@example.com", auth.QUALITY_LEAD), ("boss@example.com", auth.ADMIN)],
)
def test_role_matrix(app, page, email, role):
    at = app(page, email)
    assert not at.exception, at.exception
    allowed = auth.ROLES.index(role) >= auth.ROLES.index(NEEDS.get(page, auth.VIEWER))
    denied = any("This page needs the" in str(w.value) for w in at.warning)
    assert denied != allowed, (page, role)
    if page == "upload":
        assert bool(at.get("file_uploader")) == allowed
    if page == "admin":
        assert bool(at.get("text_input")) == allowed


def test_nobody_signed_in_sees_only_the_sign_in_button(app):
    at = app("upload", None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.get("file_uploader")


def test_unknown_users_can_be_refused(app):
    at = app("overview", "stranger@example.com", refuse_unknown=True)
    assert "has no access to isokpi" in at.error[0].value
    at = app("overview", "lead@example.com", refuse_unknown=True)
    assert not at.error


def test_the_first_admin_comes_from_configuration(tmp_path):
    database = open_target(resolve_target(tmp_path / "a.duckdb"))
    settings = auth.AuthSettings.from_mapping({"first_admin": "Chief@Example.com", "unknown_users": "viewer"})
    assert auth.role_of(database, "Chief@example.com", settings) == auth.ADMIN
    assert auth.role_of(database, "chief@example.com", settings) == auth.VIEWER
    assert auth.role_of(database, "other@example.com", settings) == auth.VIEWER
    chief = auth.User("Chief@example.com", "Chief", auth.ADMIN)
    auth.assign_role(database, chief, "other@example.com", auth.QUALITY_LEAD)
    assert auth.role_of(database, "other@EXAMPLE.com", settings) == auth.QUALITY_LEAD
    assert auth.role_of(database, "OTHER@example.com", settings) == auth.VIEWER  # another mailbox, maybe
    with pytest.raises(auth.AccessError, match="needs the Admin role"):
        auth.assign_role(
            database, auth.User("other@example.com", "Other", auth.QUALITY_LEAD), "x@example.com", auth.ADMIN
        )
    assert database.query("SELECT actor, action, subject FROM audit_log") == [
        ("Chief@example.com", "role", "other@example.com")
    ]
    with pytest.raises(ValueError, match="unknown_users"):
        auth.AuthSettings.from_mapping({"unknown_users": "maybe"})
    database.close()


def test_local_mode_user_is_admin_and_config_listens_on_localhost_only():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "127.0.0.1"' in config
    assert "gatherUsageStats = false" in config
    assert "enableXsrfProtection = true" in config
    server = tomllib.loads(config)["server"]
    assert server["allowedHosts"] == ["localhost", "127.0.0.1", "::1"]  # no DNS-rebinding name
    assert server["maxUploadSize"] == uploads.MAX_UPLOAD_MB == 100
    assert auth.User(auth.LOCAL_USER, "Local", auth.ADMIN).can(auth.ADMIN)
    assert (
        not os.path.exists(ROOT / ".streamlit" / "secrets.toml")
        or "[auth]" not in (ROOT / ".streamlit" / "secrets.toml").read_text()
    )


def test_an_unverified_address_does_not_get_the_role_given_to_that_address(app):
    at = app("upload", "lead@example.com", verified=False)
    assert any("This page needs the" in str(w.value) for w in at.warning)
    assert not at.get("file_uploader")
    at = app("upload", "lead@example.com", verified=True)
    assert at.get("file_uploader")


def test_an_address_without_email_verified_gets_no_role_unless_its_provider_is_trusted(app):
    at = app("upload", "lead@example.com", verified=None)
    shown = f"you are signed in as {plain('lead@example.com')} (Viewer)"  # as markdown: "." and "@" escaped
    assert any(shown in str(w.value) for w in at.warning)
    assert not at.get("file_uploader")
    # a trusted provider that says an address is not verified is believed
    assert not app("upload", "lead@example.com", verified=False, trusted=(ISSUER,)).get("file_uploader")
    assert app("upload", "lead@example.com", verified=None, trusted=(ISSUER,)).get("file_uploader")


def test_the_role_follows_the_account_that_first_signed_in_with_the_address(app):
    assert app("upload", "lead@example.com", subject="lee").get("file_uploader")
    # Lee's provider now sends another address: Lee keeps the role of the address the account holds.
    assert app("upload", "lee.new@example.com", subject="lee").get("file_uploader")
    # A new account that took over lead@example.com gets no role from it.
    at = app("upload", "lead@example.com", subject="mallory")
    assert any("(Viewer)" in str(w.value) for w in at.warning)
    assert not at.get("file_uploader")


def test_the_admin_page_shows_which_account_holds_each_address_and_unlinks_one(app):
    app("overview", "lead@example.com", subject="lee")
    at = app("admin", "boss@example.com", subject="boss")
    roles, accounts = (frame.value for frame in at.dataframe[:2])
    lead = roles[roles["email"] == "lead@example.com"].iloc[0]
    assert (lead["role"], lead["issuer"], lead["subject"]) == (auth.QUALITY_LEAD, ISSUER, "lee")
    assert accounts[["email", "issuer", "subject"]].to_dict("records") == [
        {"email": "boss@example.com", "issuer": ISSUER, "subject": "boss"},
        {"email": "lead@example.com", "issuer": ISSUER, "subject": "lee"},
    ]
    next(box for box in at.selectbox if box.label == "Address").select("lead@example.com")
    next(button for button in at.button if button.label.startswith("Unlink")).click().run()
    assert f"{plain('lead@example.com')} is free" in at.success[0].value
    # the new account now links the address on its first verified sign-in, and has its role
    assert app("upload", "lead@example.com", subject="lee-2").get("file_uploader")
    assert not app("upload", "lead@example.com", subject="lee").get("file_uploader")
