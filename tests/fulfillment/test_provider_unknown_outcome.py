"""An `add` the panel may have acted on is never sent again by itself.

A panel that answers `add` with a 5xx, no answer in time, or a body that is not its documented
reply may still have placed the order. End to end through the processor against the fake panel
over HTTP: exactly one `add` reaches it, however often the processor runs; the task waits for
staff with the reason, which staff see in the admin; only their explicit retry sends another.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.html import escape

from fulfillment.models import FulfillmentTask
from fulfillment.processor import process_due

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 0},
    "max_attempts": 5,
}
TASKS_URL = "/admin/fulfillment/fulfillmenttask/"


def answer_500(panel):
    panel.fail_next(status=500, processed=True)  # placed, then the panel's app crashed


def time_out(panel):
    panel.hang_next(processed=True)  # placed, but the answer never comes back in time


def html_error_page(panel):
    panel.fail_next(status=200, body="<html><body>Service temporarily unavailable</body></html>")


def no_order_id(panel):
    panel.fail_next(status=200, body={"status": "ok"})


CASES = {
    "http-500": (answer_500, "Unknown outcome: provider answered HTTP 500."),
    "timeout": (time_out, "Unknown outcome: provider sent no answer within 0.2 s (ReadTimeout)."),
    "html-page": (
        html_error_page,
        "Unknown outcome: provider answered something that is not JSON.",
    ),
    "no-order-id": (no_order_id, "Unknown outcome: provider answered `add` without an order id."),
}


def run_again_and_again(times=5):
    """The processor, each time with every task's due time moved into the past."""
    for _ in range(times):
        FulfillmentTask.objects.update(due_at=timezone.now() - timedelta(minutes=5))
        process_due(worker="test-worker")


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-12345")
    client.force_login(user)
    return user


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_an_add_with_an_unknown_outcome_is_sent_once_and_waits_for_staff(
    client, fake_panel, settings, case
):
    misbehave, reason = CASES[case]
    settings.PROVIDER_HTTP_TIMEOUT = 0.2
    misbehave(fake_panel)
    order = paid_order(client, product_with_plan(PANEL_STEP))

    run_again_and_again()

    assert len(fake_panel.calls("add")) == 1, "the panel was asked to place the order again"
    assert fake_panel.calls("status") == []  # without an order id there is nothing to query
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.remote_id, task.delivered) == ("waiting_staff", "", None)
    assert order.status == "active"  # under way at best, never completed
    assert task.last_error.startswith(reason)
    assert "it was not sent again" in task.last_error
    assert "service 1, quantity 500, link @target.account" in task.last_error
    assert "force-complete this step" in task.last_error
    assert "retry the step" in task.last_error
    assert list(task.attempt_log.values_list("outcome", flat=True)) == ["waiting"]


def test_staff_see_the_reason_in_the_admin_list_and_on_the_task(client, fake_panel, staff):
    answer_500(fake_panel)
    order = paid_order(client, product_with_plan(PANEL_STEP))
    run_again_and_again(3)
    task = order.tasks.get()

    waiting = client.get(TASKS_URL, {"status__exact": "waiting_staff"})
    assert waiting.status_code == 200
    assert escape(task.last_error) in waiting.content.decode()
    page = client.get(f"{TASKS_URL}{task.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert escape(task.last_error) in body
    assert "Waiting for staff" in body


def test_only_an_explicit_staff_retry_sends_another_add(client, fake_panel, staff):
    """Staff found nothing on the panel (it failed before placing): they retry, it carries on."""
    fake_panel.fail_next(status=502)
    order = paid_order(client, product_with_plan(PANEL_STEP))
    run_again_and_again(3)
    task = order.tasks.get()
    assert len(fake_panel.calls("add")) == 1 and fake_panel.orders == {}

    client.post(TASKS_URL, {"action": "task_retry_now", "_selected_action": [str(task.pk)]})
    run_again_and_again(5)

    assert len(fake_panel.calls("add")) == 2 and list(fake_panel.orders) == [23501]
    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.remote_id, task.delivered) == ("succeeded", "23501", 500)
    assert order.status == "completed"


def test_staff_who_find_the_order_on_the_panel_force_complete_it(client, fake_panel, staff):
    answer_500(fake_panel)
    order = paid_order(client, product_with_plan(PANEL_STEP))
    run_again_and_again(3)
    assert list(fake_panel.orders) == [23501]  # the panel did place it
    task = order.tasks.get()

    client.post(TASKS_URL, {"action": "task_force_complete", "_selected_action": [str(task.pk)]})
    run_again_and_again(3)

    assert len(fake_panel.calls("add")) == 1
    order.refresh_from_db()
    assert order.status == "completed"
