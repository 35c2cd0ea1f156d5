"""Stripe webhook ingestion: verify, record every delivery, apply each event exactly once.

Both gateways end here: Stripe over HTTP through the endpoint, the local hosted page in
process, with the same signature verification.

`STRIPE_WEBHOOK_MODE` picks when an event is applied (ADR 0006):
- inline: in the request, under the event row's lock; a failing handler is rolled back and
  answered 500, so Stripe delivers the event again.
- queued: the request only records the event (one statement) and answers 200; worker loops
  apply it with `webhooks_apply_due`, retrying a failing handler with backoff themselves.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, Subscription
from billing.services import (
    invoice_create_for_order,
    invoice_create_renewal,
    subscription_record,
    subscription_update_status,
)
from core.backoff import RetryPolicy
from core.ids import parse_id
from core.wakeups import queue_wake
from orders.models import Order
from orders.services import order_mark_paid

from .event_shape import shape_problem
from .exceptions import EventIgnored, MalformedEvent
from .gateways import get_gateway
from .models import (
    CheckoutSession,
    DuplicatePayment,
    PaymentStatus,
    SessionStatus,
    WebhookEvent,
    WebhookOutcome,
)
from .services import (
    charge_refund_apply,
    duplicate_payment_record,
    refund_lookup_record,
    session_transition,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    type: str
    outcome: str
    duplicate: bool


class HandlerFailed(Exception):
    """A handler raised; everything it did was rolled back and the sender should retry."""

    def __init__(self, event_id: str, error: str):
        super().__init__(error)
        self.event_id = event_id


DONE = (WebhookOutcome.PROCESSED, WebhookOutcome.IGNORED)


def webhook_ingest(*, payload: bytes, signature_header: str) -> IngestResult:
    get_gateway().verify_event(payload, signature_header)  # before anything else
    event = _parse(payload)
    if settings.STRIPE_WEBHOOK_MODE == "queued":
        _, outcome, attempts = _record_delivery(event, due_at=timezone.now())
        queue_wake("payments")
        return IngestResult(event["id"], event["type"], outcome, duplicate=attempts > 1)
    with transaction.atomic():
        # The upsert locks the event's row until commit: concurrent deliveries of one event
        # queue here, and the later ones find it processed and change nothing.
        pk, outcome, _ = _record_delivery(event, due_at=None)
        if outcome in DONE:
            return IngestResult(event["id"], event["type"], outcome, duplicate=True)
        outcome, error = _apply(pk, event, retry=None)
    if error:
        raise HandlerFailed(event["id"], error)
    return IngestResult(event["id"], event["type"], outcome, duplicate=False)


def webhooks_apply_due(*, limit: int = 100) -> int:
    """Apply queued events and retry failed ones, oldest first: the payments queue.

    Each event is applied in its own transaction holding its row lock (`SKIP LOCKED`, so
    workers share the queue); a worker that dies mid-event leaves it due again. Unlike e-mails
    and tasks (core.jobs) the claim is the lock itself: handlers only write to the database,
    and applying an event in the transaction that claims it keeps its effects exactly-once.
    """
    applied = 0
    for _ in range(limit):
        with transaction.atomic():
            record = (
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "pk")
                .only("pk", "payload", "processing_attempts")
                .first()
            )
            if record is None:
                break
            _apply(record.pk, record.payload, retry=record.processing_attempts + 1)
        applied += 1
    return applied


def webhooks_retry_now(*, pks) -> int:
    """Make failed events due at once (staff); worker loops apply them in either mode."""
    return WebhookEvent.objects.filter(pk__in=pks, outcome=WebhookOutcome.FAILED).update(
        next_attempt_at=timezone.now()
    )


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _parse(payload: bytes) -> dict:
    try:
        event = json.loads(payload, parse_constant=_not_json)  # no NaN or Infinity
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent("The body is not valid JSON.", code="malformed_json") from exc
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(event.get("data"), dict)
        or not isinstance(event["data"].get("object"), dict)
        or not event["id"]
        or len(event["id"]) > 255
    ):
        raise MalformedEvent("The body is not a Stripe event (id, type, data.object).")
    if _unstorable(event):  # PostgreSQL's jsonb refuses them; no Stripe event has one
        raise MalformedEvent(
            "The body holds a NUL character or an unpaired surrogate.", code="malformed_json"
        )
    return event


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def _record_delivery(event: dict, *, due_at) -> tuple[int, str, int]:
    """Insert the event or count one more delivery; (pk, outcome, attempts) in one statement.

    `due_at` queues the event for the workers; a new delivery of a failed one makes it due
    again. Inside a transaction the row stays locked until commit.
    """
    table = connection.ops.quote_name(WebhookEvent._meta.db_table)
    now = timezone.now()
    payload = WebhookEvent._meta.get_field("payload").get_db_prep_save(event, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (event_id, type, livemode, payload, attempts, first_seen_at,
                last_seen_at, outcome, error, next_attempt_at, processing_attempts)
            VALUES (%s, %s, %s, %s, 1, %s, %s, %s, '', %s, 0)
            ON CONFLICT (event_id) DO UPDATE SET
                attempts = {table}.attempts + 1,
                last_seen_at = EXCLUDED.last_seen_at,
                next_attempt_at = CASE
                    WHEN {table}.outcome = %s THEN EXCLUDED.next_attempt_at
                    ELSE {table}.next_attempt_at END
            RETURNING id, outcome, attempts
            """,
            [
                event["id"],
                event["type"][:100],
                bool(event.get("livemode")),
                payload,
                now,
                now,
                WebhookOutcome.RECEIVED,
                due_at,
                WebhookOutcome.FAILED,
            ],
        )
        return cursor.fetchone()


