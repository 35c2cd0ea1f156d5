import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice
from checkout.models import CartItem, CheckoutSession, WebhookEvent
from orders.models import Order, OrderLine

from .factories import user

pytestmark = pytest.mark.django_db


def add(client, product, quantity=1):
    data = {"quantity": str(quantity), "billing": "one_off"}
    for group in product.option_groups.filter(required=True):
        data[f"group_{group.pk}"] = str(group.options.order_by("position").last().pk)
    assert client.post(f"/cart/add/{product.slug}/", data).status_code == 302


def checkout_form(client):
    response = client.get("/checkout/")
    assert response.status_code == 200
    body = response.content.decode()
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    targets = re.findall(r'name="(target_\d+)"', body)
    return token, targets


def submit(client, **overrides):
    token, targets = checkout_form(client)
    data = {
        "email": "Guest@Example.com",
        "name": "Guest Buyer",
        "accept_terms": "on",
        "checkout_token": token,
    }
    for name, value in zip(
        targets,
        ["@insta.brand", "https://www.tiktok.com/@tok.brand", "https://brand.example"],
        strict=False,
    ):
        data[name] = value
    data.update(overrides)
    return client.post("/checkout/", data), data


def test_two_products_checkout_and_pay_on_the_local_hosted_page(client, shop):
    insta, tiktok, _ = shop
    add(client, insta, 2)
    add(client, tiktok)
    response, _ = submit(client)
    order = Order.objects.get()
    session = CheckoutSession.objects.get()
    assert response["Location"] == session.url == f"/checkout/pay/{session.provider_id}/"
    assert order.status == "pending" and not CartItem.objects.exists()
    assert order.total_amount == (10_000 + 2_500) * 2 + 2_000

    hosted = client.get(session.url)
    assert f"Pay ${order.total_amount / 100:,.2f}" in hosted.content.decode()
    paid = client.post(session.url, {"action": "pay"}, follow=True)
    body = paid.content.decode()
    assert "your order is paid" in body
    assert Invoice.objects.get(order=order).number in body
    order.refresh_from_db()
    assert order.status == "processing" and order.paid_at
    assert WebhookEvent.objects.get().type == "checkout.session.completed"
    assert list(order.lines.values_list("target", flat=True)) == ["@insta.brand", "@tok.brand"]


def test_delayed_payment_method_ends_paid_once_the_bank_confirms(client, shop):
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    client.post(session.url, {"action": "pay_delayed"})
    assert Order.objects.get().status == "pending"
    client.post(session.url, {"action": "bank_confirm"})
    assert Order.objects.get().status == "processing"
    assert sorted(WebhookEvent.objects.values_list("type", flat=True)) == [
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
    ]


def test_cancel_path_marks_session_abandoned_and_customer_can_resume(client, shop):
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    response = client.post(session.url, {"action": "cancel"}, follow=True)
    assert "Payment was cancelled" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "abandoned"
    order = Order.objects.get()
    # The abandoned session is still within its lifetime, so "resume" opens a new attempt.
    resumed = client.post(f"/checkout/orders/{order.number}/pay/")
    new = CheckoutSession.objects.get(attempt=2)
    assert resumed["Location"] == new.url
    client.post(new.url, {"action": "pay"})
    order.refresh_from_db()
    assert order.is_paid and Invoice.objects.count() == 1


def test_expiry_path_then_resume_and_pay(client, shop):
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    response = client.post(session.url, {"action": "expire"}, follow=True)
    assert "Your payment page has expired." in response.content.decode()
    session.refresh_from_db()
    assert session.status == "expired"
    assert client.post(session.url, {"action": "pay"}).status_code == 200  # the old page refuses
    assert not Order.objects.get().is_paid
    order = Order.objects.get()
    client.post(f"/checkout/orders/{order.number}/pay/")
    client.post(CheckoutSession.objects.get(attempt=2).url, {"action": "pay"})
    assert Order.objects.get().status == "processing"


def test_double_submit_and_back_button_create_one_order_and_one_session(client, shop):
    add(client, shop[1])
    first, data = submit(client)
    second = client.post("/checkout/", data)  # double click / back button + resubmit
    assert second["Location"] == first["Location"]
    assert Order.objects.count() == 1 and CheckoutSession.objects.count() == 1


