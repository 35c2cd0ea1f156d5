from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from fulfillment.processor import process_due
from orders.models import Order, OrderNotification, OrderStatus
from orders.notifications import notifications_send_due

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_demo_client_orders_in_every_state_once():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    statuses = sorted(
        Order.objects.filter(user__username="client").values_list("status", flat=True)
    )
    assert statuses == sorted(OrderStatus.values)
    paid = Order.objects.filter(user__username="client").exclude(
        status__in=["pending", "cancelled"]
    )
    assert all(order.invoices.exists() for order in paid)


def test_seed_demo_sends_no_e_mail():
    call_command("seed_demo", stdout=StringIO())
    assert OrderNotification.objects.exists()  # the status changes happened for real…
    while notifications_send_due():  # …and the e-mail queue runs as it would in `make run`
        pass
    assert mail.outbox == []
    assert set(OrderNotification.objects.values_list("status", flat=True)) == {"demo"}


def test_seeded_orders_stay_in_their_state_while_the_workers_run():
    call_command("seed_demo", stdout=StringIO())
    seeded = dict(Order.objects.filter(user__username="client").values_list("pk", "status"))
    for _ in range(5):
        process_due(worker="test")
    after = dict(Order.objects.filter(user__username="client").values_list("pk", "status"))
    assert after == seeded
    assert sorted(after.values()) == sorted(OrderStatus.values)
    active = Order.objects.get(user__username="client", status="active")
    assert active.tasks.filter(status="queued", due_at__gt=timezone.now() + timedelta(days=1))
