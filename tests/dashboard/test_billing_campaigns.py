"""Campaign intelligence: each paid order's spend, delivery and growth, side by side."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Invoice
from dashboard.billing.selectors import CAMPAIGN_PAGE_SIZE
from orders.models import Order
from tests.billing.factories import invoice_for, order_for, snapshot, task_for
from tests.checkout.factories import user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

URL = "/dashboard/billing/"


@pytest.fixture
def alice(client):
    owner = user("alice")
    client.force_login(owner)
    return owner


def campaigns(client, **query) -> dict[str, object]:
    return {c.order.number: c for c in client.get(URL, query).context["campaigns"].items}


def test_spend_counts_every_invoice_net_of_refunds(client, alice):
    order = order_for(alice, total=10_000)
    invoice_for(order, refunded_amount=2_500, status=Invoice.Status.PARTIALLY_REFUNDED)
    invoice_for(order, kind=Invoice.Kind.RENEWAL, total_amount=4_000)
    assert campaigns(client)[order.number].spend.format() == "$115.00"


def test_delivered_against_ordered_and_on_time_or_late(client, alice, settings):
    settings.DELIVERY_PROMISE_DAYS = 14
    now = timezone.now()
    on_time = order_for(alice, paid_at=now - timedelta(days=20))
    task_for(
        on_time, quantity=1000, delivered=1000, finished_at=on_time.paid_at + timedelta(days=3)
    )
    task_for(on_time, kind="analytics", quantity=None, finished_at=on_time.paid_at)
    late = order_for(alice, paid_at=now - timedelta(days=30))
    task_for(late, quantity=500, delivered=500, finished_at=late.paid_at + timedelta(days=20))
    running = order_for(alice, status="active", paid_at=now - timedelta(days=2))
    task_for(running, status="queued", quantity=2000, delivered=500)
    overdue = order_for(alice, status="on_hold", paid_at=now - timedelta(days=15))
    task_for(overdue, status="dead", quantity=1000, delivered=100)
    shown = campaigns(client)
    assert shown[on_time.number].outcome.label == "Delivered on time"
    assert (shown[on_time.number].delivered, shown[on_time.number].ordered) == (1000, 1000)
    assert shown[late.number].outcome.label == "Delivered late"
    assert shown[running.number].outcome.label == "On track"
    assert shown[running.number].delivered_percent == 25
    assert shown[overdue.number].outcome.label == "Late: we are on it"
    page = client.get(URL).content.decode()
    assert "500 of 2000 (25%)" in page
    assert "Delivered on time" in page and "Late: we are on it" in page


def test_growth_since_the_order_started_and_cost_per_thousand_followers(client, alice):
    order = order_for(alice, total=20_000)
    invoice_for(order)
    snapshot(order, day=0, followers=10_000, reach=3_000)
    snapshot(order, day=5, followers=11_000, reach=None)
    snapshot(order, day=9, followers=12_500, reach=4_200)
    snapshot(order, day=0, followers=500, reach=100, account="@second")
    snapshot(order, day=9, followers=1_000, reach=80, account="@second")
    campaign = campaigns(client)[order.number]
    assert campaign.followers_change == 2_500 + 500
    assert campaign.reach_change == 1_200 - 20
    # $200 for 3,000 followers: $66.666… per 1,000, rounded half up.
    assert campaign.cost_per_thousand_followers.format() == "$66.67"
    page = client.get(URL).content.decode()
    assert "+3,000" in page and "+1,180" in page and "$66.67" in page


def test_no_growth_no_cost_per_thousand(client, alice):
    order = order_for(alice)
    invoice_for(order)
    snapshot(order, day=0, followers=800)
    snapshot(order, day=3, followers=760)
    without_snapshots = order_for(alice)
    shown = campaigns(client)
    assert shown[order.number].followers_change == -40
    assert shown[order.number].cost_per_thousand_followers is None
    assert shown[without_snapshots.number].followers_change is None
    assert "−40" in client.get(URL).content.decode()


def test_only_paid_orders_are_campaigns_and_they_page(client, alice):
    unpaid = order_for(alice, status="pending", paid=False)
    now = timezone.now()
    paid = [
        order_for(alice, paid_at=now - timedelta(hours=n)) for n in range(CAMPAIGN_PAGE_SIZE + 2)
    ]
    first = campaigns(client)
    assert unpaid.number not in first
    assert set(first) == {o.number for o in paid[:CAMPAIGN_PAGE_SIZE]}
    assert set(campaigns(client, campaigns_page=2)) == {o.number for o in paid[CAMPAIGN_PAGE_SIZE:]}
    assert Order.objects.filter(user=alice).count() == CAMPAIGN_PAGE_SIZE + 3
