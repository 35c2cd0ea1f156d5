"""Real worker processes on PostgreSQL: SKIP LOCKED claims share out the work, and a lease
hands the task of a killed worker to another one, which never repeats a provider `add` the
killed worker may have sent.

Each worker is `manage.py run_worker --queues fulfillment` in its own process, on the test
database.
"""

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from fulfillment import processor
from fulfillment.models import FulfillmentTask, TaskAttempt
from fulfillment.processor import process_due
from fulfillment.services import task_retry_now
from orders.models import Order, OrderNotification, OrderStatusChange
from tests.gunicorn_server import postgres_url
from tests.processes import (
    Spawned,
    manage_py,
    postgres_only,
    sessions_waiting_for_a_lock,
    wait_until,
)

from .factories import paid_order, product_with_plan

pytestmark = postgres_only("its row locks, with real processes")

NOOP = {"name": "No-op", "kind": "noop", "adapter": "noop"}


def worker_env(**extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": postgres_url(),
        **extra,
    }


def fulfillment_worker(tmp_path: Path, *args: str, env: dict) -> Spawned:
    """`manage.py run_worker --queues fulfillment` in its own process."""
    log = tmp_path / f"worker-{time.monotonic_ns()}.log"
    return manage_py(log, ["run_worker", "--queues", "fulfillment", *args], env=env)


def workers_waiting_for_a_lock(cursor) -> int:
    # The claim; pg_stat_activity may cut a long query before its SKIP LOCKED.
    return sessions_waiting_for_a_lock(
        cursor, query_like=f'SELECT "{FulfillmentTask._meta.db_table}".%'
    )


def test_two_thousand_tasks_are_shared_out_and_each_runs_exactly_once(client, tmp_path):
    orders = [paid_order(client, product_with_plan(NOOP)) for _ in range(4)]  # 4 tasks
    now = timezone.now()
    FulfillmentTask.objects.bulk_create(
        FulfillmentTask(
            order=order,
            order_line=order.lines.get(),
            position=position,
            name="No-op",
            kind="noop",
            adapter="noop",
            due_at=now,
        )
        for position in range(1, 500)
        for order in orders
    )
    assert FulfillmentTask.objects.filter(status="queued").count() == 2_000

    # Hold the workers at the start line: each blocks on its first claim until the table lock
    # is released, so all of them compete for the work from the same moment.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{FulfillmentTask._meta.db_table}" IN EXCLUSIVE MODE')
        workers = [
            fulfillment_worker(tmp_path, "--once", "--batch", "50", env=worker_env())
            for _ in range(4)
        ]
        wait_until(
            lambda: workers_waiting_for_a_lock(cursor) == len(workers),
            processes=workers,
            what="every worker to try its first claim",
        )
    for worker in workers:
        assert worker.process.wait(timeout=120) == 0, worker.output()

    assert set(FulfillmentTask.objects.values_list("status", "runs")) == {("succeeded", 1)}
    per_task = TaskAttempt.objects.values("task").annotate(n=Count("id"))
    assert per_task.count() == 2_000
    assert {row["n"] for row in per_task} == {1}
    assert set(TaskAttempt.objects.values_list("outcome", flat=True)) == {"succeeded"}
    shares = dict(
        TaskAttempt.objects.values_list("worker").annotate(n=Count("id")).order_by("worker")
    )
    assert set(shares) == {worker.name for worker in workers}, shares
    assert sum(shares.values()) == 2_000
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in orders])} == {"completed"}


def test_two_workers_run_many_two_step_orders_exactly_once_and_complete_each_once(client, tmp_path):
    template = paid_order(client, product_with_plan(NOOP, NOOP))
    line = template.lines.get()
    buyer = template.user
    orders = Order.objects.bulk_create(
        Order(
            number=f"SMP-W-{i:04d}",
            user=buyer,
            email=f"buyer-{i}@example.com",
            name="Buyer",
            status="processing",
            currency="USD",
            subtotal_amount=1_000,
            total_amount=1_000,
        )
        for i in range(300)
    )
    lines = {o.pk: o.lines.create(**_line_copy(line)) for o in orders}
    now = timezone.now()
    FulfillmentTask.objects.bulk_create(
        FulfillmentTask(
            order=order,
            order_line=lines[order.pk],
            position=position,
            name="No-op",
            kind="noop",
            adapter="noop",
            due_at=now,
        )
        for order in orders
        for position in range(2)
    )
    orders.append(template)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{FulfillmentTask._meta.db_table}" IN EXCLUSIVE MODE')
        workers = [
            fulfillment_worker(tmp_path, "--once", "--batch", "40", env=worker_env())
            for _ in range(2)
        ]
        wait_until(
            lambda: workers_waiting_for_a_lock(cursor) == len(workers),
            processes=workers,
            what="every worker to try its first claim",
        )
    for worker in workers:
        assert worker.process.wait(timeout=120) == 0, worker.output()

    assert set(FulfillmentTask.objects.values_list("status", "runs")) == {("succeeded", 1)}
    assert set(TaskAttempt.objects.values("task").annotate(n=Count("id")).values_list("n")) == {
        (1,)
    }
    assert len(set(TaskAttempt.objects.values_list("worker", flat=True))) == 2
    ids = [o.pk for o in orders]
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"completed"}
    # Each order completed once: straight from processing, or by way of active when its two
    # tasks were in different batches; one e-mail per change.
    paths = {}
    for order_id, to_status in (
        OrderStatusChange.objects.filter(order_id__in=ids, source="fulfillment")
        .order_by("order_id", "created_at", "pk")
        .values_list("order_id", "to_status")
    ):
        paths.setdefault(order_id, []).append(to_status)
    assert set(paths) == set(ids)
    assert {tuple(p) for p in paths.values()} <= {("completed",), ("active", "completed")}
    e_mails = OrderNotification.objects.filter(order_id__in=ids).exclude(to_status="processing")
    assert e_mails.count() == sum(len(p) for p in paths.values())


