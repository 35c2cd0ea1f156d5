"""Adapters that need no outside service: no-op, manual and the sandbox."""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings

from .base import Snapshot, StepContext, StepOutcome, WaitForStaff


class NoopAdapter:
    def run(self, context: StepContext) -> StepOutcome:
        return StepOutcome(done=True)


class ManualAdapter:
    def run(self, context: StepContext) -> StepOutcome:
        raise WaitForStaff(context.parameters.get("instructions", "Waiting for staff to complete."))


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


class SandboxAdapter:
    """Deterministic simulated delivery and analytics, so the demo shows a living order."""

    def run(self, context: StepContext) -> StepOutcome:
        if context.parameters.get("analytics"):
            return StepOutcome(done=True, snapshot=self.snapshot(context.target))
        total = int(context.parameters.get("units", 0)) or context.quantity * int(
            context.parameters.get("units_per_quantity", 1000)
        )
        if not context.remote_id:
            start = 1_000 + _seed(context.target) % 9_000
            return StepOutcome(
                done=False,
                poll_after=settings.SANDBOX_POLL_SECONDS,
                progress={
                    "remote_id": f"sbx-{context.task_id}",
                    "start_count": start,
                    "quantity": total,
                    "delivered": 0,
                    "remains": total,
                },
                result={"status": "Pending"},
            )
        steps = max(int(context.parameters.get("progress_steps", 4)), 1)
        delivered = min(total, (context.delivered or 0) + -(-total // steps))
        remains = total - delivered
        return StepOutcome(
            done=remains == 0,
            poll_after=None if remains == 0 else settings.SANDBOX_POLL_SECONDS,
            progress={"delivered": delivered, "remains": remains},
            result={"status": "Completed" if remains == 0 else "In progress"},
        )

    @staticmethod
    def snapshot(account: str, on: date | None = None) -> Snapshot:
        """Figures that grow day by day from a per-account baseline."""
        on = on or date.today()
        seed = _seed(account)
        day = on.toordinal() - 739_000
        followers = 2_000 + seed % 20_000 + day * (40 + seed % 60)
        return Snapshot(
            account=account,
            followers=followers,
            follows=300 + seed % 700,
            media_count=80 + seed % 300 + day // 3,
            reach=followers * (3 + seed % 4) // 2,
            views=followers * (5 + seed % 5),
            profile_views=followers // (8 + seed % 5),
        )
