"""Checkout errors take focus, and the storefront's controls are big enough to tap."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Bundle, BundleItem
from tests.catalog.factories import ProductFactory, configurable_product

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop():
    configurable_product(slug="insta-boost", title="Insta Boost", base_amount=10_000)
    ProductFactory(slug="tiktok-views", title="TikTok Views", base_amount=2_000, platform="tiktok")


def add_to_cart(page, slug):
    page.goto(f"/products/{slug}/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def test_a_failed_checkout_focuses_the_error_summary_whose_links_reach_each_field(page, shop):
    add_to_cart(page, "tiktok-views")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Continue to payment").click()

    summary = page.get_by_role("alert").filter(has_text="Please correct the highlighted fields")
    expect(summary).to_be_focused()
    page.get_by_role("link", name=re.compile("Please accept the terms of service")).click()
    terms = page.get_by_role("checkbox", name=re.compile("I accept the terms of service"))
    expect(terms).to_be_focused()
    page.keyboard.press("Space")
    expect(terms).to_be_checked()


def test_the_terms_link_opens_the_terms_page(page, shop):
    add_to_cart(page, "tiktok-views")
    page.get_by_role("link", name="Check out").click()
    page.get_by_role("link", name="terms of service").click()
    expect(page.get_by_role("heading", name="Terms of service")).to_be_visible()


def test_header_links_and_the_terms_box_are_tap_targets_at_phone_width(page, shop):
    page.set_viewport_size(PHONE)
    add_to_cart(page, "tiktok-views")
    header = page.get_by_role("banner")
    for name in ("Services", re.compile("^Cart"), "Sign in"):
        box = header.get_by_role("link", name=name).bounding_box()
        assert box["height"] >= 44, (name, box)
    page.get_by_role("link", name="Check out").click()
    box = page.get_by_role("checkbox", name=re.compile("I accept")).bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24


def keeps_to_its_label(amount) -> bool:
    """The amount takes one line, and starts on the line where its label ends."""
    return amount.evaluate(
        """el => { const label = el.previousSibling, range = document.createRange();
        range.selectNodeContents(el);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        range.setStart(label, label.length - 2); range.setEnd(label, label.length - 1);
        const end = range.getClientRects()[0];
        return lines.size === 1 && Math.abs(end.top - el.getClientRects()[0].top) < 2; }"""
    )


def test_savings_keep_to_their_labels_at_the_narrowest_phone_width(page):
    kit = [
        ProductFactory(slug="insta", title="Instagram Growth", base_amount=12_340),
        ProductFactory(slug="reels", title="Reels Pack", base_amount=111_000),
    ]
    bundle = Bundle.objects.create(
        headline="Creator starter kit", discount_percent=Decimal("10"), billing="one_off"
    )
    for position, product in enumerate(kit):
        BundleItem.objects.create(bundle=bundle, product=product, sort_order=position)
    page.set_viewport_size({"width": 320, "height": 800})  # WCAG 1.4.10's reflow width
    page.goto("/products/insta/")
    page.get_by_role("button", name="Add the bundle to my cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    savings = page.locator(".discount .amount")
    expect(savings).to_have_count(3)  # each line's share and the cart's saving
    assert [keeps_to_its_label(savings.nth(n)) for n in range(3)] == [True] * 3
