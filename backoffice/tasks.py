"""django-q2 entry points that combine apps."""

from django.conf import settings

from .queues import QUEUES, run_queues


def run_worker_queues(seconds: float = 50) -> dict[str, int]:
    """Every queue in its own thread for `seconds`; the minute schedule runs it, so queued work
    starts within a poll interval even where no `run_worker` process runs."""
    runs = run_queues(QUEUES, poll=settings.FULFILLMENT_POLL_SECONDS, seconds=seconds)
    return {name: run.taken for name, run in runs.items()}
