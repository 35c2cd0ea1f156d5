"""Two django-q2 clusters running the same schedules: each due schedule runs once per tick.

The product registers its schedules with `manage.py setup_schedules` (django-q2 `Schedule`
rows) and runs them with `manage.py qcluster`, on any number of machines. django-q2's
scheduler locks the due rows (`select_for_update`) while it queues their tasks and moves
their `next_run` on, so on PostgreSQL a second cluster waits for the first and then finds
nothing due. Here two real `qcluster` processes (tests/faults/cluster_settings.py) reach the
scheduler at the same moment: the test holds the schedule table until both are waiting for it.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from backoffice.management.commands.setup_schedules import SCHEDULES, Weekly
from tests.gunicorn_server import postgres_url
from tests.processes import (
    Spawned,
    manage_py,
    postgres_only,
    sessions_waiting_for_a_lock,
    wait_until,
)

pytestmark = postgres_only("its row locks, with real processes")


def cluster(tmp_path: Path, name: str) -> Spawned:
    """`manage.py qcluster` in its own process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.cluster_settings",
        "DATABASE_URL": postgres_url(),
    }
    return manage_py(tmp_path / f"{name}.log", ["qcluster"], env=env)


def schedulers_waiting(cursor) -> int:
    return sessions_waiting_for_a_lock(
        cursor, query_like=f'SELECT %"{Schedule._meta.db_table}"%FOR UPDATE%'
    )


def test_two_clusters_run_each_due_schedule_once(tmp_path):
    """With two qcluster processes scheduling at the same moment, each of the product's due
    schedules queues one task, which runs once, and its next run moves on by one interval."""
    call_command("setup_schedules", stdout=open(os.devnull, "w"))  # noqa: SIM115
    due = timezone.now() - timedelta(seconds=1)
    Schedule.objects.update(next_run=due)
    # One pass of the queues instead of 50 s of them, so the task ends within the test.
    Schedule.objects.filter(func="backoffice.tasks.run_worker_queues").update(
        kwargs="{'seconds': 0}"
    )
    assert Schedule.objects.count() == len(SCHEDULES)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{Schedule._meta.db_table}" IN EXCLUSIVE MODE')
        clusters = [cluster(tmp_path, name) for name in ("first", "second")]
        try:
            wait_until(
                lambda: schedulers_waiting(cursor) == 2,
                processes=clusters,
                what="both schedulers to wait for the schedules",
            )
        except BaseException:
            for running in clusters:
                running.stop()
            raise
    try:
        wait_until(
            lambda: (
                Task.objects.filter(success=True).count() >= len(SCHEDULES)
                and not OrmQ.objects.exists()
            ),
            processes=clusters,
            what="every scheduled task to run",
        )
        time.sleep(1)  # room for a second copy, from the other cluster, to show up
    finally:
        logs = [running.output() for running in clusters]
        assert [running.stop() for running in clusters] == [0, 0], logs

    tasks = Task.objects.order_by("group")
    assert sorted(tasks.values_list("group", "func", "success", "attempt_count")) == sorted(
        (name, func, True, 1) for name, (func, _, _) in SCHEDULES.items()
    )
    for name, (_, _, every) in SCHEDULES.items():
        interval = timedelta(days=7) if isinstance(every, Weekly) else timedelta(minutes=every)
        assert Schedule.objects.get(name=name).next_run == due + interval, name