def _apply(pk: int, event: dict, *, retry: int | None) -> tuple[str, str]:
    """Apply an event whose row the caller has locked; (outcome, error).

    A failing handler is rolled back to a savepoint and recorded as failed. `retry` is this
    run's number when a worker applies it (a failure is then retried with backoff), None
    when the sender retries.
    """
    started = time.perf_counter()
    error = ""
    try:
        with transaction.atomic():  # the savepoint a failing handler is rolled back to
            outcome = _dispatch(event)
    except Exception as exc:
        outcome, error = WebhookOutcome.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        logger.exception("webhook %s (%s) failed", event["id"], event["type"])
    fields = {
        "outcome": outcome,
        "error": error,
        "processing_ms": (time.perf_counter() - started) * 1000,
        "processing_attempts": F("processing_attempts") + 1,
        "next_attempt_at": None,
    }
    if not error:
        fields["processed_at"] = timezone.now()
    elif retry is not None and not (policy := _retry_policy()).exhausted(retry):
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=policy.delay(retry))
    WebhookEvent.objects.filter(pk=pk).update(**fields)
    return outcome, error


def _retry_policy() -> RetryPolicy:
    return RetryPolicy(
        base=settings.WEBHOOK_RETRY_BASE_SECONDS,
        cap=settings.WEBHOOK_RETRY_CAP_SECONDS,
        max_attempts=settings.WEBHOOK_MAX_PROCESSING_ATTEMPTS,
    )


def _dispatch(event: dict) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return WebhookOutcome.IGNORED
    try:
        if problem := shape_problem(event):
            raise EventIgnored(f"not the shape Stripe sends: {problem}")
        handler(event["data"]["object"], event)
    except EventIgnored as reason:
        logger.info("webhook %s ignored: %s", event["id"], reason)
        return WebhookOutcome.IGNORED
    return WebhookOutcome.PROCESSED


# Handlers --------------------------------------------------------------------------


def _session_for(obj: dict) -> CheckoutSession:
    """Our session for a Checkout Session object, locked for `session_transition`."""
    sessions = CheckoutSession.objects.select_for_update()
    provider_id = obj.get("id")
    session = None
    if isinstance(provider_id, str) and provider_id:
        session = sessions.filter(provider_id=provider_id).first()
    if session is None:
        metadata = obj.get("metadata") or {}
        pk = parse_id(metadata.get("checkout_session_id", ""))
        if pk is not None:
            session = sessions.filter(pk=pk).first()
    if session is None:
        raise EventIgnored(f"no checkout session {obj.get('id')!r} here")
    return session


