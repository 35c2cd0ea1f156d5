"""Lines of several accounts and plainly said subscriptions, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.catalog.factories import per_account_product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def growth():
    return per_account_product()


def add_to_cart(page, *, quantity="1", billing="One-off"):
    page.goto("/products/instagram-growth/")
    page.get_by_label(billing).check()
    page.get_by_label(re.compile("Quantity")).fill(quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def fill_details(page):
    page.get_by_label("E-mail").fill("lines@example.com")
    page.get_by_label("Full name").fill("Lines Buyer")
    page.get_by_label(re.compile("I accept the terms")).check()


def test_three_accounts_ask_for_three_targets_and_reach_the_payment_page(page, growth):
    add_to_cart(page, quantity="3")
    page.get_by_role("link", name="Check out").click()
    accounts = page.get_by_role("group", name="Instagram Growth: 3 accounts, one delivery each")
    for number, handle in enumerate(["@one.brand", "@two.brand", "@three.brand"], start=1):
        accounts.get_by_label(f"Account {number} of 3 for Instagram Growth").fill(handle)
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_text("for @one.brand, @two.brand, @three.brand")).to_be_visible()
    assert Order.objects.get().lines.get().targets == ["@one.brand", "@two.brand", "@three.brand"]


def test_a_post_link_is_refused_with_a_hint_that_a_profile_is_needed(page, growth):
    add_to_cart(page)
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Account for Instagram Growth").fill(
        "https://www.instagram.com/p/C1a2B3c4D5e/"
    )
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    field = page.get_by_role("group", name="Accounts to grow")
    expect(
        field.get_by_text(re.compile("That link is to a single post, reel, story or video"))
    ).to_be_visible()
    expect(field.get_by_text(re.compile("enter the Instagram profile instead"))).to_be_visible()
    assert not Order.objects.exists()


def test_monthly_only_add_on_is_disabled_for_one_off(page, growth):
    page.goto("/products/instagram-growth/")
    call = page.get_by_label(re.compile("Monthly strategy call"))
    page.get_by_label("One-off").check()
    expect(call).to_be_disabled()
    page.get_by_label("Monthly subscription").check()
    expect(call).to_be_enabled()


def test_renewal_wording_and_totals_agree_on_cart_checkout_and_payment_page(page, growth):
    add_to_cart(page, quantity="3", billing="Monthly subscription")
    # 39.00 × 3 accounts − 5% volume discount
    due = "Total today $111.15"
    renewal = re.compile(r"Then \$111\.15 every month from \d{1,2} \w+ \d{4}; cancel any time")

    def plan_says():
        plan = page.locator(".payment-plan")
        expect(plan).to_contain_text(due)
        expect(plan).to_contain_text(renewal)
        return plan.inner_text()

    on_cart = plan_says()
    page.get_by_role("link", name="Check out").click()
    on_checkout = plan_says()
    for number, handle in enumerate(["@one.brand", "@two.brand", "@three.brand"], start=1):
        page.get_by_label(f"Account {number} of 3 for Instagram Growth").fill(handle)
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Pay $111.15")).to_be_visible()
    assert plan_says() == on_checkout == on_cart
