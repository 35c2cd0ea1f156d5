"""A run lost mid-step (its worker stopped, or its lease ran out, before it recorded anything)
may have sent a provider `add` that placed the order. The run that takes the task over never
sends it again: the step waits for staff, who look on the panel. Steps whose first call is
harmless to repeat (the sandbox) simply run again, and an order already placed is still polled.

A lost run here is the real claim and the real adapter call against the fake panel over HTTP,
with nothing recorded; the takeover claims at a time after the lease.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from fulfillment.models import FulfillmentTask
from fulfillment.processor import process_due, tasks_claim_due, tasks_record, tasks_run
from fulfillment.services import task_force_complete, task_retry_now
from orders.services import order_release_hold

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 0},
}
SANDBOX_STEP = {
    "name": "Deliver likes",
    "kind": "delivery",
    "adapter": "sandbox",
    "parameters": {"units": 400, "progress_steps": 2},
}
LOST = (
    "The previous run stopped during its call to the provider (its worker stopped or its lease "
    "ran out before the answer was recorded). The panel may have placed this order, so it was "
    "not sent again. Look on the panel for service 1, quantity 500, link @target.account: if it "
    "is there, force-complete this step; if it is not, retry the step."
)


@pytest.fixture
def staff():
    return get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-12345")


def lose_a_run():
    """A worker claims the due tasks and runs their steps, then dies before recording."""
    tasks_run(tasks_claim_due(worker="doomed", limit=10))


def take_over_after_the_lease():
    """Another worker's claim, a second after the lost run's lease ran out."""
    lease_end = FulfillmentTask.objects.aggregate(end=Max("lease_expires_at"))["end"]
    batch = tasks_claim_due(worker="survivor", limit=10, now=lease_end + timedelta(seconds=1))
    return tasks_record("survivor", tasks_run(batch))


def run_again_and_again(times=5):
    for _ in range(times):
        FulfillmentTask.objects.filter(status="queued").update(
            due_at=timezone.now() - timedelta(seconds=1)
        )
        process_due(worker="survivor")


def test_the_run_after_a_lost_add_waits_for_staff_and_a_sandbox_step_runs_again(
    client, fake_panel, settings, staff
):
    order = paid_order(client, product_with_plan(PANEL_STEP, SANDBOX_STEP))
    lose_a_run()
    assert len(fake_panel.calls("add")) == 1 and list(fake_panel.orders) == [23501]

    result = take_over_after_the_lease()

    assert (result.claimed, result.waiting, result.progressed) == (2, 1, 1)
    assert len(fake_panel.calls("add")) == 1, "the panel was asked to place the order again"
    panel, sandbox = order.tasks.order_by("position")
    assert (panel.status, panel.remote_id, panel.last_error) == ("waiting_staff", "", LOST)
    assert list(panel.attempt_log.values_list("worker", "outcome")) == [
        ("doomed", "lost"),
        ("survivor", "waiting"),
    ]
    assert (sandbox.status, sandbox.remote_id) == ("queued", f"sbx-{sandbox.pk}")
    assert list(sandbox.attempt_log.values_list("outcome", flat=True)) == ["lost", "progress"]

    run_again_and_again()
    assert len(fake_panel.calls("add")) == 1
    panel.refresh_from_db()
    order.refresh_from_db()
    assert (panel.status, order.status) == ("waiting_staff", "active")

    # Staff find order 23501 on the panel: the step is done, and the order completes.
    task_force_complete(task_id=panel.pk, actor=staff, reason="Found 23501 on the panel")
    run_again_and_again()
    order.refresh_from_db()
    assert order.status == "completed"
    assert len(fake_panel.calls("add")) == 1


def test_a_run_lost_while_polling_a_placed_order_is_followed_by_more_polls(
    client, fake_panel, settings
):
    order = paid_order(client, product_with_plan(PANEL_STEP))
    process_due(worker="first")  # `add` answered and recorded: order 23501
    FulfillmentTask.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    lose_a_run()  # a `status` poll whose answer was never recorded

    take_over_after_the_lease()
    run_again_and_again()

    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.remote_id, task.delivered) == ("succeeded", "23501", 500)
    assert order.status == "completed"
    assert len(fake_panel.calls("add")) == 1 and len(fake_panel.calls("status")) == 3


def test_a_takeover_handed_back_unrun_still_does_not_send_the_add(client, fake_panel, settings):
    order = paid_order(client, product_with_plan(PANEL_STEP))
    lose_a_run()
    lease = settings.FULFILLMENT_LEASE_SECONDS
    settings.FULFILLMENT_LEASE_SECONDS = 0  # the takeover's deadline passes before the step runs
    assert take_over_after_the_lease().released == 1
    settings.FULFILLMENT_LEASE_SECONDS = lease

    run_again_and_again()

    task = order.tasks.get()
    assert (task.status, task.last_error) == ("waiting_staff", LOST)
    assert len(fake_panel.calls("add")) == 1


def test_staff_who_retry_a_handed_back_takeover_now_send_the_add(
    client, fake_panel, settings, staff
):
    settings.PROVIDER_HTTP_TIMEOUT = 0.2
    fake_panel.hang_next()  # the lost `add` placed nothing
    order = paid_order(client, product_with_plan(PANEL_STEP))
    lose_a_run()
    lease = settings.FULFILLMENT_LEASE_SECONDS
    settings.FULFILLMENT_LEASE_SECONDS = 0
    take_over_after_the_lease()
    settings.FULFILLMENT_LEASE_SECONDS = lease
    task = order.tasks.get()
    assert task.status == "queued"

    task_retry_now(task_id=task.pk, actor=staff, reason="Not on the panel")
    run_again_and_again()

    task.refresh_from_db()
    assert (task.status, task.remote_id) == ("succeeded", "23501")
    assert len(fake_panel.calls("add")) == 2 and list(fake_panel.orders) == [23501]


def test_a_lost_add_on_the_last_attempt_asks_staff_again_after_the_hold_is_released(
    client, fake_panel, settings, staff
):
    """Releasing an order's hold re-queues its dead letters, but a lost `add` is only sent
    again by a staff "Retry now" on that step."""
    settings.PROVIDER_HTTP_TIMEOUT = 0.2
    fake_panel.hang_next()  # the lost `add` placed nothing
    order = paid_order(client, product_with_plan({**PANEL_STEP, "max_attempts": 1}))
    lose_a_run()
    take_over_after_the_lease()
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, order.status) == ("dead", "on_hold")

    order_release_hold(order_id=order.pk, actor=staff, reason="Checked the step")
    run_again_and_again()
    task.refresh_from_db()
    assert (task.status, task.last_error) == ("waiting_staff", LOST)
    assert len(fake_panel.calls("add")) == 1 and fake_panel.orders == {}

    # Nothing on the panel: staff retry, and exactly one more `add` places the order.
    task_retry_now(task_id=task.pk, actor=staff, reason="Not on the panel")
    run_again_and_again()
    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.remote_id, task.delivered) == ("succeeded", "23501", 500)
    assert len(fake_panel.calls("add")) == 2 and list(fake_panel.orders) == [23501]
    assert order.status == "completed"
