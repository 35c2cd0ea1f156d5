"""Instagram insights after Meta removed `impressions` (2025-04-21): the adapter asks for
`views` as a total_value metric, and a metric Graph refuses never costs the rest of the
snapshot. Against the fake Graph API over real HTTP."""

import pytest
import requests
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fulfillment.adapters import StepContext
from fulfillment.adapters.instagram import InstagramAdapter
from fulfillment.models import AnalyticsSnapshot
from fulfillment.processor import process_due

from .factories import paid_order, product_with_plan
from .test_adapters import INSTAGRAM_STEP

pytestmark = pytest.mark.django_db

USER_ID, TOKEN = "17841400000000001", "IGQWRtest-access-token"


def insight_calls(fake_graph) -> list[str]:
    return [call["metric"] for call in fake_graph.calls(f"{USER_ID}/insights")]


def test_views_is_asked_for_as_a_total_value_and_stored(client, fake_graph):
    order = paid_order(client, product_with_plan(INSTAGRAM_STEP))
    process_due(worker="test-worker")
    snapshot = AnalyticsSnapshot.objects.get(order=order)
    assert (snapshot.reach, snapshot.views, snapshot.profile_views) == (1_234, 2_745, 101)
    assert insight_calls(fake_graph) == ["reach,views,profile_views"]
    assert fake_graph.calls(f"{USER_ID}/insights")[0]["metric_type"] == "total_value"
    assert order.tasks.get().result == {"username": "target.account"}


def test_graph_refuses_impressions_and_the_adapter_never_asks_for_it(fake_graph):
    refused = requests.get(
        f"{fake_graph.url}/{USER_ID}/insights",
        params={"metric": "reach,impressions", "period": "day", "access_token": TOKEN},
        timeout=5,
    )
    assert refused.status_code == 400
    assert "metric[1] must be one of" in refused.json()["error"]["message"]

    adapter = InstagramAdapter(base_url=fake_graph.url, token=TOKEN)
    context = StepContext(
        task_id=1,
        order_number="T-1",
        run=1,
        idempotency_key="task-1-run-1",
        target="@target.account",
        quantity=1,
        parameters={"ig_user_id": USER_ID},
    )
    outcome = adapter.run(context)
    assert outcome.snapshot.views == 2_745
    assert insight_calls(fake_graph) == ["reach,impressions", "reach,views,profile_views"]


def test_one_refused_metric_keeps_the_others_in_the_snapshot(client, fake_graph):
    fake_graph.refuse("views")  # e.g. the app lost the permission for it
    order = paid_order(client, product_with_plan(INSTAGRAM_STEP))
    result = process_due(worker="test-worker")
    assert result.succeeded == 1
    snapshot = AnalyticsSnapshot.objects.get(order=order)
    assert (snapshot.followers, snapshot.reach, snapshot.profile_views) == (15_230, 1_234, 101)
    assert snapshot.views is None  # not measured, rather than a made-up zero
    task = order.tasks.get()
    assert task.status == "succeeded"
    assert task.result == {"username": "target.account", "refused_metrics": ["views"]}
    # The whole request first, then each metric alone once Graph refused it.
    assert insight_calls(fake_graph) == [
        "reach,views,profile_views",
        "reach",
        "views",
        "profile_views",
    ]


def test_every_metric_refused_still_keeps_the_account_figures(client, fake_graph):
    fake_graph.refuse("reach", "views", "profile_views")
    order = paid_order(client, product_with_plan(INSTAGRAM_STEP))
    process_due(worker="test-worker")
    snapshot = AnalyticsSnapshot.objects.get(order=order)
    assert (snapshot.followers, snapshot.reach, snapshot.views) == (15_230, None, None)
    assert order.tasks.get().result["refused_metrics"] == ["reach", "views", "profile_views"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_stored_impressions_as_views():
    before, after = [("fulfillment", "0005_task_target")], [("fulfillment", "0006_snapshot_views")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    owner = old.get_model("auth", "User").objects.create(username="old-client")
    order = old.get_model("orders", "Order").objects.create(
        number="OLD-1",
        user=owner,
        email="o@example.com",
        name="Old",
        currency="USD",
        subtotal_amount=100,
        total_amount=100,
    )
    old.get_model("fulfillment", "AnalyticsSnapshot").objects.create(
        order=order,
        account="@old",
        captured_on="2025-04-01",
        followers=10,
        impressions=2_745,
        source="instagram",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    assert AnalyticsSnapshot.objects.get(account="@old").views == 2_745
