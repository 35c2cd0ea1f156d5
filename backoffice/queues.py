"""The worker queues. Each kind of background work runs in its own loop, so a mail server or
provider panel that stalls holds up only its own queue, never payments.

`run_queues` gives every queue its own thread (with its own database connection); `manage.py
run_worker --queues …` and the django-q2 schedule (backoffice.tasks) both run them that way.
Several workers may run the same queues: claims skip what another worker holds.

A queue that took work wakes the queues its work feeds (a paid order's tasks, a finished
task's e-mail) in the same worker at once, instead of after their next poll. On PostgreSQL,
work queued by another process (a webhook recorded by the web process) wakes its queue too
(`core.wakeups`); elsewhere it is found on the next poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, connection

from checkout.services import gateway_follow_ups_due
from checkout.webhooks import webhooks_apply_due
from core.chat import chats_send_due
from core.jobs import drain
from core.outbox import emails_send_due
from core.wakeups import queues_listen
from fulfillment.processor import counters_bump, process_due
from orders.notifications import notifications_send_due

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    name: str
    does: str
    step: Callable[[int | None], int]  # one pass taking up to `batch` items (None: its default)
    wakes: tuple[str, ...] = ()  # queues that may have new work after a pass of this one took any


QUEUES = {
    queue.name: queue
    for queue in (
        Queue(
            "payments",
            "apply queued Stripe events, retry failed ones and gateway follow-ups",
            lambda batch: gateway_follow_ups_due() + webhooks_apply_due(limit=batch or 100),
            wakes=("fulfillment", "emails"),
        ),
        Queue(
            "fulfillment",
            "claim due fulfillment tasks in batches and run their steps",
            lambda batch: process_due(limit=batch).claimed,
            wakes=("emails",),
        ),
        Queue(
            "emails",
            "send due e-mails (order updates, recovery e-mails, digests), retry failed ones",
            lambda batch: (
                notifications_send_due(limit=batch or 20) + emails_send_due(limit=batch or 20)
            ),
        ),
        Queue(
            "chat",
            "post due chat messages to the operators' webhook, retry failed ones",
            lambda batch: chats_send_due(limit=batch or 20),
        ),
    )
}


@dataclass
class QueueRun:
    taken: int = 0
    errors: int = 0


def _count_loop_error() -> None:
    """Add to the shared count Prometheus reads (smplat_processor_loop_errors_total). A pass may
    have failed because the database is gone; then the log line is the only record."""
    try:
        counters_bump(loop_errors=1)
    except DatabaseError:
        logger.warning("queue pass error not counted: the database is unreachable")


def run_queues(
    names: Iterable[str],
    *,
    poll: float,
    seconds: float,
    batch: int | None = None,
    stop: threading.Event | None = None,
    report: Callable[[str, int], None] | None = None,
) -> dict[str, QueueRun]:
    """Run each named queue in its own thread until `seconds` have passed (when idle) or `stop`
    is set. A pass that raises is logged and its queue carries on after `poll` seconds, so
    a database restart or a bug in one kind of work does not stop the others."""
    stop = stop or threading.Event()
    runs = {name: QueueRun() for name in names}
    wakes = {name: threading.Event() for name in runs}

    def loop(queue: Queue, run: QueueRun) -> None:
        def step() -> int:
            try:
                # What Django does before each request: a connection the database dropped (a
                # restart) or older than CONN_MAX_AGE is replaced, so CONN_HEALTH_CHECKS holds
                # here too and the first pass after a restart does not fail.
                close_old_connections()
                taken = queue.step(batch)
            except Exception:
                logger.exception("queue %s: pass failed", queue.name)
                run.errors += 1
                connection.close()  # a fresh connection for the next pass
                _count_loop_error()
                return 0
            if taken:
                for name in queue.wakes:
                    if name in wakes:
                        wakes[name].set()
                if report:
                    report(queue.name, taken)
            return taken

        try:
            run.taken = drain(step, poll=poll, seconds=seconds, stop=stop, wake=wakes[queue.name])
        finally:
            connection.close()  # this thread's own connection

    threads = [
        threading.Thread(target=loop, args=(QUEUES[name], run), name=f"queue-{name}")
        for name, run in runs.items()
    ]
    listened = threading.Event()
    listener = threading.Thread(
        target=queues_listen, args=(wakes,), kwargs={"stop": listened}, name="queue-wake-ups"
    )
    listener.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins: the main thread keeps handling signals
            thread.join(timeout=0.5)
            if stop.is_set():  # end the idle waits now, not after a poll
                for wake in wakes.values():
                    wake.set()
    listened.set()
    listener.join()
    return runs
