"""The gate's rules (isokpi/gate.py): which Host names are served, and which sessions may upload. The gate in
front of a real server is tested in tests/browser/test_gate.py."""

from __future__ import annotations

import pytest

from isokpi import gate


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("localhost:8501", "localhost"),
        ("LocalHost.", "localhost"),
        ("127.0.0.1:8501", "127.0.0.1"),
        ("[::1]:8501", "::1"),
        ("Evil.Example:80", "evil.example"),
        ("", None),
        (None, None),
        ("user@localhost", None),
        ("localhost:99999", None),
        ("localhost:port", None),
        ("localhost/path", None),
    ],
)
def test_the_name_of_a_host_header(host, name):
    assert gate.host_name(host) == name


def test_only_localhost_and_loopback_addresses_are_loopback_names():
    loopback = ["localhost", "localhost:8501", "127.0.0.1:8501", "127.1.2.3", "[::1]:8501"]
    others = ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "10.0.0.1", "[::ffff:7f00:1]x", None]
    assert [gate.is_loopback_host(host) for host in loopback] == [True] * len(loopback)
    assert [gate.is_loopback_host(host) for host in others] == [False] * len(others)


def test_allowed_hosts_follow_streamlits_rule():
    patterns = ["isokpi.example.com", "*.intra.example.com"]
    assert gate.host_allowed("isokpi.example.com:443", patterns)
    assert gate.host_allowed("ISOKPI.example.com", patterns)
    assert gate.host_allowed("a.intra.example.com", patterns)
    assert not gate.host_allowed("intra.example.com.evil.example", patterns)
    assert not gate.host_allowed("evil.example", patterns)
    assert not gate.host_allowed(None, patterns)
    assert gate.host_allowed("anything.example", ["*"])
    assert gate.host_allowed("anything.example", [])  # Streamlit's default: no list, every name


def test_a_session_may_upload_from_being_cleared_until_it_is_not():
    clearance = gate.UploadClearance(limit=2)
    assert not clearance.allows("a")
    clearance.set("a", True)
    assert clearance.allows("a")
    clearance.set("a", False)
    assert not clearance.allows("a")
    for session in ("a", "b", "c"):
        clearance.set(session, True)
    assert [clearance.allows(session) for session in "abc"] == [False, True, True]  # the oldest dropped
    clearance.set("d", True, is_active=lambda session: session != "b")
    assert [clearance.allows(session) for session in "bcd"] == [False, True, True]  # an ended session dropped


def test_the_upload_route_is_recognised_under_a_base_path():
    for path in ("/_stcore/upload_file/s-1/f-1", "/isokpi/_stcore/upload_file/s-1/f-1"):
        assert gate.UPLOAD_ROUTE.search(path)["session"] == "s-1"
    assert gate.UPLOAD_ROUTE.search("/_stcore/upload_file/s-1") is None


@pytest.mark.parametrize(
    ("headers", "elsewhere"),
    [
        ({}, False),
        ({"X-Forwarded-For": "127.0.0.1"}, False),
        ({"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}, True),  # a chain: one hop from another machine
        ({"X-Forwarded-For": "203.0.113.9"}, True),
        ({"X-Real-IP": "::1"}, False),
        ({"Forwarded": 'for="[2001:db8::1]:4711";proto=https'}, True),
        ({"Forwarded": "for=127.0.0.1:5000"}, False),
        ({"X-Forwarded-For": "unknown"}, True),  # a proxy that hides the client proves nothing about it
    ],
)
def test_a_proxy_naming_another_machine_takes_away_the_local_admin(headers, elsewhere):
    assert gate.forwarded_from_elsewhere(headers) is elsewhere
