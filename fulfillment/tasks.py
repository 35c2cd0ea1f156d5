"""django-q2 entry points for the processor."""

import time

from django.conf import settings

from orders.notifications import notifications_send_due

from .services import process_due, worker_name


def process_due_tasks(seconds: float = 0) -> int:
    """Process batches until none is due; with `seconds`, keep polling that long.

    The schedule runs it every minute for 50 s, so due work starts within a poll interval;
    a payment also enqueues it once for an immediate start.
    """
    worker = worker_name()
    deadline = time.monotonic() + seconds
    processed = 0
    while True:
        result = process_due(worker=worker)
        notifications_send_due()
        processed += result.claimed
        if result.claimed:
            continue
        if time.monotonic() >= deadline:
            return processed
        time.sleep(settings.FULFILLMENT_POLL_SECONDS)
