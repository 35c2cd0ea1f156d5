"""axe-core over every storefront page a visitor reaches, at desktop (1280×800) and phone
(390×844) widths.

A page fails on any violation axe rates serious or critical; the failure lists each rule, its
help text and the elements it hit. Screenshots of every scanned page go to
tests/browser/.screenshots/ (git-ignored).
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.a11y import AccessibilityAudit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def audit(page):
    return AccessibilityAudit(page)


def test_browsing_pages(page, seeded, audit):
    page.goto("/")
    expect(page.get_by_role("heading", name="Featured services")).to_be_visible()
    audit.scan("home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    expect(page.get_by_role("heading", name="All services")).to_be_visible()
    audit.scan("catalog")

    page.get_by_role("combobox", name="Search services").fill("followers")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Results for “followers”")).to_be_visible()
    audit.scan("catalog-search")

    page.get_by_role("combobox", name="Search services").fill("snapchat")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("No services match"))).to_be_visible()
    audit.scan("catalog-no-results")

    page.goto("/products/instagram-growth/")
    expect(page.get_by_role("heading", name="Configure")).to_be_visible()
    audit.scan("product")

    page.get_by_label(re.compile("Quantity")).fill("0")
    page.get_by_role("button", name="Update price").click()
    expect(page.get_by_label(re.compile("Quantity"))).to_have_attribute("aria-invalid", "true")
    audit.scan("product-invalid-choice")

    page.get_by_role("link", name="Cart").click()
    expect(page.get_by_role("heading", name="Your cart is empty.")).to_be_visible()
    audit.scan("cart-empty")

    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="We cannot find that page")).to_be_visible()
    audit.scan("not-found")

    audit.assert_clean()


def test_purchase_pages(page, seeded, audit):
    page.goto("/products/instagram-growth/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    audit.scan("cart")

    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    audit.scan("checkout")

    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields")
    audit.scan("checkout-errors")

    page.get_by_label("E-mail").fill("a11y@example.com")
    page.get_by_label("Full name").fill("Ada Access")
    page.get_by_label("Account for Instagram Growth").fill("@ada.access")
    page.get_by_label(re.compile("I accept the terms")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Pay \$"))).to_be_visible()
    audit.scan("hosted-payment")

    page.get_by_role("button", name="Cancel and return to the shop").click()
    expect(page.get_by_text("Payment was cancelled")).to_be_visible()
    audit.scan("payment-cancelled")

    page.get_by_role("button", name="Start a new payment").click()
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(page.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()
    audit.scan("order")

    audit.assert_clean()


def test_account_pages(page, seeded, audit):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    audit.scan("sign-in")

    page.get_by_label("E-mail or username").fill("client")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.scan("sign-in-error")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    audit.scan("password-reset")

    page.get_by_label("E-mail address").fill("client@smplat.localhost")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    audit.scan("password-reset-sent")

    # The e-mail links to SITE_URL; the path opens on the test server.
    (link,) = re.findall(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[-1].body)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    audit.scan("password-reset-new-password")

    page.get_by_label("New password:", exact=True).fill("a long new passphrase")
    page.get_by_label("New password confirmation").fill("a long new passphrase")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your password is set.")).to_be_visible()
    audit.scan("password-reset-complete")

    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works.")).to_be_visible()
    audit.scan("password-reset-link-used")

    audit.assert_clean()
