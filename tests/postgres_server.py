"""A real PostgreSQL server for the tests: CI's (AUDITLENS_TEST_POSTGRES_URL) or one of our own.

When the variable is absent and the Debian binaries are there, the fixture starts a throw-away
server exactly as CI does (scripts/pg_test_server.sh), so the tests run locally too. Without
either, they skip locally but FAIL under CI (CI=true): a CI that cannot reach PostgreSQL must
not pass by skipping the tests that need it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
ENV = "AUDITLENS_TEST_POSTGRES_URL"


def _have_binaries() -> bool:
    return shutil.which("pg_ctl") is not None or any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get(ENV)
    if url:
        yield url
        return
    if not _have_binaries():
        if os.environ.get("CI"):
            pytest.fail(f"{ENV} is not set and PostgreSQL is not installed: .ci/run must start it")
        pytest.skip(f"needs PostgreSQL ({ENV}, or the Debian postgresql package)")
    folder = tempfile.mkdtemp(prefix="auditlens-pg-")  # not under pytest's root-only tmp: the server runs as postgres
    try:
        done = subprocess.run(["bash", str(SCRIPT), "start", folder, str(_free_port())],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            pytest.fail(f"could not start PostgreSQL: {done.stderr.strip()}")
        yield done.stdout.strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], capture_output=True, timeout=120, check=False)
        shutil.rmtree(folder, ignore_errors=True)
