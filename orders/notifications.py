"""Order status e-mails: written in the status change's transaction, sent by the e-mail queue.

Sending follows core.delivery: claim due e-mails in one short transaction, talk to the mail
server outside any transaction, record the outcome in a second short statement. A slow or
dead mail server therefore holds no lock that a checkout or a payment waits for. Delivery is
at least once; a failed send is retried with backoff and never touches the order itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.services import password_set_link
from core.backoff import RetryPolicy
from core.bulk import rows_insert
from core.delivery import LEASE_SECONDS, deliveries_claim, delivery_attempt, delivery_record

from .models import NotificationTopic, Order, OrderNotification, OrderStatus
from .selectors import notification_recipients

NOTIFY_ON = {
    # No order moves back to pending: staff queue this one to resend the payment link.
    OrderStatus.PENDING: "Your payment link",
    OrderStatus.PROCESSING: "We received your payment",
    OrderStatus.ACTIVE: "Delivery has started",
    OrderStatus.COMPLETED: "Your order is complete",
    OrderStatus.ON_HOLD: "Your order is on hold",
    OrderStatus.CANCELLED: "Your order was cancelled",
    OrderStatus.REFUNDED: "Your order was refunded",
}
# What the client can expect next, in the e-mail that announces the status.
NEXT_STEP = {
    OrderStatus.PENDING: "Your order is saved and waits for payment: the link below opens your "
    "order page, where a fresh payment page is ready for you.",
    OrderStatus.PROCESSING: "We are preparing delivery and will write again when it starts.",
    OrderStatus.ACTIVE: "Delivery is under way; your order page shows its progress.",
    OrderStatus.COMPLETED: "Everything is delivered. Reply to this e-mail if anything looks wrong.",
    OrderStatus.ON_HOLD: "Work is paused; we will write again before it continues. "
    "Reply to this e-mail with any question.",
    OrderStatus.CANCELLED: "Nothing more will be delivered for this order.",
    OrderStatus.REFUNDED: "The refund goes back to the way you paid.",
}
ORDER_LINK_SALT = "orders.order-link"
RETRY = RetryPolicy(base=60, cap=3600, max_attempts=5)
BATCH = 20

Status = OrderNotification.Status


def notification_queue(*, order: Order, to_status: str) -> None:
    """Call inside the status change's transaction: the e-mail exists once the change commits.

    The e-mail queue sends due notifications every few seconds (`notifications_send_due`), so
    the request that changed the status (often a webhook) never waits for a mail server.
    """
    notifications_queue(changes=[(order, to_status)])


_QUEUED_COLUMNS = (
    "order_id",
    "to_status",
    "email",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)


def notifications_queue(*, changes: Iterable[tuple[Order, str]]) -> None:
    """`notification_queue` for many status changes (order, new status), in one INSERT (the
    fulfillment processor moves a batch's orders together)."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value
    # Due a little later, so changes that follow each other (paid, then delivery started a
    # second later) reach the client as one e-mail about the latest state.
    due = at(now + timedelta(seconds=settings.NOTIFY_COMBINE_SECONDS))
    rows_insert(
        OrderNotification,
        _QUEUED_COLUMNS,
        [
            # Plain strings: COPY would write an enum member by its name.
            (order.pk, str(to_status), order.email, Status.PENDING.value, 0, due, "", at(now))
            for order, to_status in changes
            if to_status in NOTIFY_ON
        ],
    )


def notifications_hold_back(*, order: Order) -> int:
    """Never send the order's unsent e-mails: for demo data, whose client is not a person."""
    return OrderNotification.objects.filter(order=order, status=Status.PENDING).update(
        status=Status.DEMO
    )


def order_link(order: Order) -> str:
    """The order page's address with a signed token, so the link in an e-mail opens the page
    on any device, without the session that placed the order, for ORDER_LINK_MAX_AGE_DAYS."""
    token = signing.dumps(order.number, salt=ORDER_LINK_SALT)
    return f"{settings.SITE_URL}{order.get_absolute_url()}?t={token}"


def order_link_valid(*, number: str, token: str) -> bool:
    """Whether `token` came from `order_link` for this order number and has not expired."""
    if not token:
        return False
    try:
        signed = signing.loads(
            token,
            salt=ORDER_LINK_SALT,
            max_age=timedelta(days=settings.ORDER_LINK_MAX_AGE_DAYS),
        )
    except signing.BadSignature:  # also SignatureExpired
        return False
    return signed == number


def notifications_send_due(*, limit: int = BATCH) -> int:
    """Claim due e-mails (and those of a sender whose lease ran out), send each outside any
    transaction and record it; returns how many were claimed."""
    claimed = deliveries_claim(OrderNotification, limit=limit, related=["order__user"])
    if not claimed:
        return 0
    wanted = notification_recipients(
        user_ids={n.order.user_id for n in claimed}, topic=NotificationTopic.ORDER_UPDATES
    )
    newest = dict(
        OrderNotification.objects.filter(
            order_id__in={n.order_id for n in claimed},
            status__in=[Status.PENDING, Status.SENDING],
        )
        .values("order_id")
        .annotate(newest=Max("pk"))
        .values_list("order_id", "newest")
    )
    deadline = time.monotonic() + LEASE_SECONDS / 2
    for notification in claimed:
        if newest[notification.order_id] > notification.pk:
            # A later change of the same order is still to be announced: its e-mail tells both.
            delivery_record(notification, status=Status.COMBINED)
        elif time.monotonic() > deadline:
            # Not started within half the lease: back to the queue unsent, the attempt undone.
            delivery_record(
                notification,
                status=Status.PENDING,
                attempts=F("attempts") - 1,
                next_attempt_at=timezone.now(),
            )
        elif notification.order.user_id not in wanted:
            delivery_record(notification, status=Status.SKIPPED)
        else:
            delivery_attempt(
                notification,
                deliver=lambda notification=notification: _deliver(notification),
                retry=RETRY,
            )
    return len(claimed)


def _deliver(notification: OrderNotification) -> None:
    order = notification.order
    last_sent = order.notifications.filter(status=Status.SENT).aggregate(pk=Max("pk"))["pk"]
    combined = order.notifications.filter(
        status=Status.COMBINED, pk__gt=last_sent or 0, pk__lt=notification.pk
    ).values_list("to_status", flat=True)
    context = {
        "earlier": [NOTIFY_ON[status] for status in combined],
        "order": order,
        "lines": list(order.lines.all()),
        "headline": NOTIFY_ON[notification.to_status],
        "status": OrderStatus(notification.to_status).label,
        "next_step": NEXT_STEP[notification.to_status],
        "site_url": settings.SITE_URL,
        "order_url": order_link(order),
        "link_days": settings.ORDER_LINK_MAX_AGE_DAYS,
        # An account created at checkout has no password yet: each e-mail to its own address
        # carries a fresh link to choose one, until it is chosen.
        "password_set": password_set_link(user=order.user, email=notification.email),
    }
    message = EmailMultiAlternatives(
        subject=f"{context['headline']} · {order.number}",
        body=render_to_string("emails/order_status.txt", context),
        to=[notification.email],
    )
    message.attach_alternative(render_to_string("emails/order_status.html", context), "text/html")
    message.send()
