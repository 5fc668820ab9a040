"""Helpers for tests that run real server processes (PostgreSQL, gunicorn, nginx): shared by the
database, deploy and faults fixtures, which each start their own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

HOST = "127.0.0.1"


def pg_ctl() -> str:
    """The pg_ctl of the newest server installed, as .ci/start-postgres chooses it."""
    if os.environ.get("PG_BIN"):
        return str(Path(os.environ["PG_BIN"]) / "pg_ctl")
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: [int(part) for part in path.parent.parent.name.split(".")],
    )
    return str(found[-1]) if found else shutil.which("pg_ctl") or "pg_ctl"


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Until ``process`` listens on ``port``; fails the test with its log if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited at start:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{process.args[0]} did not listen on {port} within {timeout:.0f} s")
