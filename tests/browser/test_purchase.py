"""The purchase journey in a real browser, with nothing configured (local gateway)."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.catalog.factories import ProductFactory, configurable_product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    configurable_product(
        slug="insta-boost", title="Insta Boost", base_amount=10_000, platform="instagram"
    )
    ProductFactory(slug="tiktok-views", title="TikTok Views", base_amount=2_000, platform="tiktok")


def add_to_cart(page, slug, quantity="1", choice=None):
    page.goto(f"/products/{slug}/")
    if choice:
        page.get_by_label(choice).check()
    page.get_by_label(re.compile("Quantity")).fill(quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def check_out(page):
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail").fill("browser@example.com")
    page.get_by_label("Full name").fill("Browser Buyer")
    page.get_by_label("Account for Insta Boost").fill("@insta.brand")
    page.get_by_label("Account for TikTok Views").fill("@tok.brand")
    page.get_by_label(re.compile("I accept the terms")).check()
    page.get_by_role("button", name="Continue to payment").click()


def test_configure_two_products_check_out_and_pay(page, shop):
    add_to_cart(page, "insta-boost", "2", choice=re.compile("Large"))
    add_to_cart(page, "tiktok-views")
    expect(page.get_by_text("Total today")).to_contain_text("$270.00")
    check_out(page)
    expect(page.get_by_role("heading", name="Pay $270.00")).to_be_visible()
    page.get_by_role("button", name="Pay $270.00").click()
    expect(page.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"INV-\d{4}-000001"))).to_be_visible()
    assert Order.objects.get().status == "processing"


def test_cancel_then_resume_and_pay(page, shop):
    add_to_cart(page, "insta-boost")
    add_to_cart(page, "tiktok-views")
    check_out(page)
    page.get_by_role("button", name="Cancel and return to the shop").click()
    expect(page.get_by_text("Payment was cancelled")).to_be_visible()
    page.get_by_role("button", name="Start a new payment").click()
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(page.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()


def test_expiry_path(page, shop):
    add_to_cart(page, "insta-boost")
    add_to_cart(page, "tiktok-views")
    check_out(page)
    page.get_by_role("button", name="Let the session expire").click()
    expect(page.get_by_role("heading", name="Your payment page has expired.")).to_be_visible()
    expect(page.get_by_role("button", name="Start a new payment")).to_be_visible()
    assert not Order.objects.get().is_paid


def test_live_price_updates_without_reload(page, shop):
    page.goto("/products/insta-boost/")
    page.get_by_label(re.compile("Large")).check()
    expect(page.locator("#breakdown [data-total]")).to_have_text("$125.00")
    assert page.url.endswith("/products/insta-boost/")  # updated in place, no navigation
