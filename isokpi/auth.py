"""Roles: who may see, load and decide. The rules here; signing in is Streamlit's (isokpi/ui.py).

viewer        every dashboard page and review, read-only (executives, meeting attendees)
quality_lead  also upload, undo, notes, actions, open and close reviews
admin         also assign roles and read the audit trail

Without sign-in configured the app runs in local mode: it listens on this machine only and its one user
is admin. With sign-in, roles are assigned by e-mail in the database; the first admin is named in
configuration; signed-in users without a role are viewers or refused, as configured.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from isokpi.audit import record_event
from isokpi.db import Database, now_utc
from isokpi.errors import IsokpiError

VIEWER, QUALITY_LEAD, ADMIN = "viewer", "quality_lead", "admin"
ROLES = (VIEWER, QUALITY_LEAD, ADMIN)
ROLE_NAMES = {VIEWER: "Viewer", QUALITY_LEAD: "Quality lead", ADMIN: "Admin"}
LOCAL_USER = "local"


class AccessError(IsokpiError):
    """Not allowed; the message says which role is needed."""


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: str | None  # None: signed in but refused

    def can(self, role: str) -> bool:
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class AuthSettings:
    """The [isokpi] section of .streamlit/secrets.toml, next to Streamlit's [auth]."""

    first_admin: str | None = None
    unknown_users: str = VIEWER  # "viewer" or "refuse"

    @classmethod
    def from_mapping(cls, section: dict | None) -> AuthSettings:
        section = dict(section or {})
        unknown = str(section.get("unknown_users", VIEWER))
        if unknown not in (VIEWER, "refuse"):
            raise ValueError(f"[isokpi] unknown_users = {unknown!r}: use 'viewer' or 'refuse'")
        first = section.get("first_admin")
        return cls(first_admin=str(first).strip().lower() if first else None, unknown_users=unknown)


def role_of(database: Database, email: str, settings: AuthSettings) -> str | None:
    """The role of a signed-in user: assigned in the database, else admin if named first admin, else the default."""
    email = email.strip().lower()
    rows = database.query(
        "SELECT role FROM user_roles WHERE email = $email ORDER BY granted_at DESC LIMIT 1", {"email": email}
    )
    if rows and rows[0][0] in ROLES:
        return rows[0][0]
    if settings.first_admin and email == settings.first_admin:
        return ADMIN
    return VIEWER if settings.unknown_users == VIEWER else None


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
        raise ValueError(f"role {role!r} is unknown: use one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an e-mail address")

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
    email = email.strip().lower()

    def work(cursor) -> None:
        cursor.execute("DELETE FROM user_roles WHERE email = $email", {"email": email})
        record_event(cursor, actor.email, "role", email, {"role": None})

    database.write(work)


def assigned_roles(database: Database) -> list[dict]:
    return database.query_dicts("SELECT email, role, granted_by, granted_at FROM user_roles ORDER BY email")


def os_user() -> str:
    """Who runs the CLI, as the operating system names them, for the ledger and the audit trail."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


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
