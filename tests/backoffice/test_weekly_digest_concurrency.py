"""Two `send_weekly_digest` processes for the same week at the same time, on PostgreSQL (a
process each, as on two machines): every client gets exactly one digest, and both runs
account for every client, as queued by one and already sent for the other.

To make the runs overlap for sure, the test holds an uncommitted digest of the first client
until both processes wait on it, then withdraws it: from there they race client by client.
"""

import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from core.models import OutgoingEmail
from core.weeks import IsoWeek
from tests.backoffice.factories import bulk_clients
from tests.gunicorn_server import postgres_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes, one database"),
]

CLIENTS = 300
SUMMARY = re.compile(r"(\d+) queued, .*, (\d+) already sent")


def test_two_runs_at_once_queue_each_digest_once():
    week = IsoWeek.last_complete()
    first = bulk_clients("race", CLIENTS, week)[0]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": postgres_url(),
    }
    command = [
        sys.executable,
        "manage.py",
        "send_weekly_digest",
        "--week",
        str(week),
        "--batch-size",
        "20",
        "--clients-only",
    ]
    with transaction.atomic():
        OutgoingEmail.objects.create(
            key=f"weekly_digest:{first.pk}:{week}",
            kind="weekly_digest",
            to=first.email,
            subject="held",
            body_text="held",
            next_attempt_at=first.date_joined,
        )
        runs = [
            subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        wait_for_waiters(2, runs)
        transaction.set_rollback(True)
    outputs = [run.communicate(timeout=180) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err.decode()
    per_client = OutgoingEmail.objects.values("key").annotate(n=Count("id"))
    assert per_client.count() == CLIENTS and {row["n"] for row in per_client} == {1}
    counts = [tuple(map(int, SUMMARY.search(out.decode()).groups())) for out, _ in outputs]
    assert sum(queued for queued, _ in counts) == CLIENTS
    assert sum(already for _, already in counts) == CLIENTS


def wait_for_waiters(count: int, runs, *, within: float = 60) -> None:
    """Until `count` sessions wait for a lock (ours)."""
    started = time.monotonic()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0] >= count:
                return
        assert all(run.poll() is None for run in runs), "a run ended without waiting"
        assert time.monotonic() - started < within, "the runs never reached the first client"
        time.sleep(0.05)
