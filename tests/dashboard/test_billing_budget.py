"""The billing centre costs the same number of queries for 1 order as for 500."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.flags import BILLING_CENTRE, flag_enable
from tests.billing.factories import client_history, order_for, session_for
from tests.checkout.factories import user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

# Session and user; invoice page; checkout figures; orders awaiting payment; campaign page;
# their snapshots; the footer's site settings (cold cache). A page past the end of a list
# reads its last page once more.
BILLING_BUDGET = 12


def page_queries(client, django_assert_max_num_queries, **query) -> int:
    caches["config"].clear()  # the footer's site settings are read cold
    with (
        django_assert_max_num_queries(BILLING_BUDGET),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get("/dashboard/billing/", query)
    assert response.status_code == 200
    return len(queries)


def test_same_budget_for_one_order_and_five_hundred(client, django_assert_max_num_queries):
    small, large = user("small"), user("large")
    client_history(small, orders=1)
    client_history(large, orders=500)
    for owner in (small, large):
        session_for(order_for(owner, status="pending", paid=False))
    client.force_login(small)
    one = page_queries(client, django_assert_max_num_queries)
    client.force_login(large)
    many = page_queries(client, django_assert_max_num_queries)
    assert one == many
    # Filtered, and both lists asked for a page past their end: still within the budget.
    page_queries(client, django_assert_max_num_queries, status="paid", page=99, campaigns_page=99)


def test_printable_invoice_budget(client, django_assert_max_num_queries):
    owner = user("large")
    [order] = client_history(owner, orders=1)
    invoice = order.invoices.get()
    client.force_login(owner)
    with django_assert_max_num_queries(6):  # session, user, invoice with order, lines, the flag (2)
        assert client.get(f"/dashboard/billing/invoices/{invoice.number}/").status_code == 200


def test_the_budget_holds_with_the_flag_on_per_account(
    client, billing_centre_on, django_assert_max_num_queries
):
    billing_centre_on.delete()  # on for this account only, as staged rollouts start
    owner = user("large")
    client_history(owner, orders=500)
    flag_enable(name=BILLING_CENTRE, users=[owner])
    client.force_login(owner)
    page_queries(client, django_assert_max_num_queries, status="paid", page=99, campaigns_page=99)
