"""Every write to orders: placing them and moving them through the status graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from catalog.pricing import PriceBreakdown
from core.sequences import sequence_next

from .exceptions import InvalidTransition, ReasonRequired
from .models import Order, OrderLine, OrderNumberSequence, OrderStatus, OrderStatusChange
from .notifications import notification_queue
from .signals import order_paid, order_released, order_status_changed
from .transitions import can_transition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineRequest:
    """One priced line to place: the breakdown comes from the pricing service."""

    product: object
    breakdown: PriceBreakdown
    target: str
    bundle_discount: int = 0  # minor units off this line from a cross-sell bundle
    bundle_name: str = ""

    @property
    def discount(self) -> int:
        return self.breakdown.discount.amount + self.bundle_discount

    @property
    def total(self) -> int:
        return self.breakdown.total.amount - self.bundle_discount


def _next_number(year: int) -> str:
    return f"SMP-{year}-{sequence_next(OrderNumberSequence, year):06d}"


@transaction.atomic(savepoint=False)  # never recovers from its own errors
def order_place(
    *, user, email: str, name: str, lines: list[LineRequest], checkout_token
) -> tuple[Order, bool]:
    """Create an order with price snapshots; (order, created). A reused token returns its order."""
    currency = lines[0].breakdown.currency
    if any(line.breakdown.currency != currency for line in lines):
        raise InvalidTransition(
            "All items in one order must use the same currency.", code="mixed_currency"
        )
    gross = sum(line.breakdown.gross.amount for line in lines)
    discount = sum(line.discount for line in lines)
    total = sum(line.total for line in lines)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=_next_number(timezone.now().year),
                user=user,
                email=email,
                name=name,
                currency=currency,
                subtotal_amount=gross,
                discount_amount=discount,
                total_amount=total,
                is_subscription=any(line.breakdown.interval for line in lines),
                checkout_token=checkout_token,
            )
    except IntegrityError:
        # The token placed an order already (a resubmitted form, or two submits at once).
        return Order.objects.get(checkout_token=checkout_token), False
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            title=line.product.title,
            description=_describe(line.breakdown),
            configuration=line.breakdown.configuration.as_dict(),
            breakdown={
                **line.breakdown.as_dict(),
                "bundle": {"name": line.bundle_name, "discount": line.bundle_discount},
            },
            quantity=line.breakdown.quantity,
            billing=line.breakdown.billing,
            interval=line.breakdown.interval or "",
            target=line.target,
            currency=currency,
            gross_amount=line.breakdown.gross.amount,
            discount_amount=line.discount,
            total_amount=line.total,
            position=index,
        )
        for index, line in enumerate(lines)
    )
    OrderStatusChange.objects.create(
        order=order,
        from_status="",
        to_status=OrderStatus.PENDING,
        source="checkout",
        actor=user,
        reason="Order placed",
    )
    return order, True


def _describe(breakdown: PriceBreakdown) -> str:
    chosen = [line.label for line in breakdown.lines if line.kind != "base"]
    return ", ".join(chosen)[:500]


@transaction.atomic
def order_transition(
    *, order_id: int, to_status: str, source: str, reason: str = "", actor=None
) -> Order:
    """Move an order along the graph: lock, check, save, audit. The only writer of `status`."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == to_status:
        return order
    _move(order, to_status, source=source, reason=reason, actor=actor)
    return order


def _move(order: Order, to_status: str, *, source: str, reason: str, actor=None, also=()) -> None:
    """Change a locked order's status (saving the fields named in `also` in the same UPDATE),
    queue its e-mail, tell listeners and audit the change."""
    if not can_transition(order.status, to_status):
        raise InvalidTransition(
            f"Order {order.number} cannot go from {order.get_status_display().lower()} to "
            f"{OrderStatus(to_status).label.lower()}.",
        )
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *also])
    notification_queue(order=order, to_status=to_status)
    order_status_changed.send(
        sender=Order,
        order=order,
        from_status=from_status,
        to_status=to_status,
        source=source,
        actor=actor,
        reason=reason,
    )
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        source=source,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def order_put_on_hold(*, order_id: int, actor, reason: str) -> Order:
    """Staff pause an order: nothing of it runs, and no task action applies, until released."""
    if not reason.strip():
        raise ReasonRequired("Give a reason for putting the order on hold.")
    return order_transition(
        order_id=order_id, to_status=OrderStatus.ON_HOLD, source="staff", actor=actor, reason=reason
    )


@transaction.atomic
def order_release_hold(
    *, order_id: int, actor, reason: str = "", retry_failed: bool = True
) -> Order:
    """The only way out of on hold but cancelling: the order goes back to processing and its
    work resumes (`order_released`); work that failed runs again, or with `retry_failed=False`
    is skipped."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.ON_HOLD:
        raise InvalidTransition(
            f"Order {order.number} is {order.get_status_display().lower()}, not on hold.",
            code="not_on_hold",
        )
    reason = reason or ("Hold released" if retry_failed else "Hold released; failed steps skipped")
    _move(order, OrderStatus.PROCESSING, source="staff", reason=reason, actor=actor)
    order_released.send(
        sender=Order, order=order, actor=actor, reason=reason, retry_failed=retry_failed
    )
    order.refresh_from_db(fields=["status", "updated_at"])  # receivers may have moved it on
    return order


@transaction.atomic(savepoint=False)  # never recovers from its own errors
def order_mark_paid(*, order_id: int, reference: str, source: str) -> tuple[Order, bool]:
    """Record a confirmed payment once; (order, newly_paid). Hands the order to fulfillment."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.paid_at is not None:
        return order, False
    order.paid_at = timezone.now()
    order.payment_reference = reference[:255]
    paid_fields = ("paid_at", "payment_reference")
    if order.status != OrderStatus.PENDING:
        # Paid after it was cancelled: the money is recorded (and invoiced) for staff to
        # refund, but nothing is fulfilled.
        order.save(update_fields=[*paid_fields, "updated_at"])
        logger.warning("payment %s arrived for %s order %s", reference, order.status, order.number)
        return order, True
    _move(
        order, OrderStatus.PROCESSING, source=source, reason="Payment confirmed", also=paid_fields
    )
    # Fulfillment and the invoice both read the lines; load them once.
    prefetch_related_objects([order], "lines")
    order_paid.send(sender=Order, order=order)
    return order, True
