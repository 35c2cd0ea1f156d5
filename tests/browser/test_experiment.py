"""A merchandising experiment from end to end in real browsers: staff create it in Wagtail
and start it, two fresh visitors see different variants, a purchase shows in the results,
and the promoted winner is what every visitor sees afterwards."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.catalog.factories import configurable_product
from tests.cms.factories import home_page

from .conftest import wagtail_baseline
from .test_dashboard_overview import sign_in
from .test_purchase import add_to_cart

pytestmark = pytest.mark.django_db(transaction=True)
PITCH = "Real followers in 48 hours"


@pytest.fixture
def shop():
    wagtail_baseline()
    home_page()
    configurable_product(
        slug="insta-boost", title="Insta Boost", base_amount=10_000, platform="instagram"
    )
    return get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-12345")


def create_and_start(page):
    page.goto("/cms-admin/snippets/experiments/experiment/add/")
    page.get_by_role("textbox", name="Name*").first.fill("Boost pitch")
    page.get_by_role("textbox", name="Key*").fill("boost-pitch")
    page.get_by_role("combobox", name="Product", exact=True).select_option(label="Insta Boost")
    page.get_by_role("combobox", name="Goal*").select_option(label="Paid order")
    page.locator("#id_variants-0-name").fill("control")
    page.locator("#id_variants-0-is_control").check()
    page.locator("#id_variants-1-name").fill("pitch")
    page.locator("#id_variants-1-hero_heading").fill(PITCH)
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text(re.compile("Boost pitch.*created"))).to_be_visible()
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.get_by_text("“Boost pitch” is running.")).to_be_visible()


def visitors_in_each_variant(browser, base_url):
    """Fresh browsers until one sees the control and one the pitch (the hash decides)."""
    found = {}
    for _ in range(30):
        context = browser.new_context(base_url=base_url)
        visitor = context.new_page()
        visitor.goto("/products/insta-boost/")
        variant = "pitch" if visitor.get_by_text(PITCH).count() else "control"
        if variant in found:
            context.close()
        else:
            found[variant] = visitor
        if len(found) == 2:
            return found
    raise AssertionError("30 visitors all drew the same variant")


def test_staff_run_an_experiment_and_promote_the_winner(browser, live_server, page, shop):
    sign_in(page, live_server, shop)
    create_and_start(page)

    visitors = visitors_in_each_variant(browser, live_server.url)
    for variant, visitor in visitors.items():  # each keeps its variant
        visitor.reload()
        expect(visitor.get_by_text(PITCH)).to_have_count(1 if variant == "pitch" else 0)

    buyer = visitors["pitch"]
    add_to_cart(buyer, "insta-boost")
    buyer.get_by_role("link", name="Check out").click()
    buyer.get_by_label("E-mail").fill("buyer@example.com")
    buyer.get_by_label("Full name").fill("Pat Buyer")
    buyer.get_by_label("Account for Insta Boost").fill("@pat.brand")
    buyer.get_by_label(re.compile("I accept the terms")).check()
    buyer.get_by_role("button", name="Continue to payment").click()
    buyer.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(buyer.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()

    page.reload()
    pitch_row = page.get_by_role("row", name=re.compile("^pitch"))
    expect(pitch_row.get_by_role("cell").nth(1)).to_have_text("1")  # conversions
    expect(page.get_by_text("Sample too small")).to_be_visible()

    pitch_row.get_by_role("button", name="Promote pitch").click()
    expect(page.get_by_text("its variant “pitch” is published")).to_be_visible()
    for visitor in visitors.values():
        visitor.goto("/products/insta-boost/")
        expect(visitor.get_by_text(PITCH)).to_be_visible()
