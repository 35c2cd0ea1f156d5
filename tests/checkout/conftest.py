import pytest

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
