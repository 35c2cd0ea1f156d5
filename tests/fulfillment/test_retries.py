"""Retries, dead letters and staff actions, end to end.

Steps call fake outside services on 127.0.0.1 through the real adapters. Instead of sleeping,
a test moves the processor's clock to the moment a task is due, and checks it is not picked
up a moment earlier.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.utils import timezone

from fulfillment.models import AnalyticsSnapshot, FulfillmentTask, TaskEvent, TaskStatus
from fulfillment.processor import process_due
from fulfillment.services import (
    TaskActionError,
    task_force_complete,
    task_retry_now,
    task_skip,
)
from fulfillment.transitions import STAFF_TASK_ACTIONS, TASK_ACTIONS
from orders.exceptions import InvalidTransition, ReasonRequired
from orders.models import Order, OrderStatus
from orders.services import order_put_on_hold, order_release_hold, order_transition
from orders.transitions import ORDER_TRANSITIONS

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 30},
    "max_attempts": 4,
    "backoff_base_seconds": 10,
    "backoff_cap_seconds": 25,
}
# attempt n failed → the next one is due after base * 2**(n-1) (capped), minus up to half.
BACKOFF = [(1, 10), (2, 20), (3, 25)]
MANUAL_STEP = {
    "name": "Check the account by hand",
    "kind": "review",
    "adapter": "manual",
    "parameters": {"instructions": "Check that the account is public."},
}
GRAPH_STEP = {
    "name": "Daily analytics",
    "kind": "analytics",
    "adapter": "instagram",
    "backoff_base_seconds": 10,
}


class Clock:
    """The processor's `timezone.now()`, moved forward by tests instead of sleeping."""

    def __init__(self, monkeypatch):
        self.offset = timedelta(0)
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def travel_to(self, moment):
        self.offset += moment - timezone.now()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def make_staff(username="ops", *perms):
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.com", password="pw-ops-12345", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    return user


@pytest.fixture
def staff():
    """A staff member who may look after orders in the admin."""
    return make_staff("ops", "view_order", "change_order")


def run_at(clock, moment):
    clock.travel_to(moment)
    return process_due(worker="test-worker")


def run_until_settled(clock, limit=10):
    """Let time pass to each next due task until nothing is queued any more."""
    for _ in range(limit):
        task = FulfillmentTask.objects.filter(status="queued").order_by("due_at").first()
        if task is None:
            return
        run_at(clock, max(task.due_at, timezone.now()))
    raise AssertionError("tasks were still queued")


def history(order):
    return list(order.history.values_list("from_status", "to_status"))


def dead_lettered(client, fake_panel, **step):
    """A paid order whose panel step failed once too often: the order is on hold."""
    fake_panel.fail_next(1, status=429)
    order = paid_order(client, product_with_plan({**PANEL_STEP, "max_attempts": 1, **step}))
    process_due(worker="test-worker")
    order.refresh_from_db()
    task = order.tasks.get()
    assert (order.status, task.status) == ("on_hold", "dead")
    return order, task


def assert_requeued_by(staff, order, task, reason):
    event = task.events.get(source="staff")
    assert (event.actor, event.action, event.from_status, event.to_status, event.reason) == (
        staff,
        "requeue_dead",
        "dead",
        "queued",
        reason,
    )
    back = order.history.get(from_status="on_hold")
    assert (back.to_status, back.source, back.actor) == ("processing", "staff", staff)
    assert back.reason == reason
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("queued", 0)


# Backoff and dead letters -------------------------------------------------------------------


