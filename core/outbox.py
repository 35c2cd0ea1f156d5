"""E-mails rendered when queued and sent by the e-mail queue (`core.delivery`).

`email_queue` runs inside the caller's transaction, so the e-mail exists exactly when what
it reports commits; its `key` is unique, so queueing the same e-mail twice, from a second run
or a second machine at the same moment, leaves one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from .backoff import RetryPolicy
from .delivery import deliveries_claim, delivery_attempt
from .models import DeliveryStatus, OutgoingEmail
from .wakeups import queue_wake

RETRY = RetryPolicy(base=60, cap=3600, max_attempts=5)
BATCH = 20
# What an outbox e-mail can be (a bounded label of smplat_email_outbox).
EMAIL_KINDS = ("checkout_recovery", "weekly_digest", "staff_digest")


def email_queue(
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    due: datetime | None = None,
) -> OutgoingEmail | None:
    """Queue an e-mail; None when one with this `key` was queued before (by anyone)."""
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(
                key=key,
                kind=kind,
                to=to,
                subject=subject,
                body_text=text,
                body_html=html,
                next_attempt_at=due or timezone.now(),
            )
    except IntegrityError:
        return None
    queue_wake("emails")
    return email


def emails_queued(*, keys: Iterable[str]) -> set[str]:
    """Which of `keys` were queued before (by anyone): one query."""
    return set(OutgoingEmail.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def email_cancel(*, key: str) -> bool:
    """Withdraw a queued e-mail nobody has started sending (it no longer applies)."""
    return bool(
        OutgoingEmail.objects.filter(key=key, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED
        )
    )


def emails_send_due(*, limit: int = BATCH) -> int:
    """Claim due e-mails, send each outside any transaction, record it; returns how many
    were claimed."""
    claimed = deliveries_claim(OutgoingEmail, limit=limit)
    for email in claimed:
        delivery_attempt(email, deliver=lambda email=email: _send(email), retry=RETRY)
    return len(claimed)


def _send(email: OutgoingEmail) -> None:
    message = EmailMultiAlternatives(subject=email.subject, body=email.body_text, to=[email.to])
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send()
