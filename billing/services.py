"""Invoices, subscriptions and refunds. Every function here is idempotent on provider ids.

They run inside the caller's transaction (a webhook) and never recover from their own errors,
so they take no savepoint of their own.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.sequences import sequence_next
from orders.models import Order

from .models import Invoice, InvoiceLine, InvoiceSequence, Refund, Subscription
from .signals import invoice_refunded


def _next_invoice_number(year: int) -> str:
    return f"INV-{year}-{sequence_next(InvoiceSequence, year):06d}"


@transaction.atomic(savepoint=False)
def invoice_create_for_order(*, order: Order, payment_reference: str) -> tuple[Invoice, bool]:
    """The invoice for an order's first payment, lines copied from the order's snapshot."""
    existing = Invoice.objects.filter(order=order, kind=Invoice.Kind.ORDER).first()
    if existing is not None:
        return existing, False
    issued_at = order.paid_at or timezone.now()
    invoice = Invoice.objects.create(
        number=_next_invoice_number(issued_at.year),
        order=order,
        kind=Invoice.Kind.ORDER,
        currency=order.currency,
        subtotal_amount=order.subtotal_amount,
        discount_amount=order.discount_amount,
        total_amount=order.total_amount,
        payment_reference=payment_reference[:255],
        issued_at=issued_at,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=_line_description(line),
            quantity=line.quantity,
            currency=line.currency,
            gross_amount=line.gross_amount,
            discount_amount=line.discount_amount,
            total_amount=line.total_amount,
            position=line.position,
        )
        for line in order.lines.all()
    )
    return invoice, True


def _line_description(line) -> str:
    text = line.title
    if line.description:
        text += f" ({line.description})"
    if line.interval:
        text += f", billed per {line.interval}"
    return f"{text} for {line.target}"[:500]


@transaction.atomic(savepoint=False)
def invoice_create_renewal(
    *,
    subscription: Subscription,
    provider_invoice_id: str,
    amount_paid: int,
    currency: str,
    payment_reference: str,
    period_start: datetime | None,
    period_end: datetime | None,
) -> tuple[Invoice, bool]:
    """A renewal invoice for a paid subscription cycle; once per provider invoice id."""
    existing = Invoice.objects.filter(provider_invoice_id=provider_invoice_id).first()
    if existing is not None:
        return existing, False
    order = subscription.order
    recurring = [line for line in order.lines.all() if line.interval]
    issued_at = timezone.now()
    invoice = Invoice.objects.create(
        number=_next_invoice_number(issued_at.year),
        order=order,
        kind=Invoice.Kind.RENEWAL,
        currency=currency.upper(),
        subtotal_amount=amount_paid,
        total_amount=amount_paid,
        payment_reference=payment_reference[:255],
        provider_invoice_id=provider_invoice_id,
        issued_at=issued_at,
        period_start=period_start,
        period_end=period_end,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=f"Renewal: {_line_description(line)}"[:500],
            quantity=line.quantity,
            currency=invoice.currency,
            gross_amount=line.total_amount,
            total_amount=line.total_amount,
            position=line.position,
        )
        for line in recurring
    )
    return invoice, True


@transaction.atomic(savepoint=False)
def subscription_record(
    *, order: Order, provider_id: str, customer_id: str = "", status: str = "active"
) -> Subscription:
    subscription, _ = Subscription.objects.get_or_create(
        provider_id=provider_id,
        defaults={"order": order, "customer_id": customer_id, "status": status},
    )
    return subscription


@transaction.atomic(savepoint=False)
def subscription_update_status(
    *,
    provider_id: str,
    status: str,
    at: datetime,
    current_period_end: datetime | None = None,
    cancel_at_period_end: bool | None = None,
    error: str = "",
) -> Subscription | None:
    """Apply a provider status unless a newer one was applied already (out-of-order events)."""
    subscription = Subscription.objects.select_for_update().filter(provider_id=provider_id).first()
    if subscription is None:
        return None
    if subscription.status_updated_at and at < subscription.status_updated_at:
        return subscription
    if (
        subscription.status == Subscription.Status.CANCELED
        and status != Subscription.Status.CANCELED
    ):
        return subscription  # cancellation is final
    fields = ["status", "status_updated_at", "updated_at"]
    subscription.status = status if status in Subscription.Status.values else subscription.status
    subscription.status_updated_at = at
    if current_period_end is not None:
        subscription.current_period_end = current_period_end
        fields.append("current_period_end")
    if cancel_at_period_end is not None:
        subscription.cancel_at_period_end = cancel_at_period_end
        fields.append("cancel_at_period_end")
    if status == Subscription.Status.CANCELED and subscription.canceled_at is None:
        subscription.canceled_at = at
        fields.append("canceled_at")
    if error:
        subscription.last_payment_error = error[:500]
        fields.append("last_payment_error")
    subscription.save(update_fields=fields)
    return subscription


@transaction.atomic(savepoint=False)
def refund_record(
    *, invoice: Invoice, provider_id: str, amount: int, currency: str, reason: str = ""
) -> tuple[Refund | None, bool]:
    """Record one provider refund against an invoice and update what the invoice shows."""
    existing = Refund.objects.filter(provider_id=provider_id).first()
    if existing is not None:
        return existing, False
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    return _refund_apply(invoice, provider_id, amount, currency, reason)


@transaction.atomic(savepoint=False)
def refund_record_cumulative(
    *, invoice: Invoice, charge_id: str, total_refunded: int, currency: str
) -> tuple[Refund | None, bool]:
    """Record what a charge's cumulative `amount_refunded` adds to the invoice's refunds.

    The difference is taken under the invoice's row lock, so concurrent or out-of-order
    deliveries of the same charge never count a refund twice.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    amount = total_refunded - invoice.refunded_amount
    provider_id = f"{charge_id}:{total_refunded}"
    if amount <= 0 or Refund.objects.filter(provider_id=provider_id).exists():
        return None, False
    return _refund_apply(invoice, provider_id, amount, currency, "")


def _refund_apply(invoice, provider_id, amount, currency, reason) -> tuple[Refund | None, bool]:
    amount = min(amount, invoice.total_amount - invoice.refunded_amount)
    if amount <= 0:
        return None, False
    refund = Refund.objects.create(
        invoice=invoice,
        provider_id=provider_id,
        amount=amount,
        currency=currency.upper(),
        reason=reason[:100],
    )
    invoice.refunded_amount += amount
    invoice.status = (
        Invoice.Status.REFUNDED
        if invoice.refunded_amount >= invoice.total_amount
        else Invoice.Status.PARTIALLY_REFUNDED
    )
    invoice.save(update_fields=["refunded_amount", "status", "updated_at"])
    invoice_refunded.send(sender=Invoice, invoice=invoice)
    return refund, True
