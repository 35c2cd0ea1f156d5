"""Writes to fulfillment outside the processor loop: creating an order's tasks, staff actions on
tasks, and what cancelling or releasing an order does to its tasks. Every status change goes
through `fulfillment.transitions.tasks_move`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.audit import AuditTarget, audit_record
from core.exceptions import ApplicationError
from core.models import Via
from core.wakeups import queue_wake
from orders.models import Order, OrderStatus

from .models import FulfillmentTask, PlanStep, TaskStatus
from .processor import STOPPED_ORDER_STATUSES, orders_sync
from .transitions import STAFF_TASK_ACTIONS, TASK_ACTIONS, Change, tasks_move

# Creation ----------------------------------------------------------------------------------

MANUAL_FALLBACK = PlanStep(
    name="Fulfil by hand (no plan for this service)",
    kind="review",
    adapter="manual",
    parameters={"instructions": "This service has no fulfillment plan; deliver it by hand."},
)


def tasks_create_for_order(*, order: Order) -> int:
    """A task per plan step per account of each order line (a line of 3 accounts is three
    deliveries); runs inside the payment's transaction."""
    if order.tasks.exists():
        return 0
    now = timezone.now()
    lines = list(order.lines.all())
    steps = PlanStep.objects.filter(product_id__in={line.product_id for line in lines})
    by_product: dict[int, list[PlanStep]] = {}
    for step in steps:
        by_product.setdefault(step.product_id, []).append(step)
    tasks = []
    for line in lines:
        # A product without a plan still gets looked at: one manual step for staff.
        steps = by_product.get(line.product_id) or [MANUAL_FALLBACK]
        accounts = line.accounts
        for target, step in itertools.product(accounts, steps):
            tasks.append(
                FulfillmentTask(
                    order=order,
                    order_line=line,
                    step=step if step.pk else None,
                    target=target,
                    position=len(tasks),
                    name=f"{step.name} for {target}"[:120] if len(accounts) > 1 else step.name,
                    kind=step.kind,
                    adapter=step.adapter,
                    parameters=step.parameters,
                    max_attempts=step.max_attempts,
                    backoff_base_seconds=step.backoff_base_seconds,
                    backoff_cap_seconds=step.backoff_cap_seconds,
                    due_at=now + timedelta(seconds=step.delay_seconds),
                    quantity=line.quantity_per_target,
                )
            )
    FulfillmentTask.objects.bulk_create(tasks)
    if tasks:
        queue_wake("fulfillment")  # delivered at commit, to a worker in any process
    return len(tasks)


# Staff actions on tasks --------------------------------------------------------------------


class TaskActionError(ApplicationError):
    code = "task_action_invalid"
    status = 409


@dataclass(frozen=True)
class TaskRef:
    """A task as staff name it in messages."""

    task_id: int
    name: str
    order_number: str

    def __str__(self) -> str:
        return f"{self.order_number} · {self.name}"


@dataclass(frozen=True)
class Refusal:
    task: TaskRef
    message: str


@dataclass(frozen=True)
class ActionResult:
    moved: list[TaskRef]
    refused: list[Refusal]


def _fresh_start(now) -> dict:
    return {"due_at": now, "attempts": 0}


# Fields a staff action writes besides what its target status implies. Only "Retry now" clears
# the lost-run marker: it is the one explicit word that a step whose previous run was lost may
# send its first call again (a provider `add`); re-queued by a hold release, such a step asks
# staff first.
_ACTION_FIELDS = {
    "retry_now": lambda now: {**_fresh_start(now), "interrupted": False},
    "requeue_dead": _fresh_start,
    "force_complete": lambda now: {"last_error": ""},
}


@transaction.atomic
def tasks_act(
    *, action: str, task_ids, actor, reason: str = "", via: str = Via.SYSTEM
) -> ActionResult:
    """A staff action on any number of tasks: those it may apply to move (audited, with the
    actor and reason, in the task's history and the audit trail), the others are refused with
    a message each; then their orders follow.

    Nothing happens to a task of an order on hold: releasing the hold is the only way on.
    """
    if action not in STAFF_TASK_ACTIONS:
        raise TaskActionError(f"Unknown task action “{action}”.")
    spec = TASK_ACTIONS[action]
    now = timezone.now()
    rows = list(
        FulfillmentTask.objects.select_for_update(of=("self",))
        .filter(pk__in=task_ids)
        .order_by("pk")
        .values("pk", "name", "status", "order_id")
    )
    # Locked too (after the tasks, as the processor does): nobody puts an order on hold halfway.
    orders = {
        order["pk"]: order
        for order in Order.objects.select_for_update()
        .filter(pk__in={row["order_id"] for row in rows})
        .order_by("pk")
        .values("pk", "number", "status")
    }
    movable, refused = [], []
    for row in rows:
        order = orders[row["order_id"]]
        ref = TaskRef(row["pk"], row["name"], order["number"])
        problem = _refusal(spec, row, order)
        if problem:
            refused.append(Refusal(ref, problem))
        else:
            movable.append((ref, row))
    fields = _ACTION_FIELDS[action](now) if action in _ACTION_FIELDS else {}
    tasks_move(
        [Change(action, [row["pk"] for _, row in movable], fields, reason=reason)],
        actor=actor,
        locked={row["pk"]: row["status"] for _, row in movable},
        now=now,
    )
    orders_sync(order_ids={row["order_id"] for _, row in movable})
    audit_record(
        actor=actor,
        via=via,
        action=f"task.{action}",
        targets=[
            AuditTarget("fulfillment.FulfillmentTask", str(ref.task_id), str(ref)[:200])
            for ref, _ in movable
        ],
        detail=reason,
    )
    return ActionResult(moved=[ref for ref, _ in movable], refused=refused)


