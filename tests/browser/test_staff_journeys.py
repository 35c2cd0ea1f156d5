"""Staff at work in a real browser, and what customers then see: an editor publishes new copy
in Wagtail, staff hold an order from the Django admin, an operator expires a payment page from
the operations view."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.catalog.factories import configurable_product
from tests.checkout.factories import placed_order
from tests.cms.factories import home_page, marketing_page
from tests.dashboard.staff_fixtures import operator, paid

from .conftest import wagtail_baseline
from .test_dashboard_overview import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff():
    return get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-12345")


@pytest.fixture
def visitor(browser, live_server):
    """A customer's own browser, next to the staff member's."""
    context = browser.new_context(base_url=live_server.url)
    yield context.new_page()
    context.close()


def test_an_editor_publishes_new_copy_in_wagtail_and_the_product_page_shows_it(
    page, live_server, staff, visitor
):
    wagtail_baseline()
    product = configurable_product(slug="insta", title="Insta Boost")
    marketing = marketing_page(product, parent=home_page(), tagline="Original tagline")
    visitor.goto("/products/insta/")
    expect(visitor.get_by_text("Original tagline")).to_be_visible()  # as seen before the edit

    sign_in(page, live_server, staff)
    page.goto(f"/cms-admin/pages/{marketing.pk}/edit/")
    page.get_by_role("textbox", name=re.compile("^Tagline")).fill("Growth you can watch daily")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(re.compile("Page 'Insta Boost' has been published"))).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_text("Growth you can watch daily")).to_be_visible()
    expect(visitor.get_by_text("Original tagline")).to_have_count(0)


def test_staff_hold_an_order_in_the_admin_and_its_page_says_so(page, live_server, staff, visitor):
    order, session = paid(*placed_order())
    visitor.goto(f"{order.get_absolute_url()}?session_id={session.provider_id}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you — your order is paid.")

    sign_in(page, live_server, staff)
    page.goto("/admin/orders/order/")
    page.get_by_role("row", name=re.compile(order.number)).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Put on hold (with a reason)")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("Target account is private")
    page.get_by_role("button", name=re.compile("Put on hold")).click()
    expect(page.get_by_text(f"On hold: {order.number}.")).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Your order is on hold.")
    expect(visitor.get_by_role("link", name="Ask us about this hold")).to_be_visible()


def test_an_operator_expires_a_payment_page_and_the_customer_can_no_longer_pay_there(
    page, live_server, visitor
):
    order, session = placed_order()
    visitor.goto(session.url)
    expect(visitor.get_by_role("heading", name=re.compile(r"^Pay \$"))).to_be_visible()

    sign_in(page, live_server, operator())
    page.goto("/dashboard/staff/")
    page.get_by_role("button", name=f"Expire the payment page of {order.number}").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Expired the payment page of {order.number} (attempt 1)."
    )

    # The page the customer still has open refuses the payment instead of taking it.
    visitor.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(visitor.get_by_text("Nothing was charged here.")).to_be_visible()
    order.refresh_from_db()
    assert not order.is_paid
