"""Search-as-you-type in the browser: suggestions appear under the header's search field,
the keyboard picks one, and the page it opens is the product's."""

import pytest
from playwright.sync_api import expect

from tests.catalog.factories import ProductFactory

from .a11y import AccessibilityAudit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    ProductFactory(slug="insta-followers", title="Instagram Followers", platform="instagram")
    ProductFactory(slug="tiktok-views", title="TikTok Views", platform="tiktok")


def test_typing_suggests_and_the_keyboard_opens_a_suggestion(page, shop):
    page.goto("/catalog/")
    field = page.get_by_role("combobox", name="Search services")
    field.press_sequentially("insta")
    options = page.get_by_role("listbox", name="Suggested services").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("Instagram Followers")
    expect(field).to_have_attribute("aria-expanded", "true")
    field.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    audit = AccessibilityAudit(page)
    audit.scan("catalog-suggestions-open")
    audit.assert_clean()
    field.press("Enter")
    page.wait_for_url("**/products/insta-followers/")


def test_escape_closes_the_suggestions_and_enter_still_searches(page, shop):
    page.goto("/catalog/")
    field = page.get_by_role("combobox", name="Search services")
    field.press_sequentially("tiktok")
    listbox = page.get_by_role("listbox", name="Suggested services")
    expect(listbox).to_be_visible()
    field.press("Escape")
    expect(listbox).to_be_hidden()
    field.press("Enter")
    page.wait_for_url("**/catalog/?q=tiktok")
    expect(page.get_by_role("heading", name="Results for “tiktok”")).to_be_visible()


def test_without_javascript_the_search_form_searches(browser, live_server, shop):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/catalog/")
    page.get_by_role("searchbox", name="Search services").fill("tiktok")
    page.get_by_role("searchbox", name="Search services").press("Enter")
    expect(page.get_by_role("heading", name="Results for “tiktok”")).to_be_visible()
    context.close()


def test_clicking_a_suggestion_opens_it(page, shop):
    page.goto("/")
    page.get_by_role("combobox", name="Search services").press_sequentially("tiktok")
    page.get_by_role("option", name="TikTok Views").click()
    page.wait_for_url("**/products/tiktok-views/")
