"""The order page in every state: its own headline, explanation and next action, and never a
sentence that contradicts the order's status."""

import html
import itertools
import re

import pytest

from checkout.models import CheckoutSession, PaymentStatus, SessionStatus
from checkout.order_page import order_state
from orders.models import OrderStatus

from .factories import placed_order, user
from .order_states import BUILDERS, HOLD_REASON, INTERNAL_ERROR

pytestmark = pytest.mark.django_db

BANK = "Simulated bank: confirm or reject the transfer"
# state: (headline, next actions in order, refreshes while shown)
EXPECTED = {
    "awaiting_payment": ("Your order is waiting for payment.", ["Pay now"], False),
    "abandoned": (
        "You left the payment page before paying.",
        ["Start a new payment", "Back to the shop"],
        False,
    ),
    "expired": (
        "Your payment page has expired.",
        ["Start a new payment", "Back to the shop"],
        False,
    ),
    "confirming": ("Confirming your payment…", [], True),
    "payment_pending": ("Your payment is pending.", ["Write to us", BANK], True),
    "payment_failed": (
        "Your payment did not go through.",
        ["Pay another way", "Write to us"],
        False,
    ),
    "processing": ("Thank you — your order is paid.", ["Continue shopping"], True),
    "active": ("Delivery is under way.", ["Continue shopping"], True),
    "completed": ("Your order is complete.", ["Order again", "Write to us"], False),
    "on_hold": ("Your order is on hold.", ["Ask us about this hold"], False),
    "on_hold_by_fulfillment": ("Your order is on hold.", ["Ask us about this hold"], False),
    "cancelled": ("This order was cancelled.", ["Shop again", "Write to us"], False),
    "cancelled_after_payment": ("This order was cancelled.", ["Shop again", "Write to us"], False),
    "refunded": ("This order was refunded.", ["Shop again", "Write to us"], False),
}


def order_in(state, settings):
    settings.PAYMENT_GATEWAY = "local"
    order, session = placed_order()
    BUILDERS[state](order, session)
    order.refresh_from_db()
    return order, session


def page_of(client, order, session):
    response = client.get(f"{order.get_absolute_url()}?session_id={session.provider_id}")
    assert response.status_code == 200
    return response.content.decode()


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def headline(body: str) -> str:
    return text(re.search(r"<h1>(.*?)</h1>", body, re.S).group(1))


def explanation(body: str) -> str:
    return text(re.search(r'<p class="lead">(.*?)</p>', body, re.S).group(1))


def actions(body: str) -> list[str]:
    block = re.search(r'<div class="actions">(.*?)</div>', body, re.S)
    if block is None:
        return []
    return [text(label) for label in re.findall(r"<(?:a|button)[^>]*>(.*?)</", block.group(1))]


def badge(body: str) -> str:
    return text(re.search(r'<span class="status [^"]*">(.*?)</span>', body).group(1))


@pytest.mark.parametrize("state", EXPECTED)
def test_each_state_has_its_headline_and_next_action(client, settings, state):
    order, session = order_in(state, settings)
    body = page_of(client, order, session)
    expected_headline, expected_actions, refreshes = EXPECTED[state]

    assert headline(body) == expected_headline
    assert actions(body) == expected_actions
    assert ('http-equiv="refresh"' in body) is refreshes
    assert ("js/order-status" in body) is refreshes
    assert ("Refresh now" in body) is refreshes
    assert "We have started" not in body


@pytest.mark.parametrize("state", EXPECTED)
def test_no_state_contradicts_the_order_status(client, settings, state):
    order, session = order_in(state, settings)
    body = page_of(client, order, session)
    said = f"{headline(body)} {explanation(body)}".lower()
    pay_form = f'action="/checkout/orders/{order.number}/pay/'

    if order.status == OrderStatus.PENDING:
        assert "is paid" not in said and order.paid_at is None
    else:
        assert "waiting for payment" not in said
        assert pay_form not in body
        assert "Payment session" not in body
    if order.status == OrderStatus.CANCELLED:
        assert badge(body) == "Cancelled" and "cancelled" in said
    if order.status == OrderStatus.REFUNDED:
        assert badge(body) == "Refunded" and "refunded" in said
    if "paid" in said.replace("unpaid", ""):
        assert order.status != OrderStatus.REFUNDED or "refunded" in said
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.COMPLETED):
        assert "under way" not in said and "preparing" not in said


@pytest.mark.parametrize("state", ["awaiting_payment", "abandoned", "expired", "payment_failed"])
def test_the_pay_action_opens_a_new_payment_page(client, settings, state):
    order, session = order_in(state, settings)
    body = page_of(client, order, session)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', body).group(1))

    response = client.post(action)

    latest = CheckoutSession.objects.filter(order=order).order_by("-attempt").first()
    assert latest.status == SessionStatus.OPEN
    assert response.status_code == 302 and response["Location"] == latest.url
    assert "Pay $" in client.get(latest.url).content.decode()


def test_a_staff_hold_shows_its_reason_and_a_fulfillment_hold_shows_no_error(client, settings):
    order, session = order_in("on_hold", settings)
    assert HOLD_REASON in explanation(page_of(client, order, session))

    order, session = order_in("on_hold_by_fulfillment", settings)
    said = explanation(page_of(client, order, session))
    assert "needs our team's attention" in said
    assert INTERNAL_ERROR not in page_of(client, order, session)
    assert "502" not in said


def test_a_cancelled_order_that_was_paid_says_the_payment_goes_back(client, settings):
    order, session = order_in("cancelled_after_payment", settings)
    assert "Your payment for it goes back to you" in explanation(page_of(client, order, session))
    order, session = order_in("cancelled", settings)
    assert "Nothing was charged." in explanation(page_of(client, order, session))


@pytest.mark.parametrize("state", EXPECTED)
def test_the_state_endpoint_names_the_state_the_page_shows(client, settings, state):
    order, session = order_in(state, settings)
    body = page_of(client, order, session)
    answer = client.get(
        f"/checkout/orders/{order.number}/state/?session_id={session.provider_id}"
    ).json()
    assert answer["headline"] == headline(body)
    assert f'data-order-state="{answer["state"]}"' in body
    assert (answer["refresh_seconds"] is not None) is EXPECTED[state][2]


def test_the_state_endpoint_tells_a_stranger_nothing(client, settings):
    order, _ = order_in("processing", settings)
    client.force_login(user("stranger"))
    response = client.get(f"/checkout/orders/{order.number}/state/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert (
        client.get(f"/checkout/orders/{order.number}/state/?session_id=cs_local_x").status_code
        == 404
    )


def test_every_status_combination_has_a_state_and_final_orders_ignore_the_session():
    sessions = [None, *SessionStatus.values]
    payments = [None, *PaymentStatus.values]
    for status, paid, session, payment in itertools.product(
        OrderStatus.values, (False, True), sessions, payments
    ):
        state = order_state(
            order_status=status, is_paid=paid, session_status=session, payment_status=payment
        )
        assert state.headline and state.explanation
        if status != OrderStatus.PENDING:
            assert state.key == status
            assert all(action.kind != "pay" for action in state.actions)
        elif paid:
            assert state.key == "processing"
