"""What the order page says: one state per combination of order, session and payment status.

`order_state` is the only place that decides the headline, the explanation and what the
customer can do next; the template and the state endpoint only show its answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.models import Invoice
from orders.models import Order, OrderLine, OrderStatus

from .models import CheckoutSession, PaymentStatus, SessionStatus
from .selectors import session_latest

# What the customer can do next; the template turns each into a button or a link.
PAY = "pay"  # a new or resumed payment page (POST to checkout:resume)
SHOP = "shop"  # the catalog
CONTACT = "contact"  # an e-mail to support about this order

# How often an order under way is looked at again, in seconds.
REFRESH_CONFIRMING = 3  # the payment is being recorded: a matter of seconds
REFRESH_UNDER_WAY = 10


@dataclass(frozen=True)
class Action:
    kind: str
    label: str


@dataclass(frozen=True)
class OrderState:
    key: str  # stable: the state endpoint returns it and the page's script compares it
    label: str  # the badge
    tone: str  # the badge's colour, one of the order status classes
    headline: str
    explanation: str
    actions: tuple[Action, ...] = ()
    refresh_seconds: int | None = None  # set exactly while work is under way

    @property
    def under_way(self) -> bool:
        return self.refresh_seconds is not None


def _contact(label: str = "Write to us") -> Action:
    return Action(CONTACT, label)


HOLD_EXPLANATION = "Work on your order is paused; nothing delivered so far is lost."
HOLD_BY_FULFILLMENT = "One delivery step needs our team's attention before it can go on."


def order_state(
    *,
    order_status: str,
    is_paid: bool,
    session_status: str | None,
    payment_status: str | None,
    hold_reason: str = "",
) -> OrderState:
    """The page's state. `session_status` and `payment_status` are the latest checkout
    session's (None without one); `hold_reason` is the customer-facing reason of a hold."""
    S = OrderStatus
    if order_status == S.PENDING and not is_paid:
        return _awaiting(session_status, payment_status)
    if order_status == S.PENDING:  # paid this moment; the order moves on in the same commit
        order_status = S.PROCESSING
    states = {
        S.PROCESSING: OrderState(
            "processing",
            "Processing",
            S.PROCESSING,
            "Thank you — your order is paid.",
            "We are preparing delivery and will e-mail you when it starts. "
            "This page follows your order as it goes.",
            (Action(SHOP, "Continue shopping"),),
            REFRESH_UNDER_WAY,
        ),
        S.ACTIVE: OrderState(
            "active",
            "Active",
            S.ACTIVE,
            "Delivery is under way.",
            "Your order is paid and we are delivering it now. "
            "We will e-mail you when everything is delivered.",
            (Action(SHOP, "Continue shopping"),),
            REFRESH_UNDER_WAY,
        ),
        S.COMPLETED: OrderState(
            "completed",
            "Completed",
            S.COMPLETED,
            "Your order is complete.",
            "Everything is delivered. If anything looks wrong, write to us and we will put "
            "it right.",
            (Action(SHOP, "Order again"), _contact()),
        ),
        S.ON_HOLD: OrderState(
            "on_hold",
            "On hold",
            S.ON_HOLD,
            "Your order is on hold.",
            f"{hold_reason or HOLD_BY_FULFILLMENT} {HOLD_EXPLANATION} "
            "We will write to you before work continues.",
            (_contact("Ask us about this hold"),),
        ),
        S.CANCELLED: OrderState(
            "cancelled",
            "Cancelled",
            S.CANCELLED,
            "This order was cancelled.",
            "Nothing more will be delivered for it. "
            + (
                "Your payment for it goes back to you; write to us with any question."
                if is_paid
                else "Nothing was charged."
            ),
            (Action(SHOP, "Shop again"), _contact()),
        ),
        S.REFUNDED: OrderState(
            "refunded",
            "Refunded",
            S.REFUNDED,
            "This order was refunded.",
            "Your payment was refunded in full to the way you paid; nothing more will be "
            "delivered for it.",
            (Action(SHOP, "Shop again"), _contact()),
        ),
    }
    return states[order_status]


