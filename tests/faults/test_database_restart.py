"""PostgreSQL restarts under real processes: nothing is lost, nothing is done twice, and no
process needs a restart of its own.

The restart is simulated by a TCP proxy in front of the test database's server
(`tests.faults.outage.DatabaseProxy`, option (a)): the processes under test (a two-worker
gunicorn, a `manage.py run_worker`) reach PostgreSQL only through it, and a restart cuts every
open connection, refuses new ones for a while, then accepts again, which is what a restart
looks like from the application. The shared server itself is never restarted. The test keeps
its own direct connection to check what was written.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction

from billing.models import Invoice
from catalog.pricing import Configuration
from checkout.models import CheckoutSession, DuplicatePayment, WebhookEvent
from fulfillment.models import FulfillmentTask, TaskAttempt
from orders.models import Order, OrderStatusChange
from tests.checkout.factories import placed_order, session_event, stripe_signature
from tests.fulfillment.factories import product_with_plan
from tests.gunicorn_server import two_workers
from tests.processes import (
    Spawned,
    manage_py,
    postgres_only,
    sessions_waiting_for_a_lock,
    wait_until,
)

from .outage import DatabaseProxy, proxied_url, upstream

pytestmark = postgres_only("simulates its restart under real processes")

WEBHOOK = "/api/v1/payments/webhooks/stripe"


@pytest.fixture
def db_proxy() -> Iterator[DatabaseProxy]:
    proxy = DatabaseProxy(upstream()).start()
    yield proxy
    proxy.stop()


@dataclass(frozen=True)
class Delivery:
    event: dict
    started: float  # time.monotonic()
    status: int  # 0: no HTTP answer at all


def deliver(base: str, event: dict) -> Delivery:
    """POST a signed event as Stripe does; any answer but 2xx makes Stripe send it again."""
    payload = json.dumps(event).encode()
    request = urllib.request.Request(
        base + WEBHOOK,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Delivery(event, started, response.status)
    except urllib.error.HTTPError as error:
        return Delivery(event, started, error.code)
    except OSError:
        return Delivery(event, started, 0)


def deliveries_waiting_for_a_session() -> int:
    with connection.cursor() as cursor:
        # The session's lookup; pg_stat_activity may cut a long query before FOR UPDATE.
        return sessions_waiting_for_a_lock(
            cursor, query_like=f'SELECT "{CheckoutSession._meta.db_table}".%'
        )


def test_webhooks_during_a_database_restart_are_applied_once_or_answered_5xx(db_proxy, tmp_path):
    """Every Stripe delivery during a database restart is either applied and answered 2xx, or
    answered 5xx (so Stripe sends it again); deliveries after the restart are applied by the
    same web processes, and Stripe's re-sends leave every order paid once, with one invoice,
    consecutive invoice numbers and no duplicate payment."""
    sessions = [placed_order()[1] for _ in range(32)]
    events = [session_event(session) for session in sessions]
    cut = sessions[8]  # the third delivery of the first sender: in flight at the restart
    answered: list[Delivery] = []
    lock = threading.Lock()

    with two_workers(
        tmp_path, env={"DATABASE_URL": proxied_url(db_proxy)}, args=["--workers=2"]
    ) as (base, _):

        def sender(chunk: list[dict]) -> None:
            for event in chunk:
                delivery = deliver(base, event)
                with lock:
                    answered.append(delivery)
                time.sleep(0.4)  # a steady stream, before, during and after the restart

        with ThreadPoolExecutor(max_workers=4) as pool:
            # Holding the session's row makes its delivery wait inside its transaction, after
            # recording the event, so the restart cuts it before it can commit.
            with transaction.atomic():
                CheckoutSession.objects.select_for_update().get(pk=cut.pk)
                running = [pool.submit(sender, events[i::4]) for i in range(4)]
                wait_until(lambda: deliveries_waiting_for_a_session() == 1, what="the cut delivery")
                down_at = time.monotonic()
                db_proxy.restart(down_seconds=1.5)
                back_at = time.monotonic()
            for future in running:
                future.result()

        first_pass = {d.event["id"]: d for d in answered}
        applied = [d for d in answered if 200 <= d.status < 300]
        refused = [d for d in answered if not 200 <= d.status < 300]
        assert len(first_pass) == len(events)
        assert any(d.started < down_at for d in applied), "the stream began before the restart"
        assert refused, "no delivery reached the server while the database was down"
        assert {d.status for d in refused} <= {500, 503}, [d.status for d in refused]
        after = [d for d in answered if d.started > back_at]
        assert after, "the stream went on after the restart"
        # The same web processes apply deliveries as soon as the database is back.
        assert {d.status for d in after} == {200}
        # The delivery cut inside its transaction was refused, and none of it was kept.
        assert first_pass[events[8]["id"]].status == 500
        cut.order.refresh_from_db()
        assert cut.order.status == "pending"
        assert not WebhookEvent.objects.filter(event_id=events[8]["id"]).exists()

        # What was answered 2xx is in the database already, before any re-send.
        paid_numbers = set(
            Order.objects.filter(status="processing").values_list("number", flat=True)
        )
        for delivery in applied:
            assert delivery.event["data"]["object"]["client_reference_id"] in paid_numbers

        # Stripe sends every refused delivery again, with the same event id.
        resent = [deliver(base, d.event) for d in refused]
        assert [d.status for d in resent] == [200] * len(refused)

    orders = [session.order for session in sessions]
    for order, session in zip(orders, sessions, strict=True):
        order.refresh_from_db()
        assert order.status == "processing" and order.payment_reference == f"pi_{session.pk}"
        assert OrderStatusChange.objects.filter(order=order, to_status="processing").count() == 1
        assert Invoice.objects.filter(order=order).count() == 1
    assert set(
        CheckoutSession.objects.filter(pk__in=[s.pk for s in sessions]).values_list(
            "status", "payment_status"
        )
    ) == {("complete", "paid")}
    assert not DuplicatePayment.objects.exists()
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"processed"}
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    prefix = numbers[0][: -len("000001")]
    assert numbers == [f"{prefix}{n:06d}" for n in range(1, len(sessions) + 1)]


NOOP = {"name": "No-op", "kind": "noop", "adapter": "noop"}
# Far longer than the test: a queue finds work only when it is woken (LISTEN/NOTIFY), so the
# wake-up listener's recovery is measured too, and no idle poll runs during the outage.
IDLE_POLL_SECONDS = 60


@contextlib.contextmanager
def run_worker(tmp_path: Path, *, env: dict) -> Iterator[Spawned]:
    """`manage.py run_worker` (every queue) in its own process."""
    worker = manage_py(
        tmp_path / "worker.log",
        ["run_worker", "--sleep", str(IDLE_POLL_SECONDS)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "smplat.settings.test", **env},
    )
    try:
        yield worker
    finally:
        worker.stop(timeout=30)


def both_workers_serve(base: str, access_log: Path, path: str) -> set[str]:
    """GET `path` four at a time (a new connection each) until both gunicorn workers have
    answered, every answer a 200; the pids of the workers that did."""
    logged = len(access_log.read_text().splitlines())
    pids: set[str] = set()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):
            for response in pool.map(
                lambda _: urllib.request.urlopen(base + path, timeout=30), range(4)
            ):
                assert response.status == 200
                response.close()
            time.sleep(0.1)  # gunicorn logs a request after its response
            lines = access_log.read_text().splitlines()[logged:]
            pids = {line.split()[0] for line in lines if line.endswith(path)}
            if len(pids) == 2:
                return pids
    raise AssertionError(f"only gunicorn worker(s) {pids} answered")


def task_done(order: Order) -> bool:
    return FulfillmentTask.objects.filter(order=order, status="succeeded").exists()


def test_web_and_worker_processes_recover_from_a_database_restart_by_themselves(db_proxy, tmp_path):
    """After a database restart the same gunicorn workers serve pages again at their first
    request, and the same `run_worker` process is woken by the next paid order and runs its
    task exactly once, without a failed pass: no process has to be restarted, and no work
    waits for an idle poll."""
    product = product_with_plan(NOOP)
    before, after = (
        placed_order(products=[(product, Configuration(quantity=1))])[1] for _ in range(2)
    )
    env = {"DATABASE_URL": proxied_url(db_proxy)}

    with (
        two_workers(tmp_path, env=env, args=["--workers=2"]) as (base, access_log),
        run_worker(tmp_path, env=env) as worker,
    ):
        assert deliver(base, session_event(before)).status == 200
        wait_until(lambda: task_done(before.order), what="the first paid order's task")
        serving = both_workers_serve(base, access_log, "/catalog/")  # each holds a connection
        # Two web workers, four queue threads and the wake-up listener are connected.
        wait_until(lambda: db_proxy.connections() >= 7, what="every process to connect")

        db_proxy.restart(down_seconds=2)
        assert db_proxy.connections() == 0

        # Each worker's first request after the restart: no error page, same processes.
        assert both_workers_serve(base, access_log, "/catalog/") == serving
        started = time.monotonic()
        assert deliver(base, session_event(after)).status == 200
        wait_until(lambda: task_done(after.order), what="the task of the order paid after")
        assert time.monotonic() - started < IDLE_POLL_SECONDS / 4  # woken, not polled

        time.sleep(0.5)  # more passes of the worker: the task is not run again
        assert worker.process.poll() is None, worker.output()
        log = worker.output()
    assert worker.process.returncode == 0, log
    assert (tmp_path / "gunicorn.log").read_text().count("Booting worker") == 2

    task = FulfillmentTask.objects.get(order=after.order)
    assert (task.status, task.runs) == ("succeeded", 1)
    assert list(TaskAttempt.objects.filter(task=task).values_list("outcome", flat=True)) == [
        "succeeded"
    ]
    assert Order.objects.get(pk=after.order_id).status == "completed"
    assert "pass failed" not in log, log
