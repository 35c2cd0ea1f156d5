"""The task graph, edge by edge: generated from `TASK_TRANSITIONS` and `TASK_ACTIONS`, so a new
edge or action is tested too.

Every task status change goes through `tasks_move`, which writes a `TaskEvent` for each row it
moves; a move the graph does not allow changes nothing and leaves no trace.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fulfillment.models import FINISHED, FulfillmentTask, TaskEvent, TaskStatus
from fulfillment.processor import process_due
from fulfillment.transitions import (
    TASK_ACTIONS,
    TASK_TRANSITIONS,
    Change,
    TaskMoveConflict,
    tasks_move,
)
from orders.services import order_transition

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

NOOP = {"name": "No-op", "kind": "noop", "adapter": "noop"}

STATUSES = TaskStatus.values
EDGES = [(a, b) for a in STATUSES for b in STATUSES if b in TASK_TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a in STATUSES for b in STATUSES if b not in TASK_TRANSITIONS[a]]
ACTION_FROM = [
    (name, s)
    for name, action in TASK_ACTIONS.items()
    for s in STATUSES
    if s in action.from_statuses
]
ACTION_NOT_FROM = [
    (name, s)
    for name, action in TASK_ACTIONS.items()
    for s in STATUSES
    if s not in action.from_statuses
]


def ids(pairs) -> list[str]:
    return [f"{a}->{b}" for a, b in pairs]


def action_ids(pairs) -> list[str]:
    return [f"{action}-from-{status}" for action, status in pairs]


def actions_into(status: str) -> list[str]:
    return [name for name, action in TASK_ACTIONS.items() if action.to_status == status]


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("ops", password="pw-ops-12345", is_staff=True)


def tasks_in(client, *statuses: str) -> list[FulfillmentTask]:
    """Test setup: a paid order with a task per status, put straight into it."""
    order = paid_order(client, product_with_plan(*[NOOP] * len(statuses)))
    tasks = list(order.tasks.order_by("position"))
    for task, status in zip(tasks, statuses, strict=True):
        FulfillmentTask.objects.filter(pk=task.pk).update(
            status=status, locked_by="w" if status == "running" else ""
        )
        task.refresh_from_db()
    return tasks


def test_the_graph_knows_every_status_and_only_real_ones():
    assert set(TASK_TRANSITIONS) == set(STATUSES)
    for targets in TASK_TRANSITIONS.values():
        assert targets <= set(STATUSES)
    for status in FINISHED:
        assert TASK_TRANSITIONS[status] == frozenset()  # finished is final


@pytest.mark.parametrize(("from_status", "to_status"), EDGES, ids=ids(EDGES))
def test_every_edge_is_some_action(from_status, to_status):
    assert any(from_status in TASK_ACTIONS[name].from_statuses for name in actions_into(to_status))


@pytest.mark.parametrize(("action", "from_status"), ACTION_FROM, ids=action_ids(ACTION_FROM))
def test_every_allowed_move_moves_the_task_and_records_who_and_why(
    client, staff, action, from_status
):
    (task,) = tasks_in(client, from_status)
    to_status = TASK_ACTIONS[action].to_status

    moved = tasks_move([Change(action, [task.pk], reason="Walking the graph")], actor=staff)

    assert [(m.task_id, m.from_status, m.to_status) for m in moved] == [
        (task.pk, from_status, to_status)
    ]
    task.refresh_from_db()
    assert task.status == to_status
    if to_status != TaskStatus.RUNNING:
        assert (task.locked_by, task.lease_expires_at) == ("", None)  # only running holds a lease
    assert (task.finished_at is not None) == (to_status in (*FINISHED, TaskStatus.DEAD))
    event = task.events.get()
    assert (
        event.action,
        event.source,
        event.actor,
        event.from_status,
        event.to_status,
        event.reason,
    ) == (action, TASK_ACTIONS[action].source, staff, from_status, to_status, "Walking the graph")


@pytest.mark.parametrize(
    ("action", "from_status"), ACTION_NOT_FROM, ids=action_ids(ACTION_NOT_FROM)
)
def test_every_refused_move_changes_nothing_and_leaves_no_trace(client, action, from_status):
    (task,) = tasks_in(client, from_status)

    assert tasks_move([Change(action, [task.pk])]) == []

    after = FulfillmentTask.objects.get(pk=task.pk)
    assert (after.status, after.updated_at, after.finished_at) == (
        from_status,
        task.updated_at,
        task.finished_at,
    )
    assert not TaskEvent.objects.exists()


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=ids(FORBIDDEN))
def test_no_action_takes_a_forbidden_edge(client, from_status, to_status):
    (task,) = tasks_in(client, from_status)
    into = actions_into(to_status)
    assert into, f"nothing moves a task into {to_status}"

    for action in into:
        assert tasks_move([Change(action, [task.pk])]) == []

    task.refresh_from_db()
    assert task.status == from_status
    assert not TaskEvent.objects.exists()


def test_the_database_refuses_a_move_from_a_status_the_caller_only_believed(client):
    (task,) = tasks_in(client, "succeeded")

    # The caller says it locked a queued task; the UPDATE's status filter knows better, and the
    # caller's transaction rolls back.
    with pytest.raises(TaskMoveConflict), transaction.atomic():
        tasks_move([Change("claim", [task.pk])], locked={task.pk: "queued"})

    task.refresh_from_db()
    assert task.status == "succeeded"
    assert not TaskEvent.objects.exists()


def test_a_bulk_move_takes_the_same_queries_for_one_task_or_many(client, django_assert_num_queries):
    one = tasks_in(client, "queued")
    many = tasks_in(client, *["queued", "dead", "waiting_staff", "succeeded"] * 5)

    with django_assert_num_queries(3):  # lock, UPDATE, INSERT of the events
        assert len(tasks_move([Change("skip", [t.pk for t in one])])) == 1
    with django_assert_num_queries(3):
        assert len(tasks_move([Change("skip", [t.pk for t in many])])) == 15

    assert TaskEvent.objects.filter(action="skip").count() == 16
    assert FulfillmentTask.objects.filter(status="succeeded").count() == 5  # not skippable


def test_a_processor_batch_takes_the_same_queries_for_few_tasks_or_many(client):
    def one_order_with(n):
        paid_order(client, product_with_plan(*[NOOP] * n))

    one_order_with(1)
    process_due(worker="w")  # the counters' rows now exist
    one_order_with(2)
    with CaptureQueriesContext(connection) as few:
        assert process_due(worker="w").claimed == 2
    one_order_with(20)
    with CaptureQueriesContext(connection) as many:
        assert process_due(worker="w").claimed == 20

    assert len(many) == len(few)
    assert TaskEvent.objects.filter(source="processor").count() == 2 * 23  # claimed, succeeded


def test_every_change_a_task_goes_through_is_in_its_event_log(client, staff):
    sandbox = {
        "name": "Deliver",
        "kind": "delivery",
        "adapter": "sandbox",
        "parameters": {"units": 400, "progress_steps": 2},
    }
    manual = {"name": "Review", "kind": "review", "adapter": "manual"}
    order = paid_order(client, product_with_plan(sandbox, manual))
    for _ in range(4):
        FulfillmentTask.objects.filter(status="queued").update(
            due_at=timezone.now() - timedelta(seconds=1)
        )
        process_due(worker="w")
    order_transition(order_id=order.pk, to_status="cancelled", source="staff", actor=staff)

    delivery, review = order.tasks.order_by("position")
    for task in (delivery, review):
        chain = list(task.events.values_list("from_status", "to_status"))
        assert chain[0][0] == "queued" and chain[-1][1] == task.status
        assert all(
            a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False)
        )  # no change went unrecorded
    assert list(delivery.events.values_list("action", flat=True)) == [
        "claim",
        "progress",
        "claim",
        "progress",
        "claim",
        "succeed",
    ]
    assert list(review.events.values_list("action", "source")) == [
        ("claim", "processor"),
        ("wait_for_staff", "processor"),
        ("cancel", "system"),
    ]


def test_the_documented_graph_is_the_data():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "state-machines.md").read_text()
    documented = {
        cells[0].strip("`"): (cells[1], set(cells[2].split(", ")), cells[3])
        for line in doc.splitlines()
        if line.startswith("| `")
        and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 5
    }
    assert documented == {
        name: (action.source, set(action.from_statuses), action.to_status)
        for name, action in TASK_ACTIONS.items()
    }
