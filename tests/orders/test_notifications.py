import socket
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders.models import NotificationPreference, OrderNotification
from orders.notifications import LEASE_SECONDS, RETRY, notifications_send_due
from orders.services import order_transition
from tests.checkout.factories import placed_order

pytestmark = pytest.mark.django_db


def paid_order():
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="processing", source="test")
    return order


def test_status_change_e_mails_the_client_from_the_worker_loop():
    order = paid_order()
    assert mail.outbox == []  # the request that changed the status does not wait for SMTP
    assert notifications_send_due() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [order.email]
    assert order.number in message.subject and "We received your payment" in message.subject
    assert order.get_absolute_url() in message.body
    html = message.alternatives[0][0]
    assert "<strong>Processing</strong>" in html
    notification = OrderNotification.objects.get()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.claimed_until is None and notification.sent_at is not None
    assert notifications_send_due() == 0  # never twice


def test_a_rolled_back_status_change_leaves_no_e_mail_behind():
    order, _ = placed_order()
    try:
        with transaction.atomic():
            order_transition(order_id=order.pk, to_status="processing", source="test")
            raise RuntimeError("payment handler failed")
    except RuntimeError:
        pass
    assert not OrderNotification.objects.exists()
    assert notifications_send_due() == 0


def test_client_who_opted_out_gets_no_order_e_mails():
    order, _ = placed_order()
    NotificationPreference.objects.create(user=order.user, order_updates=False)
    order_transition(order_id=order.pk, to_status="processing", source="test")
    notifications_send_due()
    assert mail.outbox == []
    assert OrderNotification.objects.get().status == "skipped"


def test_the_mail_server_receives_the_e_mail_over_smtp(fake_smtp):
    order = paid_order()
    assert notifications_send_due() == 1
    [accepted] = fake_smtp.accepted
    assert accepted.recipients == (order.email,)
    assert order.number in fake_smtp.subjects()[0]
    assert accepted.message.is_multipart()  # text and HTML


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_an_unreachable_mail_server_is_retried_with_backoff_and_never_breaks_the_order(
    fake_smtp, settings
):
    order = paid_order()
    settings.EMAIL_PORT = closed_port()
    before = timezone.now()
    assert notifications_send_due() == 1
    notification = OrderNotification.objects.get()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in notification.last_error
    # First retry after a minute with equal jitter: between 30 and 60 s from now.
    assert before + timedelta(seconds=30) <= notification.next_attempt_at
    assert notification.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    assert notifications_send_due() == 0  # not due yet
    order.refresh_from_db()
    assert order.status == "processing"

    settings.EMAIL_PORT = fake_smtp.port
    OrderNotification.objects.update(next_attempt_at=timezone.now())
    assert notifications_send_due() == 1
    assert len(fake_smtp.accepted) == 1
    assert OrderNotification.objects.get().status == "sent"


def test_after_the_last_attempt_the_e_mail_fails_for_good(fake_smtp, settings):
    paid_order()
    settings.EMAIL_PORT = closed_port()
    for _ in range(RETRY.max_attempts):
        OrderNotification.objects.update(next_attempt_at=timezone.now())
        assert notifications_send_due() == 1
    notification = OrderNotification.objects.get()
    assert (notification.status, notification.attempts) == ("failed", RETRY.max_attempts)
    OrderNotification.objects.update(next_attempt_at=timezone.now())
    assert notifications_send_due() == 0


def left_by_a_dead_sender(*, attempts: int, lease_left: timedelta) -> OrderNotification:
    """The state a sender that died after claiming leaves behind."""
    OrderNotification.objects.update(
        status="sending", attempts=attempts, claimed_until=timezone.now() + lease_left
    )
    return OrderNotification.objects.get()


def test_the_e_mail_of_a_sender_that_died_is_sent_once_its_lease_runs_out(fake_smtp):
    paid_order()
    left_by_a_dead_sender(attempts=1, lease_left=timedelta(seconds=LEASE_SECONDS - 1))
    assert notifications_send_due() == 0  # the lease still runs: the sender may be alive

    left_by_a_dead_sender(attempts=1, lease_left=timedelta(seconds=-1))
    assert notifications_send_due() == 1
    notification = OrderNotification.objects.get()
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert len(fake_smtp.accepted) == 1


def test_a_sender_that_died_during_the_last_attempt_fails_the_e_mail(fake_smtp):
    paid_order()
    left_by_a_dead_sender(attempts=RETRY.max_attempts, lease_left=timedelta(seconds=-1))
    assert notifications_send_due() == 1
    notification = OrderNotification.objects.get()
    assert notification.status == "failed" and "lease expired" in notification.last_error
    assert fake_smtp.accepted == []


def test_sending_refuses_to_run_inside_a_transaction():
    paid_order()
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications_send_due()
    assert OrderNotification.objects.get().status == "pending"


def test_cancellation_is_announced_once():
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="cancelled", source="test")
    assert OrderNotification.objects.get().to_status == "cancelled"
    assert OrderNotification.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the slow sender runs in a thread of its own
def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_worker_that_took_over(fake_smtp):
    paid_order()
    fake_smtp.stall_next(2)
    slow = threading.Thread(target=notifications_send_due)
    slow.start()
    assert fake_smtp.stall_started.wait(timeout=10)
    # The slow sender's lease runs out while it waits for the mail server; another worker
    # takes the e-mail over and sends it.
    OrderNotification.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert notifications_send_due() == 1
    recorded = OrderNotification.objects.values_list("status", "attempts", "sent_at").get()
    slow.join(timeout=10)

    assert recorded[:2] == ("sent", 2)
    # The slow sender's late answer changes nothing: the record is the new worker's.
    assert OrderNotification.objects.values_list("status", "attempts", "sent_at").get() == recorded
    assert len(fake_smtp.accepted) == 2  # at least once: the price of a lost lease
    assert notifications_send_due() == 0


def a_minute_passes():
    OrderNotification.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(seconds=61))


def test_status_changes_within_a_minute_reach_the_client_as_one_e_mail(settings):
    settings.NOTIFY_COMBINE_SECONDS = 60
    order = paid_order()
    order_transition(order_id=order.pk, to_status="active", source="test")
    assert notifications_send_due() == 0  # not yet: a following change may still come
    a_minute_passes()
    notifications_send_due()
    (message,) = mail.outbox
    assert "Delivery has started" in message.subject
    assert "Since our last e-mail: We received your payment" in message.body
    assert sorted(OrderNotification.objects.values_list("to_status", "status")) == [
        ("active", "sent"),
        ("processing", "combined"),
    ]


def test_a_change_after_the_e_mail_went_out_gets_its_own_e_mail(settings):
    settings.NOTIFY_COMBINE_SECONDS = 60
    order = paid_order()
    a_minute_passes()
    notifications_send_due()
    order_transition(order_id=order.pk, to_status="active", source="test")
    a_minute_passes()
    notifications_send_due()
    assert ["We received" in m.subject for m in mail.outbox] == [True, False]
    assert "Since our last e-mail" not in mail.outbox[1].body