def test_a_failing_step_backs_off_then_is_dead_lettered_and_the_order_held(
    client, fake_panel, clock
):
    fake_panel.fail_next(4, status=429)
    order = paid_order(client, product_with_plan(PANEL_STEP))
    task = order.tasks.get()

    assert process_due(worker="test-worker").retried == 1  # the first attempt, right away
    for attempt, delay in BACKOFF:
        task.refresh_from_db()
        tried = task.attempt_log.get(run=attempt)
        assert (task.status, task.attempts, task.runs) == ("queued", attempt, attempt)
        assert (tried.outcome, tried.worker) == ("retry", "test-worker")
        assert tried.error == "provider answered HTTP 429"
        assert task.last_error == "RetryableError: provider answered HTTP 429"
        wait = (task.due_at - tried.finished_at).total_seconds()
        assert delay / 2 <= wait <= delay
        assert run_at(clock, task.due_at - timedelta(seconds=1)).claimed == 0  # not yet due
        assert run_at(clock, task.due_at).claimed == 1

    task.refresh_from_db()
    assert (task.status, task.attempts, task.runs) == ("dead", 4, 4)
    assert task.finished_at is not None
    assert list(task.attempt_log.values_list("outcome", flat=True)) == ["retry"] * 3 + ["dead"]
    assert len(fake_panel.calls("add")) == 4
    order.refresh_from_db()
    assert order.status == "on_hold"
    hold = order.history.get(to_status="on_hold")
    assert hold.source == "fulfillment"
    assert hold.reason == (
        "Step “Deliver followers” failed: RetryableError: provider answered HTTP 429"
    )
    # A dead letter stays put: nothing runs it again by itself.
    assert run_at(clock, timezone.now() + timedelta(days=2)).claimed == 0
    assert len(fake_panel.calls("add")) == 4


def test_releasing_the_hold_requeues_a_dead_letter_and_the_order_completes(
    client, fake_panel, clock, staff
):
    order, task = dead_lettered(client, fake_panel)

    released = order_release_hold(order_id=order.pk, actor=staff, reason="The panel is back up")

    assert released.status == "active"  # the step had run before: delivery is under way
    assert_requeued_by(staff, order, task, reason="The panel is back up")
    run_until_settled(clock)
    task.refresh_from_db()
    order.refresh_from_db()
    # The dead run, placing the order, then Pending → In progress → Completed.
    assert (task.status, task.runs, task.attempts) == ("succeeded", 5, 0)
    assert (task.remote_id, task.quantity, task.delivered, task.remains) == ("23501", 500, 500, 0)
    assert task.last_error == ""
    assert order.status == "completed"
    assert history(order) == [
        ("", "pending"),
        ("pending", "processing"),
        ("processing", "on_hold"),  # its only attempt failed
        ("on_hold", "processing"),  # staff released the hold, which re-queued it…
        ("processing", "active"),  # …and the step had run before, so delivery is under way
        ("active", "completed"),
    ]
    assert [c["quantity"] for c in fake_panel.calls("add")] == ["500", "500"]
    assert list(fake_panel.orders) == [23501]


def test_staff_release_the_hold_from_the_order_admin_and_dead_letters_run_again(
    client, fake_panel, clock, staff
):
    order, task = dead_lettered(client, fake_panel)
    client.force_login(staff)

    response = client.post(
        "/admin/orders/order/",
        {"action": "release_hold", "_selected_action": [order.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        ("success", f"{order.number}: hold released, now active.")
    ]
    assert_requeued_by(staff, order, task, reason="Hold released")
    run_until_settled(clock)
    order.refresh_from_db()
    assert order.status == "completed"


def test_staff_who_may_only_view_orders_cannot_release_from_the_admin(client, fake_panel):
    order, task = dead_lettered(client, fake_panel)
    client.force_login(make_staff("viewer", "view_order"))

    client.post(
        "/admin/orders/order/",
        {"action": "release_hold", "_selected_action": [order.pk]},
    )

    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, order.status) == ("dead", "on_hold")
    assert not TaskEvent.objects.filter(source="staff").exists()


def test_a_permanent_error_is_dead_lettered_at_once(client, fake_panel, clock):
    fake_panel.script(("Canceled", 0, 500))
    order = paid_order(client, product_with_plan(PANEL_STEP))
    process_due(worker="test-worker")  # placed at the panel
    task = order.tasks.get()

    run_at(clock, task.due_at)  # the panel reports it cancelled

    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.attempts, task.max_attempts) == ("dead", 1, 4)
    assert task.last_error == "PermanentError: The provider canceled order 23501."
    assert list(task.attempt_log.values_list("outcome", flat=True)) == ["progress", "dead"]
    assert order.status == "on_hold"
    assert "Deliver followers" in order.history.get(to_status="on_hold").reason
    assert run_at(clock, timezone.now() + timedelta(days=2)).claimed == 0


