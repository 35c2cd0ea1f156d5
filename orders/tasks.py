"""django-q2 entry points."""

from .notifications import notification_send, notifications_send_due


def send_order_notification(notification_id: int) -> str:
    return notification_send(notification_id=notification_id)


def send_due_notifications() -> int:
    return notifications_send_due()
