"""An order is charged once: old payment pages refuse, and a second payment is given back.

Customers cancel, resume (a new session), pay, then go Back to the first page and pay again;
two pages can also be paid at the same moment. Events are signed with a real HMAC and posted
twice, and the Stripe gateway talks over HTTP to the fake Stripe.
"""

import re

import pytest
from django.utils import timezone

from billing.models import Invoice, Refund, Subscription
from catalog.pricing import Configuration
from checkout.exceptions import CheckoutError
from checkout.models import CheckoutSession, DuplicatePayment, WebhookEvent
from checkout.services import duplicate_payment_transition, session_regenerate
from checkout.transitions import DUPLICATE_PAYMENT_TRANSITIONS
from orders.models import Order

from .factories import (
    BASE_URL,
    placed_order,
    post_event,
    run_payments_queue,
    session_event,
    subscription_product,
)
from .test_checkout_flow import add, submit
from .test_webhooks import changes_to, deliver, refund_event, reload

pytestmark = pytest.mark.django_db

REFUNDS = "/v1/refunds"


# The local hosted page -------------------------------------------------------------------


def test_back_to_the_first_page_after_resuming_and_paying_charges_nothing(client, shop):
    add(client, shop[1])
    submit(client)
    order = Order.objects.get()
    first = CheckoutSession.objects.get()
    client.post(first.url, {"action": "cancel"}, follow=True)
    assert reload(first).status == "abandoned"
    client.post(f"/checkout/orders/{order.number}/pay/")
    second = CheckoutSession.objects.get(attempt=2)
    assert reload(first).status == "expired"  # closed when the new page opened
    client.post(second.url, {"action": "pay"})
    assert reload(order).status == "processing"

    page = client.get(first.url)  # Back: the browser shows the first page again
    again = client.post(first.url, {"action": "pay"})  # and its form is posted

    for response in (page, again):
        body = response.content.decode()
        assert response.status_code == 200
        assert f"Order {order.number} is already paid. Nothing was charged here." in body
        assert 'value="pay"' not in body
    assert WebhookEvent.objects.count() == 1
    assert reload(first).status == "expired" and first.payment_status == "unpaid"
    assert Invoice.objects.filter(order=order).count() == 1
    assert not DuplicatePayment.objects.exists()


def test_the_paid_page_itself_takes_no_second_payment(client, shop):
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    client.post(session.url, {"action": "pay"})

    response = client.post(session.url, {"action": "pay"})

    assert "is already paid. Nothing was charged here." in response.content.decode()
    assert WebhookEvent.objects.count() == 1 and Invoice.objects.count() == 1


def test_an_expired_page_of_an_unpaid_order_refuses_and_points_to_the_order(client, shop):
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    client.post(session.url, {"action": "expire"})

    response = client.post(session.url, {"action": "pay_delayed"})

    body = response.content.decode()
    assert "This payment page is expired. Nothing was charged here." in body
    assert f'href="{session.order.get_absolute_url()}?session_id={session.provider_id}"' in body
    assert not reload(session.order).is_paid


# A second payment that still arrives --------------------------------------------------------


@pytest.fixture
def paid_twice(fake_stripe):
    """An order whose session was regenerated, and two paid `completed` events for it.

    The first page was paid at Stripe before its expiry reached it (two pages racing).
    """
    order, first = placed_order()
    second = session_regenerate(session_id=first.pk, base_url=BASE_URL)
    second = CheckoutSession.objects.get(pk=second.pk)
    return order, session_event(second), session_event(first)


def refund_calls(fake_stripe):
    return fake_stripe.calls("POST", REFUNDS)


