"""The interface every fulfillment adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StepContext:
    """What an adapter may know about the task it runs (no ORM objects)."""

    task_id: int
    order_number: str
    run: int
    idempotency_key: str
    target: str
    quantity: int
    parameters: dict
    remote_id: str = ""
    delivered: int | None = None
    remains: int | None = None
    start_count: int | None = None
    # The previous run was lost mid-step (worker stopped, lease ran out): whatever it sent to an
    # outside service may or may not have been acted on.
    interrupted: bool = False


@dataclass(frozen=True)
class Snapshot:
    account: str
    followers: int
    follows: int = 0
    media_count: int = 0
    reach: int | None = None
    views: int | None = None
    profile_views: int | None = None


@dataclass(frozen=True)
class StepOutcome:
    """`done`, or still under way and to be looked at again after `poll_after` seconds."""

    done: bool
    poll_after: float | None = None
    progress: dict = field(
        default_factory=dict
    )  # remote_id, start_count, delivered, remains, quantity
    result: dict = field(default_factory=dict)
    snapshot: Snapshot | None = None


def redacted(text: str, secret: str) -> str:
    """An outside service's words with our credential taken out: a service (or a proxy in
    front of it) may echo the request, and its words end up in logs and stored errors."""
    return text.replace(secret, "[redacted]") if secret else text


class RetryableError(Exception):
    """Worth trying again after backoff (timeouts, 5xx, rate limits)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Retrying cannot help (bad configuration, revoked token): dead-letter with this reason."""


class WaitForStaff(Exception):
    """The step is done by a person; it waits until staff mark it done."""


class StepAdapter(Protocol):
    def run(self, context: StepContext) -> StepOutcome: ...