def _payment_confirmed(session: CheckoutSession, obj: dict, source: str) -> None:
    reference = str(
        obj.get("payment_intent")
        or obj.get("invoice")
        or obj.get("subscription")
        or session.provider_id
    )
    order, newly_paid, duplicate = order_mark_paid(
        order_id=session.order_id, reference=reference, source=source
    )
    if duplicate:  # another session paid the order first (two pages paid in a race)
        duplicate_payment_record(
            session=session,
            payment_intent=str(obj.get("payment_intent") or ""),
            amount=int(obj.get("amount_total") or session.amount_total),
            currency=str(obj.get("currency") or session.currency),
            subscription=str(obj.get("subscription") or ""),
        )
        return
    if newly_paid:
        invoice_create_for_order(order=order, payment_reference=reference)
    if obj.get("subscription"):
        subscription_record(
            order=order,
            provider_id=str(obj["subscription"]),
            customer_id=str(obj.get("customer") or ""),
        )


def _session_fields(obj: dict) -> dict:
    fields = {}
    for ours, theirs in (
        ("payment_intent", "payment_intent"),
        ("subscription_id", "subscription"),
        ("customer_id", "customer"),
    ):
        if obj.get(theirs):
            fields[ours] = str(obj[theirs])[:255]
    return fields


