"""Order status e-mails: written in the status change's transaction, sent by worker loops.

A failed send is retried with backoff and never touches the order itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import NotificationPreference, Order, OrderNotification, OrderStatus

logger = logging.getLogger(__name__)

NOTIFY_ON = {
    OrderStatus.PROCESSING: "We received your payment",
    OrderStatus.ACTIVE: "Delivery has started",
    OrderStatus.COMPLETED: "Your order is complete",
    OrderStatus.ON_HOLD: "Your order is on hold",
    OrderStatus.CANCELLED: "Your order was cancelled",
    OrderStatus.REFUNDED: "Your order was refunded",
}
MAX_ATTEMPTS = 5


def notification_queue(*, order: Order, to_status: str) -> OrderNotification | None:
    """Call inside the status change's transaction: the e-mail exists once the change commits.

    Worker loops send due notifications every few seconds (`notifications_send_due`), so the
    request that changed the status (often a webhook) never waits for a mail server.
    """
    if to_status not in NOTIFY_ON:
        return None
    return OrderNotification.objects.create(
        order=order, to_status=to_status, email=order.email, next_attempt_at=timezone.now()
    )


def notification_send(*, notification_id: int) -> str:
    """Send one notification if it is still pending; returns its status afterwards."""
    with transaction.atomic():
        notification = (
            OrderNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order__user")
            .filter(pk=notification_id, status=OrderNotification.Status.PENDING)
            .first()
        )
        if notification is None:
            return "not pending"
        preference = NotificationPreference.objects.filter(
            user_id=notification.order.user_id
        ).first()
        if preference is not None and not preference.order_updates:
            notification.status = OrderNotification.Status.SKIPPED
            notification.save(update_fields=["status"])
            return notification.status
        notification.attempts += 1
        try:
            _deliver(notification)
        except Exception as exc:  # noqa: BLE001 - any mail failure is retried later
            notification.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = OrderNotification.Status.FAILED
            else:
                delay = 60 * 2 ** (notification.attempts - 1)
                notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        else:
            notification.status = OrderNotification.Status.SENT
            notification.sent_at = timezone.now()
        notification.save(
            update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at"]
        )
        return notification.status


def _deliver(notification: OrderNotification) -> None:
    order = notification.order
    context = {
        "order": order,
        "headline": NOTIFY_ON[notification.to_status],
        "status": OrderStatus(notification.to_status).label,
        "site_url": settings.SITE_URL,
        "order_url": settings.SITE_URL + order.get_absolute_url(),
    }
    message = EmailMultiAlternatives(
        subject=f"{context['headline']} · {order.number}",
        body=render_to_string("emails/order_status.txt", context),
        to=[notification.email],
    )
    message.attach_alternative(render_to_string("emails/order_status.html", context), "text/html")
    message.send()


def notifications_send_due(*, limit: int = 100) -> int:
    due = OrderNotification.objects.filter(
        status=OrderNotification.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(
        notification_send(notification_id=pk) == OrderNotification.Status.SENT for pk in list(due)
    )
