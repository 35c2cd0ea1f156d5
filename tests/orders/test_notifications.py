import pytest
from django.core import mail

from orders.models import NotificationPreference, OrderNotification
from orders.notifications import notification_send, notifications_send_due
from orders.services import order_transition
from tests.checkout.factories import placed_order

pytestmark = pytest.mark.django_db


def test_status_change_e_mails_the_client_from_the_worker_loop():
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="processing", source="test")
    assert mail.outbox == []  # the request that changed the status does not wait for SMTP
    assert notifications_send_due() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [order.email]
    assert order.number in message.subject and "We received your payment" in message.subject
    assert order.get_absolute_url() in message.body
    html = message.alternatives[0][0]
    assert "<strong>Processing</strong>" in html
    assert OrderNotification.objects.get().status == "sent"


def test_a_rolled_back_status_change_leaves_no_e_mail_behind():
    from django.db import transaction

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


def test_a_failing_mail_server_is_retried_and_never_breaks_the_order(settings, monkeypatch):
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="processing", source="test")
    notification = OrderNotification.objects.get()

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert notification_send(notification_id=notification.pk) == "pending"
    notification.refresh_from_db()
    assert notification.attempts == 1 and "smtp down" in notification.last_error
    assert notification.next_attempt_at > notification.created_at
    order.refresh_from_db()
    assert order.status == "processing"

    monkeypatch.undo()
    OrderNotification.objects.update(next_attempt_at=notification.created_at)
    assert notifications_send_due() == 1
    assert len(mail.outbox) == 1
    assert notification_send(notification_id=notification.pk) == "not pending"  # never twice


def test_cancellation_is_announced_once():
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="cancelled", source="test")
    assert OrderNotification.objects.get().to_status == "cancelled"
    assert OrderNotification.objects.count() == 1
