"""A new client's whole journey through the demo shop, as a person navigates it: search,
filter, configure (priced by the server as they choose), save a preset, pay on the hosted
payment page, set a password from the order e-mail, sign in with the e-mail address, follow
the delivery and the growth chart while the worker runs, change e-mail preferences, download
the invoices as CSV and open the printable invoice.

The journey is walked at desktop (1280×800) and phone (390×844) widths. Every step is scanned
by axe-core where it is (no serious or critical violation) and kept as a screenshot,
tests/browser/.screenshots/journey-<width>-<nn>-<step>.png.
"""

import csv
import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from billing.selectors import EXPORT_HEADER
from core.flags import BILLING_CENTRE, flag_enable
from orders.models import Order
from orders.notifications import notifications_send_due
from tests.accounts.helpers import link_in
from tests.browser.a11y import WIDTHS, JourneyAudit
from tests.browser.test_dashboard_overview import run

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "new.client@example.com"
PASSWORD = "a passphrase of my own"
ACCOUNTS = ["@north.shop", "@south.shop"]


def expect_total(page, amount: str) -> None:
    """The configurator's price breakdown ends with this total."""
    breakdown = page.get_by_role("table", name="Price breakdown")
    total = breakdown.get_by_role("row", name=re.compile(r"^Total")).get_by_role("cell")
    expect(total).to_have_text(amount)


