"""The Stripe gateway over real HTTP to a fake Stripe: what finance and ops would see there."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import BillingMode
from catalog.pricing import Configuration
from checkout.exceptions import GatewayError
from checkout.gateways import get_gateway
from checkout.models import CheckoutSession, SessionStatus
from checkout.services import session_open_at_gateway, session_regenerate, session_resume
from orders.models import Order
from tests.catalog.factories import CampaignFactory, ProductFactory, configurable_product
from tests.checkout import factories
from tests.checkout.factories import BASE_URL

pytestmark = pytest.mark.django_db

SESSIONS = "/v1/checkout/sessions"


def two_line_order():
    """A discounted two-line order whose session has not been opened at the gateway yet."""
    boost = configurable_product(base_amount=10_000)
    large = boost.option_groups.get(name="Size").options.get(label="Large")
    plain = ProductFactory(base_amount=4_990)
    CampaignFactory(products=[plain])  # 10 % off
    return factories.placed_order(
        products=[
            (boost, Configuration(option_ids=(large.pk,), quantity=3)),  # 5 % tier discount
            (plain, Configuration()),
        ],
        open_session=False,
    )


def opened(session):
    session_open_at_gateway(session=session, base_url=BASE_URL)
    return CheckoutSession.objects.get(pk=session.pk)


def test_stripe_session_charges_our_line_totals_for_the_order(fake_stripe):
    order, session = two_line_order()

    opened(session)

    (call,) = fake_stripe.calls("POST", SESSIONS)
    params = call.params
    assert params["mode"] == "payment"
    lines = list(order.lines.all())
    assert len(lines) == 2 and all(line.discount_amount for line in lines)
    for i, line in enumerate(lines):
        assert params[f"line_items[{i}][quantity]"] == "1"
        assert params[f"line_items[{i}][price_data][unit_amount]"] == str(line.total_amount)
        assert params[f"line_items[{i}][price_data][currency]"] == line.currency.lower()
        assert line.title in params[f"line_items[{i}][price_data][product_data][name]"]
    assert "line_items[2][quantity]" not in params
    (stripe_session,) = fake_stripe.sessions.values()
    assert stripe_session["amount_total"] == order.total_amount


def test_stripe_session_points_back_at_the_order(fake_stripe):
    order, session = factories.placed_order(open_session=False)

    opened(session)

    params = fake_stripe.calls("POST", SESSIONS)[0].params
    assert params["client_reference_id"] == order.number
    assert params["customer_email"] == order.email
    assert params["metadata[order_id]"] == str(order.pk)
    assert params["metadata[checkout_session_id]"] == str(session.pk)
    assert params["payment_intent_data[metadata][order_id]"] == str(order.pk)
    for url in (params["success_url"], params["cancel_url"]):
        assert url.startswith(BASE_URL)
        assert order.number in url and "{CHECKOUT_SESSION_ID}" in url
    assert params["expires_at"] == str(int(session.expires_at.timestamp()))


def test_stripe_request_uses_our_key_and_one_idempotency_key_per_attempt(fake_stripe):
    order, session = factories.placed_order(open_session=False)

    opened(session)

    headers = fake_stripe.calls("POST", SESSIONS)[0].headers
    assert headers["Authorization"] == "Bearer sk_test_fake"
    assert headers["Idempotency-Key"] == f"checkout-{order.number}-attempt-1"


def test_session_row_keeps_the_stripe_id_and_payment_url(fake_stripe):
    _, session = factories.placed_order(open_session=False)

    session = opened(session)

    (stripe_session,) = fake_stripe.sessions.values()
    assert session.gateway == "stripe"
    assert session.provider_id == stripe_session["id"]
    assert session.provider_id.startswith("cs_test_")
    assert session.url == f"https://checkout.stripe.com/c/pay/{session.provider_id}"


def test_opening_the_same_attempt_again_does_not_call_stripe(fake_stripe):
    _, session = factories.placed_order(open_session=False)
    session = opened(session)

    again = session_open_at_gateway(session=session, base_url=BASE_URL)
    fresh = session_open_at_gateway(
        session=CheckoutSession.objects.get(pk=session.pk), base_url=BASE_URL
    )

    assert again.url == fresh.url == session.url
    assert len(fake_stripe.requests) == 1


def test_a_lost_stripe_answer_does_not_create_a_second_payable_page(fake_stripe):
    """Stripe answered but we never saved it: the retry gets the same session back."""
    _, session = factories.placed_order(open_session=False)
    first = opened(session)
    CheckoutSession.objects.filter(pk=session.pk).update(provider_id=None, url="")

    second = opened(CheckoutSession.objects.get(pk=session.pk))

    assert second.provider_id == first.provider_id
    assert len(fake_stripe.calls("POST", SESSIONS)) == 2
    assert len(fake_stripe.sessions) == 1


def test_subscription_order_opens_a_monthly_subscription(fake_stripe):
    product = factories.subscription_product()
    order, session = factories.placed_order(
        products=[(product, Configuration(billing=BillingMode.SUBSCRIPTION))], open_session=False
    )

    opened(session)

    params = fake_stripe.calls("POST", SESSIONS)[0].params
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert params["line_items[0][price_data][unit_amount]"] == "3000"
    assert params["subscription_data[metadata][order_id]"] == str(order.pk)
    assert not any(key.startswith("payment_intent_data") for key in params)


def test_regeneration_expires_the_old_session_and_opens_attempt_two(fake_stripe):
    order, session = factories.placed_order(open_session=False)
    old = opened(session)

    new = session_regenerate(session_id=old.pk, base_url=BASE_URL)

    (expire,) = fake_stripe.calls("POST", f"{SESSIONS}/{old.provider_id}/expire")
    assert fake_stripe.sessions[old.provider_id]["status"] == "expired"
    creates = fake_stripe.calls("POST", SESSIONS)
    assert [c.headers["Idempotency-Key"] for c in creates] == [
        f"checkout-{order.number}-attempt-1",
        f"checkout-{order.number}-attempt-2",
    ]
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.attempt == 2 and new.regenerated_from_id == old.pk
    assert new.provider_id not in (None, old.provider_id)
    assert fake_stripe.sessions[new.provider_id]["status"] == "open"
    assert old.status == SessionStatus.EXPIRED


def test_no_new_attempt_while_stripe_cannot_expire_the_old(fake_stripe):
    """The old page could still take money: a second payable page must not open."""
    order, session = factories.placed_order(open_session=False)
    old = opened(session)
    fake_stripe.fail_next(3)  # the expire call and the client's two retries

    with pytest.raises(GatewayError):
        session_regenerate(session_id=old.pk, base_url=BASE_URL)

    assert len(fake_stripe.calls("POST", f"{SESSIONS}/{old.provider_id}/expire")) == 3
    assert len(fake_stripe.calls("POST", SESSIONS)) == 1
    assert list(order.checkout_sessions.values_list("attempt", "status")) == [(1, "open")]

    new = session_regenerate(session_id=old.pk, base_url=BASE_URL)  # Stripe is back

    assert new.attempt == 2 and fake_stripe.sessions[old.provider_id]["status"] == "expired"


def test_resume_after_cancelling_expires_the_cancelled_session_at_stripe_first(fake_stripe, client):
    """A cancelled Stripe session stays open until it expires: resuming must close it."""
    order, session = factories.placed_order(owner=factories.user("ana"))
    client.force_login(order.user)
    client.get(f"{order.get_absolute_url()}cancelled/?session_id={session.provider_id}")
    assert reload_status(session) == "abandoned"
    assert fake_stripe.sessions[session.provider_id]["status"] == "open"

    response = client.post(f"/checkout/orders/{order.number}/pay/")

    new = order.checkout_sessions.get(attempt=2)
    assert response.url == new.url == fake_stripe.sessions[new.provider_id]["url"]
    (expire,) = fake_stripe.calls("POST", f"{SESSIONS}/{session.provider_id}/expire")
    assert fake_stripe.requests.index(expire) < fake_stripe.requests.index(
        fake_stripe.calls("POST", SESSIONS)[1]
    )
    assert fake_stripe.sessions[session.provider_id]["status"] == "expired"
    assert reload_status(session) == "expired"


def test_resume_opens_nothing_when_stripe_says_the_old_session_was_paid(fake_stripe, client):
    """The customer paid the old page a moment ago: the order is being paid."""
    order, session = factories.placed_order(owner=factories.user("ana"))
    client.force_login(order.user)
    client.get(f"{order.get_absolute_url()}cancelled/?session_id={session.provider_id}")
    fake_stripe.pay(session.provider_id)  # before its webhook reached us

    response = client.post(f"/checkout/orders/{order.number}/pay/", follow=True)

    assert "was just completed; it is being confirmed" in response.content.decode()
    assert len(fake_stripe.calls("POST", SESSIONS)) == 1
    assert len(fake_stripe.calls("GET", f"{SESSIONS}/{session.provider_id}")) == 1
    assert order.checkout_sessions.count() == 1


def reload_status(session):
    return CheckoutSession.objects.get(pk=session.pk).status


def test_stripe_outage_raises_gateway_error_and_keeps_the_order_pending(fake_stripe):
    order, session = factories.placed_order(open_session=False)
    fake_stripe.fail_next(3)  # the first try and the client's two retries

    with pytest.raises(GatewayError):
        session_open_at_gateway(session=session, base_url=BASE_URL)

    calls = fake_stripe.calls("POST", SESSIONS)
    assert len(calls) == 3
    assert {c.headers["Idempotency-Key"] for c in calls} == {f"checkout-{order.number}-attempt-1"}
    order.refresh_from_db()
    session.refresh_from_db()
    assert order.status == "pending"
    assert session.provider_id is None and session.url == ""


def test_a_brief_stripe_error_is_retried_with_the_same_key(fake_stripe):
    _, session = factories.placed_order(open_session=False)
    fake_stripe.fail_next(2)

    session = opened(session)

    calls = fake_stripe.calls("POST", SESSIONS)
    assert len(calls) == 3
    assert len({c.headers["Idempotency-Key"] for c in calls}) == 1
    assert session.provider_id in fake_stripe.sessions


def test_stripe_refusing_the_request_is_not_retried(fake_stripe):
    _, session = factories.placed_order(open_session=False)
    fake_stripe.fail_next(1, status=400, type="invalid_request_error", message="Bad params.")

    with pytest.raises(GatewayError):
        session_open_at_gateway(session=session, base_url=BASE_URL)

    assert len(fake_stripe.requests) == 1


def test_expiring_a_session_stripe_already_expired_is_fine(fake_stripe):
    _, session = factories.placed_order(open_session=False)
    session = opened(session)
    gateway = get_gateway()
    gateway.expire_session(session.provider_id)

    gateway.expire_session(session.provider_id)  # Stripe: 400 invalid_request_error

    assert len(fake_stripe.calls("POST", f"{SESSIONS}/{session.provider_id}/expire")) == 2


def test_resuming_an_attempt_stripe_never_opened_still_reaches_stripe(fake_stripe):
    order, session = factories.placed_order(open_session=False)
    CheckoutSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() + timedelta(minutes=20)  # first try failed 40 minutes ago
    )

    resumed = session_resume(order=order, base_url=BASE_URL)

    assert resumed.url.startswith("https://checkout.stripe.com/")


# Through the web ----------------------------------------------------------------------


def checkout_form_data(client):
    product = configurable_product(base_amount=10_000)
    size = product.option_groups.get(name="Size")
    large = size.options.get(label="Large")
    response = client.post(
        f"/cart/add/{product.slug}/",
        {f"group_{size.pk}": large.pk, "quantity": 2, "billing": BillingMode.ONE_OFF},
    )
    assert response.status_code == 302
    form = client.get("/checkout/").context["form"]
    return {
        "email": "ana@example.com",
        "name": "Ana Buyer",
        "accept_terms": "on",
        "checkout_token": form["checkout_token"].value(),
        **{field.html_name: "@ana.brand" for field in form.target_fields()},
    }


def test_checkout_form_sends_the_customer_to_stripe(
    client, fake_stripe, django_assert_max_num_queries
):
    data = checkout_form_data(client)

    with django_assert_max_num_queries(45):  # 39 when written
        response = client.post("/checkout/", data)

    (stripe_session,) = fake_stripe.sessions.values()
    assert response.status_code == 302
    assert response.url == stripe_session["url"]
    order = Order.objects.get(email="ana@example.com")
    assert stripe_session["client_reference_id"] == order.number
    assert stripe_session["amount_total"] == order.total_amount == 25_000
    assert stripe_session["success_url"].startswith(
        f"http://testserver/checkout/orders/{order.number}/"
    )


def test_checkout_form_when_stripe_is_down_keeps_the_order(client, fake_stripe):
    data = checkout_form_data(client)
    fake_stripe.fail_next(3)

    response = client.post("/checkout/", data, follow=True)

    order = Order.objects.get(email="ana@example.com")
    assert response.redirect_chain[0][0] == order.get_absolute_url()
    assert order.status == "pending"
    assert f"Your order {order.number} is saved." in response.content.decode()


def test_a_hung_stripe_fails_after_the_configured_timeout_instead_of_holding_the_caller(
    fake_stripe, settings
):
    settings.STRIPE_HTTP_TIMEOUT = 0.3
    fake_stripe.stall_next(3, seconds=5)  # the first try and both of the client's retries
    started = time.monotonic()

    with pytest.raises(GatewayError, match="not available"):
        get_gateway().expire_session("cs_test_hung")

    assert time.monotonic() - started < 4  # three tries of 0.3 s and the client's backoff
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions/cs_test_hung/expire")) == 3