def _awaiting(session_status: str | None, payment_status: str | None) -> OrderState:
    """An unpaid order waiting for the customer, the bank or the payment's confirmation."""
    pending = OrderStatus.PENDING
    if session_status == SessionStatus.COMPLETE:
        if payment_status == PaymentStatus.PROCESSING:
            return OrderState(
                "payment_pending",
                "Payment pending",
                pending,
                "Your payment is pending.",
                "Your bank confirms this payment method later, usually within a few working "
                "days. We start on your order as soon as it does and e-mail you then; there "
                "is nothing more to do.",
                (_contact(),),
                REFRESH_UNDER_WAY,
            )
        if payment_status == PaymentStatus.FAILED:
            return OrderState(
                "payment_failed",
                "Payment failed",
                OrderStatus.CANCELLED,
                "Your payment did not go through.",
                "Your bank did not confirm the payment, so nothing was charged. Your order is "
                "saved: pay another way to go on.",
                (Action(PAY, "Pay another way"), _contact()),
            )
        return OrderState(
            "confirming",
            "Confirming payment",
            pending,
            "Confirming your payment…",
            "The payment page accepted your payment; we are recording it. "
            "This takes a few seconds.",
            refresh_seconds=REFRESH_CONFIRMING,
        )
    if session_status == SessionStatus.EXPIRED:
        return OrderState(
            "expired",
            "Payment page expired",
            pending,
            "Your payment page has expired.",
            "Nothing was charged. Payment pages close after a while; your order is saved, "
            "so start a new payment whenever you are ready.",
            (Action(PAY, "Start a new payment"), Action(SHOP, "Back to the shop")),
        )
    if session_status == SessionStatus.ABANDONED:
        return OrderState(
            "abandoned",
            "Payment not finished",
            pending,
            "You left the payment page before paying.",
            "Nothing was charged. Your order is saved, so start a new payment whenever you "
            "are ready.",
            (Action(PAY, "Start a new payment"), Action(SHOP, "Back to the shop")),
        )
    return OrderState(
        "awaiting_payment",
        "Awaiting payment",
        pending,
        "Your order is waiting for payment.",
        "Nothing has been charged yet. Your order is saved until you pay for it.",
        (Action(PAY, "Pay now"),),
    )


@dataclass(frozen=True)
class OrderPage:
    order: Order
    state: OrderState
    latest_session: CheckoutSession | None
    lines: list[OrderLine]
    invoice: Invoice | None


def order_page(*, order: Order) -> OrderPage:
    """The order page's data in a fixed number of queries, however many lines it has."""
    latest = session_latest(order=order)
    return OrderPage(
        order=order,
        state=_state(order, latest),
        latest_session=latest,
        lines=list(order.lines.all()),
        invoice=order.invoices.filter(kind="order").first() if order.is_paid else None,
    )


def order_state_get(*, order: Order) -> OrderState:
    return _state(order, session_latest(order=order))


def _state(order: Order, latest: CheckoutSession | None) -> OrderState:
    return order_state(
        order_status=order.status,
        is_paid=order.is_paid,
        session_status=latest.status if latest else None,
        payment_status=latest.payment_status if latest else None,
        hold_reason=_hold_reason(order),
    )


def _hold_reason(order: Order) -> str:
    """The reason staff gave for the hold (written for the client, as the admin form says).
    A hold by fulfillment carries a technical error: the client gets no part of it."""
    if order.status != OrderStatus.ON_HOLD:
        return ""
    hold = (
        order.history.filter(to_status=OrderStatus.ON_HOLD)
        .order_by("-created_at", "-id")
        .values("source", "reason")
        .first()
    )
    if hold is None or hold["source"] != "staff":
        return ""
    reason = hold["reason"].strip()
    return reason if reason.endswith((".", "!", "?")) else f"{reason}."
