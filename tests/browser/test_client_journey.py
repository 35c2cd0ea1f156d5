"""A client's whole journey in a browser: buy as a guest, set a password from the order e-mail,
sign in with the e-mail address, follow the order while the worker delivers, read the growth
chart, change e-mail preferences, export invoices and open the printable invoice; and the
dashboard, billing and staff pages are accessible at desktop and phone widths."""

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
from tests.browser.a11y import AccessibilityAudit
from tests.browser.test_dashboard_overview import run, sign_in
from tests.browser.test_purchase import add_to_cart
from tests.dashboard.factories import SANDBOX_DELIVERY
from tests.dashboard.staff_fixtures import dead_task, operator, placed_order
from tests.fulfillment.factories import product_with_plan

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "new.client@example.com"
PASSWORD = "a passphrase of my own"
SANDBOX_SNAPSHOT = {
    "name": "Instagram analytics snapshot",
    "kind": "analytics",
    "adapter": "sandbox",
    "parameters": {"analytics": True},
}


@pytest.fixture
def growth_service():
    return product_with_plan(
        SANDBOX_DELIVERY,
        SANDBOX_SNAPSHOT,
        slug="insta-growth",
        title="Insta Growth",
        base_amount=12_000,
        platform="instagram",
    )


def buy_as_guest(page):
    add_to_cart(page, "insta-growth")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Full name").fill("New Client")
    page.get_by_label("Account for Insta Growth").fill("@new.brand")
    page.get_by_label(re.compile("I accept the terms")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay $120.00").click()
    expect(page.get_by_role("heading", name=re.compile("your order is paid"))).to_be_visible()


def set_password_link() -> str:
    notifications_send_due()
    (confirmation,) = [sent for sent in mail.outbox if EMAIL in sent.to]
    link = link_in(confirmation.body, "/accounts/set-password/")
    assert f"{settings.SITE_URL}{link}" in confirmation.body
    return link


def test_a_guest_buys_sets_a_password_and_follows_the_order_in_the_dashboard(
    page, growth_service, settings
):
    settings.DASHBOARD_PROGRESS_REFRESH_SECONDS = 1
    buy_as_guest(page)
    order = Order.objects.get()
    assert order.user.username == EMAIL and not order.user.has_usable_password()
    run()  # the worker places the delivery and takes the first snapshot

    page.goto(set_password_link())  # the e-mail opened in the same browser
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.get_by_label(re.compile(r"^New password:?$")).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/dashboard/")  # signed out: the dashboard asks to sign in first
    page.get_by_label("E-mail or username").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text(f"Order {order.number}")

    progress = page.locator("#order-progress")
    expect(progress).to_contain_text("0 of 400")
    snapshot_step = progress.get_by_role("listitem").filter(has_text="analytics snapshot")
    expect(snapshot_step).to_have_text(re.compile(r"Succeeded$"))  # no count for a snapshot
    chart = page.get_by_role("img", name="Followers of @new.brand since purchase")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline, circle").first).to_be_attached()  # a chart with data
    page.get_by_text("Figures as a table").click()
    expect(page.get_by_role("table", name="Daily figures of @new.brand")).to_be_visible()
    audit = AccessibilityAudit(page)
    audit.scan("dashboard-overview")

    run()  # the worker delivers a quarter while the page is open
    expect(progress).to_contain_text("100 of 400", timeout=10_000)
    for _ in range(3):
        run()  # … and the rest
    expect(progress).to_contain_text("400 of 400", timeout=10_000)
    expect(progress.get_by_role("progressbar", name="Done")).to_have_attribute("value", "100")

    page.get_by_role("link", name="E-mail preferences").click()
    weekly = page.get_by_label(re.compile("Weekly digest"))
    page.get_by_label("Offers and new services").check()
    weekly.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your e-mail preferences are saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Offers and new services")).to_be_checked()
    expect(page.get_by_label(re.compile("Weekly digest"))).not_to_be_checked()

    flag_enable(name=BILLING_CENTRE, users=[order.user])
    page.goto("/dashboard/")
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    invoice = order.invoices.get()
    audit.scan("billing-centre")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("invoices-")
    with open(download.path(), newline="", encoding="utf-8-sig") as exported:
        header, *rows = list(csv.reader(exported))
    assert tuple(header) == EXPORT_HEADER
    assert [row[0] for row in rows] == [invoice.number]
    assert rows[0][header.index("Order")] == order.number

    page.get_by_role("link", name=invoice.number).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text(settings.SELLER_NAME)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Insta Growth"))).to_be_visible()
    expect(page.locator(".invoice-total")).to_contain_text("$120.00")
    audit.scan("printable-invoice")
    audit.assert_clean()


def test_the_staff_operations_page_is_accessible_at_both_widths(page, live_server):
    placed_order()  # a session still open for the payment funnel and quick actions
    dead_task()
    sign_in(page, live_server, operator())
    page.goto("/dashboard/staff/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Provider refused: link private")).to_be_visible()
    audit = AccessibilityAudit(page)
    audit.scan("staff-operations")
    audit.assert_clean()
