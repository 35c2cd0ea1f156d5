"""The simulated hosted page marks orders paid on request: it says so, and it is gone as
soon as the Stripe gateway is in use."""

import pytest

from checkout.models import CheckoutSession, WebhookEvent

from .factories import placed_order

pytestmark = pytest.mark.django_db

ACTIONS = ["pay", "pay_delayed", "expire", "cancel"]


def test_the_simulated_page_says_no_money_moves(client, settings):
    settings.PAYMENT_GATEWAY = "local"
    _, session = placed_order()
    page = client.get(session.url)
    assert page.status_code == 200
    assert "Simulated payment: no money moves." in page.content.decode()


def test_with_stripe_in_use_the_page_of_an_earlier_local_session_is_gone(client, settings):
    settings.PAYMENT_GATEWAY = "local"
    order, session = placed_order()
    assert session.provider_id.startswith("cs_local_")

    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    assert client.get(session.url).status_code == 404
    for action in ACTIONS:
        assert client.post(session.url, {"action": action}).status_code == 404
    order.refresh_from_db()
    session.refresh_from_db()
    assert (order.status, order.paid_at, session.status) == ("pending", None, "open")
    assert not WebhookEvent.objects.exists()


def test_with_stripe_in_use_no_session_id_opens_the_simulated_page(client, fake_stripe):
    order, session = placed_order()
    assert session.provider_id.startswith("cs_test_")  # the buyer goes to Stripe
    assert not session.url.startswith("/checkout/pay/")
    for provider_id in (session.provider_id, "cs_local_guessed"):
        assert client.get(f"/checkout/pay/{provider_id}/").status_code == 404
        assert client.post(f"/checkout/pay/{provider_id}/", {"action": "pay"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"
    assert CheckoutSession.objects.get().status == "open"
    assert not WebhookEvent.objects.exists()
