"""Sign-in accounts hold addresses: the role given to an e-mail goes to the provider account (issuer + subject)
that first signed in with it verified, and to no other account, whatever e-mails are claimed later."""

from __future__ import annotations

import pytest

from isokpi import auth
from isokpi.db import resolve_target
from isokpi.opening import open_target

GOOGLE, ENTRA = "https://accounts.google.com", "https://login.microsoftonline.com/tenant-1/v2.0"
VIEWERS = auth.AuthSettings.from_mapping({"unknown_users": "viewer"})
ADMIN = auth.User("boss@example.com", "Boss", auth.ADMIN)


@pytest.fixture
def database(tmp_path):
    database = open_target(resolve_target(tmp_path / "accounts.duckdb"))
    auth.assign_role(database, ADMIN, "lead@example.com", auth.QUALITY_LEAD)
    yield database
    database.close()


def account(subject: str, email: str, verified: bool | None = True, issuer: str = GOOGLE) -> auth.Identity:
    return auth.Identity(issuer=issuer, subject=subject, email=email, email_verified=verified)


def sign_in(database, identity, settings=VIEWERS) -> auth.User:
    return auth.sign_in(database, identity, "Someone", settings)


def links(database) -> list[tuple]:
    return database.query("SELECT issuer, subject, email FROM user_subjects ORDER BY linked_at, subject")


def test_the_first_verified_sign_in_links_the_address_and_gets_its_role(database):
    user = sign_in(database, account("lee", "lead@example.com"))
    assert (user.email, user.role) == ("lead@example.com", auth.QUALITY_LEAD)
    assert links(database) == [(GOOGLE, "lee", "lead@example.com")]
    assert database.query("SELECT actor, action, subject, details FROM audit_log WHERE action = 'link'") == [
        ("lead@example.com", "link", "lead@example.com", '{"issuer": "https://accounts.google.com", "subject": "lee"}')
    ]
    sign_in(database, account("lee", "lead@example.com"))
    assert len(links(database)) == 1  # linked once


def test_the_account_keeps_its_role_when_its_e_mail_changes_and_a_new_account_with_the_old_address_gets_none(
    database,
):
    sign_in(database, account("lee", "lead@example.com"))
    moved = sign_in(database, account("lee", "lee.lead@new.example.com"))
    assert (moved.email, moved.role) == ("lead@example.com", auth.QUALITY_LEAD)
    unverified_now = sign_in(database, account("lee", "lee.lead@new.example.com", verified=False))
    assert unverified_now.role == auth.QUALITY_LEAD  # the account, not the claim, holds the role
    taker = sign_in(database, account("mallory", "lead@example.com"))
    assert (taker.email, taker.role) == ("lead@example.com", auth.VIEWER)
    refused = auth.AuthSettings.from_mapping({"unknown_users": "refuse"})
    assert sign_in(database, account("mallory", "lead@example.com"), refused).role is None
    # the same subject at another provider is another account
    assert sign_in(database, account("lee", "lead@example.com", issuer=ENTRA)).role == auth.VIEWER
    assert links(database) == [(GOOGLE, "lee", "lead@example.com")]


def test_an_address_counts_as_verified_only_when_the_provider_says_so_or_is_trusted_to(database):
    assert sign_in(database, account("lee", "lead@example.com", verified=None)).role == auth.VIEWER
    assert sign_in(database, account("lee", "lead@example.com", verified=False)).role == auth.VIEWER
    assert links(database) == []
    trusting = auth.AuthSettings.from_mapping({"verified_email_issuers": [ENTRA]})
    assert trusting.verified_email_issuers == (ENTRA,)
    assert sign_in(database, account("lee", "lead@example.com", None), trusting).role == auth.VIEWER  # Google
    assert sign_in(database, account("oid-1", "lead@example.com", False, ENTRA), trusting).role == auth.VIEWER
    assert sign_in(database, account("oid-1", "lead@example.com", None, ENTRA), trusting).role == auth.QUALITY_LEAD
    assert links(database) == [(ENTRA, "oid-1", "lead@example.com")]


