"""A payment applied by the payments queue starts its fulfillment at once, not a poll later:
the payments queue wakes the fulfillment queue of the same worker. PostgreSQL, because the
queues run in threads with their own connections."""

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


def test_a_queued_payment_starts_fulfillment_well_before_the_next_poll(client, settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    order, session = placed_order()
    post_event(client, session_event(session))
    stop = threading.Event()
    worker = threading.Thread(
        target=run_queues,
        args=(["payments", "fulfillment"],),
        kwargs={"poll": 30, "seconds": float("inf"), "stop": stop},
    )
    started = time.monotonic()
    worker.start()
    try:
        deadline = started + 10
        while not FulfillmentTask.objects.filter(order=order).exclude(runs=0).exists():
            assert time.monotonic() < deadline, "fulfillment waited for its 30 s poll"
            time.sleep(0.05)
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        worker.join(timeout=15)
    assert not worker.is_alive()  # a stop ends the 30 s idle waits at once
