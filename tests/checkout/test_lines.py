"""Lines of several accounts, account links, subscription-only add-ons and what renews."""

import re
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.pricing import Configuration, payment_plan
from catalog.selectors import product_get_for_pricing
from checkout.exceptions import CheckoutError
from checkout.models import Cart, CartItem, CheckoutSession
from checkout.services import cart_add, checkout_submit
from core.money import Money
from fulfillment.models import FulfillmentTask, PlanStep
from fulfillment.processor import process_due
from orders.models import Order
from tests.catalog.factories import AddOnFactory, configurable_product, per_account_product
from tests.fulfillment.fake_services import FakePanel

from .factories import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def growth():
    return per_account_product(slug="growth")


def choose(product, *, size="Small", quantity=1, billing="one_off", addons=()):
    group = product.option_groups.get(name="Size")
    data = {
        f"group_{group.pk}": str(group.options.get(label=size).pk),
        "quantity": str(quantity),
        "billing": billing,
    }
    if addons:
        data["addons"] = [str(product.addons.get(label=label).pk) for label in addons]
    return data


def checkout_page(client):
    response = client.get("/checkout/")
    assert response.status_code == 200
    return response.content.decode()


def submit(client, accounts: dict[str, str]):
    body = checkout_page(client)
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    data = {
        "email": "buyer@example.com",
        "name": "Buyer",
        "accept_terms": "on",
        "checkout_token": token,
        **accounts,
    }
    return client.post("/checkout/", data)


def account_fields(body) -> list[tuple[str, str]]:
    """(name, label) of every account field, in page order."""
    labels = dict(re.findall(r'<label for="id_(target_[\d_]+)"[^>]*>([^<]+)</label>', body))
    return [(name, labels[name]) for name in re.findall(r'name="(target_[\d_]+)"', body)]


def test_three_accounts_ask_for_three_targets(client, growth):
    client.post("/cart/add/growth/", choose(growth, quantity=3))
    fields = account_fields(checkout_page(client))
    item = CartItem.objects.get()
    assert fields == [
        (f"target_{item.pk}", "Account 1 of 3 for Instagram Growth:"),
        (f"target_{item.pk}_2", "Account 2 of 3 for Instagram Growth:"),
        (f"target_{item.pk}_3", "Account 3 of 3 for Instagram Growth:"),
    ]
    assert "Instagram Growth: 3 accounts, one delivery each" in checkout_page(client)


def test_a_service_not_sold_per_account_asks_for_one_target(client):
    likes = configurable_product(slug="likes", title="Post Likes", quantity_label="posts")
    client.post("/cart/add/likes/", choose(likes, quantity=5))
    assert [label for _, label in account_fields(checkout_page(client))] == [
        "Account for Post Likes:"
    ]


def test_each_of_three_accounts_is_validated_and_one_missing_places_nothing(client, growth):
    client.post("/cart/add/growth/", choose(growth, quantity=3))
    pk = CartItem.objects.get().pk
    response = submit(
        client,
        {f"target_{pk}": "@one.brand", f"target_{pk}_2": "not a handle!", f"target_{pk}_3": ""},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid Instagram handle" in body and "This field is required" in body
    assert not Order.objects.exists()


def test_the_same_account_twice_on_one_line_is_refused(client, growth):
    client.post("/cart/add/growth/", choose(growth, quantity=2))
    pk = CartItem.objects.get().pk
    response = submit(
        client, {f"target_{pk}": "@Same.Brand", f"target_{pk}_2": "instagram.com/same.brand/"}
    )
    assert response.status_code == 200
    assert "@same.brand is already account 1 of this line" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("platform", "link"),
    [
        ("instagram", "https://www.instagram.com/p/C1a2B3c4D5e/"),
        ("instagram", "instagram.com/reel/C1a2B3c4D5e"),
        ("instagram", "https://instagram.com/stories/brand/3141592653589793/"),
        ("tiktok", "https://www.tiktok.com/@brand/video/7301234567890123456"),
        ("tiktok", "https://vm.tiktok.com/ZMabc123/"),
        ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("youtube", "https://youtu.be/dQw4w9WgXcQ"),
        ("youtube", "https://www.youtube.com/shorts/abcdefghijk"),
    ],
)
def test_a_post_reel_story_or_video_link_is_refused_with_a_profile_hint(client, platform, link):
    product = configurable_product(slug="svc", title="Growth", platform=platform)
    client.post("/cart/add/svc/", choose(product))
    response = submit(client, {f"target_{CartItem.objects.get().pk}": link})
    body = response.content.decode()
    assert "That link is to a single post, reel, story or video" in body
    assert "enter the" in body and "profile instead" in body
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("platform", "link", "target"),
    [
        ("instagram", "https://www.instagram.com/brand.co/?igsh=abc", "@brand.co"),
        ("tiktok", "https://www.tiktok.com/@brand.co", "@brand.co"),
        ("youtube", "https://www.youtube.com/@brandchannel/videos", "@brandchannel"),
        ("youtube", "https://www.youtube.com/c/brandchannel", "@brandchannel"),
        (
            "youtube",
            "https://www.youtube.com/channel/UC1234567890abcdefghijkl",
            "https://www.youtube.com/channel/UC1234567890abcdefghijkl",
        ),
    ],
)
def test_profile_links_name_the_account(client, platform, link, target):
    product = configurable_product(slug="svc", title="Growth", platform=platform)
    client.post("/cart/add/svc/", choose(product))
    response = submit(client, {f"target_{CartItem.objects.get().pk}": link})
    assert response.status_code == 302
    assert Order.objects.get().lines.get().targets == [target]


