"""Chat messages for operators (`core.chat`), checked by the checkout sweep every 5 minutes.

- An abandoned or expired checkout of at least OPS_CHAT_ABANDONED_MIN_AMOUNT: one message per
  order (`chat:abandoned:<order pk>`), as soon as its latest payment page closed unpaid.
- At least OPS_CHAT_WEBHOOK_FAILURES Stripe events failing within the last
  OPS_CHAT_WEBHOOK_WINDOW_MINUTES: one message per window (keyed by the window's start, windows
  counted from midnight UTC), with the counts by event type.

Nothing is checked while OPS_CHAT_WEBHOOK_URL is empty.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from core.chat import chat_enabled, chat_queue
from core.models import ChatMessage

from .models import SessionStatus, WebhookEvent, WebhookOutcome
from .selectors import orders_left_unpaid

ABANDONED_KEY_PREFIX = "chat:abandoned:"
BATCH = 100
# Only checkouts that closed recently: switching chat on must not post the whole history.
LOOKBACK = timedelta(days=1)


def _admin_url(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _escaped(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: a customer's text must not become a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def abandoned_checkouts_notify(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Post each recently abandoned or expired checkout worth chasing; returns how many
    messages were queued."""
    if not chat_enabled():
        return 0
    now = now or timezone.now()
    orders = orders_left_unpaid(
        closed_between=(now - LOOKBACK, now),
        unannounced_in=ChatMessage,
        key_prefix=ABANDONED_KEY_PREFIX,
        min_amount=settings.OPS_CHAT_ABANDONED_MIN_AMOUNT,
        limit=limit,
    )
    queued = 0
    for order in orders:
        url = _admin_url("admin:orders_order_change", order.pk)
        how = "abandoned" if order.page_status == SessionStatus.ABANDONED else "expired"
        amount = order.total.format()
        text = f"Checkout {how}: order {order.number}, {amount}, {order.email}"
        blocks = [
            _section(f"*Checkout {how}* · <{url}|{order.number}>"),
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Amount*\n{amount}"},
                    {"type": "mrkdwn", "text": f"*Client*\n{_escaped(order.email)}"},
                ],
            },
        ]
        message = chat_queue(
            key=f"{ABANDONED_KEY_PREFIX}{order.pk}",
            kind="checkout_abandoned",
            text=text,
            blocks=blocks,
        )
        queued += message is not None
    return queued


def webhook_failures_notify(*, now: datetime | None = None) -> bool:
    """Post a burst of failed Stripe events, once per window; returns whether it queued one.

    Counts the events whose latest delivery (`last_seen_at`) falls in the last window and that
    stand failed now."""
    if not chat_enabled():
        return False
    now = now or timezone.now()
    minutes = max(settings.OPS_CHAT_WEBHOOK_WINDOW_MINUTES, 1)
    by_type = dict(
        WebhookEvent.objects.filter(
            outcome=WebhookOutcome.FAILED, last_seen_at__gt=now - timedelta(minutes=minutes)
        )
        .order_by()
        .values_list("type")
        .annotate(n=Count("*"))
    )
    failed = sum(by_type.values())
    if failed < max(settings.OPS_CHAT_WEBHOOK_FAILURES, 1):
        return False
    start = _window_start(now, minutes)
    url = _admin_url("admin:checkout_webhookevent_changelist") + "?outcome__exact=failed"
    counts = ", ".join(f"{event_type} × {n}" for event_type, n in sorted(by_type.items()))
    text = f"{failed} Stripe webhook events failed in the last {minutes} minutes: {counts}"
    blocks = [
        _section(f"*{failed} Stripe webhook events failed* in the last {minutes} minutes"),
        _section("\n".join(f"• `{t}` × {n}" for t, n in sorted(by_type.items()))),
        _section(f"<{url}|Failed events in the admin>"),
    ]
    message = chat_queue(
        key=f"chat:webhook_failures:{start:%Y-%m-%dT%H:%M}",
        kind="webhook_failures",
        text=text,
        blocks=blocks,
    )
    return message is not None


def _window_start(now: datetime, minutes: int) -> datetime:
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((now - midnight).total_seconds() // 60)
    return midnight + timedelta(minutes=elapsed - elapsed % minutes)
