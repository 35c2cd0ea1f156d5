"""What a client reads on /dashboard/: progress, timeline, overlap warnings, analytics and
the week's figures; provider errors never reach the page."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.flags import BILLING_CENTRE, flag_enable
from fulfillment.models import FulfillmentTask
from fulfillment.processor import process_due
from orders.models import Order
from orders.services import order_transition
from tests.fulfillment.factories import paid_order, product_with_plan

from .factories import INSTAGRAM_SNAPSHOT, SANDBOX_DELIVERY, bulk_orders, snapshots_for

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("dashboard:overview")
DELAYED = "Delayed — we are on it"
DASHBOARD_BUDGET = 15


def run():
    """One processor loop with every queued task due now."""
    FulfillmentTask.objects.filter(status="queued").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    return process_due(worker="test-worker")


def page(client, url=OVERVIEW) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_progress_shows_steps_counts_and_an_expected_finish(client, alice):
    order = paid_order(client, product_with_plan(SANDBOX_DELIVERY), owner=alice)
    run()  # the delivery is placed: start count known, nothing delivered yet
    run()  # a quarter delivered
    client.force_login(alice)
    body = page(client)
    task = order.tasks.get()
    assert (task.delivered, task.remains) == (100, 300)
    assert f"<dt>Start count</dt><dd>{task.start_count:,}</dd>" in body
    assert "<dt>Ordered</dt><dd>400</dd>" in body
    assert "<dt>Delivered</dt><dd>100</dd>" in body
    assert "<dt>Remains</dt><dd>300</dd>" in body
    assert "Deliver followers" in body and "100 of 400" in body
    assert 'value="25"' in body  # no step finished, the one delivery a quarter delivered
    assert "<dt>Expected finish</dt><dd><time datetime=" in body
    assert "Deliver followers: next update" in body  # the next action
    assert "Delivery started" in body  # the timeline
    # The progress block alone, for the script that refreshes it.
    fragment = client.get(
        reverse("dashboard:order-progress", args=[order.number]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.startswith('<div class="progress-block" id="order-progress"')
    assert "<html" not in fragment and "<dt>Delivered</dt><dd>100</dd>" in fragment


def test_a_dead_lettered_step_reads_delayed_never_the_providers_error(client, alice, settings):
    settings.INSTAGRAM_USER_ID = "1784"
    settings.INSTAGRAM_ACCESS_TOKEN = ""  # the adapter refuses: no token configured
    order = paid_order(client, product_with_plan(INSTAGRAM_SNAPSHOT), owner=alice)
    run()
    order.refresh_from_db()
    assert order.status == "on_hold"
    reason = order.history.get(to_status="on_hold").reason
    assert "access token" in reason  # what staff see
    client.force_login(alice)
    progress_url = reverse("dashboard:order-progress", args=[order.number])
    api_url = f"/api/v1/orders/{order.number}/progress"
    for body in (page(client), page(client, progress_url)):
        assert DELAYED in body
        assert "access token" not in body and "INSTAGRAM" not in body
        assert reason not in body
    mine = client.get(api_url).json()  # the owner's own progress API
    assert (mine["status_display"], mine["steps"][0]["status_display"]) == (DELAYED, DELAYED)
    assert mine["steps"][0]["last_error"] == "" and "access token" not in str(mine)
    # Operators still read what went wrong.
    client.logout()
    operator = client.get(api_url, HTTP_X_API_KEY=settings.CHECKOUT_API_KEY).json()
    assert "access token" in operator["steps"][0]["last_error"]


def test_a_retried_step_shows_as_delayed_in_the_timeline(client, alice, settings):
    settings.INSTAGRAM_ACCESS_TOKEN = "token"
    settings.INSTAGRAM_USER_ID = "1784"
    settings.INSTAGRAM_GRAPH_URL = "http://127.0.0.1:9"  # nothing listens: a retryable error
    order = paid_order(client, product_with_plan(INSTAGRAM_SNAPSHOT), owner=alice)
    run()
    task = order.tasks.get()
    assert task.status == "queued" and "unreachable" in task.last_error
    client.force_login(alice)
    body = page(client)
    assert f"Instagram snapshot: {DELAYED}" in body
    assert "unreachable" not in body and "ConnectionError" not in body


def test_two_active_orders_for_the_same_account_are_warned_about(client, alice, bob):
    product = product_with_plan(SANDBOX_DELIVERY)
    first = paid_order(client, product, owner=alice)
    second = paid_order(client, product, owner=alice)
    bobs = paid_order(client, product, owner=bob)  # the same account, but not alice's order
    client.force_login(alice)
    body = page(client)
    assert "Orders for the same account at once" in body
    assert f"@target.account: orders {first.number}, {second.number} are all under way" in body
    assert bobs.number not in body

    order_transition(order_id=first.pk, to_status="completed", source="test")
    assert "Orders for the same account at once" not in page(client)


def test_analytics_show_charts_with_the_baseline_and_a_table(client, alice):
    order = paid_order(client, product_with_plan(), owner=alice)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=6))
    snapshots_for(order, days=7, followers=1_000, step=25)  # from the day of payment on
    client.force_login(alice)
    body = page(client)
    assert body.count('role="img"') == 4  # three sparklines and the followers chart
    assert '<title id="chart-1-followers-title">Followers of @target.account since purchase' in (
        body
    )
    assert "1,000 at purchase" in body and "1,150 on" in body
    assert "+150 since purchase" in body
    assert "At purchase: 1,000" in body
    assert "<caption>Daily figures of @target.account</caption>" in body
    assert body.count('<th scope="row">') == 7
    assert "<td>1,150</td>" in body


def test_the_week_shows_the_clients_figures(client, alice):
    order = paid_order(client, product_with_plan(), owner=alice)
    snapshots_for(order, days=10, followers=2_000, step=10)
    run()  # the no-op step finishes: the order completes
    client.force_login(alice)
    body = page(client)
    assert "<dt>Orders that moved on</dt><dd>1</dd>" in body
    assert "<dt>Orders completed</dt><dd>1</dd>" in body
    assert "<dt>Steps finished</dt><dd>1</dd>" in body
    assert "<dt>Follower change</dt><dd>+70</dd>" in body


def dashboard_queries(client, django_assert_max_num_queries) -> int:
    caches["config"].clear()  # the footer's site settings are read cold
    with (
        django_assert_max_num_queries(DASHBOARD_BUDGET),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(OVERVIEW)
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_1_and_500_orders(
    client, alice, bob, django_assert_max_num_queries
):
    bulk_orders(alice, 1, snapshot_days=30)
    bulk_orders(bob, 500, snapshot_days=30)
    client.force_login(alice)
    one = dashboard_queries(client, django_assert_max_num_queries)
    client.force_login(bob)
    many = dashboard_queries(client, django_assert_max_num_queries)
    assert one == many
    body = page(client)
    assert body.count("<option ") == 50 and body.count('role="img"') == 4


def test_the_progress_page_costs_a_fixed_number_of_queries(
    client, alice, django_assert_max_num_queries
):
    order = bulk_orders(alice, 1)[0]
    client.force_login(alice)
    url = reverse("dashboard:order-progress", args=[order.number])
    caches["config"].clear()
    with django_assert_max_num_queries(
        7
    ):  # session, user, order, tasks, site settings, the nav's flag (2)
        assert client.get(url).status_code == 200


def test_the_budget_holds_with_the_billing_link_on_for_the_account(
    client, bob, django_assert_max_num_queries
):
    bulk_orders(bob, 500, snapshot_days=30)
    flag_enable(name=BILLING_CENTRE, users=[bob])  # the nav then links the billing centre
    client.force_login(bob)
    dashboard_queries(client, django_assert_max_num_queries)
    assert 'href="/dashboard/billing/"' in page(client)
