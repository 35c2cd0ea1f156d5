"""django-q2 entry points: load by id, call a service."""

from core.outbox import emails_send_due


def password_reset_email_send(key: str) -> bool:
    """Send the reset e-mail `key` now, rather than at the e-mail queue's next pass; whether it
    was still due (a failure is retried by that queue)."""
    return emails_send_due(limit=1, key=key) == 1
