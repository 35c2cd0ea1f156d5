"""One pass of the background work every worker loop does, in the order it unblocks work:
payment events first (they create tasks and e-mails), then due tasks, then e-mails."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.services import gateway_follow_ups_due
from checkout.webhooks import webhooks_apply_due
from fulfillment.services import BatchResult, process_due
from orders.notifications import notifications_send_due


@dataclass(frozen=True)
class Cycle:
    events: int
    tasks: BatchResult
    emails: int

    @property
    def busy(self) -> bool:
        """Work was found: loop again at once instead of sleeping."""
        return bool(self.events or self.tasks.claimed)


def work_cycle(*, worker: str, batch: int | None = None) -> Cycle:
    """`batch` caps the events and tasks taken this pass (default: the settings')."""
    gateway_follow_ups_due()  # retries of second-payment refunds and refund lookups
    return Cycle(
        events=webhooks_apply_due(limit=batch or 100),
        tasks=process_due(worker=worker, limit=batch),
        emails=notifications_send_due(),
    )
