"""Every write to orders: placing them and moving them through the status graph."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from catalog.pricing import CartPricing, PriceBreakdown
from core.bulk import rows_insert
from core.sequences import sequence_next

from .exceptions import InvalidTransition, OrderNotFound, ReasonRequired
from .models import (
    NotificationPreference,
    Order,
    OrderLine,
    OrderNumberSequence,
    OrderSelection,
    OrderStatus,
    OrderStatusChange,
)
from .notifications import notifications_queue
from .signals import order_paid, order_released, order_status_changed
from .transitions import can_transition

logger = logging.getLogger(__name__)


def _next_number(year: int) -> str:
    return f"SMP-{year}-{sequence_next(OrderNumberSequence, year):06d}"


@transaction.atomic(savepoint=False)  # never recovers from its own errors
def order_place(
    *,
    user,
    email: str,
    name: str,
    pricing: CartPricing,
    targets: Mapping[object, Sequence[str]],
    checkout_token,
    visitor_id: str = "",
) -> tuple[Order, bool]:
    """Create an order that copies `pricing` (totals and every line, delivered to each account
    in `targets[line.key]`); (order, created). A reused token returns its order.

    No arithmetic here: every amount comes from `catalog.pricing.price_cart`."""
    if pricing.total is None:
        raise InvalidTransition(
            "The cart has lines that cannot be priced together.", code="cart_not_priced"
        )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=_next_number(timezone.now().year),
                user=user,
                email=email,
                name=name,
                currency=pricing.currency,
                subtotal_amount=pricing.subtotal.amount,
                discount_amount=pricing.discount.amount,
                total_amount=pricing.total.amount,
                is_subscription=pricing.is_subscription,
                checkout_token=checkout_token,
                visitor_id=visitor_id,
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
            breakdown=line.as_dict(),
            quantity=line.breakdown.quantity,
            billing=line.breakdown.billing,
            interval=line.breakdown.interval or "",
            target=_accounts_text(targets[line.key]),
            targets=list(targets[line.key]),
            currency=pricing.currency,
            gross_amount=line.gross.amount,
            discount_amount=line.discount.amount,
            total_amount=line.total.amount,
            position=index,
        )
        for index, line in enumerate(pricing.lines)
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


def _accounts_text(accounts: Sequence[str], limit: int = 300) -> str:
    """ "@a, @b, @c" for pages and e-mails; as many as fit, then "and N more"."""
    for shown in range(len(accounts), 0, -1):
        rest = len(accounts) - shown
        text = ", ".join(accounts[:shown]) + (f" and {rest} more" if rest else "")
        if len(text) <= limit:
            return text
    return accounts[0][:limit]


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


class Move(NamedTuple):
    """One order of a batch, where it goes and why (its history row's reason)."""

    order_id: int
    to_status: str
    reason: str = ""


class Moves(NamedTuple):
    moved: list[Order]
    # By order id: a move off the graph, refused while the batch's other orders moved.
    refused: dict[int, InvalidTransition]


@transaction.atomic(savepoint=False)  # refuses instead of raising: nothing to roll back to
def order_transition_many(*, moves: Sequence[Move], source: str, actor=None) -> Moves:
    """`order_transition` for many orders at once, in a fixed number of queries: the orders
    locked in one SELECT, one UPDATE per target status, their e-mails and history rows in one
    statement each, and `order_status_changed` sent for each moved order. An order already at its
    target stays as it is; a move off the graph is refused without stopping the others."""
    wanted = {move.order_id: move for move in moves}
    changes, refused = [], {}
    for order in Order.objects.select_for_update().filter(pk__in=wanted).order_by("pk"):
        move = wanted[order.pk]
        if order.status == move.to_status:
            continue
        problem = _refusal(order, move.to_status)
        if problem:
            refused[order.pk] = problem
            continue
        changes.append(_Change(order, order.status, move.to_status, move.reason))
        order.status = move.to_status
    now = timezone.now()
    by_status: dict[str, list[int]] = {}
    for change in changes:
        change.order.updated_at = now
        by_status.setdefault(change.to_status, []).append(change.order.pk)
    for to_status, ids in by_status.items():
        Order.objects.filter(pk__in=ids).update(status=to_status, updated_at=now)
    _changes_record(changes, source=source, actor=actor)
    return Moves([change.order for change in changes], refused)


class _Change(NamedTuple):
    order: Order
    from_status: str
    to_status: str
    reason: str


def _refusal(order: Order, to_status: str) -> InvalidTransition | None:
    if can_transition(order.status, to_status):
        return None
    return InvalidTransition(
        f"Order {order.number} cannot go from {order.get_status_display().lower()} to "
        f"{OrderStatus(to_status).label.lower()}.",
    )


def _move(order: Order, to_status: str, *, source: str, reason: str, actor=None, also=()) -> None:
    """Change a locked order's status (saving the fields named in `also` in the same UPDATE),
    queue its e-mail, tell listeners and audit the change."""
    problem = _refusal(order, to_status)
    if problem:
        raise problem
    change = _Change(order, order.status, to_status, reason)
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *also])
    _changes_record([change], source=source, actor=actor)


