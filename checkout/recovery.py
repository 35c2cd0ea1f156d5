"""Recovery e-mails: a customer who left the payment page unpaid gets one e-mail back to it.

Once the order's latest payment page has been expired or abandoned for
CHECKOUT_RECOVERY_DELAY_MINUTES (0: never), with no page open or paid since, the sweep queues
one outbox e-mail keyed `checkout_recovery:<order pk>`: the unique key makes "never twice per
order" a database fact, also across machines. It carries the order's lines, total and signed
order link, whose "Start a new payment" opens a fresh payment page. It is withdrawn when the
order leaves "awaiting payment" before it went out, and checked again when the e-mail queue
sends it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from core.chat import chat_withhold
from core.models import OutgoingEmail
from core.outbox import email_cancel, email_queue, email_withhold
from orders.models import NotificationTopic, Order, OrderStatus
from orders.notifications import order_link
from orders.selectors import notification_recipients

from .alerts import ABANDONED_KEY_PREFIX
from .models import SessionStatus
from .selectors import orders_left_unpaid

KIND = "checkout_recovery"
KEY_PREFIX = f"{KIND}:"
BATCH = 100  # orders per sweep; the rest wait for the next one
# A page closed longer ago than this is history: switching recovery on (or a long outage)
# must not mail every customer who ever left.
LOOKBACK = timedelta(days=3)
SUBJECT = "Your order is waiting for you"


def recovery_key(order_id: int) -> str:
    return f"{KEY_PREFIX}{order_id}"


def recovery_emails_queue(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Queue the recovery e-mails now due; returns how many were queued. A client who does
    not want order e-mails has the order's recovery e-mail withheld (visible in the admin)."""
    delay = settings.CHECKOUT_RECOVERY_DELAY_MINUTES
    if delay <= 0:
        return 0
    closed_before = (now or timezone.now()) - timedelta(minutes=delay)
    orders = orders_left_unpaid(
        closed_between=(closed_before - LOOKBACK, closed_before),
        unannounced_in=OutgoingEmail,
        key_prefix=KEY_PREFIX,
        limit=limit,
    )
    wanted = notification_recipients(
        user_ids={order.user_id for order in orders}, topic=NotificationTopic.ORDER_UPDATES
    )
    queued = 0
    for order in orders:
        key = recovery_key(order.pk)
        if order.user_id not in wanted:
            email_withhold(
                key=key, kind=KIND, to=order.email, reason="The client wants no order e-mails."
            )
            continue
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "abandoned": order.page_status == SessionStatus.ABANDONED,
            "order_url": order_link(order),
            "link_days": settings.ORDER_LINK_MAX_AGE_DAYS,
        }
        email = email_queue(
            key=key,
            kind=KIND,
            to=order.email,
            subject=f"{SUBJECT} · {order.number}",
            text=render_to_string("emails/checkout_recovery.txt", context),
            html=render_to_string("emails/checkout_recovery.html", context),
        )
        queued += email is not None
    return queued


def recovery_withdraw(sender, order, from_status, to_status, **kwargs) -> None:
    """`order_status_changed` receiver: an order no longer awaiting payment (paid, cancelled)
    has its unsent recovery e-mail withdrawn, in the same transaction."""
    if from_status == OrderStatus.PENDING and to_status != OrderStatus.PENDING:
        email_cancel(key=recovery_key(order.pk))


def recovery_keys_unwanted(keys: list[str]) -> Collection[str]:
    """The outbox's send-time check: which of these recovery e-mails no longer apply (the
    order is paid, cancelled or back at a payment page, or the client opted out). Two
    queries."""
    by_order = {
        int(key.removeprefix(KEY_PREFIX)): key
        for key in keys
        if key.removeprefix(KEY_PREFIX).isdigit()  # another sender's key: not ours to judge
    }
    still = dict(
        Order.objects.filter(pk__in=by_order, status=OrderStatus.PENDING, paid_at__isnull=True)
        .exclude(checkout_sessions__status__in=[SessionStatus.OPEN, SessionStatus.COMPLETE])
        .values_list("pk", "user_id")
    )
    wanted = notification_recipients(
        user_ids=set(still.values()), topic=NotificationTopic.ORDER_UPDATES
    )
    return {key for pk, key in by_order.items() if still.get(pk) not in wanted}


def recovery_hold_back(*, order: Order) -> None:
    """Never send this order a recovery e-mail nor post it to the chat: for demo data, whose
    client is not a person."""
    reason = "Not sent: demo data."
    email_withhold(key=recovery_key(order.pk), kind=KIND, to=order.email, reason=reason)
    chat_withhold(key=f"{ABANDONED_KEY_PREFIX}{order.pk}", kind="checkout_abandoned", reason=reason)
