import pytest

from orders.signals import order_paid
from tests.catalog.factories import ProductFactory, configurable_product
from tests.checkout.fake_stripe import FakeStripe


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    """A fake Stripe API on 127.0.0.1 with the Stripe gateway pointed at it."""
    monkeypatch.setattr("stripe._http_client.HTTPClient.INITIAL_DELAY", 0)  # no back-off waits
    server = FakeStripe().start()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = server.url
    yield server
    server.stop()


@pytest.fixture
def shop():
    insta = configurable_product(
        slug="insta", title="Insta Boost", base_amount=10_000, platform="instagram"
    )
    tiktok = ProductFactory(slug="tok", title="TikTok Views", base_amount=2_000, platform="tiktok")
    reels = ProductFactory(slug="reels", title="Reels Pack", base_amount=30_000, platform="multi")
    return insta, tiktok, reels


@pytest.fixture
def hand_offs():
    """Orders handed to fulfillment through `order_paid`, in the order they were sent."""
    sent = []

    def receiver(sender, order, **kwargs):
        sent.append(order.pk)

    order_paid.connect(receiver, weak=False, dispatch_uid="test-webhooks-hand-offs")
    yield sent
    order_paid.disconnect(dispatch_uid="test-webhooks-hand-offs")
