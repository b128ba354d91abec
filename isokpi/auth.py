"""Roles: who may see, load and decide. The rules here; signing in is Streamlit's (isokpi/ui.py).

viewer        every dashboard page and review, read-only (executives, meeting attendees)
quality_lead  also upload, undo, notes, actions, open and close reviews
admin         also assign roles and read the audit trail

Without sign-in configured the app runs in local mode: it listens on this machine only and its one user
is admin. With sign-in, roles are assigned by e-mail in the database; the first admin is named in
configuration; signed-in users without a role are viewers or refused, as configured.

A role given to an address goes to one provider account. The first time an account (issuer + subject)
signs in with a verified address not yet held, the address is linked to it (`user_subjects`); from then on
the account has the address's role whatever e-mail it later claims, and any other account claiming that
address gets none. A claim counts as verified when `email_verified` is true, or, from a provider listed in
`[isokpi] verified_email_issuers` (one that sends no such claim but verifies addresses, e.g. Entra ID),
when the claim is absent; never when it is false. Addresses match exactly, the domain in any case.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from isokpi.audit import record_event
from isokpi.db import Database, now_utc
from isokpi.errors import InputError, IsokpiError

VIEWER, QUALITY_LEAD, ADMIN = "viewer", "quality_lead", "admin"
ROLES = (VIEWER, QUALITY_LEAD, ADMIN)
ROLE_NAMES = {VIEWER: "Viewer", QUALITY_LEAD: "Quality lead", ADMIN: "Admin"}
LOCAL_USER = "local"  # the local user's identifier in the audit trail; records show their name (local_user_name)
LOCAL_NAME_VARIABLE = "ISOKPI_LOCAL_USER_NAME"


class AccessError(IsokpiError):
    """Not allowed; the message says which role is needed."""


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: str | None  # None: signed in but refused

    def can(self, role: str) -> bool:
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)


def normalize_email(email: str) -> str:
    """An address as roles are matched: surrounding spaces dropped and the domain lower-cased; the part before
    the @ is kept exactly (to a mail server `Lee` and `lee` may be two mailboxes)."""
    local, at, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at else email.strip()


@dataclass(frozen=True)
class AuthSettings:
    """The [isokpi] section of .streamlit/secrets.toml, next to Streamlit's [auth]."""

    first_admin: str | None = None
    unknown_users: str = VIEWER  # "viewer" or "refuse"
    verified_email_issuers: tuple[str, ...] = ()  # providers that verify addresses but send no email_verified
    local_user_name: str | None = None  # local mode: the name records show for the one user

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> AuthSettings:
        section = dict(section or {})
        unknown = str(section.get("unknown_users", VIEWER))
        if unknown not in (VIEWER, "refuse"):
            raise InputError(f"[isokpi] unknown_users = {unknown!r}: use 'viewer' or 'refuse'")
        first = section.get("first_admin")
        issuers = section.get("verified_email_issuers", [])
        if isinstance(issuers, str) or not all(isinstance(issuer, str) and issuer.strip() for issuer in issuers):
            raise InputError(
                f"[isokpi] verified_email_issuers = {issuers!r}: use a list of issuer URLs, "
                'e.g. ["https://login.microsoftonline.com/<tenant id>/v2.0"]'
            )
        local_name = section.get("local_user_name")
        if local_name is not None and (not isinstance(local_name, str) or not local_name.strip()):
            raise InputError(f'[isokpi] local_user_name = {local_name!r}: use your name, e.g. "Ann Smith"')
        return cls(
            first_admin=normalize_email(str(first)) if first else None,
            unknown_users=unknown,
            verified_email_issuers=tuple(issuer.strip() for issuer in issuers),
            local_user_name=" ".join(local_name.split()) if local_name else None,
        )

    @property
    def default_role(self) -> str | None:
        """The role of a signed-in user with no role of their own: viewer, or None (refused)."""
        return VIEWER if self.unknown_users == VIEWER else None


