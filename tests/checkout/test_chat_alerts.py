"""What operators are told in their chat: a checkout worth chasing left unpaid (once per
order, only from the configured value up) and a burst of failing Stripe events (once per
window, not below the threshold), posted over HTTP to a fake Slack-compatible receiver."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backoffice.queues import QUEUES
from checkout.alerts import abandoned_checkouts_notify, webhook_failures_notify
from checkout.models import CheckoutSession, SessionStatus, WebhookEvent
from checkout.services import session_transition
from checkout.tasks import sweep_checkout_sessions
from core.models import ChatMessage
from tests.checkout.factories import placed_order
from tests.checkout.order_states import hosted

pytestmark = pytest.mark.django_db


def post_chat() -> None:
    QUEUES["chat"].step(None)


def failed_events(n: int, *, at: datetime, event_type="checkout.session.completed") -> None:
    for _ in range(n):
        WebhookEvent.objects.create(
            event_id=f"evt_{WebhookEvent.objects.count()}",
            type=event_type,
            payload={},
            last_seen_at=at,
            outcome="failed",
            error="KeyError: 'metadata'",
        )


def test_an_abandoned_checkout_at_the_value_is_posted_once(fake_chat, settings):
    order, session = placed_order()
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = order.total_amount
    session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    assert sweep_checkout_sessions()["chat_abandoned"] == 1
    post_chat()
    [body] = fake_chat.received
    amount = order.total.format()
    assert body["text"] == f"Checkout abandoned: order {order.number}, {amount}, {order.email}"
    layout = str(body["blocks"])
    assert f"/admin/orders/order/{order.pk}/change/|{order.number}>" in layout
    assert amount in layout and order.email in layout
    assert sweep_checkout_sessions()["chat_abandoned"] == 0
    post_chat()
    assert len(fake_chat.received) == 1


def test_an_expired_checkout_is_posted_too(fake_chat, settings):
    order, session = placed_order()
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = order.total_amount
    hosted(session, "pay", "expire")
    assert abandoned_checkouts_notify() == 1
    post_chat()
    assert fake_chat.received[0]["text"].startswith(f"Checkout expired: order {order.number}")


def test_a_checkout_below_the_value_is_not_posted(fake_chat, settings):
    order, session = placed_order()
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = order.total_amount + 1
    session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    assert abandoned_checkouts_notify() == 0
    assert not ChatMessage.objects.exists()


def test_an_open_or_paid_checkout_is_not_posted(fake_chat, settings):
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = 0
    placed_order()  # still open
    _, paid = placed_order()
    hosted(paid, "pay", "pay")
    assert abandoned_checkouts_notify() == 0


def test_an_old_abandoned_checkout_is_history_not_news(fake_chat, settings):
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = 0
    _, session = placed_order()
    session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    CheckoutSession.objects.filter(pk=session.pk).update(
        closed_at=timezone.now() - timedelta(days=2)
    )
    assert abandoned_checkouts_notify() == 0


def test_without_a_webhook_url_nothing_is_checked_or_queued(settings):
    settings.OPS_CHAT_WEBHOOK_URL = ""
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = 0
    _, session = placed_order()
    session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    failed_events(10, at=timezone.now())
    result = sweep_checkout_sessions()
    assert result["chat_abandoned"] == result["chat_webhook_failures"] == 0
    assert not ChatMessage.objects.exists()


NOW = datetime(2026, 12, 2, 10, 7, tzinfo=UTC)  # in the 10:00–10:15 window


def test_a_burst_of_failed_webhooks_is_posted_once_per_window(fake_chat):
    failed_events(3, at=NOW - timedelta(minutes=2))
    failed_events(2, at=NOW - timedelta(minutes=1), event_type="invoice.paid")
    assert webhook_failures_notify(now=NOW) is True
    assert webhook_failures_notify(now=NOW + timedelta(minutes=5)) is False  # same window
    post_chat()
    [body] = fake_chat.received
    assert body["text"] == (
        "5 Stripe webhook events failed in the last 15 minutes: "
        "checkout.session.completed × 3, invoice.paid × 2"
    )
    assert "/admin/checkout/webhookevent/?outcome__exact=failed" in str(body["blocks"])
    assert ChatMessage.objects.get().key == "chat:webhook_failures:2026-12-02T10:00"
    # Still failing in the next window: one more message.
    failed_events(5, at=NOW + timedelta(minutes=10))
    assert webhook_failures_notify(now=NOW + timedelta(minutes=12)) is True
    assert ChatMessage.objects.count() == 2


def test_failures_below_the_threshold_or_outside_the_window_are_not_posted(fake_chat, settings):
    failed_events(4, at=NOW - timedelta(minutes=1))
    failed_events(3, at=NOW - timedelta(minutes=20))  # an earlier, separate trouble
    assert webhook_failures_notify(now=NOW) is False
    settings.OPS_CHAT_WEBHOOK_FAILURES = 4
    assert webhook_failures_notify(now=NOW) is True
