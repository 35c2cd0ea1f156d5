"""django-q2 entry points that combine apps."""

from django.conf import settings
from django_q.tasks import async_task

from core.weeks import IsoWeek

from .digests import digests_send, staff_digests_send
from .digests.clients import DEFAULT_BATCH_SIZE
from .queues import QUEUES, run_queues


def run_worker_queues(seconds: float = 50) -> dict[str, int]:
    """Every queue in its own thread for `seconds`; the minute schedule runs it, so queued work
    starts within a poll interval even where no `run_worker` process runs."""
    runs = run_queues(QUEUES, poll=settings.FULFILLMENT_POLL_SECONDS, seconds=seconds)
    return {name: run.taken for name, run in runs.items()}


def send_weekly_digests(
    week: str = "", after: int = 0, batch_size: int = DEFAULT_BATCH_SIZE
) -> dict[str, int]:
    """The weekly schedule: last week's client digests, then the staff review (what
    `send_weekly_digest` does without arguments). A run stops before django-q2's task timeout
    and queues its own continuation from the next client; returns the e-mails queued."""
    week = IsoWeek.parse(week) if week else IsoWeek.last_complete()
    run = digests_send(
        week=week, after=after, batch_size=batch_size, seconds=settings.DIGEST_TASK_SECONDS
    )
    if run.resume_after is not None:
        async_task(
            "backoffice.tasks.send_weekly_digests",
            str(week),
            run.resume_after,
            batch_size,
            task_name=f"weekly-digests-{week}-after-{run.resume_after}",
        )
        return {run.kind: run.queued}
    return {run.kind: run.queued, "staff_digest": staff_digests_send(week=week).queued}
