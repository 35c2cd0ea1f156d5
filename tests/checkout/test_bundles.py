"""Bundles: added as a shopper expects, priced once per complete set, copied to order and invoice."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from billing.models import Invoice
from catalog.models import BillingModes, Bundle, BundleItem
from catalog.pricing import BundleRule, CartLineInput, PricingRules, price_cart
from catalog.selectors import campaign_rules, product_get_for_pricing
from checkout.models import CartItem
from orders.models import Order
from tests.catalog.factories import CampaignFactory, ProductFactory, configurable_product

pytestmark = pytest.mark.django_db


def make_bundle(*products, percent="10", headline="Launch kit", active=True, billing="one_off"):
    bundle = Bundle.objects.create(
        headline=headline, discount_percent=Decimal(percent), is_active=active, billing=billing
    )
    for position, product in enumerate(products):
        BundleItem.objects.create(bundle=bundle, product=product, sort_order=position)
    return bundle


def rule(pk, percent, *products, billing="one_off"):
    return BundleRule(
        pk=pk,
        headline=f"B{pk}",
        percent=Decimal(percent),
        product_ids=frozenset(p.pk for p in products),
        billing=billing,
    )


def line(key, product, bundle=None, **configuration):
    return CartLineInput(
        key=key,
        product=product_get_for_pricing(pk=product.pk),
        configuration={"quantity": 1, "billing": "one_off", **configuration},
        bundle_id=bundle,
    )


def savings(pricing):
    return {line.key: line.bundle.amount.amount for line in pricing.lines if line.bundle}


# price_cart -------------------------------------------------------------------


def test_saving_applies_only_to_lines_marked_as_the_bundle():
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    rules = PricingRules(bundles=(rule(1, "10", a, b),))
    marked = price_cart([line("a", a, 1), line("b", b, 1)], rules)
    assert savings(marked) == {"a": 1_000, "b": 500}
    assert (marked.subtotal.amount, marked.discount.amount, marked.total.amount) == (
        15_000,
        1_500,
        13_500,
    )
    # Both services in the cart, but bought on their own: no saving.
    assert savings(price_cart([line("a", a), line("b", b)], rules)) == {}
    # An incomplete set saves nothing either.
    assert savings(price_cart([line("a", a, 1)], rules)) == {}


def test_saving_comes_after_tiers_and_campaigns_and_rounds_half_up():
    a, b = ProductFactory(base_amount=999), ProductFactory(base_amount=1_001)
    campaign = CampaignFactory(products=[a], percent=10)  # 999 → 899 after 99.9 → 100 off
    rules = PricingRules(campaigns=tuple(campaign_rules()), bundles=(rule(1, "12.5", a, b),))
    pricing = price_cart([line("a", a, 1), line("b", b, 1)], rules)
    assert pricing.lines[0].breakdown.campaign_name == campaign.name
    assert savings(pricing) == {"a": 112, "b": 125}  # 12.5% of 899 and of 1,001


def test_two_complete_sets_save_twice_and_a_spare_line_pays_full_price():
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    rules = PricingRules(bundles=(rule(7, "10", a, b),))
    two_sets = [line("a1", a, 7), line("b1", b, 7), line("a2", a, 7), line("b2", b, 7)]
    assert savings(price_cart(two_sets, rules)) == {"a1": 1_000, "b1": 500, "a2": 1_000, "b2": 500}
    one_and_a_half = [line("a1", a, 7), line("b1", b, 7), line("a2", a, 7)]
    pricing = price_cart(one_and_a_half, rules)
    assert savings(pricing) == {"a1": 1_000, "b1": 500}
    assert pricing.total.amount == 9_000 + 4_500 + 10_000


def test_a_bundle_never_discounts_another_billing_mode_unless_it_says_so():
    a = ProductFactory(
        base_amount=10_000, billing_modes=BillingModes.BOTH, subscription_amount=4_000
    )
    b = ProductFactory(base_amount=5_000)
    lines = [line("a", a, 1, billing="subscription"), line("b", b, 1)]
    assert savings(price_cart(lines, PricingRules(bundles=(rule(1, "10", a, b),)))) == {}
    either = PricingRules(bundles=(rule(1, "10", a, b, billing="any"),))
    assert savings(price_cart(lines, either)) == {"a": 400, "b": 500}


# The cart ---------------------------------------------------------------------


def _add(client, product, **data):
    response = client.post(
        f"/cart/add/{product.slug}/", {"quantity": "1", "billing": "one_off", **data}
    )
    assert response.status_code == 302


def _cart(client):
    return client.get("/cart/").context["cart"]


def test_bundle_added_under_a_configured_service_keeps_that_line_and_adds_the_rest(client):
    growth = configurable_product(title="Growth", base_amount=10_000)
    audit = ProductFactory(title="Audit", base_amount=5_000)
    bundle = make_bundle(growth, audit, percent="10")
    large = growth.option_groups.get(name="Size").options.get(label="Large")
    _add(client, growth, quantity="2", **{f"group_{large.group_id}": str(large.pk)})
    configured = CartItem.objects.get()

    client.post(f"/cart/add-bundle/{bundle.pk}/")

    items = list(CartItem.objects.order_by("pk"))
    assert [i.product_id for i in items] == [growth.pk, audit.pk]
    assert items[0].pk == configured.pk
    assert items[0].configuration == configured.configuration  # not turned into "× 3"
    assert {i.bundle_id for i in items} == {bundle.pk}
    cart = _cart(client)
    growth_line = (10_000 + 2_500) * 2
    assert [line.bundle.amount.amount for line in cart.lines] == [growth_line // 10, 500]
    assert cart.total.amount == (growth_line + 5_000) * 9 // 10


def test_bundle_under_a_subscription_line_leaves_it_alone(client):
    growth = ProductFactory(
        title="Growth",
        base_amount=10_000,
        billing_modes=BillingModes.BOTH,
        subscription_amount=4_000,
    )
    audit = ProductFactory(title="Audit", base_amount=5_000)
    bundle = make_bundle(growth, audit, percent="10")  # one-off purchases
    _add(client, growth, billing="subscription")

    client.post(f"/cart/add-bundle/{bundle.pk}/")

    cart = _cart(client)
    by_billing = {(ln.product.pk, ln.breakdown.billing): ln for ln in cart.lines}
    assert len(cart.lines) == 3
    subscription = by_billing[(growth.pk, "subscription")]
    assert subscription.bundle is None and subscription.to_pay.amount == 4_000
    assert by_billing[(growth.pk, "one_off")].bundle.amount.amount == 1_000
    assert by_billing[(audit.pk, "one_off")].bundle.amount.amount == 500
    assert cart.total.amount == 4_000 + 9_000 + 4_500


def test_bundle_for_either_billing_mode_takes_the_subscription_line_in(client):
    growth = ProductFactory(
        base_amount=10_000, billing_modes=BillingModes.BOTH, subscription_amount=4_000
    )
    audit = ProductFactory(base_amount=5_000)
    bundle = make_bundle(growth, audit, percent="10", billing="any")
    _add(client, growth, billing="subscription")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    cart = _cart(client)
    assert len(cart.lines) == 2
    assert [line.to_pay.amount for line in cart.lines] == [3_600, 4_500]


def test_adding_a_bundle_twice_makes_two_complete_sets(client):
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    bundle = make_bundle(a, b, percent="10")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    cart = _cart(client)
    assert len(cart.lines) == 4
    assert cart.total.amount == 2 * 13_500
    assert cart.bundles == [("Launch kit", cart.pricing.discount)]
    assert cart.pricing.discount.amount == 3_000

    # Removing one line leaves one complete set; the spare line pays full price.
    client.post(f"/cart/items/{cart.lines[-1].item.pk}/remove/")
    assert _cart(client).total.amount == 13_500 + 10_000
    assert (
        "the saving applies once every service of the set" in client.get("/cart/").content.decode()
    )


def test_signing_in_keeps_the_bundle_of_a_visitor_cart(client):
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    bundle = make_bundle(a, b, percent="10")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    get_user_model().objects.create_user("shopper", password="pass-123-word")
    assert (
        client.post(
            "/accounts/login/", {"username": "shopper", "password": "pass-123-word"}
        ).status_code
        == 302
    )
    cart = _cart(client)
    assert cart.lines[0].item.cart.user.username == "shopper"
    assert cart.total.amount == 13_500


def test_buying_a_service_again_on_its_own_does_not_grow_the_bundle_line(client):
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    bundle = make_bundle(a, b, percent="10")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    _add(client, a)
    cart = _cart(client)
    assert [(line.breakdown.quantity, bool(line.bundle)) for line in cart.lines] == [
        (1, True),
        (1, True),
        (1, False),
    ]
    assert cart.total.amount == 13_500 + 10_000


def test_bundle_savings_are_the_same_in_cart_order_lines_and_invoice(client):
    a = ProductFactory(base_amount=10_000, platform="tiktok")
    b = ProductFactory(base_amount=5_000, platform="tiktok")
    c = ProductFactory(base_amount=2_000, platform="tiktok")
    CampaignFactory(products=[a], percent=10)
    bundle = make_bundle(a, b, percent="10")
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    _add(client, c)
    cart = _cart(client)
    in_cart = sorted(
        (ln.product.pk, ln.breakdown.gross.amount, ln.priced.discount.amount, ln.to_pay.amount)
        for ln in cart.lines
    )
    assert in_cart == sorted(
        [(a.pk, 10_000, 1_000 + 900, 8_100), (b.pk, 5_000, 500, 4_500), (c.pk, 2_000, 0, 2_000)]
    )
    assert (
        'Launch kit: you save&nbsp;<span class="amount">$14.00</span>'
        in client.get("/cart/").content.decode()
    )

    body = client.get("/checkout/").content.decode()
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    data = {"email": "b@example.com", "name": "B", "accept_terms": "on", "checkout_token": token}
    for name in re.findall(r'name="(target_\d+)"', body):
        data[name] = "@bundle.fan"
    client.post("/checkout/", data)
    order = Order.objects.get()
    assert (order.subtotal_amount, order.discount_amount, order.total_amount) == (
        17_000,
        2_400,
        14_600,
    )
    in_order = sorted(
        (ln.product_id, ln.gross_amount, ln.discount_amount, ln.total_amount)
        for ln in order.lines.all()
    )
    assert in_order == in_cart
    assert {ln.breakdown["bundle"]["name"] for ln in order.lines.all()} == {"Launch kit", ""}

    client.post(order.checkout_sessions.get().url, {"action": "pay"})
    invoice = Invoice.objects.get(order=order)
    assert (invoice.subtotal_amount, invoice.discount_amount, invoice.total_amount) == (
        17_000,
        2_400,
        14_600,
    )
    assert sorted(
        (ln.gross_amount, ln.discount_amount, ln.total_amount) for ln in invoice.lines.all()
    ) == sorted(row[1:] for row in in_cart)


def test_product_page_offers_the_bundle_and_adds_it_in_one_click(client):
    a = ProductFactory(title="Growth", base_amount=10_000)
    b = ProductFactory(title="Audit", base_amount=5_000)
    bundle = make_bundle(a, b, headline="Launch kit")
    make_bundle(a, ProductFactory(is_active=True), headline="Inactive kit", active=False)
    page = client.get(a.get_absolute_url()).content.decode()
    assert "Launch kit" in page and "Inactive kit" not in page
    assert f'href="{b.get_absolute_url()}"' in page
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    assert CartItem.objects.count() == 2
    assert _cart(client).total.amount == 13_500


def test_unknown_or_inactive_bundle_is_refused(client):
    a, b = ProductFactory(), ProductFactory()
    inactive = make_bundle(a, b, active=False)
    for pk in (inactive.pk, 999_999):
        response = client.post(f"/cart/add-bundle/{pk}/", follow=True)
        assert b"no longer offered" in response.content
    assert not CartItem.objects.exists()


def test_a_bundle_that_cannot_be_completed_adds_nothing(client):
    a = ProductFactory(base_amount=10_000)
    monthly = ProductFactory(
        base_amount=0, billing_modes=BillingModes.SUBSCRIPTION, subscription_amount=3_000
    )
    _add(client, a)
    bundle = make_bundle(a, monthly, percent="10")  # one-off, but one service is monthly only
    response = client.post(f"/cart/add-bundle/{bundle.pk}/", follow=True)
    assert b"cannot be bought with that billing mode" in response.content
    assert [(i.product_id, i.bundle_id) for i in CartItem.objects.all()] == [(a.pk, None)]