def test_two_lines_of_one_service_have_labels_that_tell_them_apart(client, growth):
    client.post("/cart/add/growth/", choose(growth, quantity=1))
    client.post("/cart/add/growth/", choose(growth, size="Large", quantity=3))
    labels = [label for _, label in account_fields(checkout_page(client))]
    assert labels == [
        "Account for Instagram Growth — line 1, 1 account, Small:",
        "Account 1 of 3 for Instagram Growth — line 2, 3 accounts, Large:",
        "Account 2 of 3 for Instagram Growth — line 2, 3 accounts, Large:",
        "Account 3 of 3 for Instagram Growth — line 2, 3 accounts, Large:",
    ]
    cart = client.get("/cart/").content.decode()
    assert "Instagram Growth — line 2, 3 accounts, Large" in cart


@pytest.fixture
def panel(settings):
    server = FakePanel().start()
    settings.PROVIDER_PANEL_URL, settings.PROVIDER_PANEL_KEY = server.url, server.key
    yield server
    server.stop()


def test_three_accounts_reach_the_order_and_are_three_deliveries_at_the_provider(
    client, growth, panel
):
    PlanStep.objects.create(
        product=growth,
        name="Deliver growth",
        kind="delivery",
        adapter="provider_panel",
        parameters={"service": 1, "units_per_quantity": 1000},
    )
    client.post("/cart/add/growth/", choose(growth, quantity=3))
    pk = CartItem.objects.get().pk
    submit(
        client,
        {
            f"target_{pk}": "@one.brand",
            f"target_{pk}_2": "https://www.instagram.com/two.brand/",
            f"target_{pk}_3": "three.brand",
        },
    )
    line = Order.objects.get().lines.get()
    assert line.targets == ["@one.brand", "@two.brand", "@three.brand"]
    assert line.target == "@one.brand, @two.brand, @three.brand"
    session = CheckoutSession.objects.get()
    assert "for @one.brand, @two.brand, @three.brand" in client.get(session.url).content.decode()
    client.post(session.url, {"action": "pay"})

    assert sorted(FulfillmentTask.objects.values_list("target", "quantity")) == [
        ("@one.brand", 1),
        ("@three.brand", 1),
        ("@two.brand", 1),
    ]
    process_due()
    adds = panel.calls("add")
    assert sorted((add["link"], add["quantity"]) for add in adds) == [
        ("@one.brand", "1000"),
        ("@three.brand", "1000"),
        ("@two.brand", "1000"),
    ]


def _cart_with(product, configuration_data, owner):
    cart = Cart.objects.create(user=owner)
    cart_add(cart=cart, product=product, configuration=Configuration.from_dict(configuration_data))
    return cart, cart.items.get()


@pytest.mark.parametrize(
    ("accounts", "code"),
    [
        (["@one.brand", "@two.brand"], "target_missing"),
        (["@one.brand", "@two.brand", ""], "target_missing"),
        (["@one.brand", "@two.brand", "@three.brand", "@four.brand"], "targets_count"),
        (["@one.brand", "@two.brand", "@ONE.brand"], "target_duplicate"),
    ],
)
def test_checkout_service_refuses_the_wrong_accounts_for_a_line(growth, accounts, code):
    owner = user()
    product = product_get_for_pricing(pk=growth.pk)
    group = product.option_groups.get(name="Size")
    cart, item = _cart_with(
        product, {"options": [group.options.get(label="Small").pk], "quantity": 3}, owner
    )
    with pytest.raises(CheckoutError) as refused:
        checkout_submit(
            cart=cart,
            user=owner,
            email=owner.email,
            name="Buyer",
            targets={item.pk: accounts},
            checkout_token=uuid.uuid4(),
        )
    assert refused.value.code == code
    assert not Order.objects.exists() and cart.items.exists()


