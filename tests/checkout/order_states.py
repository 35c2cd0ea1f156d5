"""Orders in every state the order page knows, reached through the real services and the
local gateway's signed events (the hosted page's own actions)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from checkout.gateways import get_gateway
from checkout.gateways.local import session_object
from checkout.models import PaymentStatus, SessionStatus
from checkout.services import session_transition
from checkout.views import HOSTED_ACTIONS
from checkout.webhooks import webhook_ingest
from orders.models import OrderStatus
from orders.services import order_put_on_hold, order_transition

HOLD_REASON = "Waiting for the client to make the channel public"
INTERNAL_ERROR = "HTTP 502 from panel.example: token=abc123"


def hosted(session, stage: str, action: str) -> None:
    """What the simulated page's button `action` sends, through the same ingest."""
    event_type, status, payment_status = HOSTED_ACTIONS[stage][action]
    payload, signature = get_gateway().signed_event(
        event_type, session_object(session, status=status, payment_status=payment_status)
    )
    webhook_ingest(payload=payload, signature_header=signature)


def _staff():
    staff, _ = get_user_model().objects.get_or_create(
        username="ops", defaults={"is_staff": True, "email": "ops@example.com"}
    )
    return staff


def _paid(order, session):
    hosted(session, "pay", "pay")


def _move(order, *statuses, source="fulfillment", reason=""):
    for status in statuses:
        order_transition(order_id=order.pk, to_status=status, source=source, reason=reason)


def awaiting_payment(order, session):
    pass


def abandoned(order, session):
    session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)


def expired(order, session):
    hosted(session, "pay", "expire")


def confirming(order, session):
    # The session reported paid; the payment is not recorded on the order yet.
    session_transition(
        session=session.pk, to_status=SessionStatus.COMPLETE, payment_status=PaymentStatus.PAID
    )


def payment_pending(order, session):
    hosted(session, "pay", "pay_delayed")


def payment_failed(order, session):
    hosted(session, "pay", "pay_delayed")
    hosted(session, "bank", "bank_reject")


def processing(order, session):
    _paid(order, session)


def active(order, session):
    _paid(order, session)
    _move(order, OrderStatus.ACTIVE, reason="Delivery under way")


def completed(order, session):
    _paid(order, session)
    _move(order, OrderStatus.ACTIVE, OrderStatus.COMPLETED, reason="All steps done")


def on_hold(order, session):
    _paid(order, session)
    order_put_on_hold(order_id=order.pk, actor=_staff(), reason=HOLD_REASON)


def on_hold_by_fulfillment(order, session):
    _paid(order, session)
    _move(order, OrderStatus.ON_HOLD, reason=f"Step “Deliver followers” failed: {INTERNAL_ERROR}")


def cancelled(order, session):
    _move(order, OrderStatus.CANCELLED, source="staff", reason="Client asked to cancel")


def cancelled_after_payment(order, session):
    _paid(order, session)
    _move(order, OrderStatus.CANCELLED, source="staff", reason="Client asked to cancel")


def refunded(order, session):
    _paid(order, session)
    _move(order, OrderStatus.REFUNDED, source="webhook:charge.refunded", reason="Refunded")


BUILDERS = {
    f.__name__: f
    for f in (
        awaiting_payment,
        abandoned,
        expired,
        confirming,
        payment_pending,
        payment_failed,
        processing,
        active,
        completed,
        on_hold,
        on_hold_by_fulfillment,
        cancelled,
        cancelled_after_payment,
        refunded,
    )
}
