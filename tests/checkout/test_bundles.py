from decimal import Decimal

import pytest

from catalog.pricing import BundleRule, Configuration, bundle_discounts, price_configuration
from catalog.selectors import product_get_for_pricing
from checkout.models import CartItem
from cms.models import Bundle, BundleItem
from orders.models import Order
from tests.catalog.factories import CampaignFactory, ProductFactory

pytestmark = pytest.mark.django_db


def breakdown(product, quantity=1):
    loaded = product_get_for_pricing(pk=product.pk)
    return price_configuration(product=loaded, configuration=Configuration(quantity=quantity))


def make_bundle(*products, percent="10", headline="Launch kit", active=True):
    bundle = Bundle.objects.create(
        headline=headline, discount_percent=Decimal(percent), is_active=active
    )
    for position, product in enumerate(products):
        BundleItem.objects.create(bundle=bundle, product=product, sort_order=position)
    return bundle


def rule(pk, percent, *products):
    return BundleRule(
        pk=pk,
        headline=f"B{pk}",
        percent=Decimal(percent),
        product_ids=frozenset(p.pk for p in products),
    )


def test_bundle_applies_only_when_every_product_is_in_the_cart():
    a, b, c = (
        ProductFactory(base_amount=10_000),
        ProductFactory(base_amount=5_000),
        ProductFactory(),
    )
    lines = [("a", a.pk, breakdown(a)), ("b", b.pk, breakdown(b))]
    discounts = bundle_discounts(lines=lines, bundles=[rule(1, "10", a, b)])
    assert {k: d.amount.amount for k, d in discounts.items()} == {"a": 1_000, "b": 500}
    assert bundle_discounts(lines=lines[:1], bundles=[rule(1, "10", a, b)]) == {}
    assert bundle_discounts(lines=lines, bundles=[rule(2, "10", a, b, c)]) == {}


def test_bundle_saving_comes_after_tiers_and_campaigns_and_rounds_half_up():
    a, b = ProductFactory(base_amount=999), ProductFactory(base_amount=1_001)
    CampaignFactory(products=[a], percent=10)  # 999 → 899 after 99.9 → 100 off
    lines = [("a", a.pk, breakdown(a)), ("b", b.pk, breakdown(b))]
    discounts = bundle_discounts(lines=lines, bundles=[rule(1, "12.5", a, b)])
    assert discounts["a"].amount.amount == 112  # 12.5% of 899 = 112.375
    assert discounts["b"].amount.amount == 125  # 12.5% of 1,001 = 125.125


def test_a_line_counts_towards_one_bundle_and_the_bigger_saving_wins():
    a, b, c = (ProductFactory(base_amount=10_000) for _ in range(3))
    lines = [(p.pk, p.pk, breakdown(p)) for p in (a, b, c)]
    discounts = bundle_discounts(lines=lines, bundles=[rule(1, "5", a, b), rule(2, "20", b, c)])
    assert {k: d.bundle.pk for k, d in discounts.items()} == {b.pk: 2, c.pk: 2}


def _add(client, product):
    assert (
        client.post(
            f"/cart/add/{product.slug}/", {"quantity": "1", "billing": "one_off"}
        ).status_code
        == 302
    )


def test_cart_and_order_carry_the_bundle_saving(client):
    a, b = (
        ProductFactory(base_amount=10_000, platform="tiktok"),
        ProductFactory(base_amount=5_000, platform="tiktok"),
    )
    make_bundle(a, b, percent="10")
    _add(client, a)
    cart = client.get("/cart/")
    assert cart.context["cart"].total.amount == 10_000
    _add(client, b)
    cart = client.get("/cart/")
    assert cart.context["cart"].total.amount == 13_500
    assert "Launch kit: you save $15.00" in cart.content.decode()

    import re

    body = client.get("/checkout/").content.decode()
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    data = {"email": "b@example.com", "name": "B", "accept_terms": "on", "checkout_token": token}
    for name in re.findall(r'name="(target_\d+)"', body):
        data[name] = "@bundle.fan"
    client.post("/checkout/", data)
    order = Order.objects.get()
    assert (order.subtotal_amount, order.discount_amount, order.total_amount) == (
        15_000,
        1_500,
        13_500,
    )
    assert sorted(order.lines.values_list("total_amount", flat=True)) == [4_500, 9_000]


def test_product_page_offers_the_bundle_and_adds_it_in_one_click(client):
    a, b = (
        ProductFactory(title="Growth", base_amount=10_000),
        ProductFactory(title="Audit", base_amount=5_000),
    )
    bundle = make_bundle(a, b, headline="Launch kit")
    make_bundle(a, ProductFactory(is_active=True), headline="Inactive kit", active=False)
    page = client.get(a.get_absolute_url()).content.decode()
    assert "Launch kit" in page and "Inactive kit" not in page
    assert f'href="{b.get_absolute_url()}"' in page
    client.post(f"/cart/add-bundle/{bundle.pk}/")
    assert CartItem.objects.count() == 2
    assert client.get("/cart/").context["cart"].total.amount == 13_500


def test_unknown_or_inactive_bundle_is_refused(client):
    a, b = ProductFactory(), ProductFactory()
    inactive = make_bundle(a, b, active=False)
    for pk in (inactive.pk, 999_999):
        response = client.post(f"/cart/add-bundle/{pk}/", follow=True)
        assert b"no longer offered" in response.content
    assert not CartItem.objects.exists()
