"""Both status graphs, edge by edge: generated from the graphs, so a new edge is tested too.

Orders move only through `order_transition`, which records who moved them and why; a move the
graph does not allow raises and leaves no trace. Hosted checkout sessions move through
`session_transition`, where a move the graph does not allow is a silent no-op (webhooks
arrive late and out of order).
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from checkout.models import CheckoutSession, SessionStatus
from checkout.services import session_transition
from checkout.transitions import SESSION_TRANSITIONS
from orders.exceptions import InvalidTransition
from orders.models import Order, OrderStatus, OrderStatusChange
from orders.services import order_transition
from orders.transitions import ORDER_TRANSITIONS

pytestmark = pytest.mark.django_db


def edges(graph: dict, statuses: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for a in statuses for b in statuses if b in graph.get(a, ())]


def forbidden(graph: dict, statuses: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for a in statuses for b in statuses if a != b and b not in graph.get(a, ())]


def pair_ids(pairs) -> list[str]:
    return [f"{a}->{b}" for a, b in pairs]


ORDER_EDGES = edges(ORDER_TRANSITIONS, OrderStatus.values)
ORDER_FORBIDDEN = forbidden(ORDER_TRANSITIONS, OrderStatus.values)
SESSION_EDGES = edges(SESSION_TRANSITIONS, SessionStatus.values)
SESSION_FORBIDDEN = forbidden(SESSION_TRANSITIONS, SessionStatus.values)


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(
        "ops", email="ops@example.com", password="pw-ops-12345", is_staff=True
    )


def order_in(status: str) -> Order:
    """An order that is already in `status` (set up directly: no history rows yet)."""
    user = get_user_model().objects.create_user(f"buyer-{uuid.uuid4().hex[:8]}")
    return Order.objects.create(
        number=f"SMP-T-{uuid.uuid4().hex[:8]}",
        user=user,
        email="buyer@example.com",
        name="Test Buyer",
        status=status,
        currency="USD",
        subtotal_amount=10_000,
        total_amount=10_000,
    )


def session_in(status: str) -> CheckoutSession:
    order = order_in(OrderStatus.PENDING)
    return CheckoutSession.objects.create(
        order=order,
        gateway="local",
        mode="payment",
        status=status,
        idempotency_key=f"checkout-{order.number}-attempt-1",
        amount_total=order.total_amount,
        currency=order.currency,
        expires_at=timezone.now() + timedelta(hours=1),
    )


# Orders ---------------------------------------------------------------------------------


def test_the_order_graph_knows_every_status_and_only_real_ones():
    assert set(ORDER_TRANSITIONS) == set(OrderStatus.values)
    for targets in ORDER_TRANSITIONS.values():
        assert targets <= set(OrderStatus.values)


@pytest.mark.parametrize(("from_status", "to_status"), ORDER_EDGES, ids=pair_ids(ORDER_EDGES))
def test_every_order_edge_moves_the_order_and_records_who_and_why(from_status, to_status, staff):
    order = order_in(from_status)

    moved = order_transition(
        order_id=order.pk,
        to_status=to_status,
        source="staff",
        reason="Walking the graph",
        actor=staff,
    )

    order.refresh_from_db()
    assert moved.status == order.status == to_status
    change = order.history.get()
    assert (change.from_status, change.to_status, change.source, change.reason, change.actor) == (
        from_status,
        to_status,
        "staff",
        "Walking the graph",
        staff,
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"), ORDER_FORBIDDEN, ids=pair_ids(ORDER_FORBIDDEN)
)
def test_every_forbidden_order_move_raises_and_changes_nothing(from_status, to_status, staff):
    order = order_in(from_status)

    with pytest.raises(InvalidTransition) as raised:
        order_transition(
            order_id=order.pk,
            to_status=to_status,
            source="staff",
            reason="Not allowed",
            actor=staff,
        )

    assert raised.value.code == "invalid_transition"
    assert order.number in raised.value.message
    before = order.updated_at
    order.refresh_from_db()
    assert (order.status, order.updated_at) == (from_status, before)
    assert not OrderStatusChange.objects.filter(order=order).exists()


@pytest.mark.parametrize("status", OrderStatus.values)
def test_moving_an_order_to_its_own_status_is_a_silent_no_op(status, staff):
    order = order_in(status)

    same = order_transition(order_id=order.pk, to_status=status, source="staff", actor=staff)

    assert same.status == status
    assert not order.history.exists()


# Hosted checkout sessions -------------------------------------------------------------------


def test_the_session_graph_knows_every_status_and_only_real_ones():
    assert set(SESSION_TRANSITIONS) == set(SessionStatus.values)
    for targets in SESSION_TRANSITIONS.values():
        assert targets <= set(SessionStatus.values)


@pytest.mark.parametrize(("from_status", "to_status"), SESSION_EDGES, ids=pair_ids(SESSION_EDGES))
def test_every_session_edge_moves_the_session_and_stamps_the_time(from_status, to_status):
    session = session_in(from_status)

    moved, changed = session_transition(session=session.pk, to_status=to_status)

    assert changed is True
    session.refresh_from_db()
    assert moved.status == session.status == to_status
    if to_status == SessionStatus.COMPLETE:
        assert session.completed_at is not None and session.closed_at is None
    else:
        assert session.closed_at is not None and session.completed_at is None


@pytest.mark.parametrize(
    ("from_status", "to_status"), SESSION_FORBIDDEN, ids=pair_ids(SESSION_FORBIDDEN)
)
def test_every_forbidden_session_move_is_a_no_op(from_status, to_status):
    session = session_in(from_status)

    moved, changed = session_transition(session=session.pk, to_status=to_status)

    assert changed is False
    session.refresh_from_db()
    assert moved.status == session.status == from_status
    assert (session.completed_at, session.closed_at) == (None, None)


@pytest.mark.parametrize("status", SessionStatus.values)
def test_moving_a_session_to_its_own_status_changes_nothing(status):
    session = session_in(status)

    moved, changed = session_transition(session=session.pk, to_status=status)

    assert changed is False
    session.refresh_from_db()
    assert (session.status, session.completed_at, session.closed_at) == (status, None, None)
