"""Realistic orders, two steps each: one processor batch runs the tasks of many orders and
moves all those orders at once, with the same history and e-mails as one order at a time."""

import pytest

from fulfillment.models import TaskAttempt
from fulfillment.processor import process_due
from orders.models import Order, OrderNotification

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

NOOP = {"name": "No-op", "kind": "noop", "adapter": "noop"}
PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 30},
    "max_attempts": 1,
}


def two_step_orders(client, count: int) -> list[Order]:
    product = product_with_plan(NOOP, {**NOOP, "name": "Second no-op"})
    return [paid_order(client, product) for _ in range(count)]


def fulfillment_history(order: Order) -> list[tuple[str, str]]:
    return list(order.history.filter(source="fulfillment").values_list("from_status", "to_status"))


def test_one_batch_completes_many_orders_each_with_one_history_row_and_e_mail(client):
    orders = two_step_orders(client, 6)

    result = process_due(worker="w", limit=50)

    assert (result.claimed, result.succeeded, len(result.orders)) == (12, 12, 6)
    for order in orders:
        order.refresh_from_db()
        assert order.status == "completed"
        assert fulfillment_history(order) == [("processing", "completed")]
        assert order.history.get(to_status="completed").reason == "All steps done"
        e_mails = order.notifications.filter(status=OrderNotification.Status.PENDING)
        assert list(e_mails.values_list("to_status", flat=True)) == ["processing", "completed"]
    assert TaskAttempt.objects.count() == 12


def test_orders_split_between_batches_go_active_then_completed(client):
    orders = two_step_orders(client, 3)

    process_due(worker="w", limit=3)  # both tasks of the first order, one of the second
    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == ["completed", "active", "processing"]
    process_due(worker="w", limit=3)

    assert [fulfillment_history(o) for o in orders] == [
        [("processing", "completed")],
        [("processing", "active"), ("active", "completed")],
        [("processing", "completed")],
    ]


def test_a_dead_letter_holds_its_order_and_the_others_in_the_batch_complete(client, fake_panel):
    fake_panel.fail_next(1, status=429)
    failing = paid_order(client, product_with_plan(PANEL_STEP))
    others = two_step_orders(client, 2)

    result = process_due(worker="w", limit=50)

    assert (result.claimed, result.dead, result.succeeded) == (5, 1, 4)
    failing.refresh_from_db()
    assert failing.status == "on_hold"
    assert fulfillment_history(failing) == [("processing", "on_hold")]
    assert "Deliver followers" in failing.history.get(to_status="on_hold").reason
    for order in others:
        order.refresh_from_db()
        assert order.status == "completed"
        assert fulfillment_history(order) == [("processing", "completed")]


@pytest.mark.parametrize("orders", [2, 12])
def test_a_batch_costs_the_same_queries_however_many_orders_it_touches(
    client, orders, django_assert_max_num_queries
):
    two_step_orders(client, orders)
    # Claim (lock, UPDATE, events), record (lock, UPDATE, events, attempts), the orders (lock,
    # task counts, lock, UPDATE, e-mails, history), the counters (their rows made on first use)
    # and the savepoints of two transactions.
    with django_assert_max_num_queries(26):
        result = process_due(worker="w", limit=50)
    assert result.succeeded == 2 * orders
    assert set(Order.objects.values_list("status", flat=True)) == {"completed"}


def test_a_subscription_in_the_batch_stays_active_when_its_steps_are_done(client):
    subscription, one_off = two_step_orders(client, 2)
    Order.objects.filter(pk=subscription.pk).update(is_subscription=True)  # set up as one

    process_due(worker="w", limit=50)

    assert fulfillment_history(subscription) == [("processing", "active")]
    assert subscription.history.get(to_status="active").reason == (
        "All steps done; the subscription keeps running"
    )
    assert fulfillment_history(one_off) == [("processing", "completed")]
