"""django-q2 entry points for the background work."""

import time

from django.conf import settings

from smplat.worker import work_cycle

from .services import worker_name


def process_due_tasks(seconds: float = 0) -> int:
    """Work cycles until nothing is due; with `seconds`, keep polling that long.

    The schedule runs it every minute for 50 s, so due work starts within a poll interval;
    a payment also enqueues it for an immediate start. Returns the tasks claimed.
    """
    worker = worker_name()
    deadline = time.monotonic() + seconds
    processed = 0
    while True:
        cycle = work_cycle(worker=worker)
        processed += cycle.tasks.claimed
        if cycle.busy:
            continue
        if time.monotonic() >= deadline:
            return processed
        time.sleep(settings.FULFILLMENT_POLL_SECONDS)
