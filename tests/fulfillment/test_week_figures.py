"""The client's week: each account's follower change from its last figure before the week (or
its first of the week) to its last of the week, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.models import AnalyticsSnapshot
from fulfillment.selectors import client_week_figures
from tests.checkout.factories import user
from tests.dashboard.factories import bulk_orders

pytestmark = pytest.mark.django_db


def figures(order, account, **by_days_ago):
    today = timezone.localdate()
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order,
            account=account,
            captured_on=today - timedelta(days=int(ago.removeprefix("d"))),
            followers=followers,
            source="sandbox",
        )
        for ago, followers in by_days_ago.items()
    )


def test_each_account_is_measured_from_its_baseline_to_its_last_figure_of_the_week():
    owner = user("alice")
    order = bulk_orders(owner, 1, snapshot_days=0)[0]
    # Before the week (8 and 10 days ago), then inside it: from 1,050 (8 days ago) to 1,200.
    figures(order, "@before", d10=1_000, d8=1_050, d5=1_100, d0=1_200)
    # Only inside the week: from its first figure (6 days ago) to its last (1 day ago).
    figures(order, "@new", d6=500, d3=450, d1=520)
    # Nothing inside the week: no change to report.
    figures(order, "@quiet", d12=900, d9=950)
    week = client_week_figures(user=owner, week_ending=timezone.localdate())
    assert week.accounts == {"@before": 150, "@new": 20}
    assert week.follower_change == 170


def test_the_week_costs_the_same_queries_for_one_account_and_for_five_hundred(
    django_assert_max_num_queries,
):
    small, large = user("small"), user("large")
    bulk_orders(small, 1, snapshot_days=20)
    bulk_orders(large, 500, snapshot_days=20)
    today = timezone.localdate()
    with django_assert_max_num_queries(3):
        one = client_week_figures(user=small, week_ending=today)
    with django_assert_max_num_queries(3):
        many = client_week_figures(user=large, week_ending=today)
    assert len(one.accounts) == 1 and len(many.accounts) == 500
