"""The embedded default: a hosted checkout served by this app that speaks Stripe's protocol.

Its page produces Stripe-shaped events, signs them exactly as Stripe does and hands them to
the same ingest code (signature verification included) that the webhook endpoint uses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from django.urls import reverse

from .base import HostedSession, SessionRequest
from .stripe_gateway import verify_signature

API_VERSION = "2025-06-30.basil"


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def session_object(session, *, status: str, payment_status: str) -> dict:
    """A Checkout Session object with the fields Stripe sends and our handlers read.

    A completed session names its payment (or subscription) and customer even while a delayed
    method leaves it unpaid; only a paid subscription has an invoice.
    """
    order = session.order
    paid = payment_status == "paid"
    submitted = status == "complete"
    return {
        "id": session.provider_id,
        "object": "checkout.session",
        "amount_subtotal": session.amount_total,
        "amount_total": session.amount_total,
        "client_reference_id": order.number,
        "created": int(session.created_at.timestamp()),
        "currency": session.currency.lower(),
        "customer": f"cus_local_{order.user_id}" if submitted else None,
        "customer_email": order.email,
        "expires_at": int(session.expires_at.timestamp()),
        "invoice": f"in_local_{session.provider_id[9:]}"
        if paid and session.mode == "subscription"
        else None,
        "livemode": False,
        "metadata": {
            "order_id": str(order.pk),
            "order_number": order.number,
            "checkout_session_id": str(session.pk),
        },
        "mode": session.mode,
        "payment_intent": f"pi_local_{session.provider_id[9:]}"
        if submitted and session.mode == "payment"
        else None,
        "payment_status": payment_status,
        "status": status,
        "subscription": f"sub_local_{session.provider_id[9:]}"
        if submitted and session.mode == "subscription"
        else None,
        "url": None if status != "open" else session.url,
    }


def event_envelope(event_type: str, obj: dict) -> dict:
    return {
        "id": f"evt_local_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


class LocalGateway:
    name = "local"

    def __init__(self, *, webhook_secret: str):
        self.webhook_secret = webhook_secret

    def create_session(self, request: SessionRequest) -> HostedSession:
        provider_id = f"cs_local_{secrets.token_hex(16)}"
        return HostedSession(
            provider_id=provider_id,
            url=reverse("checkout:hosted", kwargs={"provider_id": provider_id}),
        )

    def expire_session(self, provider_id: str) -> str:
        """The hosted page takes payment only while the session row is open and its order
        unpaid; the caller marks the row expired under its lock, right after this."""
        return "expired"

    def refund_payment(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str:
        """No money moved; the refund id follows from the key, as one refund per key."""
        return f"re_local_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"

    def verify_event(self, payload: bytes, signature_header: str) -> None:
        verify_signature(payload, signature_header, self.webhook_secret)

    def invoice_for_payment(self, payment_intent_id: str) -> str | None:
        """The local page sells no subscriptions through provider invoices."""
        return None

    def signed_event(self, event_type: str, obj: dict) -> tuple[bytes, str]:
        payload = json.dumps(event_envelope(event_type, obj)).encode()
        return payload, sign_payload(payload, self.webhook_secret)
