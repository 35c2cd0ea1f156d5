"""django-q2 entry points that combine apps."""

from django.conf import settings

from core.weeks import IsoWeek

from .digests import digests_send, staff_digests_send
from .queues import QUEUES, run_queues


def run_worker_queues(seconds: float = 50) -> dict[str, int]:
    """Every queue in its own thread for `seconds`; the minute schedule runs it, so queued work
    starts within a poll interval even where no `run_worker` process runs."""
    runs = run_queues(QUEUES, poll=settings.FULFILLMENT_POLL_SECONDS, seconds=seconds)
    return {name: run.taken for name, run in runs.items()}


def send_weekly_digests() -> dict[str, int]:
    """The weekly schedule: last week's client digests and staff review (what
    `send_weekly_digest` does without arguments); queued e-mails by kind."""
    week = IsoWeek.last_complete()
    runs = (digests_send(week=week), staff_digests_send(week=week))
    return {run.kind: run.queued for run in runs}
