"""A product tab opened before signing in still adds to the cart, after one clear step."""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CartItem
from tests.catalog.factories import configurable_product
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    configurable_product(slug="insta-boost", title="Insta Boost", base_amount=10_000)
    user("ann")


def test_add_to_cart_from_a_tab_opened_before_signing_in(page, shop):
    page.goto("/products/insta-boost/")
    page.get_by_label(re.compile("Large")).check()
    page.get_by_label(re.compile("Targeting")).check()
    page.get_by_label(re.compile("Quantity")).fill("2")

    other_tab = page.context.new_page()
    other_tab.goto("/accounts/login/?next=/catalog/")
    other_tab.get_by_label("E-mail or username").fill("ann")
    other_tab.get_by_label("Password").fill("pw-12345-x")
    other_tab.get_by_role("button", name="Sign in").click()
    expect(other_tab.get_by_role("heading", name="All services")).to_be_visible()

    page.bring_to_front()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="This page had expired")).to_be_visible()
    expect(page.get_by_text("Your choices are kept")).to_be_visible()
    assert not CartItem.objects.exists()

    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Size: Large")).to_be_visible()
    expect(page.get_by_text("Extras: Targeting")).to_be_visible()
    expect(page.get_by_label(re.compile("Quantity"))).to_have_value("2")
    assert CartItem.objects.get().cart.user.username == "ann"


def test_review_your_choices_shows_them_on_the_product_page(page, shop):
    page.goto("/products/insta-boost/")
    page.get_by_label(re.compile("Large")).check()
    page.get_by_label(re.compile("Quantity")).fill("3")
    page.context.clear_cookies()

    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Please allow cookies for this site")).to_be_visible()
    page.get_by_role("link", name="Review your choices").click()
    expect(page.get_by_role("heading", name="Insta Boost")).to_be_visible()
    expect(page.get_by_label(re.compile("Large"))).to_be_checked()
    expect(page.get_by_label(re.compile("Quantity"))).to_have_value("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Size: Large")).to_be_visible()
