"""The product's own processes (`manage.py …`, gunicorn) started by tests, and waiting on
them: each runs with its output in a log file, and a wait fails at once with that log when a
process exits early."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def postgres_only(why: str) -> list:
    """The `pytestmark` of a test module whose processes share the test database."""
    return [
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(connection.vendor != "postgresql", reason=f"needs PostgreSQL: {why}"),
    ]


class Spawned:
    """`argv` in its own process (in the project's folder) with `env`, its output in `log`."""

    def __init__(self, log: Path, argv: Sequence[str], *, env: dict):
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.name = f"{socket.gethostname()}:{self.process.pid}"  # as worker_name() says

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def manage_py(log: Path, args: Sequence[str], *, env: dict) -> Spawned:
    return Spawned(log, [sys.executable, "manage.py", *args], env=env)


def wait_until(
    condition: Callable[[], object],
    *,
    what: str,
    processes: Sequence[Spawned] = (),
    timeout: float = 60,
    interval: float = 0.05,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for running in processes:
            assert running.process.poll() is None, f"a process exited:\n{running.output()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def sessions_waiting_for_a_lock(cursor, *, query_like: str) -> int:
    """Other sessions on the test database blocked on a lock in a query that starts like
    `query_like` (a LIKE pattern): the processes lined up at the same row."""
    cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh figures inside a transaction
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
        [query_like],
    )
    return cursor.fetchone()[0]