def test_a_rate_limited_step_waits_at_least_as_long_as_it_was_told(client, fake_graph, clock):
    fake_graph.rate_limit_next(retry_after=600)
    order = paid_order(client, product_with_plan(GRAPH_STEP))

    assert process_due(worker="test-worker").retried == 1

    task = order.tasks.get()
    tried = task.attempt_log.get()
    assert (task.due_at - tried.finished_at).total_seconds() >= 600  # backoff alone: ≤ 10 s
    assert task.last_error.startswith("RetryableError: Instagram rate limit")
    assert run_at(clock, tried.finished_at + timedelta(seconds=599)).claimed == 0
    assert run_at(clock, task.due_at).succeeded == 1
    order.refresh_from_db()
    assert order.status == "completed"
    assert AnalyticsSnapshot.objects.get(order=order).followers == 15_230


# Staff actions -------------------------------------------------------------------------------


def test_a_manual_step_waits_for_staff_then_the_order_completes(client, clock, staff):
    order = paid_order(client, product_with_plan(MANUAL_STEP))
    process_due(worker="test-worker")
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.last_error) == ("waiting_staff", "Check that the account is public.")
    assert task.attempt_log.get().outcome == "waiting"
    assert order.status == "active"
    assert run_at(clock, timezone.now() + timedelta(days=3)).claimed == 0  # it waits for people

    task_force_complete(task_id=task.pk, actor=staff, reason="Checked: public")

    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.last_error) == ("succeeded", "")
    event = task.events.get(source="staff")
    assert (event.actor, event.action, event.from_status, event.to_status, event.reason) == (
        staff,
        "force_complete",
        "waiting_staff",
        "succeeded",
        "Checked: public",
    )
    assert order.status == "completed"
    assert order.history.last().reason == "All steps done"


def test_releasing_the_hold_can_skip_a_dead_letter_and_the_order_completes(
    client, fake_panel, staff
):
    order, task = dead_lettered(client, fake_panel)

    order_release_hold(
        order_id=order.pk, actor=staff, reason="Client no longer wants it", retry_failed=False
    )

    task.refresh_from_db()
    order.refresh_from_db()
    assert task.status == "skipped"
    event = task.events.get(source="staff")
    assert (event.action, event.actor, event.reason) == (
        "skip_dead",
        staff,
        "Client no longer wants it",
    )
    assert order.status == "completed"
    assert history(order)[-2:] == [("on_hold", "processing"), ("processing", "completed")]
    assert order.history.get(from_status="on_hold").actor == staff
    assert process_due(worker="test-worker").claimed == 0


def test_staff_put_an_order_on_hold_with_a_reason(client, staff):
    order = paid_order(client, product_with_plan())

    order_put_on_hold(order_id=order.pk, actor=staff, reason="Client asked us to pause")

    order.refresh_from_db()
    change = order.history.last()
    assert (order.status, change.actor, change.source, change.reason) == (
        "on_hold",
        staff,
        "staff",
        "Client asked us to pause",
    )


SERVICES = {"retry_now": task_retry_now, "skip": task_skip, "force_complete": task_force_complete}
STAFF_ACTIONS = {
    name: (SERVICES[name], TASK_ACTIONS[name].from_statuses, TASK_ACTIONS[name].to_status)
    for name in STAFF_TASK_ACTIONS
}
ALLOWED = [(a, s) for a, (_, ok, _) in STAFF_ACTIONS.items() for s in TaskStatus.values if s in ok]
REFUSED = [
    (a, s) for a, (_, ok, _) in STAFF_ACTIONS.items() for s in TaskStatus.values if s not in ok
]


