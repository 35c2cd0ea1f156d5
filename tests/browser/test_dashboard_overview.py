"""The dashboard in a browser: accessible at desktop and phone widths, and the progress of an
order under way refreshes in place while the worker delivers."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment.models import FulfillmentTask
from fulfillment.processor import process_due
from orders.models import Order
from tests.browser.a11y import AccessibilityAudit
from tests.checkout.factories import user
from tests.dashboard.factories import SANDBOX_DELIVERY, snapshots_for
from tests.fulfillment.factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db(transaction=True)


def run():
    FulfillmentTask.objects.filter(status="queued").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    process_due(worker="browser-test")


def sign_in(page, live_server, client_user):
    django_client = Client()
    django_client.force_login(client_user)
    session = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_the_dashboard_is_accessible_and_its_progress_follows_the_worker(
    page, live_server, seeded, settings
):
    settings.DASHBOARD_PROGRESS_REFRESH_SECONDS = 1
    client_user = user("dana")
    order = paid_order(Client(), product_with_plan(SANDBOX_DELIVERY), owner=client_user)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=13))
    snapshots_for(order, days=14, followers=4_200, step=35)
    run()  # the delivery is placed: nothing delivered yet
    sign_in(page, live_server, client_user)

    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.locator("#order-progress")).to_contain_text("0 of 400")
    expect(
        page.get_by_role("img", name="Followers of @target.account since purchase")
    ).to_be_visible()
    audit = AccessibilityAudit(page)
    audit.scan("dashboard")

    page.evaluate("() => { window.notReloaded = true; }")
    run()  # the worker delivers a quarter
    expect(page.locator("#order-progress")).to_contain_text("100 of 400", timeout=10_000)
    assert page.evaluate("() => window.notReloaded === true")  # swapped in place

    page.get_by_role("link", name="E-mail preferences").click()
    page.get_by_label("Offers and new services").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your e-mail preferences are saved.")).to_be_visible()
    audit.scan("dashboard-preferences")
    audit.assert_clean()
