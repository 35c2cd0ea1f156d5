"""Paid orders start fulfillment at once, not polls later. PostgreSQL, because the queues run
in threads with their own connections: the payments queue wakes the fulfillment queue of its
worker, and a webhook recorded by another connection (the web process) wakes the payments
queue through LISTEN/NOTIFY."""

import threading
import time

import pytest
from django.db import connection

from backoffice.queues import run_queues
from fulfillment.models import FulfillmentTask
from tests.checkout.factories import placed_order, post_event, session_event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with own connections"),
]

POLL = 30  # seconds: far longer than any wait the test allows


class Worker:
    """`run_queues` for payments and fulfillment in a thread, polling every POLL s."""

    def __enter__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=run_queues,
            args=(["payments", "fulfillment"],),
            kwargs={"poll": POLL, "seconds": float("inf"), "stop": self.stop},
        )
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()  # a stop ends the long idle waits at once


def wait_started(order, *, within: float) -> float:
    started = time.monotonic()
    while not FulfillmentTask.objects.filter(order=order).exclude(runs=0).exists():
        assert time.monotonic() - started < within, "a queue waited for its poll"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_payment_queued_before_the_worker_starts_fulfillment_in_the_same_pass(client, settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    order, session = placed_order()
    post_event(client, session_event(session))
    with Worker():
        assert wait_started(order, within=10) < 10


def test_a_payment_recorded_while_the_worker_idles_wakes_it(client, settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    order, session = placed_order()
    with Worker():
        time.sleep(1.5)  # the first passes found nothing: every queue waits out its poll
        post_event(client, session_event(session))
        assert wait_started(order, within=10) < 10
