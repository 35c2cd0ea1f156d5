"""A bank transfer on the local payment page waits for the bank, as Stripe's delayed methods do:
the order stays pending until the bank's answer arrives as a signed async_payment event."""

import pytest

from billing.models import Invoice
from checkout.models import CheckoutSession, WebhookEvent
from orders.models import Order
from orders.services import order_transition

from .factories import placed_order
from .test_checkout_flow import add, submit
from .test_webhooks import reload

pytestmark = pytest.mark.django_db


def event_types():
    return sorted(WebhookEvent.objects.values_list("type", flat=True))


@pytest.fixture
def transfer(client, shop):
    """A checked-out order paid by bank transfer on the simulated page: (order, session)."""
    add(client, shop[1])
    submit(client)
    session = CheckoutSession.objects.get()
    response = client.post(session.url, {"action": "pay_delayed"})
    assert (
        response["Location"]
        == f"{session.order.get_absolute_url()}?session_id={session.provider_id}"
    )
    return Order.objects.get(), reload(session)


def test_a_transfer_leaves_the_order_pending_until_the_bank_answers(client, transfer):
    order, session = transfer
    assert (order.status, order.paid_at) == ("pending", None)
    assert (session.status, session.payment_status) == ("complete", "processing")
    assert event_types() == ["checkout.session.completed"]
    assert WebhookEvent.objects.get().payload["data"]["object"]["payment_status"] == "unpaid"
    assert not Invoice.objects.exists()

    body = client.get(order.get_absolute_url()).content.decode()
    assert "Your payment is pending." in body
    assert f'href="{session.url}"' in body  # the simulated bank, reachable from the order


def test_the_bank_confirms_and_the_order_is_paid(client, transfer):
    order, session = transfer
    bank = client.get(session.url).content.decode()
    assert "Bank confirms the transfer" in bank and 'value="pay"' not in bank

    page = client.post(session.url, {"action": "bank_confirm"}, follow=True)

    order = reload(order)
    assert order.status == "processing" and order.paid_at
    assert event_types() == [
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
    ]
    body = page.content.decode()
    assert "Thank you — your order is paid." in body
    assert Invoice.objects.get(order=order).number in body
    assert reload(session).payment_status == "paid"


def test_the_bank_rejects_and_the_customer_pays_another_way(client, transfer):
    order, session = transfer

    page = client.post(session.url, {"action": "bank_reject"}, follow=True)

    assert "Your payment did not go through." in page.content.decode()
    assert reload(order).status == "pending" and not order.is_paid
    assert reload(session).payment_status == "failed"
    assert "checkout.session.async_payment_failed" in event_types()

    resumed = client.post(f"/checkout/orders/{order.number}/pay/")
    again = CheckoutSession.objects.get(order=order, attempt=2)
    assert resumed["Location"] == again.url
    client.post(again.url, {"action": "pay"})
    assert reload(order).status == "processing"


def test_the_bank_answers_once(client, transfer):
    order, session = transfer
    client.post(session.url, {"action": "bank_confirm"})

    again = client.post(session.url, {"action": "bank_reject"})

    assert "is already paid. Nothing was charged here." in again.content.decode()
    assert reload(order).status == "processing"
    assert WebhookEvent.objects.count() == 2 and Invoice.objects.count() == 1


def test_a_transfer_under_way_takes_no_second_payment_on_its_page(client, transfer):
    order, session = transfer
    for action in ("pay", "pay_delayed", "expire"):
        client.post(session.url, {"action": action})
    assert event_types() == ["checkout.session.completed"]
    assert reload(order).status == "pending"
    assert reload(session).payment_status == "processing"


def test_an_open_page_of_a_cancelled_order_takes_no_payment(client, settings):
    settings.PAYMENT_GATEWAY = "local"
    order, session = placed_order()
    order_transition(order_id=order.pk, to_status="cancelled", source="staff")

    response = client.post(session.url, {"action": "pay"})

    assert f"Order {order.number} is cancelled. Nothing was charged here." in (
        response.content.decode()
    )
    assert not WebhookEvent.objects.exists() and not reload(order).is_paid
