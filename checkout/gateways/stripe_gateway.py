"""Stripe through its official library. The only module that imports `stripe`."""

from __future__ import annotations

import stripe
from django.conf import settings

from ..exceptions import GatewayError, RefundRefused, SignatureInvalid
from .base import HostedSession, SessionRequest


def verify_signature(payload: bytes, signature_header: str, secret: str) -> None:
    """Stripe's own check: `t=…,v1=…` HMAC-SHA256, timestamp within the tolerance."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, settings.WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise SignatureInvalid("The Stripe-Signature header does not match the payload.") from exc


class StripeGateway:
    name = "stripe"

    def __init__(self, *, api_key: str, webhook_secret: str, timeout: float, api_base: str = ""):
        options = {"base_addresses": {"api": api_base}} if api_base else {}
        # The library waits 80 s by default: a hung Stripe would hold a checkout request or the
        # payments queue that long, per try.
        self.client = stripe.StripeClient(
            api_key,
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=timeout),
            **options,
        )
        self.webhook_secret = webhook_secret

    def create_session(self, request: SessionRequest) -> HostedSession:
        params = {
            "mode": request.mode,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": line.currency.lower(),
                        "unit_amount": line.amount,
                        "product_data": {
                            "name": line.name,
                            **({"description": line.description} if line.description else {}),
                        },
                        **({"recurring": {"interval": line.interval}} if line.interval else {}),
                    },
                }
                for line in request.lines
            ],
            "client_reference_id": request.order_number,
            "customer_email": request.customer_email,
            "metadata": {
                "order_id": str(request.order_id),
                "order_number": request.order_number,
                "checkout_session_id": str(request.checkout_session_id),
            },
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
        }
        if request.mode == "subscription":
            params["subscription_data"] = {"metadata": params["metadata"]}
        else:
            params["payment_intent_data"] = {"metadata": params["metadata"]}
        try:
            session = self.client.v1.checkout.sessions.create(
                params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise GatewayError(
                "The payment provider is not available right now. Please try again in a moment."
            ) from exc
        return HostedSession(provider_id=session.id, url=session.url)

    def expire_session(self, provider_id: str) -> str:
        try:
            try:
                return self.client.v1.checkout.sessions.expire(provider_id).status
            except stripe.InvalidRequestError as exc:
                if exc.code == "resource_missing":
                    return "expired"  # unknown to this account: nothing there to pay
                # Stripe expires only open sessions: ask whether it expired or was paid.
                return self.client.v1.checkout.sessions.retrieve(provider_id).status
        except stripe.StripeError as exc:
            raise GatewayError(
                "The payment provider is not available right now. Please try again in a moment."
            ) from exc

    def refund_payment(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                {
                    "payment_intent": payment_intent,
                    "amount": amount,
                    "reason": "duplicate",
                    "metadata": {"refunded_by": "duplicate-payment"},
                },
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            raise RefundRefused(exc.user_message or str(exc), code=exc.code) from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not confirm the refund: {exc}") from exc
        return refund.id

    def verify_event(self, payload: bytes, signature_header: str) -> None:
        verify_signature(payload, signature_header, self.webhook_secret)

    def invoice_for_payment(self, payment_intent_id: str) -> str | None:
        """Since API version 2025-03-31 charges no longer name their invoice; Stripe's
        invoice payments link the two."""
        try:
            found = self.client.v1.invoice_payments.list(
                {
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                    "limit": 1,
                }
            )
        except stripe.StripeError as exc:
            raise GatewayError("Could not look the payment's invoice up at Stripe.") from exc
        return found.data[0].invoice if found.data else None