# Subscription-only add-ons -------------------------------------------------------------


def test_a_subscription_only_add_on_is_refused_on_a_one_off_line_even_when_posted(client, growth):
    response = client.post(
        "/cart/add/growth/",
        choose(growth, billing="one_off", addons=["Monthly strategy call"]),
        follow=True,
    )
    assert (
        "Monthly strategy call comes only with a monthly subscription" in response.content.decode()
    )
    assert not CartItem.objects.exists()
    client.post(
        "/cart/add/growth/",
        choose(growth, billing="subscription", addons=["Monthly strategy call"]),
    )
    line = client.get("/cart/").context["cart"].lines[0]
    assert "Monthly strategy call" in [part.label for part in line.breakdown.lines]


def test_the_configurator_marks_monthly_only_add_ons_and_hides_them_where_none_is_sold(
    client, growth
):
    page = client.get("/products/growth/").content.decode()
    assert "Monthly strategy call (+$49.00), with monthly billing only" in page
    assert re.search(r"<input[^>]*data-subscription-only[^>]*>", page)
    one_off = configurable_product(slug="one-off", title="One-off Growth")
    AddOnFactory(product=one_off, label="Monthly strategy call", subscription_only=True)
    assert "Monthly strategy call" not in client.get("/products/one-off/").content.decode()


def test_the_price_endpoint_answers_a_subscription_only_add_on_on_one_off_with_a_code(
    client, growth
):
    data = choose(growth, addons=["Monthly strategy call"])
    response = client.get("/products/growth/price/", data)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "addon_subscription_only"


# What renews ---------------------------------------------------------------------------


def plan_text(body: str) -> str:
    """The payment plan block as a person reads it."""
    block = re.search(r'<div class="payment-plan">(.*?)</div>', body, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


def test_cart_checkout_and_payment_page_say_the_same_due_today_and_renewal(client, growth):
    likes = configurable_product(slug="likes", title="Post Likes", base_amount=2_000)
    client.post("/cart/add/growth/", choose(growth, billing="subscription", quantity=3))
    client.post("/cart/add/likes/", choose(likes))
    renews = _next_month(timezone.localdate()).strftime("%-d %B %Y")
    # Monthly: 39.00 × 3 − 5% = 111.15; one-off 20.00.
    expected = (
        "Total today $131.15 Today's payment covers one-off services ($20.00) and the first "
        f"month ($111.15). Then $111.15 every month from {renews} ; cancel any time by "
        "writing to support@smplat.localhost ."
    )
    assert plan_text(client.get("/cart/").content.decode()) == expected
    assert plan_text(checkout_page(client)) == expected
    items = list(CartItem.objects.order_by("pk"))
    submit(
        client,
        {
            f"target_{items[0].pk}": "@one.brand",
            f"target_{items[0].pk}_2": "@two.brand",
            f"target_{items[0].pk}_3": "@three.brand",
            f"target_{items[1].pk}": "@likes.brand",
        },
    )
    hosted = client.get(CheckoutSession.objects.get().url).content.decode()
    assert plan_text(hosted) == expected


def test_a_one_off_cart_says_nothing_renews(client, growth):
    client.post("/cart/add/growth/", choose(growth))
    assert plan_text(client.get("/cart/").content.decode()) == (
        "Total today $49.00 A one-off payment: nothing renews."
    )


def _next_month(day):
    return payment_plan([(Money(1, "USD"), "month")], currency="USD", today=day).renews_on


# Query budgets -------------------------------------------------------------------------


def test_cart_and_checkout_budgets_do_not_grow_with_lines_or_accounts(client, growth):
    def count(url):
        cache.clear()  # the worst case: nothing cached yet
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.post("/cart/add/growth/", choose(growth, quantity=1))
    client.post("/cart/add/growth/", choose(growth, size="Large", quantity=2))
    cart, checkout = count("/cart/"), count("/checkout/")
    client.post(
        "/cart/add/growth/", choose(growth, size="Large", quantity=10, billing="subscription")
    )
    for _ in range(3):
        other = configurable_product(one_account_per_unit=True, max_quantity=12)
        client.post(f"/cart/add/{other.slug}/", choose(other, quantity=12))
    assert count("/cart/") == cart <= 14
    assert count("/checkout/") == checkout <= 12