def _refusal(spec, row: dict, order: dict) -> str:
    number, order_status = order["number"], order["status"]
    if order_status == OrderStatus.ON_HOLD:
        return f"Order {number} is on hold: release the hold first."
    if order_status in STOPPED_ORDER_STATUSES and spec.to_status == TaskStatus.QUEUED:
        label = OrderStatus(order_status).label.lower()
        return f"Order {number} is {label}; its tasks cannot run again."
    if row["status"] not in spec.from_statuses:
        label = TaskStatus(row["status"]).label.lower()
        return f"Cannot {spec.label.lower()} “{row['name']}” of {number}: it is {label}."
    return ""


def _act_on_one(
    action: str, *, task_id: int, actor, reason: str, via: str = Via.SYSTEM
) -> FulfillmentTask:
    result = tasks_act(action=action, task_ids=[task_id], actor=actor, reason=reason, via=via)
    if result.refused:
        raise TaskActionError(result.refused[0].message)
    if not result.moved:
        raise TaskActionError("No such task.", code="task_not_found")
    return FulfillmentTask.objects.get(pk=task_id)


def task_retry_now(*, task_id: int, actor, reason: str = "") -> FulfillmentTask:
    """Run the task again at once with a fresh set of attempts."""
    return _act_on_one("retry_now", task_id=task_id, actor=actor, reason=reason)


@transaction.atomic
def task_retry_dead(
    *, task_id: int, actor, reason: str = "", via: str = Via.SYSTEM
) -> FulfillmentTask:
    """Run a dead-lettered task again at once with a fresh set of attempts (as "Retry now");
    a task that is not dead is refused with a message saying what it is."""
    task = (
        FulfillmentTask.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise TaskActionError("No such task.", code="task_not_found")
    if task.status != TaskStatus.DEAD:
        raise TaskActionError(
            f"“{task.name}” of {task.order.number} is {task.get_status_display().lower()}, "
            "not dead-lettered: only a dead letter can be retried here.",
            code="task_not_dead",
        )
    return _act_on_one("retry_now", task_id=task_id, actor=actor, reason=reason, via=via)


def task_skip(*, task_id: int, actor, reason: str = "") -> FulfillmentTask:
    return _act_on_one("skip", task_id=task_id, actor=actor, reason=reason)


def task_force_complete(*, task_id: int, actor, reason: str = "") -> FulfillmentTask:
    """Mark done by hand: manual steps, or work staff finished outside the system."""
    return _act_on_one("force_complete", task_id=task_id, actor=actor, reason=reason)


# What order changes do to tasks ------------------------------------------------------------


def tasks_cancel_for_order(*, order_id: int, actor=None, reason: str) -> int:
    """A cancelled or refunded order stops: its unfinished tasks are cancelled."""
    ids = FulfillmentTask.objects.filter(
        order_id=order_id, status__in=TASK_ACTIONS["cancel"].from_statuses
    ).values_list("pk", flat=True)
    return len(tasks_move([Change("cancel", list(ids), reason=reason)], actor=actor))


def tasks_resume_for_order(*, order_id: int, actor, reason: str, retry_failed: bool) -> int:
    """An order's hold was released: its dead letters run again (or are skipped), then the
    order follows its tasks. Returns the dead letters handled."""
    now = timezone.now()
    ids = FulfillmentTask.objects.filter(order_id=order_id, status=TaskStatus.DEAD).values_list(
        "pk", flat=True
    )
    change = (
        Change("requeue_dead", list(ids), _fresh_start(now), reason=reason)
        if retry_failed
        else Change("skip_dead", list(ids), reason=reason)
    )
    moved = tasks_move([change], actor=actor, now=now)
    orders_sync(order_ids={order_id})
    return len(moved)


def tasks_postpone_for_order(*, order_id: int, until) -> int:
    """Queued tasks of an order wait until `until` (demo orders kept in flight); no status
    changes, so nothing for the task graph or its history."""
    return FulfillmentTask.objects.filter(order_id=order_id, status=TaskStatus.QUEUED).update(
        due_at=until, updated_at=timezone.now()
    )