def set_password_link() -> str:
    """The link of the order e-mail, as a path on the test server (the e-mail names SITE_URL)."""
    notifications_send_due()
    (confirmation,) = [sent for sent in mail.outbox if EMAIL in sent.to]
    link = link_in(confirmation.body, "/accounts/set-password/")
    assert f"{settings.SITE_URL}{link}" in confirmation.body
    return link


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_client_finds_configures_buys_and_follows_a_service(page, seeded, settings, width):
    settings.DASHBOARD_PROGRESS_REFRESH_SECONDS = 1
    page.set_viewport_size(WIDTHS[width])
    audit = JourneyAudit(page, journey="journey", width=width)

    page.goto("/")
    expect(page.get_by_role("heading", name="Featured services")).to_be_visible()
    audit.scan("home")

    search = page.get_by_role("combobox", name="Search services")
    search.press_sequentially("followers")
    search.press("Enter")
    expect(page.get_by_role("heading", name="Results for “followers”")).to_be_visible()
    results = page.get_by_role("region", name="Results")
    titles = results.get_by_role("heading", level=3)
    expect(titles.filter(has_text="TikTok Growth")).to_have_count(1)  # more than Instagram
    audit.scan("search-results")

    filters = page.get_by_role("complementary", name="Filters")
    filters.get_by_label("Category").select_option(label="Instagram growth")
    filters.get_by_label("Sort by").select_option(label="Price: low to high")
    filters.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Results for “followers”")).to_be_visible()
    expect(titles).to_have_text(["Instagram Growth"])  # the search kept, narrowed to a category
    audit.scan("filtered")

    results.get_by_role("link", name="Instagram Growth").click()
    expect(page.get_by_role("heading", name="Instagram Growth", level=1)).to_be_visible()
    expect_total(page, "$49.00")
    audit.scan("product")

    configurator = page.get_by_role("region", name="Configure")
    configurator.get_by_label("2,500 followers (+$50.00)").check()
    configurator.get_by_label("Country targeting (+$12.00)").check()
    quantity = configurator.get_by_role("spinbutton", name=re.compile("Quantity"))
    # The total comes from the server's price endpoint, asked while the client types.
    with page.expect_response(
        lambda response: "/price/" in response.url and "quantity=2" in response.url
    ) as priced:
        quantity.fill("2")
    assert priced.value.ok
    expect_total(page, "$222.00")  # (49 + 50 + 12) × 2 accounts
    assert page.url.endswith("/products/instagram-growth/")  # priced in place
    audit.scan("configured")

    configurator.get_by_label("Preset name").fill("Two shops")
    configurator.get_by_role("button", name="Save preset").click()
    expect(page.get_by_text("Saved preset “Two shops”.")).to_be_visible()
    expect(configurator.get_by_role("link", name="Two shops")).to_be_visible()
    expect(quantity).to_have_value("2")
    expect_total(page, "$222.00")  # the choices stay after saving
    audit.scan("preset-saved")

    configurator.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Total today")).to_contain_text("$222.00")
    audit.scan("cart")

    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Full name").fill("New Client")
    for number, handle in enumerate(ACCOUNTS, start=1):
        page.get_by_label(f"Account {number} of 2 for Instagram Growth").fill(handle)
    page.get_by_label(re.compile("I accept the terms")).check()
    audit.scan("checkout")

    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Pay $222.00")).to_be_visible()
    audit.scan("hosted-payment")

    page.get_by_role("button", name="Pay $222.00").click()
    expect(page.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()
    order = Order.objects.get(email=EMAIL)
    invoice = order.invoices.get()
    expect(page.get_by_text(invoice.number)).to_be_visible()
    assert not order.user.has_usable_password()  # an account waiting for its password
    audit.scan("order-paid")

    run()  # the worker places the deliveries and takes the first snapshots
    page.goto(set_password_link())  # the e-mail opened in the same browser
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    audit.scan("set-password")

    page.get_by_label(re.compile(r"^New password:?$")).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set and you are signed in.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail or username").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    audit.scan("sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.get_by_text(f"Order {order.number}, placed")).to_be_visible()
    progress = page.get_by_role("region", name="Progress")
    deliveries = [
        progress.get_by_role("listitem").filter(has_text=f"Deliver growth for {account}")
        for account in ACCOUNTS
    ]
    for delivery in deliveries:
        expect(delivery).to_contain_text("Queued · 0 of 1,000")  # one delivery per account
    for account in ACCOUNTS:  # the first snapshot is taken, and a snapshot has no count
        snapshot = progress.get_by_role("listitem").filter(has_text=f"snapshot for {account}")
        expect(snapshot).to_have_text(re.compile(r"Succeeded$"))
    for account in ACCOUNTS:  # a growth chart for each account, its figures as a table
        growth = page.get_by_role("article", name=account)
        expect(
            growth.get_by_role("img", name=f"Followers of {account} since purchase")
        ).to_be_visible()
        growth.get_by_text("Figures as a table").click()
        figures = growth.get_by_role("table", name=f"Daily figures of {account}")
        expect(figures.get_by_role("row", name=re.compile(r"^\d"))).not_to_have_count(0)
    audit.scan("dashboard")

    page.evaluate("() => { window.notReloaded = true; }")
    run()  # the worker delivers a quarter while the page is open
    for delivery in deliveries:
        expect(delivery).to_contain_text("250 of 1,000", timeout=10_000)
    for _ in range(3):
        run()  # … and the rest
    for delivery in deliveries:
        expect(delivery).to_contain_text("1,000 of 1,000", timeout=10_000)
    expect(progress.get_by_role("progressbar", name="Done")).to_have_attribute("value", "100")
    assert page.evaluate("() => window.notReloaded === true")  # refreshed in place
    audit.scan("dashboard-delivered")

    page.get_by_role("link", name="E-mail preferences").click()
    page.get_by_label("Offers and new services").check()
    page.get_by_label(re.compile("Weekly digest")).uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your e-mail preferences are saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Offers and new services")).to_be_checked()
    expect(page.get_by_label(re.compile("Weekly digest"))).not_to_be_checked()
    audit.scan("preferences")

    flag_enable(name=BILLING_CENTRE, users=[order.user])  # staged, as for the demo clients
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    audit.scan("billing")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("invoices-")
    with open(download.path(), newline="", encoding="utf-8-sig") as exported:
        header, *rows = list(csv.reader(exported))
    assert tuple(header) == EXPORT_HEADER
    assert [row[0] for row in rows] == [invoice.number]  # this client's invoice only
    assert rows[0][header.index("Order")] == order.number

    page.get_by_role("link", name=invoice.number).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text(settings.SELLER_NAME)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Instagram Growth"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Total \(USD\)"))).to_contain_text("$222.00")
    audit.scan("invoice")

    audit.assert_clean()
