"""Messages for the operators' chat, posted to a Slack-compatible incoming webhook by the chat
queue (`core.delivery`: claimed with a lease, retried with backoff, the outcome recorded).

Nothing is queued while OPS_CHAT_WEBHOOK_URL is empty. Every try is logged as a `ChatAttempt`
(when, how long, the HTTP status or the error), so staff can see why a message is late.
Messages have their own queue, so a slow chat receiver never delays e-mails or payments.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .backoff import RetryPolicy
from .delivery import deliveries_claim, delivery_attempt, delivery_record, delivery_withhold
from .models import ChatAttempt, ChatMessage, DeliveryStatus
from .wakeups import queue_wake

RETRY = RetryPolicy(base=30, cap=1800, max_attempts=6)
BATCH = 20
# What a chat message can be about (a bounded label for metrics and the admin filter).
CHAT_KINDS = ("checkout_abandoned", "webhook_failures")


class ChatNotDelivered(Exception):
    """The receiver answered with something other than a 2xx, or not at all."""


def chat_enabled() -> bool:
    return bool(settings.OPS_CHAT_WEBHOOK_URL)


def chat_queue(
    *, key: str, kind: str, text: str, blocks: Sequence[dict] = ()
) -> ChatMessage | None:
    """Queue a message (Slack's shape: `text` is the notification's fallback, `blocks` the
    layout); None when chat is off or a message with this `key` was queued before."""
    if kind not in CHAT_KINDS:
        raise ValueError(f"unknown chat message kind {kind!r}")
    if not chat_enabled():
        return None
    payload = {"text": text, "blocks": list(blocks)} if blocks else {"text": text}
    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(
                key=key, kind=kind, payload=payload, next_attempt_at=timezone.now()
            )
    except IntegrityError:
        return None
    queue_wake("chat")
    return message


def chat_withhold(*, key: str, kind: str, reason: str) -> None:
    """Make sure the message `key` is never posted, also if someone queues it later."""
    delivery_withhold(ChatMessage, key=key, reason=reason, kind=kind, payload={})


def chats_send_due(*, limit: int = BATCH) -> int:
    """Claim due messages, post each outside any transaction, record it; returns how many
    were claimed."""
    claimed = deliveries_claim(ChatMessage, limit=limit)
    url = settings.OPS_CHAT_WEBHOOK_URL
    for message in claimed:
        if not url:  # switched off after it was queued
            delivery_record(
                message,
                status=DeliveryStatus.CANCELLED,
                last_error="OPS_CHAT_WEBHOOK_URL is not set.",
            )
        else:
            delivery_attempt(
                message, deliver=lambda message=message: _post(message, url), retry=RETRY
            )
    return len(claimed)


def _post(message: ChatMessage, url: str) -> None:
    started_at, started = timezone.now(), time.monotonic()
    status, error = None, ""
    try:
        response = requests.post(
            url, json=message.payload, timeout=settings.OPS_CHAT_TIMEOUT, allow_redirects=False
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:200]}"
    except requests.RequestException as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    finally:  # also when something else cut the try short: the log shows every try
        ChatAttempt.objects.create(
            message=message,
            number=message.attempts,
            started_at=started_at,
            duration_ms=round((time.monotonic() - started) * 1000),
            http_status=status,
            error=error[:500] or ("" if status else "Interrupted before an answer."),
        )
    if error:
        raise ChatNotDelivered(error)
