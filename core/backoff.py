"""How failed work is tried again: one policy type for webhooks, fulfillment tasks and e-mails."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with equal jitter (half the delay fixed, half random), so retries
    of work that failed together spread out instead of hitting the other side at once."""

    base: float
    cap: float
    max_attempts: int

    def delay(self, attempt: int, *, rng=random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first)."""
        delay = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return delay / 2 + rng() * delay / 2

    def exhausted(self, attempt: int) -> bool:
        """Attempt number `attempt` was the last one."""
        return attempt >= self.max_attempts
