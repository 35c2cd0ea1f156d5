"""Recovery e-mails: a customer whose payment page expired or was abandoned gets one e-mail
back to payment after the delay, sent over SMTP by the e-mail queue; never twice, never once
the order is paid, never against the client's order-update preference, never for demo data."""

import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from backoffice.queues import QUEUES
from checkout.models import CheckoutSession, SessionStatus
from checkout.recovery import recovery_emails_queue, recovery_hold_back, recovery_key
from checkout.selectors import orders_left_unpaid
from checkout.services import session_regenerate, session_transition
from checkout.tasks import sweep_checkout_sessions
from core.models import DeliveryStatus, OutgoingEmail
from orders.models import OrderStatus
from orders.services import notification_preference_set, order_transition
from tests.checkout.factories import BASE_URL, placed_order
from tests.checkout.order_states import hosted

pytestmark = pytest.mark.django_db


def left_unpaid(minutes_ago=61, *, how="expire"):
    """An order whose only payment page was closed unpaid `minutes_ago` (delay: 60)."""
    order, session = placed_order()
    if how == "expire":
        hosted(session, "pay", "expire")  # the gateway's checkout.session.expired
    else:
        session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    CheckoutSession.objects.filter(pk=session.pk).update(
        closed_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return order, session


def sweep() -> int:
    return sweep_checkout_sessions()["recovery_emails"]


def send_emails() -> None:
    QUEUES["emails"].step(None)


def subject(accepted) -> str:
    return str(make_header(decode_header(accepted.message["Subject"])))


def recovery_mails(fake_smtp):
    return [a for a in fake_smtp.accepted if "waiting for you" in subject(a)]


def pay_again(order, session) -> None:
    """The customer comes back through the order page and pays on a fresh page."""
    new = session_regenerate(session_id=session.pk, base_url=BASE_URL)
    hosted(new, "pay", "pay")
    order.refresh_from_db()
    assert order.is_paid


def parts(accepted) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in accepted.message.walk()
        if not part.is_multipart()
    }


def test_an_expired_checkout_gets_one_recovery_email_with_lines_total_and_link(fake_smtp):
    order, _ = left_unpaid()
    assert sweep() == 1
    send_emails()
    [mail] = recovery_mails(fake_smtp)
    assert mail.recipients == (order.email,)
    assert subject(mail) == f"Your order is waiting for you · {order.number}"
    text = parts(mail)["text/plain"]
    assert "Your payment page expired before you paid" in text
    line = order.lines.get()
    assert f"{line.title} × {line.quantity}" in text
    assert f"Total: {order.total.format()}" in text
    assert f"/checkout/orders/{order.number}/?t=" in text
    assert "Complete your payment" in parts(mail)["text/html"]
    # The next sweeps find nothing new: one e-mail per order, ever.
    assert sweep() == 0
    send_emails()
    assert len(recovery_mails(fake_smtp)) == 1
    assert OutgoingEmail.objects.get().key == recovery_key(order.pk)


def test_an_abandoned_checkout_gets_one_too(fake_smtp):
    left_unpaid(how="abandon")
    assert sweep() == 1
    send_emails()
    [mail] = recovery_mails(fake_smtp)
    assert "You left the payment page before paying" in parts(mail)["text/plain"]


def test_the_link_opens_the_order_page_whose_button_opens_a_fresh_payment_page(fake_smtp, client):
    order, session = left_unpaid()
    sweep()
    send_emails()
    [mail] = recovery_mails(fake_smtp)
    link = re.search(r"(http\S+/checkout/orders/\S+)", parts(mail)["text/plain"]).group(1)
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)  # a fresh browser: no session, only the e-mail's link
    assert page.status_code == 200
    assert b"Start a new payment" in page.content
    resume = path.replace(f"/orders/{order.number}/", f"/orders/{order.number}/pay/")
    response = client.post(resume)
    assert response.status_code == 302
    fresh = CheckoutSession.objects.filter(order=order).order_by("-attempt").first()
    assert fresh.pk != session.pk and fresh.status == SessionStatus.OPEN
    assert response["Location"] == fresh.url
    assert client.get(fresh.url).status_code == 200  # the local gateway's payment page