def _line_copy(line) -> dict:
    fields = ("product", "title", "configuration", "breakdown", "quantity", "billing", "target")
    more = ("targets", "currency", "gross_amount", "discount_amount", "total_amount")
    return {name: getattr(line, name) for name in fields + more}


PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 0.2},
}


def test_a_worker_killed_during_add_leaves_the_step_to_staff_until_they_retry(
    client, fake_panel, tmp_path
):
    order = paid_order(client, product_with_plan(PANEL_STEP))
    task = order.tasks.get()
    env = worker_env(
        FULFILLMENT_LEASE_SECONDS="2",
        PROVIDER_PANEL_URL=fake_panel.url,
        PROVIDER_PANEL_KEY=fake_panel.key,
        PROVIDER_HTTP_TIMEOUT="30",
    )
    fake_panel.hang_next()  # the first `add` gets no answer (and places nothing)

    doomed = fulfillment_worker(tmp_path, "--sleep", "0.1", env=env)
    wait_until(lambda: fake_panel.calls("add"), processes=[doomed], what="the first `add`")
    task.refresh_from_db()
    assert (task.status, task.runs, task.locked_by) == ("running", 1, doomed.name)
    assert doomed.stop(signal.SIGKILL, timeout=30) == -signal.SIGKILL
    lease_end = task.lease_expires_at

    survivor = fulfillment_worker(tmp_path, "--sleep", "0.1", env=env)
    try:
        wait_until(
            lambda: FulfillmentTask.objects.get(pk=task.pk).status == "waiting_staff",
            processes=[survivor],
            what="the task to wait for staff",
        )
        # The survivor took the task over and did not place the order a second time.
        task.refresh_from_db()
        assert len(fake_panel.calls("add")) == 1 and fake_panel.orders == {}
        assert (task.runs, task.remote_id, task.locked_by) == (2, "", "")
        assert task.last_error.startswith(
            "The previous run stopped during its call to the provider"
        )
        assert "service 1, quantity 500, link @target.account" in task.last_error
        assert "force-complete this step; if it is not, retry the step." in task.last_error
        taken_over = task.attempt_log.get(worker=survivor.name)
        assert (taken_over.run, taken_over.outcome) == (2, "waiting")
        assert taken_over.started_at >= lease_end  # not taken over before the lease ran out
        time.sleep(0.5)  # the survivor keeps polling: nothing more reaches the panel
        assert len(fake_panel.calls("add")) == 1

        # Staff find nothing on the panel and retry: one more `add`, and the order completes.
        staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-1")
        task_retry_now(task_id=task.pk, actor=staff, reason="Not on the panel")
        wait_until(
            lambda: FulfillmentTask.objects.get(pk=task.pk).status == "succeeded",
            processes=[survivor],
            what="the task to succeed",
        )
    finally:
        assert survivor.stop() == 0, survivor.output()

    task.refresh_from_db()
    order.refresh_from_db()
    # The killed run counts; then waiting for staff, placing the order and
    # Pending → In progress → Completed.
    assert (task.status, task.runs, task.attempts, task.locked_by) == ("succeeded", 6, 0, "")
    assert (task.remote_id, task.delivered, task.remains) == ("23501", 500, 0)
    assert list(task.attempt_log.values_list("worker", "run", "outcome")) == [
        (doomed.name, 1, "lost"),
        (survivor.name, 2, "waiting"),
        (survivor.name, 3, "progress"),
        (survivor.name, 4, "progress"),
        (survivor.name, 5, "progress"),
        (survivor.name, 6, "succeeded"),
    ]
    assert len(fake_panel.calls("add")) == 2 and list(fake_panel.orders) == [23501]
    assert order.status == "completed"
    assert list(order.history.values_list("to_status", flat=True)) == [
        "pending",
        "processing",
        "active",
        "completed",
    ]


def at_once(fn, items):
    """fn(item) in a thread per item; each thread has its own database connection."""

    def run(item):
        try:
            return fn(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def test_an_order_whose_last_tasks_finish_in_two_workers_at_once_completes(client, monkeypatch):
    order = paid_order(client, product_with_plan(NOOP, NOOP))
    both_recorded = threading.Barrier(2)
    real_sync = processor.orders_sync

    def sync_when_both_workers_have_recorded(*, order_ids):
        # Unless recording locks the order (one worker then waits for the other's commit),
        # each would decide the order's status without seeing the other's finished task.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_recorded.wait(timeout=1)
        real_sync(order_ids=order_ids)

    monkeypatch.setattr(processor, "orders_sync", sync_when_both_workers_have_recorded)

    results = at_once(lambda name: process_due(worker=name, limit=1), ["a", "b"])

    assert [r.succeeded for r in results] == [1, 1]
    order.refresh_from_db()
    assert order.status == "completed"