def on_session_completed(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    paid = obj.get("payment_status") in ("paid", "no_payment_required")
    fields = _session_fields(obj)
    if paid:
        fields["payment_status"] = PaymentStatus.PAID
    elif session.payment_status == PaymentStatus.UNPAID:
        fields["payment_status"] = PaymentStatus.PROCESSING  # a delayed method is under way
    session_transition(session=session, to_status=SessionStatus.COMPLETE, **fields)
    if paid:
        _payment_confirmed(session, obj, source="webhook:checkout.session.completed")


def on_async_payment_succeeded(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    session_transition(
        session=session,
        to_status=SessionStatus.COMPLETE,
        payment_status=PaymentStatus.PAID,
        **_session_fields(obj),
    )
    _payment_confirmed(session, obj, source="webhook:async_payment_succeeded")


def on_async_payment_failed(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    fields = _session_fields(obj)
    if session.payment_status != PaymentStatus.PAID:
        fields["payment_status"] = PaymentStatus.FAILED
    session_transition(session=session, to_status=SessionStatus.COMPLETE, **fields)


def on_session_expired(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    session_transition(session=session, to_status=SessionStatus.EXPIRED)


def _subscription_id(obj: dict) -> str | None:
    """Invoices name their subscription at the top level (older API versions) or under parent."""
    direct = obj.get("subscription")
    if isinstance(direct, str) and direct:
        return direct
    details = (obj.get("parent") or {}).get("subscription_details") or {}
    value = details.get("subscription")
    return value if isinstance(value, str) and value else None


def _subscription(obj: dict) -> Subscription:
    """Our subscription for a subscription or invoice object.

    An event may overtake `checkout.session.completed`; the metadata we gave Stripe names the
    order, so the subscription is recorded then and there instead of dropping the event.
    """
    is_invoice = obj.get("object") == "invoice"
    provider_id = _subscription_id(obj) if is_invoice else obj.get("id")
    if not isinstance(provider_id, str) or not provider_id:
        raise EventIgnored("no subscription id in the event")
    subscription = (
        Subscription.objects.select_related("order").filter(provider_id=provider_id).first()
    )
    if subscription is not None:
        return subscription
    metadata = (
        ((obj.get("parent") or {}).get("subscription_details") or {}).get("metadata")
        if is_invoice
        else obj.get("metadata")
    ) or {}
    order_id = parse_id(metadata.get("order_id", ""))
    order = (
        Order.objects.filter(pk=order_id, is_subscription=True).first()
        if order_id is not None
        else None
    )
    if order is None:
        raise EventIgnored(f"no subscription {provider_id!r} here")
    return subscription_record(
        order=order, provider_id=provider_id, customer_id=str(obj.get("customer") or "")
    )


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else None


def on_invoice_paid(obj: dict, event: dict) -> None:
    if obj.get("billing_reason") == "subscription_create":
        return  # the first cycle is the checkout payment, invoiced when the session completed
    subscription = _subscription(obj)
    line_period = ((obj.get("lines") or {}).get("data") or [{}])[0].get("period") or {}
    invoice_create_renewal(
        subscription=subscription,
        provider_invoice_id=str(obj["id"]),
        amount_paid=int(obj.get("amount_paid") or 0),
        currency=str(obj.get("currency") or subscription.order.currency),
        payment_reference=str(obj.get("payment_intent") or obj["id"]),
        period_start=_ts(line_period.get("start") or obj.get("period_start")),
        period_end=_ts(line_period.get("end") or obj.get("period_end")),
    )
    subscription_update_status(
        provider_id=subscription.provider_id,
        status=Subscription.Status.ACTIVE,
        at=_ts(event.get("created")) or timezone.now(),
    )


def on_invoice_payment_failed(obj: dict, event: dict) -> None:
    subscription = _subscription(obj)
    error = ((obj.get("last_finalization_error") or {}).get("message")) or "Renewal payment failed"
    subscription_update_status(
        provider_id=subscription.provider_id,
        status=Subscription.Status.PAST_DUE,
        at=_ts(event.get("created")) or timezone.now(),
        error=error,
    )


def _period_end(obj: dict) -> datetime | None:
    items = ((obj.get("items") or {}).get("data")) or []
    return _ts(
        obj.get("current_period_end") or (items[0].get("current_period_end") if items else None)
    )


def on_subscription_updated(obj: dict, event: dict) -> None:
    subscription = _subscription(obj)
    subscription_update_status(
        provider_id=subscription.provider_id,
        status=str(obj.get("status") or subscription.status),
        at=_ts(event.get("created")) or timezone.now(),
        current_period_end=_period_end(obj),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
    )


def on_subscription_deleted(obj: dict, event: dict) -> None:
    subscription = _subscription(obj)
    subscription_update_status(
        provider_id=subscription.provider_id,
        status=Subscription.Status.CANCELED,
        at=_ts(event.get("created")) or timezone.now(),
    )


def _from_a_subscriber(charge: dict) -> bool:
    """The charge's customer holds one of our subscriptions, so it may pay a renewal."""
    customer = charge.get("customer")
    return bool(customer) and Subscription.objects.filter(customer_id=str(customer)).exists()


def on_charge_refunded(obj: dict, event: dict) -> None:
    """Apply a refund to the invoice its payment paid.

    A subscription payment's charge names neither our reference nor its invoice on current
    API versions; only Stripe knows, and it is never asked inside this transaction: the
    refund is recorded as a lookup and applied once Stripe answers (`refund_lookups_due`).
    """
    intent, provider_invoice = obj.get("payment_intent"), obj.get("invoice")
    references = [str(v) for v in (intent, provider_invoice) if v]
    if intent and DuplicatePayment.objects.filter(payment_intent=str(intent)).exists():
        raise EventIgnored(f"refund of the second payment {intent!r}, recorded as such")
    invoice = (
        Invoice.objects.filter(payment_reference__in=references).order_by("-issued_at").first()
        if references
        else None
    )
    if invoice is not None:
        charge_refund_apply(invoice=invoice, charge=obj)
    elif intent and not provider_invoice and _from_a_subscriber(obj):
        refund_lookup_record(event_id=event["id"], charge=obj)
    else:
        raise EventIgnored(f"no invoice paid by charge {obj.get('id')!r}")


HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_async_payment_succeeded,
    "checkout.session.async_payment_failed": on_async_payment_failed,
    "checkout.session.expired": on_session_expired,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "customer.subscription.updated": on_subscription_updated,
    "customer.subscription.deleted": on_subscription_deleted,
    "charge.refunded": on_charge_refunded,
}
