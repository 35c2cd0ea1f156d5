from io import StringIO

import pytest
from django.core.management import call_command

from orders.models import Order, OrderStatus

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