def test_email_verified_sent_as_text_is_read_as_a_yes_or_no():
    claims = {"iss": GOOGLE, "sub": "lee", "email": " Lee@Example.COM "}
    assert auth.Identity.from_claims({**claims, "email_verified": "true"}).email_verified is True
    assert auth.Identity.from_claims({**claims, "email_verified": "False"}).email_verified is False
    assert auth.Identity.from_claims({**claims, "email_verified": "maybe"}).email_verified is False
    assert auth.Identity.from_claims(claims) == auth.Identity(GOOGLE, "lee", "Lee@example.com", None)


def test_addresses_match_exactly_except_for_the_domain(database):
    assert sign_in(database, account("x", "LEAD@example.com")).role == auth.VIEWER
    assert sign_in(database, account("lee", "lead@EXAMPLE.com")).role == auth.QUALITY_LEAD
    assert links(database) == [(GOOGLE, "x", "LEAD@example.com"), (GOOGLE, "lee", "lead@example.com")]


def test_a_claim_without_issuer_subject_or_address_gets_the_default_and_no_link(database):
    assert sign_in(database, account("", "lead@example.com")).role == auth.VIEWER
    assert sign_in(database, account("lee", "")).role == auth.VIEWER
    assert sign_in(database, auth.Identity("", "lee", "lead@example.com", True)).role == auth.VIEWER
    assert links(database) == []


def test_the_first_admin_is_the_account_that_first_signs_in_with_that_address(tmp_path):
    database = open_target(resolve_target(tmp_path / "new.duckdb"))
    settings = auth.AuthSettings.from_mapping({"first_admin": "chief@example.com"})
    assert sign_in(database, account("chief", "chief@example.com"), settings).role == auth.ADMIN
    assert sign_in(database, account("chief", "c.hief@example.com"), settings).role == auth.ADMIN
    assert sign_in(database, account("impostor", "chief@example.com"), settings).role == auth.VIEWER
    database.close()


def test_when_two_servers_link_one_address_at_once_the_earlier_link_holds_it(database):
    # DuckLake has no unique constraints: two servers may both insert a link; every server reads the same owner.
    database.connection.execute(
        "INSERT INTO user_subjects VALUES (?, 'late', 'lead@example.com', TIMESTAMP '2026-01-01 10:00:01'),"
        " (?, 'early', 'lead@example.com', TIMESTAMP '2026-01-01 10:00:00')",
        [GOOGLE, GOOGLE],
    )
    assert sign_in(database, account("early", "lead@example.com")).role == auth.QUALITY_LEAD
    assert sign_in(database, account("late", "lead@example.com")).role == auth.VIEWER
    assert [(a["email"], a["subject"]) for a in auth.linked_accounts(database)] == [("lead@example.com", "early")]


def test_assigned_roles_show_the_account_holding_each_address(database):
    auth.assign_role(database, ADMIN, "viewer@example.com", auth.VIEWER)
    sign_in(database, account("lee", "lead@example.com"))
    rows = [(r["email"], r["role"], r["issuer"], r["subject"]) for r in auth.assigned_roles(database)]
    assert rows == [
        ("lead@example.com", auth.QUALITY_LEAD, GOOGLE, "lee"),
        ("viewer@example.com", auth.VIEWER, None, None),
    ]


def test_an_admin_unlinks_an_address_for_its_new_account(database):
    sign_in(database, account("lee", "lead@example.com"))
    lead = auth.User("lead@example.com", "Lee", auth.QUALITY_LEAD)
    with pytest.raises(auth.AccessError, match="needs the Admin role"):
        auth.unlink_account(database, lead, "lead@example.com")
    auth.unlink_account(database, ADMIN, "lead@EXAMPLE.com")
    assert links(database) == []
    assert database.query("SELECT actor, action, subject, details FROM audit_log WHERE action = 'unlink'") == [
        (
            "boss@example.com",
            "unlink",
            "lead@example.com",
            '{"issuer": "https://accounts.google.com", "subject": "lee"}',
        )
    ]
    assert sign_in(database, account("lee-2", "lead@example.com")).role == auth.QUALITY_LEAD
    assert sign_in(database, account("lee", "lead@example.com")).role == auth.VIEWER
    with pytest.raises(ValueError, match="no provider account holds nobody@example.com"):
        auth.unlink_account(database, ADMIN, "nobody@example.com")


def test_verified_email_issuers_must_be_a_list_of_issuers():
    for wrong in ("https://login.example.com", [""], [3]):
        with pytest.raises(ValueError, match="verified_email_issuers"):
            auth.AuthSettings.from_mapping({"verified_email_issuers": wrong})