def test_nothing_before_the_delay(fake_smtp):
    left_unpaid(minutes_ago=30)
    assert sweep() == 0
    assert not OutgoingEmail.objects.exists()


def test_a_delay_of_zero_sends_none(fake_smtp, settings):
    settings.CHECKOUT_RECOVERY_DELAY_MINUTES = 0
    left_unpaid(minutes_ago=600)
    assert sweep() == 0


def test_paid_before_the_delay_nothing_is_sent(fake_smtp):
    order, session = left_unpaid(minutes_ago=30)
    pay_again(order, session)
    CheckoutSession.objects.filter(pk=session.pk).update(
        closed_at=timezone.now() - timedelta(hours=2)
    )
    assert sweep() == 0
    send_emails()
    assert recovery_mails(fake_smtp) == []


def test_paid_between_queueing_and_sending_the_email_is_withdrawn(fake_smtp):
    order, session = left_unpaid()
    assert sweep() == 1
    pay_again(order, session)
    email = OutgoingEmail.objects.get(key=recovery_key(order.pk))
    assert email.status == DeliveryStatus.CANCELLED
    send_emails()
    assert recovery_mails(fake_smtp) == []
    assert sweep() == 0


def test_a_cancelled_order_gets_none(fake_smtp):
    order, _ = left_unpaid()
    order_transition(order_id=order.pk, to_status=OrderStatus.CANCELLED, source="staff")
    assert sweep() == 0


def test_a_client_who_wants_no_order_emails_gets_none(fake_smtp):
    order, _ = left_unpaid()
    notification_preference_set(
        user=order.user, order_updates=False, weekly_digest=True, marketing=False
    )
    assert sweep() == 0
    send_emails()
    assert recovery_mails(fake_smtp) == []
    email = OutgoingEmail.objects.get(key=recovery_key(order.pk))  # staff see why
    assert email.status == DeliveryStatus.CANCELLED and "no order e-mails" in email.last_error
    # Switching the preference back later does not bring an old reminder.
    notification_preference_set(
        user=order.user, order_updates=True, weekly_digest=True, marketing=False
    )
    assert sweep() == 0


def test_opting_out_after_it_was_queued_is_honoured_when_it_is_due(fake_smtp):
    order, _ = left_unpaid()
    assert sweep() == 1
    notification_preference_set(
        user=order.user, order_updates=False, weekly_digest=True, marketing=False
    )
    send_emails()
    assert recovery_mails(fake_smtp) == []
    assert OutgoingEmail.objects.get().status == DeliveryStatus.CANCELLED


def test_back_at_a_payment_page_when_it_is_due_withdraws_it(fake_smtp):
    order, session = left_unpaid()
    assert sweep() == 1
    session_regenerate(session_id=session.pk, base_url=BASE_URL)  # paying right now
    send_emails()
    assert recovery_mails(fake_smtp) == []
    assert OutgoingEmail.objects.get().status == DeliveryStatus.CANCELLED


def test_demo_orders_get_none(fake_smtp):
    order, _ = left_unpaid()
    recovery_hold_back(order=order)  # what seed_demo does for each demo order
    assert sweep() == 0
    send_emails()
    assert fake_smtp.accepted == []


def test_each_sweep_queues_a_bounded_batch(fake_smtp):
    for _ in range(3):
        left_unpaid()
    assert recovery_emails_queue(limit=2) == 2
    assert recovery_emails_queue(limit=2) == 1
    assert recovery_emails_queue(limit=2) == 0


@pytest.mark.parametrize("orders", [1, 4])
def test_finding_the_orders_costs_the_same_queries_however_many(orders, django_assert_num_queries):
    for _ in range(orders):
        left_unpaid()
    cutoff = timezone.now() - timedelta(minutes=60)
    with django_assert_num_queries(2):  # the orders with their clients, then their lines
        found = orders_left_unpaid(
            closed_between=(cutoff - timedelta(days=3), cutoff),
            unannounced_in=OutgoingEmail,
            key_prefix="checkout_recovery:",
            limit=100,
        )
        assert all(order.lines.all() and order.user.email for order in found)
    assert len(found) == orders