def test_second_payment_is_refunded_once_and_recorded(
    client, fake_stripe, paid_twice, hand_offs, django_capture_on_commit_callbacks
):
    order, paid, paid_again = paid_twice
    deliver(client, paid)

    with django_capture_on_commit_callbacks(execute=True):
        body = deliver(client, paid_again)  # delivered twice

    assert body["outcome"] == "processed"
    reload(order)
    assert order.status == "processing" and changes_to(order, "processing") == 1
    assert order.payment_reference == paid["data"]["object"]["payment_intent"]
    assert hand_offs == [order.pk]  # fulfilled once
    assert Invoice.objects.filter(order=order).count() == 1
    assert Subscription.objects.count() == 0
    intent = paid_again["data"]["object"]["payment_intent"]
    (call,) = refund_calls(fake_stripe)
    assert call.params["payment_intent"] == intent
    assert call.params["amount"] == str(order.total_amount)
    assert call.params["reason"] == "duplicate"
    assert call.headers["Idempotency-Key"] == f"duplicate-payment-refund-{intent}"
    (refund,) = fake_stripe.refunds
    record = DuplicatePayment.objects.get()
    assert (record.order, record.session.attempt, record.payment_intent) == (order, 1, intent)
    assert (record.amount, record.currency, record.status, record.attempts) == (
        order.total_amount,
        "USD",
        "refunded",
        1,
    )
    assert record.refund_id == refund["id"] and record.refunded_at is not None
    assert record.next_attempt_at is None

    run_payments_queue()  # nothing left for the worker loops
    assert len(refund_calls(fake_stripe)) == 1


def test_refund_stripe_did_not_answer_is_retried_by_the_worker_with_the_same_key(
    client, fake_stripe, paid_twice, django_capture_on_commit_callbacks
):
    order, paid, paid_again = paid_twice
    deliver(client, paid)
    fake_stripe.fail_next(3)  # the refund and the client's two retries

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, paid_again)

    record = DuplicatePayment.objects.get()
    assert (record.status, record.attempts) == ("pending", 1)
    assert "Attempt 1: Stripe did not confirm the refund" in record.last_error
    assert record.next_attempt_at > timezone.now()
    assert not fake_stripe.refunds
    run_payments_queue()
    assert len(refund_calls(fake_stripe)) == 3  # not due yet

    DuplicatePayment.objects.update(next_attempt_at=timezone.now())
    run_payments_queue()
    run_payments_queue()

    reload(record)
    assert (record.status, record.attempts, record.last_error) == ("refunded", 2, "")
    assert len(fake_stripe.refunds) == 1
    calls = refund_calls(fake_stripe)
    assert len(calls) == 4
    assert {c.headers["Idempotency-Key"] for c in calls} == {
        f"duplicate-payment-refund-{record.payment_intent}"
    }
    assert changes_to(order, "processing") == 1 and Invoice.objects.count() == 1


def test_a_refund_whose_answer_was_lost_is_not_made_twice(
    client, fake_stripe, paid_twice, django_capture_on_commit_callbacks
):
    _, paid, paid_again = paid_twice
    deliver(client, paid)
    fake_stripe.lose_next_answer()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, paid_again)

    assert len(refund_calls(fake_stripe)) == 2  # the client's retry is replayed by the key
    (refund,) = fake_stripe.refunds
    assert DuplicatePayment.objects.get().refund_id == refund["id"]


def test_a_refused_refund_waits_for_staff_who_can_send_it_again(
    client, admin_client, fake_stripe, paid_twice, django_capture_on_commit_callbacks
):
    order, paid, paid_again = paid_twice
    deliver(client, paid)
    fake_stripe.fail_next(
        1, status=402, type="card_error", message="The card's bank declined the refund."
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, paid_again)
    record = DuplicatePayment.objects.get()
    assert (record.status, record.next_attempt_at) == ("failed", None)
    assert record.last_error == "Refused by the gateway: The card's bank declined the refund."
    run_payments_queue()
    assert len(refund_calls(fake_stripe)) == 1  # a refusal is not repeated on its own

    listing = admin_client.get("/admin/checkout/duplicatepayment/").content.decode()
    assert order.number in listing and "Refund failed: needs staff" in listing
    order_page = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert re.search(r"Paid twice: session attempt 1 charged \$[\d,.]+ again", order_page)
    assert f'<a href="/admin/checkout/duplicatepayment/{record.pk}/change/">' in order_page

    retried = admin_client.post(
        "/admin/checkout/duplicatepayment/",
        {"action": "retry_refund", "_selected_action": [record.pk]},
        follow=True,
    )
    assert (
        f"Refund of the second payment sent again with the next worker pass: {order.number}."
        in retried.content.decode()
    )
    run_payments_queue()

    assert reload(record).status == "refunded" and len(fake_stripe.refunds) == 1


