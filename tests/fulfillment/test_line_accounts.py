"""A line always has somewhere to deliver: lines written with only their summary target (by
staff, an import or an older release) still get their tasks."""

import pytest

from catalog.pricing import Configuration
from fulfillment.services import tasks_create_for_order
from tests.checkout.factories import placed_order

from .factories import product_with_plan

pytestmark = pytest.mark.django_db


def test_a_line_without_its_list_of_accounts_is_delivered_to_its_target():
    product = product_with_plan()
    order, _ = placed_order(products=[(product, Configuration(quantity=1))])
    order.lines.update(target="@only.summary", targets=[])
    assert tasks_create_for_order(order=order) == 1
    task = order.tasks.get()
    assert task.target == "@only.summary"
    assert task.order_line.quantity_per_target == 1
