"""The order page costs a fixed number of queries, however many lines the order has."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.pricing import Configuration
from tests.catalog.factories import ProductFactory

from .factories import placed_order
from .order_states import BUILDERS

pytestmark = pytest.mark.django_db

# Order, the session-id check, latest session, lines, the footer's site settings (cold cache);
# invoice once paid; the latest hold while on hold. A signed-in visitor adds session and user.
ORDER_PAGE_BUDGET = 7


def order_with(lines: int, state: str):
    products = [
        (ProductFactory(slug=f"svc-{lines}-{n}"), Configuration(quantity=1)) for n in range(lines)
    ]
    order, session = placed_order(products=products)
    BUILDERS[state](order, session)
    return order, session


def count(client, order, session, django_assert_max_num_queries) -> int:
    caches["config"].clear()  # the footer's site settings are read cold
    with (
        django_assert_max_num_queries(ORDER_PAGE_BUDGET),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(f"{order.get_absolute_url()}?session_id={session.provider_id}")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("state", ["awaiting_payment", "payment_pending", "on_hold", "refunded"])
def test_order_page_within_budget_for_one_line_or_twelve(
    client, settings, django_assert_max_num_queries, state
):
    settings.PAYMENT_GATEWAY = "local"
    one = count(client, *order_with(1, state), django_assert_max_num_queries)
    twelve = count(client, *order_with(12, state), django_assert_max_num_queries)
    assert one == twelve