def task_in(client, status: str) -> FulfillmentTask:
    """Test setup: a paid order's only task, put straight into `status`."""
    order = paid_order(client, product_with_plan())
    FulfillmentTask.objects.filter(order=order).update(status=status)
    return order.tasks.get()


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=[f"{a}-from-{s}" for a, s in ALLOWED])
def test_every_allowed_staff_action_is_done_and_audited(client, staff, action, status):
    task = task_in(client, status)
    service, _, result = STAFF_ACTIONS[action]

    service(task_id=task.pk, actor=staff, reason="By hand")

    task.refresh_from_db()
    assert (task.status, task.locked_by, task.lease_expires_at) == (result, "", None)
    event = task.events.get()
    assert (event.actor, event.source, event.action, event.from_status, event.to_status) == (
        staff,
        "staff",
        action,
        status,
        result,
    )
    assert event.reason == "By hand"


@pytest.mark.parametrize(("action", "status"), REFUSED, ids=[f"{a}-from-{s}" for a, s in REFUSED])
def test_every_refused_staff_action_raises_and_changes_nothing(client, staff, action, status):
    task = task_in(client, status)
    history_before = history(task.order)
    service, _, _ = STAFF_ACTIONS[action]

    with pytest.raises(TaskActionError):
        service(task_id=task.pk, actor=staff, reason="By hand")

    after = FulfillmentTask.objects.get(pk=task.pk)
    assert (after.status, after.due_at, after.attempts, after.updated_at) == (
        task.status,
        task.due_at,
        task.attempts,
        task.updated_at,
    )
    assert not TaskEvent.objects.exists()
    assert history(task.order) == history_before


HOLD_REFUSED = [
    s for s in OrderStatus.values if s != "on_hold" and "on_hold" not in ORDER_TRANSITIONS[s]
]


@pytest.mark.parametrize("status", HOLD_REFUSED)
def test_an_order_cannot_be_put_on_hold_from_a_status_the_graph_forbids(client, staff, status):
    order = paid_order(client, product_with_plan())
    Order.objects.filter(pk=order.pk).update(status=status)  # test setup
    history_before = history(order)

    with pytest.raises(InvalidTransition):
        order_put_on_hold(order_id=order.pk, actor=staff, reason="Please pause")

    order.refresh_from_db()
    assert order.status == status
    assert history(order) == history_before


def test_putting_an_order_on_hold_needs_a_reason(client, staff):
    order = paid_order(client, product_with_plan())

    with pytest.raises(ReasonRequired):
        order_put_on_hold(order_id=order.pk, actor=staff, reason="  ")

    order.refresh_from_db()
    assert order.status == "processing"


def test_releasing_an_order_that_is_not_on_hold_is_refused(client, staff):
    order = paid_order(client, product_with_plan())

    with pytest.raises(InvalidTransition, match="is processing, not on hold"):
        order_release_hold(order_id=order.pk, actor=staff)

    order.refresh_from_db()
    assert order.status == "processing"
    assert not TaskEvent.objects.exists()


def test_dead_letters_of_a_cancelled_order_cannot_be_requeued(client, fake_panel, staff):
    order, task = dead_lettered(client, fake_panel)
    order_transition(order_id=order.pk, to_status="cancelled", source="staff", actor=staff)

    task.refresh_from_db()
    assert task.status == "cancelled"  # cancelling the order stopped its tasks
    cancelled = task.events.get(action="cancel")
    assert (cancelled.source, cancelled.actor, cancelled.from_status, cancelled.reason) == (
        "system",
        staff,
        "dead",
        "Order cancelled",
    )
    with pytest.raises(InvalidTransition):
        order_release_hold(order_id=order.pk, actor=staff)
    with pytest.raises(TaskActionError, match="is cancelled; its tasks cannot run again"):
        task_retry_now(task_id=task.pk, actor=staff)
    assert process_due(worker="test-worker").claimed == 0
    assert len(fake_panel.calls("add")) == 1


