"""A throwaway S3-compatible object store for the object-storage tests and benchmarks: moto's server mode.

    python tests/s3.py start     # start one on 127.0.0.1 (a free port), print the variables to export; Ctrl+C stops

The test session starts one server of its own on 127.0.0.1 and a free port, with moto's credential checks on
(INITIAL_NO_AUTH_ACTION_COUNT: the first few requests make an IAM user with an access key, every later one must be
signed by it), so a wrong key is refused as by a real store. Each test gets its own bucket. Without moto (pip
install -r requirements.txt) the object-storage tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# Requests moto serves before it checks credentials: create the user, its key and its policy.
SETUP_REQUESTS = 3
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Store:
    """A running moto server and the credentials it accepts."""

    endpoint_url: str
    key_id: str
    secret: str = field(repr=False)
    process: subprocess.Popen | None = None
    log: Path | None = None
    buckets: list[str] = field(default_factory=list)

    def client(self, key_id: str | None = None, secret: str | None = None):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=key_id or self.key_id,
            aws_secret_access_key=secret or self.secret,
            region_name=REGION,
        )

    def environ(self) -> dict[str, str]:
        """The variables isokpi reads to reach this store."""
        return {
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "ISOKPI_S3_URL_STYLE": "path",
        }

    def create_bucket(self, prefix: str = "isokpi-test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object's key in `bucket`."""
        found: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            if self.process.poll() is None:
                self.process.kill()
            self.process = None


def start(port: int | None = None) -> Store:
    """Start moto's server on 127.0.0.1 with credential checks on and make a user allowed everything. Raises
    RuntimeError (with moto's log) when it cannot."""
    try:
        import boto3  # noqa: F401  (moto's own dependency)
        import flask  # noqa: F401
        import moto  # noqa: F401
    except ImportError as missing:
        raise RuntimeError(
            f"moto's server is not installed ({missing.name}): pip install -r requirements.txt"
        ) from None
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix="isokpi-moto-", suffix=".log")[1])
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 30
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((HOST, port)) == 0:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"moto's server did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=endpoint, aws_access_key_id="setup", aws_secret_access_key="setup", region_name=REGION
    )
    iam.create_user(UserName="isokpi")
    key = iam.create_access_key(UserName="isokpi")["AccessKey"]
    iam.put_user_policy(UserName="isokpi", PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL))
    return Store(endpoint, key["AccessKeyId"], key["SecretAccessKey"], process, log)


def find_or_start() -> tuple[Store | None, str]:
    """A store to test against and why; (None, reason) when none can be started."""
    try:
        store = start()
    except (RuntimeError, OSError) as error:
        return None, str(error)
    return store, f"moto's server at {store.endpoint_url}"


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "start":
        store = start(int(argv[2]) if len(argv) > 2 else None)
        bucket = store.create_bucket("isokpi")
        for name, value in store.environ().items():
            print(f"export {name}={value}")
        print(f"export ISOKPI_DATA_PATH=s3://{bucket}/lake", flush=True)
        try:
            assert store.process is not None
            store.process.wait()
        except KeyboardInterrupt:
            store.stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
