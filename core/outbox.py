"""E-mails rendered when queued and sent by the e-mail queue (`core.delivery`).

`email_queue` runs inside the caller's transaction, so the e-mail exists exactly when what
it reports commits; its `key` is unique, so queueing the same e-mail twice, from a second run
or a second machine at the same moment, leaves one row. An app may register a check that the
e-mail queue runs just before sending (`email_send_check`), so an e-mail whose reason went
away after it was queued is withdrawn even when nobody cancelled it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from .backoff import RetryPolicy
from .delivery import deliveries_claim, delivery_attempt, delivery_record, delivery_withhold
from .models import DeliveryStatus, OutgoingEmail
from .wakeups import queue_wake

RETRY = RetryPolicy(base=60, cap=3600, max_attempts=5)
BATCH = 20
# What an outbox e-mail can be (a bounded label of smplat_email_outbox).
EMAIL_KINDS = ("checkout_recovery", "weekly_digest", "staff_digest")
# kind → given the keys of claimed e-mails of that kind, those that no longer apply. Registered
# by the app that queues the kind (in AppConfig.ready(): core cannot import it).
_SEND_CHECKS: dict[str, Callable[[list[str]], Collection[str]]] = {}


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


def email_cancel(*, key: str) -> bool:
    """Withdraw a queued e-mail nobody has started sending (it no longer applies)."""
    return bool(
        OutgoingEmail.objects.filter(key=key, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED
        )
    )


def email_withhold(*, key: str, kind: str, to: str, reason: str) -> None:
    """Make sure the e-mail `key` is never sent, also if someone queues it later."""
    delivery_withhold(OutgoingEmail, key=key, reason=reason, kind=kind, to=to)


def email_send_check(kind: str, check: Callable[[list[str]], Collection[str]]) -> None:
    """Register `check(keys) -> keys that no longer apply` for e-mails of `kind`."""
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    _SEND_CHECKS[kind] = check


def emails_send_due(*, limit: int = BATCH) -> int:
    """Claim due e-mails, withdraw those their kind's check no longer wants, send the others
    each outside any transaction and record it; returns how many were claimed."""
    claimed = deliveries_claim(OutgoingEmail, limit=limit)
    withdrawn: set[str] = set()
    for kind, check in _SEND_CHECKS.items():
        keys = [email.key for email in claimed if email.kind == kind]
        if keys:
            withdrawn.update(check(keys))
    for email in claimed:
        if email.key in withdrawn:
            delivery_record(
                email, status=DeliveryStatus.CANCELLED, last_error="No longer applied when due."
            )
        else:
            delivery_attempt(email, deliver=lambda email=email: _send(email), retry=RETRY)
    return len(claimed)


def _send(email: OutgoingEmail) -> None:
    message = EmailMultiAlternatives(subject=email.subject, body=email.body_text, to=[email.to])
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send()
