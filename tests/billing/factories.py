"""Invoices, payment sessions, fulfillment tasks and snapshots of a client's orders, written
directly: the billing centre only reads them. `client_history` builds hundreds at once."""

import itertools
import uuid
from datetime import timedelta

from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from checkout.models import CheckoutSession
from fulfillment.models import AnalyticsSnapshot, FulfillmentTask
from orders.models import Order, OrderStatus

_numbers = itertools.count(1)


def _next() -> int:
    return next(_numbers)


def order_for(owner, *, status=OrderStatus.COMPLETED, paid=True, total=10_000, **fields) -> Order:
    now = timezone.now()
    return Order.objects.create(
        **{
            "number": f"ORD-T-{_next():06d}",
            "user": owner,
            "email": owner.email,
            "name": "Ada Buyer",
            "status": status,
            "currency": "USD",
            "subtotal_amount": total,
            "total_amount": total,
            "paid_at": now if paid else None,
            **fields,
        }
    )


def invoice_for(order, *, lines=None, **fields) -> Invoice:
    """An invoice of `order` (its total unless given) with `lines`: (description, quantity,
    total) tuples; one line for the whole amount by default."""
    total = fields.pop("total_amount", order.total_amount)
    invoice = Invoice.objects.create(
        **{
            "number": f"INV-T-{_next():06d}",
            "order": order,
            "kind": Invoice.Kind.ORDER,
            "currency": order.currency,
            "subtotal_amount": total,
            "total_amount": total,
            "issued_at": order.paid_at or timezone.now(),
            **fields,
        }
    )
    for position, (description, quantity, amount) in enumerate(
        lines if lines is not None else [("Instagram Growth for @acct", 1, total)]
    ):
        InvoiceLine.objects.create(
            invoice=invoice,
            description=description,
            quantity=quantity,
            currency=invoice.currency,
            gross_amount=amount,
            total_amount=amount,
            position=position,
        )
    return invoice


def session_for(order, *, status="open", attempt=1, **fields) -> CheckoutSession:
    return CheckoutSession.objects.create(
        **{
            "order": order,
            "gateway": "local",
            "mode": "payment",
            "status": status,
            "attempt": attempt,
            "idempotency_key": uuid.uuid4().hex,
            "amount_total": order.total_amount,
            "currency": order.currency,
            "expires_at": timezone.now() + timedelta(hours=1),
            **fields,
        }
    )


def task_for(order, *, kind="delivery", status="succeeded", **fields) -> FulfillmentTask:
    return FulfillmentTask.objects.create(
        **{
            "order": order,
            "name": "Deliver followers",
            "kind": kind,
            "adapter": "sandbox",
            "status": status,
            "due_at": order.paid_at or timezone.now(),
            **fields,
        }
    )


def snapshot(order, *, day: int, followers: int, reach=None, account="@acct"):
    """The account's figures `day` days after the order was paid."""
    return AnalyticsSnapshot.objects.create(
        order=order,
        account=account,
        captured_on=(order.paid_at + timedelta(days=day)).date(),
        followers=followers,
        reach=reach,
        source="sandbox",
    )


def client_history(owner, *, orders: int, snapshots_per_order: int = 3) -> list[Order]:
    """`orders` paid orders of `owner`, each with an invoice and line, a completed session, a
    delivery task and daily snapshots, in a few bulk inserts."""
    now = timezone.now()
    start = _next() * 100_000
    Order.objects.bulk_create(
        Order(
            number=f"ORD-B-{start + n}",
            user=owner,
            email=owner.email,
            name="Bulk Buyer",
            status=OrderStatus.COMPLETED,
            currency="USD",
            subtotal_amount=5_000,
            total_amount=5_000,
            paid_at=now - timedelta(days=n % 60, minutes=n),
        )
        for n in range(orders)
    )
    made = list(Order.objects.filter(number__startswith="ORD-B-", user=owner))
    Invoice.objects.bulk_create(
        Invoice(
            number=f"INV-B-{order.number[6:]}",
            order=order,
            kind=Invoice.Kind.ORDER,
            currency="USD",
            subtotal_amount=5_000,
            total_amount=5_000,
            issued_at=order.paid_at,
        )
        for order in made
    )
    invoices = list(Invoice.objects.filter(order__in=made))
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description="Instagram Growth for @bulk",
            quantity=1,
            currency="USD",
            gross_amount=5_000,
            total_amount=5_000,
        )
        for invoice in invoices
    )
    CheckoutSession.objects.bulk_create(
        CheckoutSession(
            order=order,
            gateway="local",
            mode="payment",
            status="complete",
            payment_status="paid",
            idempotency_key=uuid.uuid4().hex,
            amount_total=5_000,
            currency="USD",
            expires_at=order.paid_at,
            completed_at=order.paid_at,
        )
        for order in made
    )
    FulfillmentTask.objects.bulk_create(
        FulfillmentTask(
            order=order,
            name="Deliver followers",
            kind="delivery",
            adapter="sandbox",
            status="succeeded",
            due_at=order.paid_at,
            finished_at=order.paid_at + timedelta(days=2),
            quantity=1000,
            delivered=1000,
        )
        for order in made
    )
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order,
            account="@bulk",
            captured_on=(order.paid_at + timedelta(days=day)).date(),
            followers=10_000 + 100 * day,
            reach=2_000 + 50 * day,
            source="sandbox",
        )
        for order in made
        for day in range(snapshots_per_order)
    )
    return made