def _changes_record(changes: Sequence[_Change], *, source: str, actor) -> None:
    """After the status UPDATE: the e-mails, the listeners, the history rows."""
    if not changes:
        return
    notifications_queue(changes=[(change.order, change.to_status) for change in changes])
    for change in changes:
        order_status_changed.send(
            sender=Order,
            order=change.order,
            from_status=change.from_status,
            to_status=change.to_status,
            source=source,
            actor=actor,
            reason=change.reason,
        )
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    actor_id = actor.pk if actor is not None else None
    # Plain strings: COPY would write an enum member by its name.
    rows_insert(
        OrderStatusChange,
        _HISTORY_COLUMNS,
        [
            (c.order.pk, str(c.from_status), str(c.to_status), actor_id, source, c.reason[:500], at)
            for c in changes
        ],
    )


_HISTORY_COLUMNS = (
    "order_id",
    "from_status",
    "to_status",
    "actor_id",
    "source",
    "reason",
    "created_at",
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


class PaymentApplied(NamedTuple):
    order: Order
    newly_paid: bool
    # The order had been paid by another payment: this one is a second charge to give back.
    duplicate: bool


@transaction.atomic(savepoint=False)  # never recovers from its own errors
def order_mark_paid(*, order_id: int, reference: str, source: str) -> PaymentApplied:
    """Record a confirmed payment once. Hands the order to fulfillment.

    The order remembers the payment that paid it, so the same payment confirmed again is a
    repeat and any other payment a duplicate; neither changes the order.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.paid_at is not None:
        duplicate = order.payment_reference != reference[:255]
        if duplicate:
            logger.warning(
                "payment %s arrived for order %s, paid already by %s",
                reference,
                order.number,
                order.payment_reference,
            )
        return PaymentApplied(order, False, duplicate)
    order.paid_at = timezone.now()
    order.payment_reference = reference[:255]
    paid_fields = ("paid_at", "payment_reference")
    if order.status != OrderStatus.PENDING:
        # Paid after it was cancelled: the money is recorded (and invoiced) for staff to
        # refund, but nothing is fulfilled.
        order.save(update_fields=[*paid_fields, "updated_at"])
        logger.warning("payment %s arrived for %s order %s", reference, order.status, order.number)
        return PaymentApplied(order, True, False)
    _move(
        order, OrderStatus.PROCESSING, source=source, reason="Payment confirmed", also=paid_fields
    )
    # Fulfillment and the invoice both read the lines; load them once.
    prefetch_related_objects([order], "lines")
    order_paid.send(sender=Order, order=order)
    return PaymentApplied(order, True, False)


@transaction.atomic
def order_selection_set(*, user, order: Order) -> OrderSelection:
    """Remember `order` as the one the client's dashboard opens on (only their own)."""
    if order.user_id != user.pk:
        raise OrderNotFound("We could not find that order.")
    selection, _ = OrderSelection.objects.update_or_create(user=user, defaults={"order": order})
    return selection


@transaction.atomic
def notification_preference_set(
    *, user, order_updates: bool, weekly_digest: bool, marketing: bool
) -> NotificationPreference:
    """Save which e-mails the client wants; every sender reads them through
    `orders.selectors.notification_recipients`."""
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "order_updates": order_updates,
            "weekly_digest": weekly_digest,
            "marketing": marketing,
        },
    )
    return preference
