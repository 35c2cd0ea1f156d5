"""Stripe webhook ingestion: verify, record every delivery, apply each event exactly once.

Both gateways end here: Stripe over HTTP through the endpoint, the local hosted page in
process, with the same signature verification.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, Subscription
from billing.services import (
    invoice_create_for_order,
    invoice_create_renewal,
    refund_record,
    refund_record_cumulative,
    subscription_record,
    subscription_update_status,
)
from orders.models import Order, OrderStatus
from orders.services import order_mark_paid, order_transition
from orders.transitions import can_transition

from .exceptions import EventIgnored, MalformedEvent
from .gateways import get_gateway
from .models import CheckoutSession, PaymentStatus, SessionStatus, WebhookEvent, WebhookOutcome
from .services import session_transition

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


def webhook_ingest(*, payload: bytes, signature_header: str) -> IngestResult:
    get_gateway().verify_event(payload, signature_header)  # before anything else
    event = _parse(payload)
    record = _record_delivery(event)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            # Concurrent deliveries of one event queue on this row lock; the later ones see
            # it processed and change nothing.
            locked = WebhookEvent.objects.select_for_update().get(pk=record.pk)
            if locked.outcome in (WebhookOutcome.PROCESSED, WebhookOutcome.IGNORED):
                return IngestResult(locked.event_id, locked.type, locked.outcome, duplicate=True)
            outcome = _dispatch(event)
            locked.outcome = outcome
            locked.error = ""
            locked.processed_at = timezone.now()
            locked.processing_ms = (time.perf_counter() - started) * 1000
            locked.save(update_fields=["outcome", "error", "processed_at", "processing_ms"])
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        # A concurrent delivery may have processed the event since our rollback.
        WebhookEvent.objects.filter(pk=record.pk).exclude(
            outcome__in=[WebhookOutcome.PROCESSED, WebhookOutcome.IGNORED]
        ).update(
            outcome=WebhookOutcome.FAILED,
            error=error,
            processing_ms=(time.perf_counter() - started) * 1000,
        )
        logger.exception("webhook %s (%s) failed", event["id"], event["type"])
        raise HandlerFailed(event["id"], error) from exc
    return IngestResult(event["id"], event["type"], outcome, duplicate=False)


def _parse(payload: bytes) -> dict:
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    return event


def _record_delivery(event: dict) -> WebhookEvent:
    now = timezone.now()
    try:
        record, created = WebhookEvent.objects.get_or_create(
            event_id=event["id"],
            defaults={
                "type": event["type"][:100],
                "livemode": bool(event.get("livemode")),
                "payload": event,
                "attempts": 1,
                "last_seen_at": now,
            },
        )
    except IntegrityError:  # a concurrent first delivery won the insert
        record, created = WebhookEvent.objects.get(event_id=event["id"]), False
    if not created:
        WebhookEvent.objects.filter(pk=record.pk).update(
            attempts=F("attempts") + 1, last_seen_at=now
        )
    return record


def _dispatch(event: dict) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return WebhookOutcome.IGNORED
    try:
        handler(event["data"]["object"], event)
    except EventIgnored as reason:
        logger.info("webhook %s ignored: %s", event["id"], reason)
        return WebhookOutcome.IGNORED
    return WebhookOutcome.PROCESSED


# Handlers --------------------------------------------------------------------------


def _session_for(obj: dict) -> CheckoutSession:
    provider_id = obj.get("id")
    session = None
    if isinstance(provider_id, str) and provider_id:
        session = (
            CheckoutSession.objects.select_related("order").filter(provider_id=provider_id).first()
        )
    if session is None:
        metadata = obj.get("metadata") or {}
        pk = str(metadata.get("checkout_session_id", ""))
        if pk.isdigit():
            session = CheckoutSession.objects.select_related("order").filter(pk=int(pk)).first()
    if session is None:
        raise EventIgnored(f"no checkout session {obj.get('id')!r} here")
    return session


def _payment_confirmed(session: CheckoutSession, obj: dict, source: str) -> None:
    reference = (
        obj.get("payment_intent")
        or obj.get("invoice")
        or obj.get("subscription")
        or session.provider_id
    )
    order, newly_paid = order_mark_paid(
        order_id=session.order_id, reference=str(reference), source=source
    )
    if newly_paid:
        invoice_create_for_order(order=order, payment_reference=str(reference))
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
    session_transition(session_id=session.pk, to_status=SessionStatus.COMPLETE, **fields)
    if paid:
        _payment_confirmed(session, obj, source="webhook:checkout.session.completed")


def on_async_payment_succeeded(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    session_transition(
        session_id=session.pk,
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
    session_transition(session_id=session.pk, to_status=SessionStatus.COMPLETE, **fields)


def on_session_expired(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    session_transition(session_id=session.pk, to_status=SessionStatus.EXPIRED)


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
    order_id = str(metadata.get("order_id", ""))
    order = (
        Order.objects.filter(pk=int(order_id), is_subscription=True).first()
        if order_id.isdigit()
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


def on_charge_refunded(obj: dict, event: dict) -> None:
    references = [str(v) for v in (obj.get("payment_intent"), obj.get("invoice")) if v]
    invoice = (
        Invoice.objects.filter(payment_reference__in=references).order_by("-issued_at").first()
        if references
        else None
    )
    if invoice is None:
        raise EventIgnored(f"no invoice paid by {references!r}")
    currency = str(obj.get("currency") or invoice.currency)
    refunds = ((obj.get("refunds") or {}).get("data")) or []
    for refund in refunds:
        refund_record(
            invoice=invoice,
            provider_id=str(refund["id"]),
            amount=int(refund.get("amount") or 0),
            currency=str(refund.get("currency") or currency),
            reason=str(refund.get("reason") or ""),
        )
    if not refunds:  # newer API versions leave the refund list out of the charge
        refund_record_cumulative(
            invoice=invoice,
            charge_id=str(obj.get("id")),
            total_refunded=int(obj.get("amount_refunded") or 0),
            currency=currency,
        )
    invoice.refresh_from_db()
    order = Order.objects.get(pk=invoice.order_id)
    if invoice.status == Invoice.Status.REFUNDED and can_transition(
        order.status, OrderStatus.REFUNDED
    ):
        order_transition(
            order_id=order.pk,
            to_status=OrderStatus.REFUNDED,
            source="webhook:charge.refunded",
            reason="Payment refunded in full",
        )


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
