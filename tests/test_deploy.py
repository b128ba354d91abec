"""deploy/haproxy.cfg is what deploy/local.py generates for 4 servers, and HAProxy accepts it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "deploy"))
import local as deploy  # noqa: E402

CONFIG = ROOT / "deploy" / "haproxy.cfg"


def test_the_shipped_configuration_is_the_generated_one_for_4_servers():
    text = CONFIG.read_text(encoding="utf-8")
    assert text == deploy.haproxy_config(deploy.app_ports(4), 8080)
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server ")]
    assert [(words[1], words[2], words[4]) for words in servers] == [
        (f"app{i}", f"127.0.0.1:{8600 + i}", f"app{i}") for i in range(1, 5)
    ]
    assert f"cookie {deploy.COOKIE} insert indirect nocache httponly" in text
    assert "timeout tunnel 1h" in text


def test_haproxy_accepts_it():
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not shutil.which(haproxy):
        pytest.skip("HAProxy is not installed (apt-get install haproxy); .ci/run installs it")
    checked = subprocess.run([haproxy, "-c", "-f", str(CONFIG)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
