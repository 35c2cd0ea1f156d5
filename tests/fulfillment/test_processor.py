from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.models import AnalyticsSnapshot, FulfillmentTask, TaskAttempt
from fulfillment.processor import Ran, process_due, tasks_claim_due, tasks_record

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

SANDBOX = {
    "name": "Deliver",
    "kind": "delivery",
    "adapter": "sandbox",
    "parameters": {"units": 400, "progress_steps": 2},
}
ANALYTICS = {
    "name": "Snapshot",
    "kind": "analytics",
    "adapter": "sandbox",
    "parameters": {"analytics": True},
}


def run_until_idle(now_shift=timedelta(0), limit=20):
    """Process batches, moving due tasks forward in time as the processor would wait."""
    total = 0
    for _ in range(limit):
        FulfillmentTask.objects.filter(status="queued").update(
            due_at=timezone.now() - timedelta(seconds=1)
        )
        result = process_due(worker="test-worker")
        total += result.claimed
        if not result.claimed:
            break
    return total


def test_payment_creates_one_task_per_step_per_line_in_the_same_transaction(client):
    product = product_with_plan(SANDBOX, ANALYTICS)
    other = product_with_plan()
    order = paid_order(client, product, other)
    names = list(order.tasks.order_by("position").values_list("name", "status"))
    assert names == [("Deliver", "queued"), ("Snapshot", "queued"), ("No-op", "queued")]


def test_product_without_a_plan_gets_a_manual_step(client):
    from tests.catalog.factories import ProductFactory

    order = paid_order(client, ProductFactory())
    task = order.tasks.get()
    assert task.adapter == "manual"
    process_due(worker="w")
    task.refresh_from_db()
    assert task.status == "waiting_staff"


def test_order_advances_by_itself_to_completed_with_progress_and_analytics(client):
    order = paid_order(client, product_with_plan(SANDBOX, ANALYTICS))
    assert order.status == "processing"
    process_due(worker="w")
    order.refresh_from_db()
    assert order.status == "active"
    delivery = order.tasks.get(name="Deliver")
    assert (delivery.remote_id, delivery.quantity, delivery.delivered, delivery.remains) == (
        f"sbx-{delivery.pk}",
        400,
        0,
        400,
    )
    run_until_idle()
    order.refresh_from_db()
    delivery.refresh_from_db()
    assert order.status == "completed"
    assert (delivery.delivered, delivery.remains, delivery.status) == (400, 0, "succeeded")
    assert AnalyticsSnapshot.objects.filter(order=order, account="@target.account").count() == 1
    assert list(order.history.values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "processing"),
        ("processing", "active"),
        ("active", "completed"),
    ]
    assert TaskAttempt.objects.filter(task=delivery).count() == delivery.runs == 3


def test_tasks_not_yet_due_are_not_claimed(client):
    product = product_with_plan({**SANDBOX, "delay_seconds": 3600})
    paid_order(client, product)
    assert tasks_claim_due(worker="w", limit=10) == []


def test_claimed_task_is_not_claimed_again_until_its_lease_expires(client, settings):
    paid_order(client, product_with_plan())
    first = tasks_claim_due(worker="a", limit=10)
    assert len(first) == 1 and first[0].locked_by == "a"
    assert tasks_claim_due(worker="b", limit=10) == []
    later = timezone.now() + timedelta(seconds=settings.FULFILLMENT_LEASE_SECONDS + 1)
    again = tasks_claim_due(worker="b", limit=10, now=later)
    assert [t.pk for t in again] == [first[0].pk]
    assert again[0].runs == 2 and again[0].attempts == 2  # the dead worker's attempt counts


def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(client, settings):
    order = paid_order(client, product_with_plan())
    stale = tasks_claim_due(worker="slow", limit=10)
    later = timezone.now() + timedelta(seconds=settings.FULFILLMENT_LEASE_SECONDS + 1)
    tasks_claim_due(worker="fast", limit=10, now=later)

    result = tasks_record("slow", [Ran(stale[0], 0, 1.0)])
    assert result.lost == 1
    assert order.tasks.get().locked_by == "fast"


def test_steps_left_when_half_the_lease_is_gone_are_handed_back_unrun(client, settings):
    order = paid_order(client, product_with_plan({**SANDBOX}, {**SANDBOX, "name": "Second"}))
    settings.FULFILLMENT_LEASE_SECONDS = 0  # the deadline has passed before the first step
    result = process_due(worker="slow")
    assert result.claimed == 2 and result.released == 2
    tasks = list(order.tasks.all())
    assert {(t.status, t.attempts, t.locked_by, t.remote_id) for t in tasks} == {
        ("queued", 0, "", "")
    }
    assert set(TaskAttempt.objects.values_list("outcome", flat=True)) == {"released"}
