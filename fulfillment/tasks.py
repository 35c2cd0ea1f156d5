"""django-q2 entry points for fulfillment."""

from core.jobs import drain

from .processor import process_due


def process_due_tasks() -> int:
    """Run due tasks until none is left; a payment enqueues it for an immediate start (the
    worker queues poll for the rest). Returns the tasks claimed."""
    return drain(lambda: process_due().claimed, poll=0)
