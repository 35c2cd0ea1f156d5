"""Sending queued rows to the outside world (e-mails, chat messages) at least once.

Every kind follows core.jobs: claim due rows in one short transaction (PENDING → SENDING, one
more attempt, a lease), talk to the other side outside any transaction, record the outcome in
a second short statement that only lands while the claim is still ours. A sender that dies
mid-send leaves its rows claimed until the lease ends; then they are sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from .backoff import RetryPolicy
from .jobs import claim_due
from .models import DeliveryStatus

logger = logging.getLogger(__name__)

# Far longer than one send takes (each network step has its own timeout), so a live sender
# keeps its claim.
LEASE_SECONDS = 600


def deliveries_claim(
    model: type[Model], *, limit: int, related: Sequence[str] = (), where: Q | None = None
) -> list[Model]:
    """Claim up to `limit` due rows of `model` (and rows whose sender's lease ran out), oldest
    due first, of those matching `where` if given; `related` is passed to `select_related`."""
    now = timezone.now()
    due = model._default_manager.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    ).order_by("next_attempt_at", "pk")
    if where is not None:
        due = due.filter(where)
    ids = claim_due(
        due,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        lease_field="claimed_until",
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
    )
    if not ids:
        return []
    by_pk = model._default_manager.select_related(*related).in_bulk(ids)
    return [by_pk[pk] for pk in ids]


def delivery_record(row: Model, **fields) -> bool:
    """Store the outcome unless another worker took the row over (our lease ran out): each
    claim adds an attempt, so the attempt count says whose claim it is."""
    recorded = (
        type(row)
        ._default_manager.filter(pk=row.pk, status=DeliveryStatus.SENDING, attempts=row.attempts)
        .update(claimed_until=None, **fields)
    )
    if not recorded:
        logger.warning("%s %s was taken over by another worker", type(row).__name__, row.pk)
    return bool(recorded)


def delivery_attempt(row: Model, *, deliver: Callable[[], None], retry: RetryPolicy) -> bool:
    """Call `deliver` for a claimed row and record SENT, or the error with a retry after
    backoff (FAILED once `retry` is exhausted). Returns whether it was sent."""
    if retry.exhausted(row.attempts - 1):
        # The previous claim used the last attempt and its sender stopped before recording.
        delivery_record(
            row,
            status=DeliveryStatus.FAILED,
            last_error="The sender stopped during the last attempt (lease expired).",
        )
        return False
    try:
        deliver()
    except Exception as exc:  # noqa: BLE001 - any failure of the other side is retried later
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        logger.warning("%s %s failed: %s", type(row).__name__, row.pk, error)
        if retry.exhausted(row.attempts):
            delivery_record(row, status=DeliveryStatus.FAILED, last_error=error)
        else:
            delay = timedelta(seconds=retry.delay(row.attempts))
            delivery_record(
                row,
                status=DeliveryStatus.PENDING,
                last_error=error,
                next_attempt_at=timezone.now() + delay,
            )
        return False
    delivery_record(row, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return True


def delivery_withhold(model: type[Model], *, key: str, reason: str, **fields) -> None:
    """Make sure `key` is never sent (demo data, whose client is not a person): a CANCELLED
    row takes the key, so nobody can queue it later; one queued already is cancelled."""
    try:
        with transaction.atomic():
            model._default_manager.create(
                key=key,
                status=DeliveryStatus.CANCELLED,
                last_error=reason,
                next_attempt_at=timezone.now(),
                **fields,
            )
    except IntegrityError:
        model._default_manager.filter(key=key, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, last_error=reason
        )
