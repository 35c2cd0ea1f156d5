"""A real gunicorn with two workers on the test database, for tests that need several
processes: each request opens a new connection, so either worker may answer it, and the
access log names the worker (pid) that did."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_url() -> str:
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def two_workers(tmp_path: Path, *, env: dict, args: list[str]) -> Iterator[tuple[str, Path]]:
    """(base url, access log) of `gunicorn <args> smplat.wsgi:application` bound to a free
    port, once it answers /healthz; stopped on exit. `args` must start two workers."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": postgres_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        **env,
    }
    with (tmp_path / "gunicorn.log").open("w") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *args,
                f"--bind=127.0.0.1:{port}",
                f"--access-logfile={access_log}",
                "--access-logformat=%(p)s %(U)s",
                "smplat.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:
                    break
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        process.wait(timeout=30)