@dataclass(frozen=True)
class Identity:
    """A provider account as its ID token names it: issuer + subject identify it, the e-mail is only a claim."""

    issuer: str
    subject: str
    email: str
    email_verified: bool | None  # None: the provider sent no email_verified claim

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", normalize_email(self.email))

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        verified = claims.get("email_verified")
        if isinstance(verified, str):  # some providers send "true" / "false"
            verified = {"true": True, "false": False}.get(verified.strip().lower(), False)
        return cls(
            issuer=str(claims.get("iss") or ""),
            subject=str(claims.get("sub") or ""),
            email=str(claims.get("email") or ""),
            email_verified=None if verified is None else verified is True,
        )


def email_is_verified(identity: Identity, settings: AuthSettings) -> bool:
    """True when the provider vouches for the address: email_verified true, or absent from a provider the
    configuration names as one that verifies addresses."""
    if identity.email_verified is not None:
        return identity.email_verified
    return identity.issuer in settings.verified_email_issuers


def role_of(database: Database, email: str, settings: AuthSettings) -> str | None:
    """The role that goes with an address: assigned in the database, else admin if named first admin, else the
    default. Only sign_in decides which account may use an address."""
    email = normalize_email(email)
    rows = database.query(
        "SELECT role FROM user_roles WHERE email = $email ORDER BY granted_at DESC LIMIT 1", {"email": email}
    )
    if rows and rows[0][0] in ROLES:
        return rows[0][0]
    if settings.first_admin and email == settings.first_admin:
        return ADMIN
    return settings.default_role


# Several servers may link at the same moment (DuckLake, no unique constraints): the earliest link of an
# address (then the smaller issuer, subject) is the one that counts, so every server reads the same owner.
OWNED_LINKS = """
    SELECT email, issuer, subject, linked_at FROM (
        SELECT *, row_number() OVER (PARTITION BY email ORDER BY linked_at, issuer, subject) AS rank
        FROM user_subjects
    ) WHERE rank = 1
"""


def linked_email(database: Database, issuer: str, subject: str) -> str | None:
    """The address this provider account holds, or None if it holds none."""
    rows = database.query(
        f"SELECT email FROM ({OWNED_LINKS}) WHERE issuer = $issuer AND subject = $subject ORDER BY linked_at LIMIT 1",
        {"issuer": issuer, "subject": subject},
    )
    return rows[0][0] if rows else None


def _link(database: Database, identity: Identity) -> bool:
    """Link the identity's address to its account unless another account holds it; True when it holds it now."""

    def work(cursor) -> bool:
        owner = cursor.execute(
            f"SELECT issuer, subject FROM ({OWNED_LINKS}) WHERE email = $email", {"email": identity.email}
        ).fetchone()
        if owner is not None:
            return owner == (identity.issuer, identity.subject)
        at = now_utc()
        cursor.execute(
            "INSERT INTO user_subjects VALUES ($issuer, $subject, $email, $at)",
            {"issuer": identity.issuer, "subject": identity.subject, "email": identity.email, "at": at},
        )
        record_event(
            cursor, identity.email, "link", identity.email, {"issuer": identity.issuer, "subject": identity.subject}, at
        )
        return True

    return database.write(work)


def sign_in(database: Database, identity: Identity, name: str, settings: AuthSettings) -> User:
    """The user behind a provider account, with the role of the address the account holds.

    An account that holds an address keeps its role whatever e-mail it claims now. An account that holds none
    links its claimed address if the claim is verified and no other account holds it; otherwise it gets the
    default for users without a role, never the role given to that address."""
    if not identity.issuer or not identity.subject:
        return User(identity.email, name, settings.default_role)
    held = linked_email(database, identity.issuer, identity.subject)
    if held is not None:
        return User(held, name, role_of(database, held, settings))
    if "@" not in identity.email or not email_is_verified(identity, settings) or not _link(database, identity):
        return User(identity.email, name, settings.default_role)
    return User(identity.email, name, role_of(database, identity.email, settings))


def require(user: User, role: str) -> None:
    """Raise AccessError unless `user` holds `role` or a higher one."""
    if not user.can(role):
        raise AccessError(
            f"this needs the {ROLE_NAMES[role]} role; you are {ROLE_NAMES.get(user.role or '', 'not allowed in')}"
        )


