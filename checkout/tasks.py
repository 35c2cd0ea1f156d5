"""django-q2 entry points."""

from .alerts import abandoned_checkouts_notify, webhook_failures_notify
from .recovery import recovery_emails_queue
from .services import sessions_sweep


def sweep_checkout_sessions() -> dict[str, int]:
    """Every 5 minutes: close lapsed payment pages, then follow up on those left unpaid."""
    result = sessions_sweep()
    result["recovery_emails"] = recovery_emails_queue()
    result["chat_abandoned"] = abandoned_checkouts_notify()
    result["chat_webhook_failures"] = int(webhook_failures_notify())
    return result
