from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkout.models import Cart, CartItem
from tests.catalog.factories import CampaignFactory, ProductFactory, configurable_product

from .factories import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost", base_amount=10_000)


def choose(product, size="Small", quantity=1, **extra):
    group = product.option_groups.get(name="Size")
    return {
        f"group_{group.pk}": str(group.options.get(label=size).pk),
        "quantity": str(quantity),
        "billing": "one_off",
        **extra,
    }


def test_visitor_adds_configured_products_and_sees_server_prices(client, product):
    response = client.post("/cart/add/insta/", choose(product, "Large", 3))
    assert response.status_code == 302 and response["Location"] == "/cart/"
    body = client.get("/cart/").content.decode()
    # (100 + 25) × 3 with 5% volume discount
    assert "$356.25" in body
    assert "Size: Large" in body


def test_same_configuration_added_twice_combines_quantities(client, product):
    client.post("/cart/add/insta/", choose(product, quantity=1))
    client.post("/cart/add/insta/", choose(product, quantity=2))
    item = CartItem.objects.get()
    assert item.configuration["quantity"] == 3


def test_invalid_configuration_is_refused_with_a_message(client, product):
    response = client.post("/cart/add/insta/", choose(product, quantity=0), follow=True)
    assert b"Please correct the highlighted choices" in response.content
    assert not CartItem.objects.exists()


def test_posted_prices_and_foreign_options_are_ignored_or_rejected(client, product):
    other = configurable_product()
    foreign = other.option_groups.get(name="Size").options.first()
    client.post("/cart/add/insta/", choose(product, price="1", total="0", unit_amount="1"))
    assert client.get("/cart/").context["cart"].total.amount == 10_000
    group = product.option_groups.get(name="Size")
    response = client.post(
        "/cart/add/insta/", {**choose(product), f"group_{group.pk}": str(foreign.pk)}, follow=True
    )
    assert b"Please correct" in response.content
    assert CartItem.objects.count() == 1


def test_cart_survives_a_restart_because_it_lives_in_the_database(client, product):
    client.post("/cart/add/insta/", choose(product))
    cart = Cart.objects.get()
    assert cart.session_key == client.session["cart_token"]
    # A "restart": caches and process state gone; only the session cookie remains.
    from django.core.cache import cache

    cache.clear()
    assert client.get("/cart/").context["cart"].count == 1


def test_change_quantity_and_remove(client, product):
    client.post("/cart/add/insta/", choose(product))
    item = CartItem.objects.get()
    client.post(f"/cart/items/{item.pk}/quantity/", {"quantity": "10"})
    assert client.get("/cart/").context["cart"].total.amount == 85_000  # 15% tier
    response = client.post(f"/cart/items/{item.pk}/quantity/", {"quantity": "5000"}, follow=True)
    assert b"At most 100" in response.content
    client.post(f"/cart/items/{item.pk}/remove/")
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", ["abc", "-1", "0", ""])
def test_bad_quantity_never_fails(client, product, quantity):
    client.post("/cart/add/insta/", choose(product))
    item = CartItem.objects.get()
    response = client.post(f"/cart/items/{item.pk}/quantity/", {"quantity": quantity}, follow=True)
    assert response.status_code == 200
    assert CartItem.objects.get().configuration["quantity"] == 1


def test_someone_elses_item_cannot_be_changed(client, product):
    owner = user("owner")
    cart = Cart.objects.create(user=owner)
    item = CartItem.objects.create(
        cart=cart, product=product, configuration={"options": [], "quantity": 1}
    )
    client.post(f"/cart/items/{item.pk}/remove/")
    client.post(f"/cart/items/{item.pk}/quantity/", {"quantity": "5"})
    assert CartItem.objects.get(pk=item.pk).configuration["quantity"] == 1


def test_deactivated_product_is_flagged_and_blocks_checkout(client, product):
    client.post("/cart/add/insta/", choose(product))
    product.is_active = False
    product.save()
    response = client.get("/cart/")
    assert "no longer available" in response.content.decode()
    assert not response.context["cart"].can_check_out
    follow = client.get("/checkout/", follow=True)
    assert follow.redirect_chain[-1][0] == "/cart/"