def assign_role(database: Database, actor: User, email: str, role: str) -> None:
    """Give `email` a role (admins only); recorded in the audit trail."""
    require(actor, ADMIN)
    if role not in ROLES:
        raise InputError(f"role {role!r} is unknown: use one of {', '.join(ROLES)}")
    email = normalize_email(email)
    if "@" not in email:
        raise InputError(f"{email!r} is not an e-mail address")

    def work(cursor) -> None:
        at = now_utc()
        cursor.execute("DELETE FROM user_roles WHERE email = $email", {"email": email})
        cursor.execute(
            "INSERT INTO user_roles VALUES ($email, $role, $by, $at)",
            {"email": email, "role": role, "by": actor.email, "at": at},
        )
        record_event(cursor, actor.email, "role", email, {"role": role}, at)

    database.write(work)


def remove_role(database: Database, actor: User, email: str) -> None:
    """Take an assigned role away (the user falls back to the default for unknown users)."""
    require(actor, ADMIN)
    email = normalize_email(email)

    def work(cursor) -> None:
        cursor.execute("DELETE FROM user_roles WHERE email = $email", {"email": email})
        record_event(cursor, actor.email, "role", email, {"role": None})

    database.write(work)


def assigned_roles(database: Database) -> list[dict]:
    """Every assigned role with the provider account that holds its address (issuer and subject None until
    that address is first used to sign in)."""
    return database.query_dicts(
        f"""
        SELECT r.email, r.role, l.issuer, l.subject, r.granted_by, r.granted_at
        FROM user_roles AS r LEFT JOIN ({OWNED_LINKS}) AS l USING (email)
        ORDER BY r.email
        """
    )


def linked_accounts(database: Database) -> list[dict]:
    """Every provider account that holds an address, with when it was linked."""
    return database.query_dicts(f"SELECT email, issuer, subject, linked_at FROM ({OWNED_LINKS}) ORDER BY email")


def unlink_account(database: Database, actor: User, email: str) -> None:
    """Free an address from the account holding it (admins only): the next verified sign-in with it links anew.
    For a person whose provider account was replaced, or an address handed on to someone else."""
    require(actor, ADMIN)
    email = normalize_email(email)

    def work(cursor) -> None:
        links = cursor.execute(
            "SELECT issuer, subject FROM user_subjects WHERE email = $email ORDER BY linked_at", {"email": email}
        ).fetchall()
        if not links:
            raise InputError(f"no provider account holds {email}")
        cursor.execute("DELETE FROM user_subjects WHERE email = $email", {"email": email})
        record_event(cursor, actor.email, "unlink", email, {"issuer": links[0][0], "subject": links[0][1]})

    database.write(work)


def shown_user(identifier: str | None) -> str:
    """Who a record names, as pages and packs show it: the local user (LOCAL_USER, whoever runs the app on
    this computer without sign-in) as "Local user", anyone else by the identifier recorded."""
    if identifier is None:
        return ""
    return "Local user" if identifier == LOCAL_USER else identifier


def os_user() -> str:
    """Who runs the CLI, as the operating system names them, for the ledger and the audit trail."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def account_name() -> str:
    """The computer account's full name when it has one (the GECOS field), else its login name."""
    try:
        import pwd

        full = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError, OSError):
        full = ""
    return full or os_user()


def local_user_name(settings: AuthSettings, environ: Mapping[str, str] = os.environ) -> str:
    """The name records show for the local user (who closed a review, raised or changed an action): the
    environment's ISOKPI_LOCAL_USER_NAME, else `[isokpi] local_user_name` in secrets.toml, else the computer
    account's name. Never the identifier "local"."""
    configured = " ".join(environ.get(LOCAL_NAME_VARIABLE, "").split()) or settings.local_user_name
    return configured or account_name()


def local_name_is_configured(settings: AuthSettings, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether someone named the local user, rather than the computer account's name standing in."""
    return bool(environ.get(LOCAL_NAME_VARIABLE, "").strip() or settings.local_user_name)


def cli_user(claimed: str | None = None) -> User:
    """Whoever runs the command line. They can open the database file itself, so they act as admin; the OS
    user is what the ledger records, and a name given with --user is kept beside it as a claim, not as fact."""
    name = os_user()
    claimed = " ".join((claimed or "").split())
    recorded = f"{name} (claims to be {claimed})" if claimed and claimed != name else name
    return User(recorded, recorded, ADMIN)


def system_user(what: str) -> User:
    """isokpi itself acting (the first run's demo data, a benchmark): recorded as such in the ledger."""
    return User(what, what, ADMIN)
