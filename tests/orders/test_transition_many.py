"""Many orders moved in one go (`order_transition_many`, what the fulfillment processor uses
for a batch of tasks): each allowed move is recorded as `order_transition` records one, a
forbidden one is refused without stopping the rest, and the number of queries does not grow
with the number of orders."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from orders.models import OrderNotification, OrderStatus, OrderStatusChange
from orders.notifications import NOTIFY_ON
from orders.services import Move, order_transition_many
from orders.signals import order_status_changed

from .test_transitions import ORDER_EDGES, ORDER_FORBIDDEN, order_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("ops", email="ops@example.com", is_staff=True)


@pytest.fixture
def announced():
    """Every order_status_changed a listener in an upper app would receive."""
    heard = []

    def listen(sender, order, from_status, to_status, source, **kwargs):
        heard.append((order.pk, from_status, to_status, source))

    order_status_changed.connect(listen, dispatch_uid="test-listen")
    yield heard
    order_status_changed.disconnect(dispatch_uid="test-listen")


def test_every_edge_and_every_forbidden_edge_in_one_batch(staff, announced):
    allowed = [(order_in(a), a, b) for a, b in ORDER_EDGES]
    refused = [(order_in(a), a, b) for a, b in ORDER_FORBIDDEN]
    moves = [Move(order.pk, b, f"{a} to {b}") for order, a, b in allowed + refused]

    result = order_transition_many(moves=moves, source="staff", actor=staff)

    assert sorted(o.pk for o in result.moved) == sorted(o.pk for o, _, _ in allowed)
    assert set(result.refused) == {o.pk for o, _, _ in refused}
    for order, a, b in allowed:
        order.refresh_from_db()
        assert order.status == b
        change = order.history.get()
        assert (change.from_status, change.to_status, change.reason, change.actor) == (
            a,
            b,
            f"{a} to {b}",
            staff,
        )
        e_mails = list(order.notifications.values_list("to_status", flat=True))
        assert e_mails == ([b] if b in NOTIFY_ON else [])
    for order, a, _ in refused:
        error = result.refused[order.pk]
        assert error.code == "invalid_transition" and order.number in error.message
        before = order.updated_at
        order.refresh_from_db()
        assert (order.status, order.updated_at) == (a, before)
        assert not order.history.exists() and not order.notifications.exists()
    assert sorted(announced) == sorted((o.pk, a, b, "staff") for o, a, b in allowed)


def test_an_order_already_at_its_target_is_left_alone(announced):
    order = order_in(OrderStatus.ACTIVE)
    result = order_transition_many(moves=[Move(order.pk, OrderStatus.ACTIVE)], source="test")
    assert result.moved == [] and result.refused == {}
    assert not order.history.exists() and announced == []


def test_a_rolled_back_batch_leaves_no_history_and_no_e_mail():
    orders = [order_in(OrderStatus.PROCESSING) for _ in range(3)]
    with pytest.raises(RuntimeError), transaction.atomic():
        order_transition_many(
            moves=[Move(o.pk, OrderStatus.COMPLETED) for o in orders], source="test"
        )
        raise RuntimeError("the caller failed after the move")
    assert not OrderStatusChange.objects.exists() and not OrderNotification.objects.exists()
    assert {o.status for o in orders} == {OrderStatus.PROCESSING}


@pytest.mark.parametrize("count", [2, 40])
def test_moving_many_orders_costs_the_same_queries_as_moving_two(
    count, django_assert_max_num_queries
):
    orders = [order_in(OrderStatus.PROCESSING) for _ in range(count)]
    # Half complete, half become active: one UPDATE per target status.
    moves = [
        Move(o.pk, OrderStatus.COMPLETED if i % 2 else OrderStatus.ACTIVE)
        for i, o in enumerate(orders)
    ]
    # The lock, an UPDATE per target status, the e-mails, the history.
    with django_assert_max_num_queries(5):
        order_transition_many(moves=moves, source="fulfillment")
    assert OrderStatusChange.objects.count() == count
