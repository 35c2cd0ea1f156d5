from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

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
