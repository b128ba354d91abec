"""The HTTP gate in front of Streamlit: the Host of every request, and who may upload files.

Streamlit 1.67 checks `server.allowedHosts` on its websocket only, and its upload route
(`PUT /_stcore/upload_file/<session>/<file>`) takes a file from any live session, signed in or not, whether
or not that session shows a file uploader, and keeps it in memory until the session ends. This plain ASGI
middleware runs before Streamlit's routes (app.py installs it through `st.App(middleware=...)`): it refuses
a request whose Host is not allowed, and an upload from a session that no page has cleared for uploads,
before a byte of the body is read. It imports no streamlit; app.py hands it the settings as callables.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
UPLOAD_ROUTE = re.compile(r"(?:^|/)_stcore/upload_file/(?P<session>[^/]+)/[^/]+/?$")
MAX_CLEARED_SESSIONS = 10_000

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def host_name(host: str | None) -> str | None:
    """The lower-case name of a Host header without its port; None when the header is missing or malformed."""
    if not host:
        return None
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number in range)
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.password is not None:
        return None
    if parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname.lower().rstrip(".")


def forwarded_from_elsewhere(headers) -> bool:
    """True when a proxy on this machine says the request came from another one: X-Forwarded-For, X-Real-IP or
    Forwarded (RFC 7239) name any address that is not loopback. Behind such a proxy every request reaches the app
    from 127.0.0.1 with whatever Host the client sent, so neither proves the client is on this machine."""
    named: list[str] = []
    for header in ("X-Forwarded-For", "X-Real-IP"):
        named += [part.strip() for part in (headers.get(header) or "").split(",") if part.strip()]
    named += re.findall(r'for\s*=\s*"?([^";,]+)', headers.get("Forwarded") or "", flags=re.IGNORECASE)
    return any(not _loopback_address(value) for value in named)


def _loopback_address(value: str) -> bool:
    """A forwarded client address (with or without a port, IPv6 in brackets) that is loopback."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1), with or without a port.

    A web page can make its own name resolve to 127.0.0.1 (DNS rebinding), but the browser still sends that
    name as the Host, so only these names prove the page was opened on this machine."""
    name = host_name(host)
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str | None, patterns: Sequence[str]) -> bool:
    """Streamlit's rule for `server.allowedHosts`: exact names, `*.example.com` for subdomains, `*` for any;
    an empty list allows every Host."""
    if not patterns:
        return True
    name = host_name(host)
    if name is None:
        return False
    for pattern in patterns:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


class UploadClearance:
    """The Streamlit sessions a page has cleared to upload files (a quality lead on the Upload page).

    Pages set a session's clearance on every run, so a session loses it on its next run elsewhere or with a
    lower role; sessions that ended are dropped, and at most `limit` of the newest are kept."""

    def __init__(self, limit: int = MAX_CLEARED_SESSIONS) -> None:
        self._sessions: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def set(self, session_id: str, allowed: bool, *, is_active: Callable[[str], bool] | None = None) -> None:
        with self._lock:
            if not allowed:
                self._sessions.pop(session_id, None)
                return
            self._sessions[session_id] = None
            self._sessions.move_to_end(session_id)
            if is_active is not None:
                for ended in [other for other in self._sessions if other != session_id and not is_active(other)]:
                    del self._sessions[ended]
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)

    def allows(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._sessions


CLEARED = UploadClearance()


class Gate:
    """ASGI middleware: refuse a disallowed Host (403, or a refused websocket handshake) and an upload from an
    uncleared session (403) or over the size limit (413), before Streamlit sees the request.

    `local_mode()` true: only loopback names are served, whatever `allowed_hosts()` says. Otherwise the
    Host must match `allowed_hosts()` (server.allowedHosts, by Streamlit's rule)."""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Any],
        *,
        allowed_hosts: Callable[[], Sequence[str]],
        local_mode: Callable[[], bool],
        max_upload_bytes: Callable[[], int],
        clearance: UploadClearance = CLEARED,
    ) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.local_mode = local_mode
        self.max_upload_bytes = max_upload_bytes
        self.clearance = clearance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        host = headers.get("host")
        if not self.host_served(host):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # before accept: the handshake gets 403
                return
            await _plain(send, 403, f"This server does not answer to the name {host_name(host) or '(none)'}.\n")
            return
        if scope["type"] == "http" and scope["method"] == "PUT":
            route = UPLOAD_ROUTE.search(scope["path"])
            if route is not None:
                refusal = self.upload_refusal(route["session"], headers.get("content-length"))
                if refusal is not None:
                    await _plain(send, *refusal)
                    return
        await self.app(scope, receive, send)

    def host_served(self, host: str | None) -> bool:
        if self.local_mode():
            return is_loopback_host(host)
        return host_allowed(host, self.allowed_hosts())

    def upload_refusal(self, session_id: str, content_length: str | None) -> tuple[int, str] | None:
        """(status, message) when this upload is refused, else None."""
        if not self.clearance.allows(session_id):
            return 403, "Files are taken only from the Upload page, by a quality lead.\n"
        limit = self.max_upload_bytes()
        try:
            too_large = content_length is not None and int(content_length) > limit
        except ValueError:
            return 400, "The Content-Length header is not a number.\n"
        if too_large:
            return 413, f"The file is over the {limit // (1024 * 1024)} MB upload limit.\n"
        return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
