"""Concurrent deliveries on PostgreSQL: row locks, not luck, keep webhook effects exactly-once.

Stripe retries and fans out deliveries in parallel, so the same event can reach several web
workers at the same moment. These tests post from threads (one Django client each), to a live
server, and to a real multi-process gunicorn serving the test database.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from billing.models import Invoice, Refund
from checkout import services
from checkout.models import CheckoutSession, DuplicatePayment, WebhookEvent
from checkout.services import session_regenerate
from orders.models import OrderStatusChange
from orders.signals import order_paid

from .factories import BASE_URL, placed_order, post_event, session_event, stripe_signature
from .test_webhooks import refund_event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

URL = "/api/v1/payments/webhooks/stripe"
ROOT = Path(__file__).resolve().parents[2]


def at_once(fn, items):
    """fn(item) for every item in its own thread, all released together; results in order."""
    barrier = threading.Barrier(len(items))

    def run(item):
        try:
            barrier.wait(timeout=30)
            return fn(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def client_post(event):
    response = post_event(Client(), event)
    return response.status_code, response.json()


def http_post(base_url, event):
    payload = json.dumps(event).encode()
    request = urllib.request.Request(
        base_url + URL,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_env(**extra):
    """The environment of another process using the test database."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **extra,
    }


@pytest.fixture
def gunicorn_url(transactional_db):
    """A gunicorn with 4 worker processes serving the test database."""
    port = _free_port()
    env = _process_env()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "smplat.wsgi:application"]
        + ["--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + URL, timeout=1)
            except urllib.error.HTTPError:  # 405 for GET: the app answers
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(params=["live_server", "gunicorn"])
def server_url(request):
    """The same app behind pytest-django's threaded live server and behind gunicorn workers."""
    if request.param == "live_server":
        return request.getfixturevalue("live_server").url
    return request.getfixturevalue("gunicorn_url")


def assert_paid_once(order, event):
    assert OrderStatusChange.objects.filter(order=order, to_status="processing").count() == 1
    assert Invoice.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == "processing" and order.paid_at is not None
    record = WebhookEvent.objects.get(event_id=event["id"])
    assert (record.attempts, record.outcome) == (5, "processed")


def test_same_event_from_five_threads_is_applied_once():
    order, session = placed_order()
    event = session_event(session)
    handed_off = []

    def receiver(sender, order, **kwargs):
        handed_off.append(order.pk)

    order_paid.connect(receiver, weak=False, dispatch_uid="test-concurrency-hand-offs")
    try:
        results = at_once(client_post, [event] * 5)
    finally:
        order_paid.disconnect(dispatch_uid="test-concurrency-hand-offs")

    assert [status for status, _ in results] == [200] * 5
    assert sorted(body["duplicate"] for _, body in results) == [False, True, True, True, True]
    assert handed_off == [order.pk]
    assert_paid_once(order, event)


def test_same_event_posted_five_times_to_a_server_is_applied_once(server_url):
    order, session = placed_order()
    event = session_event(session)

    results = at_once(lambda e: http_post(server_url, e), [event] * 5)

    assert [status for status, _ in results] == [200] * 5
    assert [body["duplicate"] for _, body in results].count(False) == 1
    assert_paid_once(order, event)


def test_five_orders_paid_at_once_get_consecutive_invoice_numbers(server_url):
    sessions = [placed_order()[1] for _ in range(5)]

    results = at_once(lambda s: http_post(server_url, session_event(s)), sessions)

    assert [status for status, _ in results] == [200] * 5
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 5
    prefix = numbers[0][: -len("000001")]
    assert numbers == [f"{prefix}{n:06d}" for n in range(1, 6)]
    assert OrderStatusChange.objects.filter(to_status="processing").count() == 5


def test_two_partial_refunds_delivered_at_once_are_not_double_counted(monkeypatch):
    order, session = placed_order()
    assert client_post(session_event(session))[0] == 200
    first, second = 3_000, 2_000
    # Both handlers have read the invoice before either records its refund.
    barrier = threading.Barrier(2)
    real = services.refund_record_cumulative

    def refund_record_after_both_read(**kwargs):
        barrier.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(services, "refund_record_cumulative", refund_record_after_both_read)
    events = [
        refund_event(session, refunded=[first], with_list=False),
        refund_event(session, refunded=[first, second], with_list=False),
    ]

    results = at_once(client_post, events)

    assert [status for status, _ in results] == [200, 200]
    invoice = Invoice.objects.get(order=order)
    assert invoice.refunded_amount == first + second
    assert sum(Refund.objects.values_list("amount", flat=True)) == first + second


def test_two_sessions_paid_at_once_leave_one_payment_and_refund_the_other():
    order, first = placed_order()
    second = CheckoutSession.objects.get(
        pk=session_regenerate(session_id=first.pk, base_url=BASE_URL).pk
    )
    handed_off = []

    def receiver(sender, order, **kwargs):
        handed_off.append(order.pk)

    order_paid.connect(receiver, weak=False, dispatch_uid="test-concurrency-two-sessions")
    try:
        results = at_once(client_post, [session_event(first), session_event(second)])
    finally:
        order_paid.disconnect(dispatch_uid="test-concurrency-two-sessions")

    assert [status for status, _ in results] == [200, 200]
    assert handed_off == [order.pk]
    assert Invoice.objects.filter(order=order).count() == 1
    assert OrderStatusChange.objects.filter(order=order, to_status="processing").count() == 1
    order.refresh_from_db()
    record = DuplicatePayment.objects.get()  # refunded right after its event committed
    assert record.status == "refunded" and record.refund_id
    assert {order.payment_reference, record.payment_intent} == {f"pi_{first.pk}", f"pi_{second.pk}"}


def test_queued_events_drained_by_four_processes_are_applied_exactly_once(settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    sessions = [placed_order()[1] for _ in range(40)]
    events = [session_event(s) for s in sessions]
    for event in events + events[::3]:  # some delivered twice
        assert client_post(event)[0] == 200
    connection.close()

    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "apply_webhook_events", "--batch", "5"],
            cwd=ROOT,
            env=_process_env(STRIPE_WEBHOOK_MODE="queued"),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0] * 4
    applied = [int(out.rsplit("Applied ", 1)[1].split(" ")[0]) for out in outputs]
    assert sum(applied) == 40
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"processed"}
    assert OrderStatusChange.objects.filter(to_status="processing").count() == 40
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    prefix = numbers[0][: -len("000001")]
    assert numbers == [f"{prefix}{n:06d}" for n in range(1, 41)]