def test_guest_gets_an_account_from_their_email_without_a_password(client, shop):
    add(client, shop[1])
    submit(client)
    account = get_user_model().objects.get(email="guest@example.com")
    assert not account.has_usable_password()
    assert Order.objects.get().user == account


def test_guest_order_attaches_to_the_existing_account_for_that_email(client, shop):
    existing = user("known")
    add(client, shop[1])
    submit(client, email="KNOWN@example.com")
    assert Order.objects.get().user == existing
    assert get_user_model().objects.count() == 1


def test_signed_in_client_checks_out_as_themselves(client, shop):
    buyer = user("buyer")
    client.force_login(buyer)
    add(client, shop[1])
    assert "buyer@example.com" in client.get("/checkout/").content.decode()
    submit(client, email="buyer@example.com")
    assert Order.objects.get().user == buyer


@pytest.mark.parametrize(
    ("field_index", "value", "message"),
    [
        (0, "not a handle!", "valid Instagram handle"),
        (0, "https://evil.example/@x", "Instagram handle or a link"),
        (1, "@a", "valid TikTok handle"),
        (2, "javascript:alert(1)", "Enter a link"),
        (0, "", "This field is required"),
    ],
)
def test_targets_are_validated_per_platform(client, shop, field_index, value, message):
    for product in shop:
        add(client, product)
    token, targets = checkout_form(client)
    response, _ = submit(client, **{targets[field_index]: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists()


def test_terms_and_email_are_required(client, shop):
    add(client, shop[1])
    response, _ = submit(client, accept_terms="", email="not-an-email")
    body = response.content.decode()
    assert "Please accept the terms of service" in body and "Enter a valid email address" in body
    assert not Order.objects.exists()


def test_posted_totals_are_ignored(client, shop):
    add(client, shop[1])
    submit(client, total_amount="1", amount="1", price="0.01")
    order = Order.objects.get()
    assert order.total_amount == 2_000
    assert OrderLine.objects.get().total_amount == 2_000


def test_product_deactivated_between_cart_and_submit_cannot_be_bought(client, shop):
    add(client, shop[1])
    token, targets = checkout_form(client)
    shop[1].is_active = False
    shop[1].save()
    response = client.post(
        "/checkout/",
        {
            "email": "a@example.com",
            "name": "A",
            "accept_terms": "on",
            "checkout_token": token,
            targets[0]: "@tok.brand",
        },
        follow=True,
    )
    assert "needs attention" in response.content.decode()
    assert not Order.objects.exists()


def test_order_page_is_private(client, shop):
    add(client, shop[1])
    submit(client)
    order = Order.objects.get()
    assert client.get(order.get_absolute_url()).status_code == 200  # the browser that placed it
    stranger = client.__class__()
    assert stranger.get(order.get_absolute_url()).status_code == 404
    assert stranger.get(order.get_absolute_url() + "?session_id=cs_guess").status_code == 404
    session = CheckoutSession.objects.get()
    assert (
        stranger.get(f"{order.get_absolute_url()}?session_id={session.provider_id}").status_code
        == 200
    )
    assert stranger.post(f"/checkout/orders/{order.number}/pay/").status_code == 404


def test_checkout_with_empty_cart_redirects(client):
    assert client.get("/checkout/")["Location"] == "/cart/"
    response = client.post("/checkout/", {"checkout_token": "not-a-uuid"})
    assert response.status_code == 302


def test_checkout_and_order_pages_query_budgets(client, shop):
    insta, tiktok, reels = shop

    def count(method, url, data=None):
        cache.clear()  # the worst case: nothing cached yet
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 302)
        return len(ctx.captured_queries)

    add(client, insta)
    one_item = count("get", "/checkout/")
    add(client, tiktok)
    two_items = count("get", "/checkout/")  # two services: bundles are looked up once
    add(client, reels)
    assert count("get", "/checkout/") == two_items <= 12 and one_item <= two_items
    submit(client)
    order = Order.objects.get()
    assert count("get", order.get_absolute_url()) <= 10
    session = CheckoutSession.objects.get()
    assert count("get", session.url) <= 6


def test_guest_account_lookup_by_email_uses_an_index():
    """Checkout looks a guest up by e-mail on every submit; that must not scan every account."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    query = get_user_model().objects.filter(email__iexact="A@Example.com").order_by("pk")[:1]
    sql, params = query.query.sql_with_params()
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table scans otherwise
        cursor.execute(explain + sql, params)
        plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert "checkout_user_email_ci" in plan
