"""django-q2 entry points."""

from .notifications import notifications_send_due


def send_due_notifications() -> int:
    return notifications_send_due()