def test_a_cancelled_order_is_not_delivered(client, fake_panel, staff):
    order = paid_order(client, product_with_plan(PANEL_STEP))
    order_transition(order_id=order.pk, to_status="cancelled", source="staff", actor=staff)

    process_due(worker="test-worker")

    assert fake_panel.calls("add") == []
    order.refresh_from_db()
    assert order.status == "cancelled"


# An order on hold ----------------------------------------------------------------------------

HELD_ALLOWED = [(a, s) for a, s in ALLOWED if s != "running"]  # a held order runs nothing


def held_task(client, staff, status: str) -> FulfillmentTask:
    """A paid order's only task in `status`, the order put on hold by staff."""
    task = task_in(client, status)
    order_put_on_hold(order_id=task.order_id, actor=staff, reason="Client asked to pause")
    return task


@pytest.mark.parametrize(
    ("action", "status"), HELD_ALLOWED, ids=[f"{a}-from-{s}" for a, s in HELD_ALLOWED]
)
def test_every_task_action_on_an_order_on_hold_is_refused_until_the_hold_is_released(
    client, staff, action, status
):
    task = held_task(client, staff, status)
    history_before = history(task.order)
    service, _, _ = STAFF_ACTIONS[action]

    with pytest.raises(TaskActionError) as refused:
        service(task_id=task.pk, actor=staff, reason="By hand")

    assert refused.value.message == (
        f"Order {task.order.number} is on hold: release the hold first."
    )
    after = FulfillmentTask.objects.get(pk=task.pk)
    assert (after.status, after.updated_at) == (status, task.updated_at)
    assert not TaskEvent.objects.exists()
    task.order.refresh_from_db()
    assert task.order.status == "on_hold"
    assert history(task.order) == history_before


def test_retry_now_in_the_admin_on_a_held_order_says_to_release_the_hold(client, staff):
    """Staff press "Retry now" on a held order's task: nothing happens and they are told why;
    the task list shows the task as held, not queued."""
    task = held_task(client, staff, "queued")
    order = task.order
    client.force_login(make_staff("admin", "view_fulfillmenttask", "change_fulfillmenttask"))

    listing = client.get("/admin/fulfillment/fulfillmenttask/")
    assert '<td class="field-shown_status">Held</td>' in listing.content.decode()
    response = client.post(
        "/admin/fulfillment/fulfillmenttask/",
        {"action": "task_retry_now", "_selected_action": [task.pk]},
        follow=True,
    )

    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        (
            "warning",
            f"{order.number} · No-op: Order {order.number} is on hold: release the hold first.",
        ),
        ("warning", "Retry now: nothing changed."),
    ]
    assert process_due(worker="test-worker").claimed == 0
    order.refresh_from_db()
    assert order.status == "on_hold"
    assert not TaskEvent.objects.exists()


def test_the_order_page_and_progress_show_a_held_orders_tasks_as_held(client, staff):
    task = held_task(client, staff, "queued")
    client.force_login(make_staff("admin", "view_order", "change_order", "view_fulfillmenttask"))

    page = client.get(f"/admin/orders/order/{task.order_id}/change/").content.decode()
    progress = client.get(
        f"/api/v1/orders/{task.order.number}/progress", HTTP_X_API_KEY="dev-checkout-key"
    ).json()

    assert "Held" in page and "Queued" not in page
    assert [(s["status"], s["status_display"]) for s in progress["steps"]] == [("queued", "Held")]
    order_release_hold(order_id=task.order_id, actor=staff)
    progress = client.get(
        f"/api/v1/orders/{task.order.number}/progress", HTTP_X_API_KEY="dev-checkout-key"
    ).json()
    assert progress["steps"][0]["status_display"] == "Queued"
    assert process_due(worker="test-worker").claimed == 1


def test_a_staff_action_on_a_task_that_does_not_exist_is_refused(staff):
    with pytest.raises(TaskActionError) as refused:
        task_skip(task_id=999_999, actor=staff)

    assert (refused.value.code, refused.value.message) == ("task_not_found", "No such task.")
    assert not TaskEvent.objects.exists()
