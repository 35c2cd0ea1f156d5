"""The order page in a real browser: each state's headline and next action, and a bank
transfer that shows as pending and then, without a click on that page, as paid."""

import re

import pytest
from playwright.sync_api import expect

from tests.checkout.factories import placed_order
from tests.checkout.order_states import BUILDERS

pytestmark = pytest.mark.django_db(transaction=True)

# state: (headline, the next action's role and name)
STATES = {
    "awaiting_payment": ("Your order is waiting for payment.", "button", "Pay now"),
    "payment_pending": ("Your payment is pending.", "link", "Write to us"),
    "processing": ("Thank you — your order is paid.", "link", "Continue shopping"),
    "active": ("Delivery is under way.", "link", "Continue shopping"),
    "completed": ("Your order is complete.", "link", "Order again"),
    "on_hold": ("Your order is on hold.", "link", "Ask us about this hold"),
    "cancelled": ("This order was cancelled.", "link", "Shop again"),
    "refunded": ("This order was refunded.", "link", "Shop again"),
    "expired": ("Your payment page has expired.", "button", "Start a new payment"),
    "abandoned": ("You left the payment page before paying.", "button", "Start a new payment"),
    "payment_failed": ("Your payment did not go through.", "button", "Pay another way"),
}


@pytest.fixture
def local_gateway(settings):
    settings.PAYMENT_GATEWAY = "local"


@pytest.mark.parametrize("state", STATES)
def test_each_state_shows_its_headline_and_next_action(page, local_gateway, state):
    order, session = placed_order()
    BUILDERS[state](order, session)
    headline, role, action = STATES[state]

    page.goto(f"{order.get_absolute_url()}?session_id={session.provider_id}")

    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    expect(page.get_by_role(role, name=action, exact=True)).to_be_visible()
    expect(page.get_by_text("waiting for payment")).to_have_count(
        1 if state == "awaiting_payment" else 0
    )


def test_a_bank_transfer_shows_pending_then_paid_once_the_bank_confirms(page, local_gateway):
    order, session = placed_order()
    page.goto(session.url)
    page.get_by_role("button", name="Pay by bank transfer (confirmed later)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your payment is pending.")
    expect(page.get_by_role("status")).to_contain_text("This page updates by itself.")
    bank_link = page.get_by_role("link", name="Simulated bank: confirm or reject the transfer")

    bank = page.context.new_page()  # the bank answers elsewhere; the order page stays open
    bank.goto(bank_link.get_attribute("href"))
    expect(bank.get_by_role("heading", name=re.compile("Bank transfer of"))).to_be_visible()
    bank.get_by_role("button", name="Bank confirms the transfer").click()
    expect(bank.get_by_role("heading", level=1)).to_have_text("Thank you — your order is paid.")

    # The first page notices by itself (it checks every few seconds while the payment waits).
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you — your order is paid.", timeout=25_000
    )
    expect(page.get_by_text(re.compile(r"INV-\d{4}-\d{6}"))).to_be_visible()


def test_a_rejected_transfer_can_be_paid_another_way(page, local_gateway):
    order, session = placed_order()
    page.goto(session.url)
    page.get_by_role("button", name="Pay by bank transfer (confirmed later)").click()
    page.get_by_role("link", name="Simulated bank: confirm or reject the transfer").click()
    page.get_by_role("button", name="Bank rejects the transfer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your payment did not go through.")

    page.get_by_role("button", name="Pay another way").click()
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your order is paid.")


def test_without_javascript_a_pending_page_still_refreshes_itself(browser, live_server, settings):
    settings.PAYMENT_GATEWAY = "local"
    order, session = placed_order()
    BUILDERS["confirming"](order, session)  # refreshes every 3 s
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{order.get_absolute_url()}?session_id={session.provider_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirming your payment…")
    expect(page.get_by_role("link", name="Refresh now")).to_be_visible()

    BUILDERS["processing"](order, session)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you — your order is paid.", timeout=15_000
    )
    context.close()
