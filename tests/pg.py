"""A throwaway PostgreSQL server for the DuckLake tests and benchmarks.

    python tests/pg.py start     # start one on 127.0.0.1:55432 (kept until `stop`), print its connection string
    python tests/pg.py stop

The test session finds a server in this order: $ISOKPI_TEST_PG (a libpq string without dbname, for example
"host=127.0.0.1 port=55432 user=postgres"); a server already answering on 127.0.0.1:55432 (e.g. started with
`python tests/pg.py start`); else a cluster of its own, made with initdb in a temporary directory (trust
auth, fsync off) when the PostgreSQL binaries are installed, and stopped at the end of the session. As root,
the server runs as the `postgres` user (initdb refuses root). Each test gets its own database on it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PORT = 55432
HOST = "127.0.0.1"
STATE_DIR = Path(tempfile.gettempdir()) / "isokpi-test-pg"  # where `python tests/pg.py start` keeps its cluster


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps it off PATH), else the one on PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(part) if part.isdigit() else 0 for part in p.parent.parent.name.split(".")],
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _tool(name: str) -> str | None:
    directory = bin_dir()
    if directory is not None and (directory / name).exists():
        return str(directory / name)
    return shutil.which(name)


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as `postgres` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def psql(dsn: str, sql: str) -> subprocess.CompletedProcess[str]:
    """Run one statement with psql against `dsn` (a libpq string including dbname)."""
    tool = _tool("psql")
    if tool is None:
        raise RuntimeError("psql is not installed: apt-get install postgresql-client")
    return subprocess.run(
        [tool, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )


@dataclass
class Server:
    """A PostgreSQL server to create test databases on."""

    dsn: str  # libpq key=value pairs without dbname
    owned_dir: Path | None = None  # set when this process started it (stop() removes it)
    made: list[str] = field(default_factory=list)

    def reachable(self) -> bool:
        return psql(f"{self.dsn} dbname=postgres", "SELECT 1").returncode == 0

    def create_database(self, prefix: str = "isokpi_test") -> str:
        """A new, empty database; returns the libpq string that names it."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        done = psql(f"{self.dsn} dbname=postgres", f"CREATE DATABASE {name}")
        if done.returncode != 0:
            raise RuntimeError(f"CREATE DATABASE failed: {done.stderr.strip()}")
        self.made.append(name)
        return f"dbname={name} {self.dsn}"

    def drop_database(self, dsn: str) -> None:
        name = dict(part.split("=", 1) for part in dsn.split())["dbname"]
        psql(f"{self.dsn} dbname=postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        with contextlib.suppress(ValueError):
            self.made.remove(name)

    def stop(self) -> None:
        if self.owned_dir is not None:
            stop_cluster(self.owned_dir)
            shutil.rmtree(self.owned_dir, ignore_errors=True)
            self.owned_dir = None


def start_cluster(base: Path, port: int = PORT) -> str:
    """initdb into base/data (once) and start it on 127.0.0.1:port; return the libpq string. Raises RuntimeError."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb): apt-get install postgresql")
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root but there is no `postgres` user to run the server as") from None
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(base, server_user.pw_uid, server_user.pw_gid)
    os.chmod(base, 0o700)
    data = base / "data"
    if not (data / "PG_VERSION").exists():
        made = subprocess.run(
            _as_server_user(
                [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"]
            ),
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()}")
    if subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "status"]), capture_output=True).returncode != 0:
        options = f"-p {port} -k {base} -c listen_addresses={HOST} -c fsync=off -c max_connections=200"
        started = subprocess.run(
            _as_server_user(
                [pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60", "-o", options, "start"]
            ),
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            log = (base / "server.log").read_text(errors="replace")[-2000:] if (base / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log}")
    return f"host={HOST} port={port} user=postgres"


def stop_cluster(base: Path) -> None:
    pg_ctl = _tool("pg_ctl")
    if pg_ctl is not None and (base / "data" / "PG_VERSION").exists():
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(base / "data"), "-m", "fast", "-w", "stop"]), capture_output=True
        )


def find_or_start() -> tuple[Server | None, str]:
    """A server to test against and why; (None, reason) when there is none and none can be started."""
    configured = os.environ.get("ISOKPI_TEST_PG")
    if configured:
        server = Server(configured)
        if not server.reachable():
            return None, f"ISOKPI_TEST_PG={configured!r} does not answer (or psql is missing)"
        return server, f"ISOKPI_TEST_PG={configured}"
    if _port_open(HOST, PORT):
        server = Server(f"host={HOST} port={PORT} user=postgres")
        if server.reachable():
            return server, f"the server already running on {HOST}:{PORT}"
        return None, f"port {PORT} is taken by something that does not accept user postgres with trust auth"
    if bin_dir() is None:
        return (
            None,
            "no PostgreSQL server: set ISOKPI_TEST_PG or install Debian's postgresql (apt-get install postgresql)",
        )
    base = Path(tempfile.mkdtemp(prefix="isokpi-pg-"))
    try:
        dsn = start_cluster(base)
    except (RuntimeError, OSError) as error:
        stop_cluster(base)
        shutil.rmtree(base, ignore_errors=True)
        return None, f"could not start a throwaway PostgreSQL: {error}"
    return Server(dsn, owned_dir=base), f"a throwaway cluster in {base}"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        print(start_cluster(STATE_DIR))
        return 0
    if command == "stop":
        stop_cluster(STATE_DIR)
        shutil.rmtree(STATE_DIR, ignore_errors=True)
        return 0
    if command == "status":
        up = _port_open(HOST, PORT)
        print(f"{HOST}:{PORT} {'answers' if up else 'is closed'}")
        return 0 if up else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