def test_queued_mode_refunds_the_second_payment_from_the_worker(
    client, settings, fake_stripe, paid_twice, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    order, paid, paid_again = paid_twice
    for event in (paid, paid_again):
        for _ in range(2):
            assert post_event(client, event).json()["outcome"] == "received"
    assert not refund_calls(fake_stripe)

    with django_capture_on_commit_callbacks(execute=True):
        cycle = run_payments_queue()

    assert cycle == 2
    assert DuplicatePayment.objects.get().status == "refunded"
    assert len(refund_calls(fake_stripe)) == 1 and len(fake_stripe.refunds) == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert changes_to(order, "processing") == 1 and reload(order).status != "refunded"


def test_stripes_refund_event_for_the_second_payment_leaves_the_invoice_alone(
    client, fake_stripe, paid_twice, django_capture_on_commit_callbacks
):
    order, paid, paid_again = paid_twice
    deliver(client, paid)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, paid_again)
    second_session = DuplicatePayment.objects.get().session
    event = refund_event(second_session, refunded=[order.total_amount], with_list=False)

    assert deliver(client, event)["outcome"] == "ignored"

    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.refunded_amount) == ("paid", 0)
    assert not Refund.objects.exists() and reload(order).status == "processing"
    assert not fake_stripe.calls("GET", "/v1/invoice_payments")


def test_the_local_gateway_refunds_a_racing_second_payment_too(
    client, hand_offs, django_capture_on_commit_callbacks
):
    order, first = placed_order()
    second = session_regenerate(session_id=first.pk, base_url=BASE_URL)
    deliver(client, session_event(CheckoutSession.objects.get(pk=second.pk)))

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, session_event(first))

    record = DuplicatePayment.objects.get()
    assert record.status == "refunded" and record.refund_id.startswith("re_local_")
    assert hand_offs == [order.pk] and Invoice.objects.count() == 1


def test_a_second_subscription_is_left_to_staff(
    client, hand_offs, django_capture_on_commit_callbacks
):
    product = subscription_product()
    order, first = placed_order(products=[(product, Configuration(billing="subscription"))])
    second = session_regenerate(session_id=first.pk, base_url=BASE_URL)
    deliver(client, session_event(CheckoutSession.objects.get(pk=second.pk)))

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, session_event(first))

    record = DuplicatePayment.objects.get()
    assert (record.status, record.payment_intent, record.attempts) == ("failed", "", 0)
    assert f"A second subscription sub_{first.pk} was started" in record.last_error
    assert Subscription.objects.get().provider_id == f"sub_{second.pk}"
    assert hand_offs == [order.pk] and Invoice.objects.count() == 1


def test_a_payment_confirmed_twice_for_the_same_session_is_no_duplicate(client):
    order, session = placed_order()

    deliver(client, session_event(session))
    deliver(client, session_event(session, "checkout.session.async_payment_succeeded"))

    assert not DuplicatePayment.objects.exists() and reload(order).status == "processing"


@pytest.mark.parametrize("from_status", DuplicatePayment.Status.values)
@pytest.mark.parametrize("to_status", DuplicatePayment.Status.values)
def test_every_edge_of_the_second_payment_graph(from_status, to_status):
    order, session = placed_order()
    record = DuplicatePayment.objects.create(
        order=order, session=session, payment_intent="pi_x", amount=1, currency="USD"
    )
    DuplicatePayment.objects.filter(pk=record.pk).update(status=from_status)
    allowed = from_status == to_status or to_status in DUPLICATE_PAYMENT_TRANSITIONS[from_status]

    if allowed:
        duplicate_payment_transition(pk=record.pk, to_status=to_status, last_error="why")
        assert reload(record).status == to_status and record.last_error == "why"
    else:
        with pytest.raises(CheckoutError, match="cannot become"):
            duplicate_payment_transition(pk=record.pk, to_status=to_status)
        assert reload(record).status == from_status
