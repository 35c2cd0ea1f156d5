"""A mail server that refuses, is down or stalls delays the order e-mail, never the shop.

A payment writes the client's order e-mail in its own transaction (`orders.notifications`);
the `emails` queue sends it later, outside any transaction, and retries a failure with
backoff (`core.delivery`). Through the storefront's local hosted payment page and Django's
SMTP backend against `FakeSMTP` on 127.0.0.1: the payment answers at once and says the order
is paid whatever the mail server does; each refusal (5xx at RCPT or at the end of DATA, a 451,
a refused connection, an answer later than EMAIL_TIMEOUT) leaves the e-mail pending with the
server's words and a later due time; once the server takes mail again the next due attempt
sends it, and it is recorded sent once. A server that refuses every attempt fails the e-mail
where operators look: Admin → Orders → Order e-mails and `/metrics`. A password-reset e-mail
the server refuses waits in the outbox with no link stored and is retried with a fresh one.

Not repeated here: `tests/backoffice/test_slow_mail_server.py` proves, with gunicorn and a
worker process, that a worker waiting 10 s on a stalled server holds no lock that a webhook
or a checkout waits for; `tests/orders/test_notifications.py` and `tests/core/test_outbox.py`
prove the queue's backoff steps and the outbox's refusals on their own.
"""

import socket
import time
from email.header import decode_header, make_header

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import OutgoingEmail
from core.outbox import emails_send_due
from orders.models import OrderNotification
from orders.notifications import RETRY, notifications_send_due
from tests.accounts.helpers import link_in
from tests.checkout.factories import placed_order
from tests.fulfillment.test_retries import Clock

pytestmark = pytest.mark.django_db

UNKNOWN_MAILBOX = "550 5.1.1 <{to}>: Recipient address rejected: User unknown"
SPAM = "554 5.7.1 Message rejected as spam"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def refuse_at_rcpt(smtp, settings, to):
    smtp.reject_next(reply=UNKNOWN_MAILBOX.format(to=to), at="RCPT")
    return lambda: None


def refuse_at_data(reply):
    def fault(smtp, settings, to):
        smtp.reject_next(reply=reply)
        return lambda: None

    return fault


def refuse_connections(smtp, settings, to):
    settings.EMAIL_PORT = closed_port()
    return lambda: setattr(settings, "EMAIL_PORT", smtp.port)


def answer_too_late(smtp, settings, to):
    settings.EMAIL_TIMEOUT = 0.3
    smtp.stall_next(1.0)

    def stall_over():
        deadline = time.monotonic() + 5
        while not smtp.accepted and time.monotonic() < deadline:
            time.sleep(0.05)

    return stall_over


# fault → (words of the server in the e-mail's error, copies the server keeps of the e-mail)
FAULTS = {
    "550-at-rcpt": (refuse_at_rcpt, "Recipient address rejected: User unknown", 1),
    "554-at-data": (refuse_at_data(SPAM), "554", 1),
    "451-at-data": (refuse_at_data("451 4.3.0 Try again later"), "451", 1),
    "connection-refused": (refuse_connections, "ConnectionRefusedError", 1),
    # The server kept the copy it answered too late for; delivery is at least once.
    "answer-after-timeout": (answer_too_late, "timed out", 2),
}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def unpaid(settings):
    """An order waiting on the storefront's local hosted payment page."""
    settings.PAYMENT_GATEWAY = "local"
    return placed_order()


def pay(client, session):
    """The buyer presses Pay: (the page they land on, seconds it took)."""
    started = time.perf_counter()
    response = client.post(session.url, {"action": "pay"}, follow=True)
    return response, time.perf_counter() - started


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_failing_mail_server_delays_the_order_e_mail_and_it_goes_out_once_it_recovers(
    client, fake_smtp, settings, clock, unpaid, fault
):
    """The payment answers at once and correctly; the e-mail's first try fails with the
    server's words and backs off; the next due try after the server recovers sends it."""
    misbehave, words, copies = FAULTS[fault]
    order, session = unpaid
    recover = misbehave(fake_smtp, settings, order.email)

    page, seconds = pay(client, session)

    assert page.status_code == 200 and "your order is paid" in page.content.decode()
    assert seconds < 1.0, seconds  # the payment never waits for the mail server
    assert fake_smtp.accepted == []
    order.refresh_from_db()
    assert order.status == "processing"

    assert notifications_send_due() == 1  # the emails queue's first try: refused
    notification = OrderNotification.objects.get()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert words in notification.last_error, notification.last_error
    wait = (notification.next_attempt_at - timezone.now()).total_seconds()
    assert RETRY.base / 2 - 1 <= wait <= RETRY.base, wait
    assert notifications_send_due() == 0  # backed off: the queue does not hammer the server
    order_page = client.get(f"{order.get_absolute_url()}?session_id={session.provider_id}")
    assert order_page.status_code == 200 and "your order is paid" in order_page.content.decode()

    recover()
    clock.travel_to(notification.next_attempt_at)
    assert notifications_send_due() == 1

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "sent",
        2,
        "",
    )
    assert len(fake_smtp.accepted) == copies
    assert all(a.recipients == (order.email,) for a in fake_smtp.accepted)
    subject = str(make_header(decode_header(fake_smtp.subjects()[-1])))
    assert subject == f"We received your payment · {order.number}"
    assert notifications_send_due() == 0


