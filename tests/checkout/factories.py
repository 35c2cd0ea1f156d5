"""Builders for checkout tests: real carts, real orders through the real services."""

import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from backoffice.queues import QUEUES
from catalog.models import BillingModes
from catalog.pricing import Configuration
from checkout.models import Cart, CheckoutSession
from checkout.services import cart_add, checkout_submit, session_open_at_gateway
from tests.catalog.factories import ProductFactory, configurable_product

BASE_URL = "http://testserver"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe"


def stripe_fixture(name: str) -> dict:
    """One of Stripe's own example objects (tests/fixtures/stripe, from stripe/openapi)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def stripe_signature(
    payload: bytes, *, secret: str | None = None, timestamp: int | None = None
) -> str:
    """Sign like Stripe does, computed here independently of the project's signer."""
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def post_event(client, event: dict, **headers):
    payload = json.dumps(event).encode()
    return client.post(
        "/api/v1/payments/webhooks/stripe",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
        **headers,
    )


def user(username="client", **kwargs):
    return get_user_model().objects.create_user(
        username, email=f"{username}@example.com", password="pw-12345-x", **kwargs
    )


def subscription_product(**kwargs):
    return ProductFactory(
        base_amount=0, billing_modes=BillingModes.SUBSCRIPTION, subscription_amount=3_000, **kwargs
    )


def placed_order(*, owner=None, products=None, open_session=True):
    """(order, checkout session): a cart of `products` checked out through the services."""
    owner = owner or user(f"buyer-{uuid.uuid4().hex[:8]}")
    cart, _ = Cart.objects.get_or_create(user=owner)  # checkout empties it: owners order again
    if products is None:
        product = configurable_product(base_amount=10_000)
        size = product.option_groups.get(name="Size").options.get(label="Large")
        products = [(product, Configuration(option_ids=(size.pk,), quantity=2))]
    for product, configuration in products:
        cart_add(cart=cart, product=product, configuration=configuration)
    targets = {item.pk: ["@target.account"] for item in cart.items.all()}
    order, session, _ = checkout_submit(
        cart=cart,
        user=owner,
        email=owner.email,
        name="Test Buyer",
        targets=targets,
        checkout_token=uuid.uuid4(),
    )
    if open_session:
        session = session_open_at_gateway(session=session, base_url=BASE_URL)
    return order, CheckoutSession.objects.get(pk=session.pk)


def session_event(
    session,
    event_type="checkout.session.completed",
    *,
    payment_status="paid",
    event_id=None,
    **extra,
):
    """A Stripe event around a Checkout Session object shaped like Stripe's fixture."""
    obj = {
        **stripe_fixture("checkout_session"),
        "id": session.provider_id,
        "object": "checkout.session",
        "amount_total": session.amount_total,
        "currency": session.currency.lower(),
        "client_reference_id": session.order.number,
        "metadata": {"order_id": str(session.order_id), "checkout_session_id": str(session.pk)},
        "mode": session.mode,
        "payment_status": payment_status,
        "status": "expired" if event_type.endswith("expired") else "complete",
        "payment_intent": f"pi_{session.pk}" if session.mode == "payment" else None,
        "subscription": f"sub_{session.pk}" if session.mode == "subscription" else None,
        "invoice": f"in_first_{session.pk}" if session.mode == "subscription" else None,
        "customer": "cus_test",
        **extra,
    }
    return envelope(event_type, obj, event_id=event_id)


def envelope(event_type, obj, *, event_id=None, created=None):
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-06-30.basil",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def run_payments_queue() -> int:
    """One pass of the worker's payments queue (due events and gateway follow-ups)."""
    return QUEUES["payments"].step(None)
