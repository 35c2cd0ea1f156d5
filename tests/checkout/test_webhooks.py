"""Stripe webhooks end to end: Stripe-shaped events, signed with a real HMAC, posted repeatedly."""

import importlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceSequence, Refund, Subscription
from catalog.pricing import Configuration
from checkout.models import CheckoutSession, RefundLookup, WebhookEvent
from checkout.services import sessions_sweep
from orders.models import Order, OrderStatusChange
from orders.services import order_transition
from orders.signals import order_paid

from .factories import (
    envelope,
    placed_order,
    post_event,
    run_payments_queue,
    session_event,
    stripe_fixture,
    stripe_signature,
    subscription_product,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/stripe"
YEAR = timezone.now().year


def deliver(client, event, *, times=2) -> dict:
    """Post one event like Stripe retrying it; every delivery must be answered 200."""
    for _ in range(times):
        response = post_event(client, event)
        assert response.status_code == 200, response.content
    return response.json()


def reload(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects if len(objects) > 1 else objects[0]


def changes_to(order, status) -> int:
    return OrderStatusChange.objects.filter(order=order, to_status=status).count()


def event_record(event) -> WebhookEvent:
    return WebhookEvent.objects.get(event_id=event["id"])


def fails_once(monkeypatch, target: str, message: str) -> None:
    """Make `target` (a dotted path) raise on its first call only."""
    module, name = target.rsplit(".", 1)
    real = getattr(importlib.import_module(module), name)
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError(message)
        return real(**kwargs)

    monkeypatch.setattr(target, flaky)


# Idempotency ------------------------------------------------------------------------


def test_one_completed_event_delivered_five_times_pays_the_order_once(client, hand_offs):
    order, session = placed_order()
    event = session_event(session)

    responses = [post_event(client, event) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert [r.json()["duplicate"] for r in responses] == [False, True, True, True, True]
    reload(order, session)
    assert order.status == "processing" and order.paid_at is not None
    assert order.payment_reference == f"pi_{session.pk}"
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert changes_to(order, "processing") == 1
    assert hand_offs == [order.pk]
    invoice = Invoice.objects.get()
    assert (invoice.order, invoice.kind, invoice.number) == (order, "order", f"INV-{YEAR}-000001")
    assert invoice.total_amount == order.total_amount and invoice.lines.count() == 1
    record = event_record(event)
    assert (record.attempts, record.outcome, record.error) == (5, "processed", "")
    assert record.type == "checkout.session.completed" and record.processing_ms is not None
    assert record.last_seen_at >= record.first_seen_at


# Rejected before anything is recorded ---------------------------------------------------


def _signed(body, **kwargs):
    return {"HTTP_STRIPE_SIGNATURE": stripe_signature(body, **kwargs)}


def forged(body):
    return body, "application/json", _signed(body, secret="whsec_someone_else")


def stale(body):
    return body, "application/json", _signed(body, timestamp=int(time.time()) - 301)


def tampered(body):
    return body.replace(b'"cus_test"', b'"cus_evil"'), "application/json", _signed(body)


def unsigned(body):
    return body, "application/json", {}


def malformed_json(body):
    return body[:-2], "application/json", _signed(body[:-2])


def not_an_event(body):
    session_object = json.dumps(json.loads(body)["data"]["object"]).encode()
    return session_object, "application/json", _signed(session_object)


def no_data_object(body):
    event = {**json.loads(body), "data": {"previous_attributes": {}}}
    payload = json.dumps(event).encode()
    return payload, "application/json", _signed(payload)


def form_encoded(body):
    return body, "application/x-www-form-urlencoded", _signed(body)


def oversized(body):
    event = json.loads(body)
    event["data"]["object"]["metadata"]["padding"] = "x" * (1024 * 1024)
    payload = json.dumps(event).encode()
    return payload, "application/json", _signed(payload)


@pytest.mark.parametrize(
    ("build", "status", "code"),
    [
        (forged, 400, "signature_invalid"),
        (stale, 400, "signature_invalid"),
        (tampered, 400, "signature_invalid"),
        (unsigned, 400, "signature_missing"),
        (malformed_json, 400, "malformed_json"),
        (not_an_event, 400, "malformed_event"),
        (no_data_object, 400, "malformed_event"),
        (form_encoded, 400, "unsupported_content_type"),
        (oversized, 413, "payload_too_large"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_rejected_deliveries_change_nothing(client, hand_offs, build, status, code):
    order, session = placed_order()
    body, content_type, headers = build(json.dumps(session_event(session)).encode())

    for _ in range(2):
        response = client.post(URL, data=body, content_type=content_type, **headers)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]

    reload(order, session)
    assert order.status == "pending" and order.paid_at is None
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert not WebhookEvent.objects.exists()
    assert not Invoice.objects.exists()
    assert hand_offs == []


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405


# Events out of order ----------------------------------------------------------------------


def test_expired_after_completed_changes_nothing(client):
    order, session = placed_order()
    deliver(client, session_event(session))

    body = deliver(
        client, session_event(session, "checkout.session.expired", payment_status="unpaid")
    )

    assert body["outcome"] == "processed"
    reload(order, session)
    assert (session.status, session.payment_status, session.closed_at) == ("complete", "paid", None)
    assert order.status == "processing" and order.is_paid
    assert Invoice.objects.count() == 1


def test_async_payment_succeeded_before_completed_pays_once(client, hand_offs):
    order, session = placed_order()

    deliver(client, session_event(session, "checkout.session.async_payment_succeeded"))
    deliver(client, session_event(session))

    reload(order, session)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert order.status == "processing" and changes_to(order, "processing") == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert hand_offs == [order.pk]


def test_delayed_payment_that_fails_leaves_the_order_unpaid(client, hand_offs):
    order, session = placed_order()

    deliver(client, session_event(session, payment_status="unpaid"))
    reload(order, session)
    assert (session.status, session.payment_status) == ("complete", "processing")
    assert order.status == "pending"

    deliver(
        client,
        session_event(session, "checkout.session.async_payment_failed", payment_status="unpaid"),
    )
    reload(order, session)
    assert (session.status, session.payment_status) == ("complete", "failed")
    assert order.status == "pending" and order.paid_at is None
    assert not Invoice.objects.exists() and hand_offs == []


def test_delayed_payment_failure_delivered_before_completed_stays_failed(client):
    order, session = placed_order()

    deliver(
        client,
        session_event(session, "checkout.session.async_payment_failed", payment_status="unpaid"),
    )
    deliver(client, session_event(session, payment_status="unpaid"))

    reload(order, session)
    assert order.status == "pending"
    assert (session.status, session.payment_status) == ("complete", "failed")


def test_delayed_payment_that_succeeds_pays_the_order(client, hand_offs):
    order, session = placed_order()
    deliver(client, session_event(session, payment_status="unpaid"))
    assert hand_offs == []

    deliver(client, session_event(session, "checkout.session.async_payment_succeeded"))

    reload(order, session)
    assert session.payment_status == "paid" and order.status == "processing"
    assert hand_offs == [order.pk] and Invoice.objects.count() == 1


def test_session_expired_by_the_sweep_is_still_paid_by_a_late_completed_event(client):
    order, session = placed_order()
    assert sessions_sweep(now=timezone.now() + timedelta(hours=3)) == {"expired": 1}
    assert reload(session).status == "expired"

    deliver(client, session_event(session))

    reload(order, session)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert order.status == "processing" and Invoice.objects.filter(order=order).count() == 1


def test_payment_arriving_for_a_cancelled_order_is_not_fulfilled(client, hand_offs):
    order, session = placed_order()
    order_transition(order_id=order.pk, to_status="cancelled", source="staff", reason="Duplicate")

    deliver(client, session_event(session))

    reload(order)
    assert order.status == "cancelled" and order.is_paid  # the payment is on record
    assert hand_offs == []


# Handler failures --------------------------------------------------------------------------


def test_failed_handler_rolls_back_and_the_retried_delivery_processes_once(client, monkeypatch):
    order, session = placed_order()
    fails_once(monkeypatch, "checkout.webhooks.invoice_create_for_order", "invoice store down")
    event = session_event(session)

    failed = post_event(client, event)

    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "handler_failed"
    assert failed.json()["error"]["event_id"] == event["id"]
    reload(order, session)
    assert order.status == "pending" and order.paid_at is None
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert changes_to(order, "processing") == 0 and not Invoice.objects.exists()
    record = event_record(event)
    assert (record.outcome, record.attempts) == ("failed", 1)
    assert record.error == "RuntimeError: invoice store down"

    retried = post_event(client, event)

    assert retried.status_code == 200 and retried.json()["duplicate"] is False
    reload(order, record)
    assert order.status == "processing" and changes_to(order, "processing") == 1
    assert Invoice.objects.get().number == f"INV-{YEAR}-000001"
    assert (record.outcome, record.attempts, record.error) == ("processed", 2, "")


def test_failing_fulfillment_hand_off_is_retried_like_any_handler(client):
    order, session = placed_order()
    received = []

    def fulfillment(sender, order, **kwargs):
        received.append(order.pk)
        if len(received) == 1:
            raise RuntimeError("fulfillment unavailable")

    order_paid.connect(fulfillment, weak=False, dispatch_uid="test-webhooks-failing-fulfillment")
    try:
        event = session_event(session)
        assert post_event(client, event).status_code == 500
        assert reload(order).status == "pending" and not Invoice.objects.exists()
        deliver(client, event)
    finally:
        order_paid.disconnect(dispatch_uid="test-webhooks-failing-fulfillment")

    assert received == [order.pk, order.pk]  # the first one was rolled back with the payment
    assert reload(order).status == "processing" and Invoice.objects.count() == 1
    assert event_record(event).attempts == 3


# Events that are not for us ------------------------------------------------------------------


def test_unknown_event_type_is_recorded_and_ignored(client):
    event = stripe_fixture("event")  # plan.created, exactly as Stripe documents it

    body = deliver(client, event)

    assert body == {
        "received": True,
        "event_id": event["id"],
        "outcome": "ignored",
        "duplicate": True,
    }
    record = event_record(event)
    assert (record.type, record.outcome, record.attempts) == ("plan.created", "ignored", 2)
    assert record.payload == event


def test_event_for_a_session_that_is_not_ours_is_ignored(client, hand_offs):
    order, _ = placed_order()
    foreign = {**stripe_fixture("checkout_session"), "status": "complete", "payment_status": "paid"}
    event = envelope("checkout.session.completed", foreign)

    assert deliver(client, event)["outcome"] == "ignored"

    assert reload(order).status == "pending"
    assert not Invoice.objects.exists() and hand_offs == []
    assert event_record(event).outcome == "ignored"


def test_session_event_without_an_id_does_not_pay_an_unopened_session(client, hand_offs):
    order, session = placed_order(open_session=False)
    assert session.provider_id is None
    foreign = {**stripe_fixture("checkout_session"), "id": None, "payment_status": "paid"}

    deliver(client, envelope("checkout.session.completed", foreign))

    assert reload(order).status == "pending" and hand_offs == []


# Subscriptions --------------------------------------------------------------------------------

PERIOD_START = 1_767_225_600  # 2026-01-01T00:00:00Z
MONTH = 30 * 24 * 3600


def invoice_event(
    subscription,
    event_type="invoice.paid",
    *,
    invoice_id,
    billing_reason="subscription_cycle",
    legacy=False,
    created=None,
):
    """Stripe's invoice fixture as a subscription invoice; `legacy` is the pre-2025 shape."""
    obj = stripe_fixture("invoice")
    paid = event_type == "invoice.paid"
    obj.update(
        id=invoice_id,
        billing_reason=billing_reason,
        status="paid" if paid else "open",
        amount_due=3_000,
        amount_paid=3_000 if paid else 0,
        amount_remaining=0 if paid else 3_000,
        customer=subscription.customer_id,
        period_start=PERIOD_START,
        period_end=PERIOD_START,
    )
    obj["lines"]["data"][0].update(
        invoice=invoice_id,
        amount=3_000,
        period={"start": PERIOD_START, "end": PERIOD_START + MONTH},
    )
    if legacy:
        obj.update(subscription=subscription.provider_id, parent=None)
    else:
        obj["parent"] = {
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": subscription.provider_id},
            "type": "subscription_details",
        }
    return envelope(event_type, obj, created=created)


def subscription_event(subscription, event_type, *, created, status="active", period_end=None):
    """Stripe's subscription fixture; current_period_end sits on the item as in newer APIs."""
    obj = stripe_fixture("subscription")
    obj.update(
        id=subscription.provider_id,
        customer=subscription.customer_id,
        status=status,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=created if status == "canceled" else None,
        ended_at=created if status == "canceled" else None,
    )
    obj["items"]["data"][0]["current_period_end"] = period_end
    return envelope(event_type, obj, created=created)


def at(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def subscribed(client):
    """A subscription order paid through Checkout: (order, session, subscription)."""
    order, session = placed_order(
        products=[(subscription_product(), Configuration(billing="subscription"))]
    )
    deliver(client, session_event(session))
    return reload(order), session, Subscription.objects.get(order=order)


def test_subscription_checkout_records_the_subscription(subscribed):
    order, session, subscription = subscribed

    assert session.mode == "subscription" and order.is_subscription
    assert order.status == "processing"
    assert (subscription.provider_id, subscription.customer_id, subscription.status) == (
        f"sub_{session.pk}",
        "cus_test",
        "active",
    )
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.total_amount) == ("order", 3_000)
    assert invoice.payment_reference == f"in_first_{session.pk}"


@pytest.mark.parametrize("legacy", [False, True], ids=["parent-subscription", "top-level"])
def test_renewal_invoice_once_per_provider_invoice(client, subscribed, legacy):
    order, _, subscription = subscribed
    event = invoice_event(subscription, invoice_id="in_cycle_1", legacy=legacy)

    deliver(client, event)
    deliver(client, {**event, "id": "evt_resent_cycle_1"})  # same invoice, another event

    renewal = Invoice.objects.get(kind="renewal")
    assert (renewal.order, renewal.provider_invoice_id) == (order, "in_cycle_1")
    assert (renewal.total_amount, renewal.currency, renewal.payment_reference) == (
        3_000,
        "USD",
        "in_cycle_1",
    )
    assert (renewal.period_start, renewal.period_end) == (
        at(PERIOD_START),
        at(PERIOD_START + MONTH),
    )
    assert renewal.number == f"INV-{YEAR}-000002"
    assert [line.description[:8] for line in renewal.lines.all()] == ["Renewal:"]

    deliver(client, invoice_event(subscription, invoice_id="in_cycle_2", legacy=legacy))
    assert Invoice.objects.filter(kind="renewal").count() == 2


def test_first_subscription_invoice_is_not_invoiced_twice(client, subscribed):
    _, session, subscription = subscribed
    event = invoice_event(
        subscription, invoice_id=f"in_first_{session.pk}", billing_reason="subscription_create"
    )

    assert deliver(client, event)["outcome"] == "processed"

    assert Invoice.objects.count() == 1


def test_failed_renewal_makes_the_subscription_past_due_until_paid(client, subscribed):
    _, _, subscription = subscribed
    now = int(time.time())

    failed = invoice_event(
        subscription, "invoice.payment_failed", invoice_id="in_cycle_1", created=now
    )
    deliver(client, failed)

    reload(subscription)
    assert subscription.status == "past_due"
    assert subscription.last_payment_error == "Renewal payment failed"
    assert not Invoice.objects.filter(kind="renewal").exists()

    deliver(client, invoice_event(subscription, invoice_id="in_cycle_1", created=now + 60))
    assert reload(subscription).status == "active"
    assert Invoice.objects.filter(kind="renewal").count() == 1


def test_subscription_updates_apply_unless_older_than_the_last_one(client, subscribed):
    _, _, subscription = subscribed
    now = int(time.time())
    newer = subscription_event(
        subscription,
        "customer.subscription.updated",
        created=now,
        status="past_due",
        period_end=now + MONTH,
    )
    older = subscription_event(
        subscription,
        "customer.subscription.updated",
        created=now - 60,
        status="active",
        period_end=now,
    )

    deliver(client, newer)
    deliver(client, older)

    reload(subscription)
    assert subscription.status == "past_due"
    assert subscription.current_period_end == at(now + MONTH)
    assert subscription.status_updated_at == at(now)


def test_deleted_subscription_is_not_resurrected_by_a_later_update(client, subscribed):
    _, _, subscription = subscribed
    now = int(time.time())

    deliver(
        client,
        subscription_event(
            subscription, "customer.subscription.deleted", created=now, status="canceled"
        ),
    )
    deliver(
        client,
        subscription_event(
            subscription, "customer.subscription.updated", created=now + 60, status="active"
        ),
    )

    reload(subscription)
    assert subscription.status == "canceled" and subscription.canceled_at == at(now)


# Refunds ----------------------------------------------------------------------------------------


def refund_event(session, *, refunded: list[int], with_list: bool):
    """charge.refunded for the session's payment; `refunded` are the refunds so far.

    Newer API versions leave `refunds` out of the charge (only `amount_refunded`); older
    ones list each refund.
    """
    charge = stripe_fixture("charge")
    total = sum(refunded)
    charge.update(
        id=f"ch_{session.pk}",
        amount=session.amount_total,
        amount_captured=session.amount_total,
        amount_refunded=total,
        captured=True,
        refunded=total == session.amount_total,
        currency=session.currency.lower(),
        payment_intent=f"pi_{session.pk}",
    )
    if with_list:
        charge["refunds"]["data"] = [
            {
                **stripe_fixture("refund"),
                "id": f"re_{session.pk}_{n}",
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "reason": "requested_by_customer",
            }
            for n, amount in enumerate(refunded)
        ]
    return envelope("charge.refunded", charge)


@pytest.mark.parametrize("with_list", [False, True], ids=["amount-only", "refund-list"])
def test_partial_then_full_refund(client, with_list):
    order, session = placed_order()
    deliver(client, session_event(session))
    invoice = Invoice.objects.get()
    partial = 5_000

    deliver(client, refund_event(session, refunded=[partial], with_list=with_list))

    reload(order, invoice)
    assert (invoice.status, invoice.refunded_amount) == ("partially_refunded", partial)
    assert order.status == "processing"
    assert Refund.objects.count() == 1

    rest = invoice.total_amount - partial
    deliver(client, refund_event(session, refunded=[partial, rest], with_list=with_list))

    reload(order, invoice)
    assert (invoice.status, invoice.refunded_amount) == ("refunded", invoice.total_amount)
    assert sorted(Refund.objects.values_list("amount", flat=True)) == sorted([partial, rest])
    assert set(Refund.objects.values_list("currency", flat=True)) == {"USD"}
    assert order.status == "refunded" and changes_to(order, "refunded") == 1


def subscription_refund(session, payment_intent, amount):
    """charge.refunded as current API versions send it for a subscription payment: the
    charge names its payment intent and customer, not its invoice."""
    event = refund_event(session, refunded=[amount], with_list=False)
    event["data"]["object"].update(
        id=f"ch_{payment_intent}", payment_intent=payment_intent, amount=amount, customer="cus_test"
    )
    assert "invoice" not in event["data"]["object"]
    return event


def test_subscription_refunds_are_matched_through_stripes_invoice_payments(
    fake_stripe, client, subscribed, django_capture_on_commit_callbacks
):
    order, session, subscription = subscribed
    deliver(client, invoice_event(subscription, invoice_id="in_cycle_1"))
    first, renewal = Invoice.objects.order_by("issued_at", "pk")
    fake_stripe.invoice_payments.update(
        {"pi_cycle_1": "in_cycle_1", "pi_first": f"in_first_{session.pk}"}
    )

    with django_capture_on_commit_callbacks() as after_commit:
        deliver(client, subscription_refund(session, "pi_cycle_1", 3_000))
    # Stripe is asked only once the event's transaction has committed.
    assert not fake_stripe.calls("GET", "/v1/invoice_payments")
    assert reload(renewal).status == "paid"
    for callback in after_commit:
        callback()

    reload(first, renewal, order)
    assert (renewal.status, renewal.refunded_amount) == ("refunded", 3_000)
    assert (first.status, first.refunded_amount) == ("paid", 0)
    assert order.status == "processing"  # one period given back, not the order
    (lookup,) = fake_stripe.calls("GET", "/v1/invoice_payments")  # once for two deliveries
    assert lookup.params["payment[type]"] == "payment_intent"
    assert lookup.params["payment[payment_intent]"] == "pi_cycle_1"

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, subscription_refund(session, "pi_first", 3_000))

    reload(first, order)
    assert (first.status, first.refunded_amount) == ("refunded", 3_000)
    assert order.status == "refunded"
    assert RefundLookup.objects.filter(done_at__isnull=False).count() == 2


def test_subscription_refund_waits_for_stripe_when_it_cannot_be_asked(
    fake_stripe, client, subscribed, django_capture_on_commit_callbacks
):
    deliver(client, invoice_event(subscribed[2], invoice_id="in_cycle_1"))
    fake_stripe.invoice_payments["pi_cycle_1"] = "in_cycle_1"
    fake_stripe.fail_next(3, status=503)  # the client's two retries included
    event = subscription_refund(subscribed[1], "pi_cycle_1", 3_000)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event)["outcome"] == "processed"  # Stripe need not resend it

    assert not Refund.objects.exists()
    lookup = RefundLookup.objects.get()
    assert lookup.attempts == 1 and lookup.next_attempt_at > timezone.now()
    assert "Attempt 1" in lookup.last_error
    assert run_payments_queue() == 0 and not Refund.objects.exists()  # not due yet

    RefundLookup.objects.update(next_attempt_at=timezone.now())
    run_payments_queue()

    assert Invoice.objects.get(kind="renewal").status == "refunded"
    reload(lookup)
    assert (lookup.attempts, lookup.next_attempt_at, lookup.last_error) == (2, None, "")
    assert len(fake_stripe.calls("GET", "/v1/invoice_payments")) == 4


def test_refund_for_a_payment_that_is_not_ours_is_ignored(client):
    order, session = placed_order()
    deliver(client, session_event(session))
    event = refund_event(session, refunded=[1_000], with_list=False)
    event["data"]["object"]["payment_intent"] = "pi_someone_else"

    assert deliver(client, event)["outcome"] == "ignored"
    assert not Refund.objects.exists()


# Invoice numbers ---------------------------------------------------------------------------------


def test_invoice_numbers_are_gapless_per_year(client, monkeypatch):
    sessions = [placed_order()[1] for _ in range(3)]
    _, subscription_session = placed_order(
        products=[(subscription_product(), Configuration(billing="subscription"))]
    )
    # The subscription payment fails after its invoice number was drawn: the number returns.
    fails_once(monkeypatch, "checkout.webhooks.subscription_record", "subscriptions down")
    late = session_event(subscription_session)
    assert post_event(client, late).status_code == 500

    for session in sessions[:2]:
        deliver(client, session_event(session))
    deliver(client, late)
    with monkeypatch.context() as m:  # paid a minute before New Year
        m.setattr(timezone, "now", lambda: datetime(YEAR - 1, 12, 31, 23, 59, tzinfo=UTC))
        deliver(client, session_event(sessions[2]))

    numbers = dict(Invoice.objects.values_list("order_id", "number"))
    expected_order = [sessions[0], sessions[1], subscription_session]
    assert [numbers[s.order_id] for s in expected_order] == [
        f"INV-{YEAR}-{n:06d}" for n in (1, 2, 3)
    ]
    assert numbers[sessions[2].order_id] == f"INV-{YEAR - 1}-000001"
    assert dict(InvoiceSequence.objects.values_list("year", "last_number")) == {
        YEAR - 1: 1,
        YEAR: 3,
    }
    assert Order.objects.filter(status="processing").count() == 4
    assert CheckoutSession.objects.filter(status="complete").count() == 4