def test_a_mail_server_that_refuses_every_attempt_fails_the_e_mail_where_operators_look(
    client, fake_smtp, clock, unpaid
):
    """Five refusals over about a quarter of an hour, then Failed: listed under Admin → Orders
    → Order e-mails with the server's words, and counted on /metrics."""
    order, session = unpaid
    fake_smtp.reject_next(
        RETRY.max_attempts, reply=UNKNOWN_MAILBOX.format(to=order.email), at="RCPT"
    )
    pay(client, session)
    for _ in range(RETRY.max_attempts):
        assert notifications_send_due() == 1
        notification = OrderNotification.objects.get()
        clock.travel_to(notification.next_attempt_at)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", RETRY.max_attempts)
    assert fake_smtp.accepted == []
    assert notifications_send_due() == 0  # failed for good: nothing more is tried

    operator = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-123")
    client.force_login(operator)
    listing = client.get("/admin/orders/ordernotification/", {"status__exact": "failed"})
    assert listing.status_code == 200
    body = listing.content.decode()
    assert order.number in body and order.email in body
    assert "Recipient address rejected: User unknown" in body
    metrics = client.get("/metrics").content.decode()
    assert 'smplat_email_outbox{kind="order_update",status="failed"} 1.0' in metrics


def test_a_refused_password_reset_e_mail_is_retried_with_a_link_that_works(
    client, fake_smtp, clock
):
    """The reset page answers as always; the refused e-mail waits in the e-mail queue with
    the server's words and no link stored, and the retry carries a link made at sending."""
    account = get_user_model().objects.create_user(
        "dana", email="dana@example.com", password="an old passphrase"
    )
    fake_smtp.reject_next(reply="451 4.3.0 Try again later")

    page = client.post("/accounts/password_reset/", {"email": "dana@example.com"}, follow=True)

    assert page.status_code == 200 and "Check your e-mail" in page.content.decode()
    email = OutgoingEmail.objects.get(kind="password_reset")
    assert (email.status, email.attempts, email.to) == ("pending", 1, "dana@example.com")
    assert "451" in email.last_error
    assert email.body_text == email.body_html == ""  # no working link kept in a table
    assert fake_smtp.accepted == []

    clock.travel_to(email.next_attempt_at)
    assert emails_send_due() == 1
    (sent,) = fake_smtp.accepted
    assert sent.recipients == ("dana@example.com",)
    text = next(p for p in sent.message.walk() if p.get_content_type() == "text/plain")
    link = link_in(text.get_payload(decode=True).decode(), "/accounts/reset/")
    choose_page = client.get(link, follow=True)
    new = "a brand new passphrase"
    done = client.post(
        choose_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done["Location"] == "/accounts/reset/done/"
    account.refresh_from_db()
    assert account.check_password(new)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)


def test_a_retried_password_reset_e_mail_is_withdrawn_once_its_account_is_deactivated(
    client, fake_smtp, clock
):
    """Staff closed the account while the mail server refused: the next attempt sends nothing."""
    account = get_user_model().objects.create_user(
        "dana", email="dana@example.com", password="an old passphrase"
    )
    fake_smtp.reject_next(reply="451 4.3.0 Try again later")
    client.post("/accounts/password_reset/", {"email": "dana@example.com"})
    email = OutgoingEmail.objects.get(kind="password_reset")
    account.is_active = False
    account.save()

    clock.travel_to(email.next_attempt_at)
    assert emails_send_due() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("cancelled", 2)
    assert fake_smtp.accepted == []