def test_configuration_that_stopped_being_valid_is_flagged(client, product):
    client.post("/cart/add/insta/", choose(product, "Large"))
    product.option_groups.get(name="Size").options.get(label="Large").delete()
    body = client.get("/cart/").content.decode()
    assert "is not available for Insta Boost" in body


def test_campaign_changes_are_reflected_on_every_read(client, product):
    client.post("/cart/add/insta/", choose(product))
    assert client.get("/cart/").context["cart"].total.amount == 10_000
    CampaignFactory(products=[product], percent=10)
    assert client.get("/cart/").context["cart"].total.amount == 9_000


def test_visitor_cart_merges_into_account_on_sign_in(client, product):
    buyer = user("merger")
    existing = Cart.objects.create(user=buyer)
    CartItem.objects.create(
        cart=existing, product=product, configuration={**_small(product), "quantity": 2}
    )
    client.post("/cart/add/insta/", choose(product, quantity=1))
    other = ProductFactory(title="Extra")
    client.post(f"/cart/add/{other.slug}/", {"quantity": "1", "billing": "one_off"})
    client.post("/accounts/login/", {"username": "merger", "password": "pw-12345-x"})
    cart = Cart.objects.get(user=buyer)
    assert sorted(i.configuration["quantity"] for i in cart.items.all()) == [1, 3]
    assert Cart.objects.count() == 1
    assert client.get("/cart/").context["cart"].count == 2


def _small(product):
    return {
        "options": [product.option_groups.get(name="Size").options.get(label="Small").pk],
        "addons": [],
        "billing": "one_off",
    }


def test_cart_page_query_budget_is_independent_of_item_count(client, product):
    def queries(*, cold=True):
        if cold:
            cache.clear()  # the worst case: no pricing data cached yet
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cart/").status_code == 200
        return len(ctx.captured_queries)

    client.post("/cart/add/insta/", choose(product))
    one = queries()
    extra = configurable_product()
    client.post(f"/cart/add/{extra.slug}/", choose(extra))
    two = queries()  # two services: bundles are looked up once
    for _ in range(5):
        extra = configurable_product()
        client.post(f"/cart/add/{extra.slug}/", choose(extra))
    assert queries() == two <= 14 and one <= two
    # Products and campaigns then come from the cache under the pricing version (bundle
    # rules are not even looked up: no line of this cart is part of a bundle).
    assert queries(cold=False) <= two - 6


def test_seed_demo_catalog_can_be_bought(client):
    call_command("seed_demo", stdout=StringIO())
    from catalog.models import Product

    product = Product.objects.get(slug="tiktok-growth")
    data = {"quantity": "1", "billing": "subscription"}
    for group in product.option_groups.filter(required=True):
        data[f"group_{group.pk}"] = str(group.options.first().pk)
    client.post("/cart/add/tiktok-growth/", data)
    line = client.get("/cart/").context["cart"].lines[0]
    assert line.breakdown.interval == "month"
    assert line.breakdown.campaign_name == "Creator Season"


def test_cached_pricing_data_never_outlives_a_price_change(client, product):
    """Pricing data is cached under the database's pricing version, which every catalog edit
    bumps in its own transaction: a cache another process filled earlier (simulated here by
    entries nobody deletes) is simply no longer asked."""
    from checkout.selectors import cart_view

    client.post("/cart/add/insta/", choose(product))
    cart = Cart.objects.get()
    before = cart_view(cart=cart).total.amount
    stale_keys = [key for key in cache._cache if ":pricing:" in key]  # locmem's own keys
    assert stale_keys  # the product, its campaigns: cached

    product.base_amount += 2_500
    product.save()

    assert cart_view(cart=cart).total.amount == before + 2_500
    assert all(key in cache._cache for key in stale_keys)  # still there, never read again
