"""E-mails rendered when queued and sent by the e-mail queue (`core.delivery`).

`email_queue` runs inside the caller's transaction, so the e-mail exists exactly when what
it reports commits; its `key` is unique, so queueing the same e-mail twice, from a second run
or a second machine at the same moment, leaves one row. An app may register a check that the
e-mail queue runs just before sending (`email_send_check`), so an e-mail whose reason went
away after it was queued is withdrawn even when nobody cancelled it, and a renderer that
writes the e-mail at each attempt instead (`email_render_on_send`), for e-mails that carry a
credential no table should keep, such as a password link.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .backoff import RetryPolicy
from .delivery import deliveries_claim, delivery_attempt, delivery_record, delivery_withhold
from .models import DeliveryStatus, OutgoingEmail
from .wakeups import queue_wake

RETRY = RetryPolicy(base=60, cap=3600, max_attempts=5)
BATCH = 20
QUEUE_MANY_CHUNK = 500  # rows per INSERT: 11 parameters each, far below SQLite's limit
# What an outbox e-mail can be (a bounded label of smplat_email_outbox).
EMAIL_KINDS = ("checkout_recovery", "weekly_digest", "staff_digest", "password_reset")
# kind → given the keys of claimed e-mails of that kind, those that no longer apply. Registered
# by the app that queues the kind (in AppConfig.ready(): core cannot import it).
_SEND_CHECKS: dict[str, Callable[[list[str]], Collection[str]]] = {}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str = ""


# kind → given a claimed e-mail of that kind, what to send now (whether it still applies is its
# kind's check). Registered like the checks.
_RENDERERS: dict[str, Callable[[OutgoingEmail], RenderedEmail]] = {}


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


@dataclass(frozen=True)
class EmailToQueue:
    key: str
    kind: str
    to: str
    subject: str
    text: str
    html: str = ""


def emails_queue_many(*, emails: Sequence[EmailToQueue]) -> set[str]:
    """Queue many e-mails at once, one INSERT per `QUEUE_MANY_CHUNK`; returns the keys queued
    now, the others having been queued before (by anyone). Like `email_queue` it runs in the
    caller's transaction; on PostgreSQL an insert of a key that another transaction is
    queueing waits for it and then leaves that key out (`ON CONFLICT DO NOTHING`)."""
    for email in emails:
        if email.kind not in EMAIL_KINDS:
            raise ValueError(f"unknown e-mail kind {email.kind!r}")
    fields = OutgoingEmail._meta
    names = ("key", "kind", "to", "subject", "body_text", "body_html", "status", "attempts")
    names += ("next_attempt_at", "last_error", "created_at")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields.get_field(name).column) for name in names)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    queued: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(emails), QUEUE_MANY_CHUNK):
            chunk = emails[start : start + QUEUE_MANY_CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(fields.db_table)} ({columns}) VALUES "
                + ", ".join([row] * len(chunk))
                + f" ON CONFLICT ({quote('key')}) DO NOTHING RETURNING {quote('key')}",
                [
                    value
                    for e in chunk
                    for value in (e.key, e.kind, e.to, e.subject, e.text, e.html)
                    + (DeliveryStatus.PENDING.value, 0, now, "", now)
                ],
            )
            queued.update(key for (key,) in cursor.fetchall())
    if queued:
        queue_wake("emails")
    return queued


def emails_queued(*, keys: Iterable[str]) -> set[str]:
    """Which of `keys` were queued before (by anyone): one query."""
    return set(OutgoingEmail.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def emails_retry_failed(*, kind: str, key_suffix: str) -> int:
    """Give the `kind` e-mails whose key ends with `key_suffix` and that failed after their
    last attempt a fresh set of attempts, due now (the mail server is fixed); how many."""
    updated = OutgoingEmail.objects.filter(
        kind=kind, status=DeliveryStatus.FAILED, key__endswith=key_suffix
    ).update(
        status=DeliveryStatus.PENDING, attempts=0, last_error="", next_attempt_at=timezone.now()
    )
    if updated:
        queue_wake("emails")
    return updated


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


def email_render_on_send(kind: str, render: Callable[[OutgoingEmail], RenderedEmail]):
    """Register `render(email)`, which writes each e-mail of `kind` at every attempt (a failure
    to write it is retried like a failure to send it)."""
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    _RENDERERS[kind] = render


def emails_send_due(*, limit: int = BATCH, key: str | None = None) -> int:
    """Claim due e-mails (only the one with `key`, when given), withdraw those their kind's
    check no longer wants, send the others each outside any transaction and record it;
    returns how many were claimed."""
    claimed = deliveries_claim(
        OutgoingEmail, limit=limit, where=Q(key=key) if key is not None else None
    )
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
    render = _RENDERERS.get(email.kind)
    content = (
        render(email)
        if render
        else RenderedEmail(subject=email.subject, text=email.body_text, html=email.body_html)
    )
    message = EmailMultiAlternatives(subject=content.subject, body=content.text, to=[email.to])
    if content.html:
        message.attach_alternative(content.html, "text/html")
    message.send()
