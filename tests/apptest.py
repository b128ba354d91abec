"""Opening the real app in Streamlit's AppTest, signed in as the local admin or as a viewer."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from isokpi.safety import WORD_JOINER

ROOT = Path(__file__).resolve().parent.parent
# [auth] secrets that turn sign-in on for an AppTest (which sets at.user itself: the provider is never contacted).
SIGN_IN = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "isokpi",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def app_page(page: str, *, viewer: bool = False, timeout: float = 120) -> AppTest:
    """app.py switched to pages/<page>.py, not yet run; `viewer` signs in someone without an assigned role."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if viewer:
        at.secrets["auth"] = SIGN_IN
        at.secrets["isokpi"] = {"unknown_users": "viewer"}
        at.user = {"is_logged_in": True, "email": "someone@example.com", "name": "Someone"}
    at.switch_page(f"pages/{page}.py")
    return at


def as_read(text: str) -> str:
    """Markdown as a reader sees it: escapes ("\\:") shown as the character, the invisible word joiners that stop
    autolinks (safety.plain) not there."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")
