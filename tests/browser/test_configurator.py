"""The configurator in a real browser: choices survive refusals, presets and price updates."""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CartItem
from tests.catalog.factories import configurable_product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def product():
    return configurable_product(
        slug="insta-boost",
        title="Insta Boost",
        base_amount=10_000,
        max_quantity=12,
        quantity_label="accounts",
    )


def quantity(page):
    return page.get_by_role("spinbutton", name=re.compile("Quantity"))


def choose(page, count: str):
    page.get_by_label("Large (+$25.00)").check()
    page.get_by_label("Targeting (+$3.00)").check()
    page.get_by_label("Report (+$4.00)").check()
    quantity(page).fill(count)


def expect_choices(page, count: str):
    expect(page.get_by_label("Large (+$25.00)")).to_be_checked()
    expect(page.get_by_label("Small")).not_to_be_checked()
    expect(page.get_by_label("Targeting (+$3.00)")).to_be_checked()
    expect(page.get_by_label("Priority (+$7.00)")).not_to_be_checked()
    expect(page.get_by_label("Report (+$4.00)")).to_be_checked()
    expect(quantity(page)).to_have_value(count)


def test_a_refused_add_to_cart_keeps_every_choice_and_names_the_limit(page, product):
    page.goto("/products/insta-boost/")
    expect(page.get_by_text("1 to 12 accounts")).to_be_visible()
    choose(page, "20")
    page.get_by_role("button", name="Add to cart").click()

    expect(
        page.get_by_role("heading", name="Please correct the highlighted choices.")
    ).to_be_visible()
    expect_choices(page, "20")
    expect(quantity(page)).to_have_attribute("aria-invalid", "true")
    expect(quantity(page)).to_have_accessible_description(re.compile("At most 12 accounts"))
    page.get_by_role("link", name="Quantity (accounts): At most 12 accounts.").click()
    expect(quantity(page)).to_be_focused()
    assert not CartItem.objects.exists()

    quantity(page).fill("12")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert CartItem.objects.get().configuration["quantity"] == 12


def test_enter_in_the_preset_name_saves_it_and_the_choices_stay(page, product):
    page.goto("/products/insta-boost/")
    choose(page, "4")
    page.get_by_label("Preset name").fill("Launch week")
    page.get_by_label("Preset name").press("Enter")

    expect(page.get_by_text("Saved preset “Launch week”.")).to_be_visible()
    expect(page.get_by_role("link", name="Launch week")).to_be_visible()
    expect_choices(page, "4")
    assert "csrfmiddlewaretoken" not in page.url and "Launch" not in page.url


def test_saving_under_a_taken_name_asks_before_replacing(page, product):
    page.goto("/products/insta-boost/")
    quantity(page).fill("2")
    page.get_by_label("Preset name").fill("Launch")
    page.get_by_role("button", name="Save preset").click()
    expect(page.get_by_text("Saved preset “Launch”.")).to_be_visible()

    choose(page, "5")
    page.get_by_label("Preset name").fill("Launch")
    page.get_by_role("button", name="Save preset").click()
    expect(
        page.get_by_role("heading", name="A preset called “Launch” exists. Replace it?")
    ).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect_choices(page, "5")  # nothing saved, nothing lost

    page.get_by_label("Preset name").fill("Launch")
    page.get_by_role("button", name="Save preset").click()
    page.get_by_role("button", name="Replace").click()
    expect(page.get_by_text("Saved preset “Launch”.")).to_be_visible()
    expect_choices(page, "5")
    expect(page.get_by_role("link", name="Launch", exact=True)).to_have_count(1)

    page.goto("/products/insta-boost/")
    page.get_by_role("link", name="Launch", exact=True).click()
    expect_choices(page, "5")


def test_the_price_follows_typing_and_update_price_keeps_the_token_out_of_the_url(page, product):
    page.goto("/products/insta-boost/")
    total = page.locator("[data-total]")
    expect(total).to_have_text("$100.00")
    quantity(page).fill("")
    quantity(page).press_sequentially("10")  # typing, no blur: the 15% tier applies
    expect(total).to_have_text("$850.00")
    expect(page.get_by_text("Volume discount (15%)")).to_be_visible()

    page.get_by_label("Preset name").fill("Not yet")
    page.get_by_role("button", name="Update price").click()
    expect(quantity(page)).to_have_value("10")
    assert "quantity=10" in page.url
    assert "csrfmiddlewaretoken" not in page.url and "Not+yet" not in page.url
