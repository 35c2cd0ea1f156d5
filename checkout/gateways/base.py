from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class LineItem:
    name: str
    description: str
    amount: int  # the whole line, in minor units: the server's price, sent as quantity 1
    currency: str
    interval: str | None


@dataclass(frozen=True)
class SessionRequest:
    """Everything a gateway needs to open a hosted checkout for one order attempt."""

    checkout_session_id: int
    order_id: int
    order_number: str
    mode: str  # payment | subscription
    customer_email: str
    lines: tuple[LineItem, ...]
    success_url: str
    cancel_url: str
    expires_at: datetime
    idempotency_key: str


@dataclass(frozen=True)
class HostedSession:
    provider_id: str
    url: str


class PaymentGateway(Protocol):
    name: str

    def create_session(self, request: SessionRequest) -> HostedSession: ...

    def expire_session(self, provider_id: str) -> str:
        """Close a hosted session so it takes no payment; its final status at the gateway:
        "expired", or "complete" when the customer paid it first (GatewayError if unreachable).
        """
        ...

    def refund_payment(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str:
        """Refund a payment; the refund's id. The same key never refunds twice.

        RefundRefused for a clear refusal; GatewayError when the outcome is unknown.
        """
        ...

    def verify_event(self, payload: bytes, signature_header: str) -> None:
        """Raise SignatureInvalid unless the payload was signed with our webhook secret."""
        ...

    def invoice_for_payment(self, payment_intent_id: str) -> str | None:
        """The provider's invoice that a payment paid, if any (GatewayError if unreachable)."""
        ...
