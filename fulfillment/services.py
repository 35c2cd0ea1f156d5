"""The fulfillment processor: task creation, claiming, running, retries and order status."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.backoff import backoff_seconds
from core.exceptions import ApplicationError
from orders.models import Order, OrderStatus
from orders.services import order_transition
from orders.transitions import can_transition

from .adapters import (
    PermanentError,
    StepContext,
    StepOutcome,
    WaitForStaff,
    get_adapter,
)
from .models import (
    FINISHED,
    AnalyticsSnapshot,
    FulfillmentTask,
    PlanStep,
    ProcessorCounter,
    TaskAttempt,
    TaskEvent,
    TaskStatus,
)
from .transitions import COMPLETABLE, RETRYABLE, SKIPPABLE

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# Creation -------------------------------------------------------------------------

MANUAL_FALLBACK = PlanStep(
    name="Fulfil by hand (no plan for this service)",
    kind="review",
    adapter="manual",
    parameters={"instructions": "This service has no fulfillment plan; deliver it by hand."},
)


def tasks_create_for_order(*, order: Order) -> int:
    """A task per plan step per order line; runs inside the payment's transaction."""
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
        for step in by_product.get(line.product_id) or [MANUAL_FALLBACK]:
            tasks.append(
                FulfillmentTask(
                    order=order,
                    order_line=line,
                    step=step if step.pk else None,
                    position=len(tasks),
                    name=step.name,
                    kind=step.kind,
                    adapter=step.adapter,
                    parameters=step.parameters,
                    max_attempts=step.max_attempts,
                    backoff_base_seconds=step.backoff_base_seconds,
                    backoff_cap_seconds=step.backoff_cap_seconds,
                    due_at=now + timedelta(seconds=step.delay_seconds),
                    quantity=line.quantity,
                )
            )
    FulfillmentTask.objects.bulk_create(tasks)
    return len(tasks)


# Claiming and running -----------------------------------------------------------


def tasks_claim_due(*, worker: str, limit: int, now=None) -> list[FulfillmentTask]:
    """Claim up to `limit` due tasks (and tasks whose worker's lease ran out) for `worker`."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            FulfillmentTask.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status=TaskStatus.QUEUED, due_at__lte=now)
                | Q(status=TaskStatus.RUNNING, lease_expires_at__lt=now)
            )
            .exclude(order__status__in=NOT_RUNNING_ORDER_STATUSES)
            .order_by("due_at", "pk")
            .values_list("pk", "status", "locked_by", "attempts", "max_attempts", "runs")[:limit]
        )
        abandoned = [row for row in rows if row[1] == TaskStatus.RUNNING]
        if abandoned:
            _record_abandoned(abandoned, now)
        ids = [row[0] for row in rows if not (row[1] == TaskStatus.RUNNING and row[3] >= row[4])]
        if not ids:
            return []
        FulfillmentTask.objects.filter(pk__in=ids).update(
            status=TaskStatus.RUNNING,
            locked_by=worker,
            lease_expires_at=now + timedelta(seconds=settings.FULFILLMENT_LEASE_SECONDS),
            started_at=Coalesce("started_at", now),
            runs=F("runs") + 1,
            attempts=F("attempts") + 1,
        )
    return list(
        FulfillmentTask.objects.filter(pk__in=ids)
        .select_related("order", "order_line")
        .order_by("due_at", "pk")
    )


STOPPED_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
# An order on hold keeps its tasks but runs none of them until staff release it.
NOT_RUNNING_ORDER_STATUSES = (*STOPPED_ORDER_STATUSES, OrderStatus.ON_HOLD)


def _record_abandoned(rows, now) -> None:
    """Runs whose worker died: logged as lost; a task that did so on its last attempt is dead."""
    TaskAttempt.objects.bulk_create(
        TaskAttempt(
            task_id=pk,
            run=runs,
            worker=locked_by,
            started_at=now,
            finished_at=now,
            outcome="lost",
            error="The worker stopped before finishing (lease expired).",
        )
        for pk, _, locked_by, _, _, runs in rows
    )
    exhausted = [pk for pk, _, _, attempts, max_attempts, _ in rows if attempts >= max_attempts]
    if exhausted:
        FulfillmentTask.objects.filter(pk__in=exhausted).update(
            status=TaskStatus.DEAD,
            finished_at=now,
            locked_by="",
            lease_expires_at=None,
            last_error="The worker stopped during the last attempt (lease expired).",
            updated_at=now,
        )
        orders_sync(
            order_ids=set(
                FulfillmentTask.objects.filter(pk__in=exhausted).values_list("order_id", flat=True)
            )
        )


def _context(task: FulfillmentTask) -> StepContext:
    line = task.order_line
    return StepContext(
        task_id=task.pk,
        order_number=task.order.number,
        run=task.runs,
        idempotency_key=task.idempotency_key,
        target=line.target if line else "",
        quantity=line.quantity if line else (task.quantity or 1),
        parameters=task.parameters or {},
        remote_id=task.remote_id,
        delivered=task.delivered,
        remains=task.remains,
        start_count=task.start_count,
    )


@dataclass
class Ran:
    task: FulfillmentTask
    started: float
    duration_ms: float
    outcome: StepOutcome | None = None
    error: Exception | None = None
    released: bool = False  # claimed but not run: handed back untouched


@dataclass
class BatchResult:
    claimed: int = 0
    succeeded: int = 0
    progressed: int = 0
    retried: int = 0
    dead: int = 0
    waiting: int = 0
    lost: int = 0
    released: int = 0
    orders: set = field(default_factory=set)


def process_due(*, worker: str | None = None, limit: int | None = None) -> BatchResult:
    """One processor loop: claim a batch, run each step, record the outcomes in one go."""
    worker = worker or worker_name()
    batch = tasks_claim_due(worker=worker, limit=limit or settings.FULFILLMENT_BATCH_SIZE)
    # Slow steps must not outlive the lease: what is left at half of it goes back unrun.
    deadline = time.monotonic() + settings.FULFILLMENT_LEASE_SECONDS / 2
    ran = []
    for task in batch:
        started = time.perf_counter()
        if time.monotonic() > deadline:
            ran.append(Ran(task, started, 0.0, released=True))
            continue
        try:
            outcome, error = get_adapter(task.adapter).run(_context(task)), None
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the task
            outcome, error = None, exc
        ran.append(Ran(task, started, (time.perf_counter() - started) * 1000, outcome, error))
    result = _record(worker, ran) if ran else BatchResult()
    counters_bump(
        loops=1,
        claimed=result.claimed,
        succeeded=result.succeeded,
        retried=result.retried,
        dead_lettered=result.dead,
    )
    return result


def _record(worker: str, ran: list[Ran]) -> BatchResult:
    now = timezone.now()
    result = BatchResult(claimed=len(ran))
    with transaction.atomic():
        mine = set(
            FulfillmentTask.objects.select_for_update(of=("self",))
            .filter(pk__in=[r.task.pk for r in ran], status=TaskStatus.RUNNING, locked_by=worker)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        attempts, plain_done = [], []
        for r in ran:
            task = r.task
            if task.pk not in mine:
                result.lost += 1  # our lease ran out and another worker took the task over
                continue
            label = _apply(task, r, now, result)
            if (
                label == "succeeded"
                and not r.outcome.progress
                and not r.outcome.result
                and not r.outcome.snapshot
            ):
                plain_done.append(task.pk)
            else:
                task.save(update_fields=_TASK_FIELDS)
            result.orders.add(task.order_id)
            attempts.append(
                TaskAttempt(
                    task=task,
                    run=task.runs,
                    worker=worker,
                    started_at=now - timedelta(milliseconds=r.duration_ms),
                    finished_at=now,
                    outcome=label,
                    error=str(r.error or "")[:2000],
                    duration_ms=r.duration_ms,
                )
            )
        if plain_done:
            FulfillmentTask.objects.filter(pk__in=plain_done).update(
                status=TaskStatus.SUCCEEDED,
                finished_at=now,
                locked_by="",
                lease_expires_at=None,
                attempts=0,
                last_error="",
                updated_at=now,
            )
        TaskAttempt.objects.bulk_create(attempts)
        orders_sync(order_ids=result.orders)
    return result


_TASK_FIELDS = [
    "status",
    "due_at",
    "attempts",
    "locked_by",
    "lease_expires_at",
    "finished_at",
    "last_error",
    "result",
    "remote_id",
    "start_count",
    "quantity",
    "delivered",
    "remains",
    "updated_at",
]


def _apply(task: FulfillmentTask, r: Ran, now, result: BatchResult) -> str:
    """Set the task's new state from what its adapter did; returns the attempt's label."""
    task.locked_by, task.lease_expires_at = "", None
    outcome, error = r.outcome, r.error
    if r.released:
        task.status, task.due_at = TaskStatus.QUEUED, now
        task.attempts = max(task.attempts - 1, 0)
        result.released += 1
        return "released"
    if outcome is not None:
        for name, value in outcome.progress.items():
            setattr(task, name, value)
        if task.quantity is not None and task.remains is not None:
            task.delivered = max(task.quantity - task.remains, 0)
        if outcome.result:
            task.result = {**task.result, **outcome.result}
        if outcome.snapshot:
            _store_snapshot(task, outcome.snapshot, now)
        task.attempts, task.last_error = 0, ""
        if outcome.done:
            task.status, task.finished_at = TaskStatus.SUCCEEDED, now
            result.succeeded += 1
            return "succeeded"
        task.status = TaskStatus.QUEUED
        poll = outcome.poll_after
        task.due_at = now + timedelta(
            seconds=settings.FULFILLMENT_POLL_SECONDS if poll is None else poll
        )
        result.progressed += 1
        return "progress"
    if isinstance(error, WaitForStaff):
        task.status, task.last_error = TaskStatus.WAITING_STAFF, str(error)[:2000]
        task.attempts = 0
        result.waiting += 1
        return "waiting"
    task.last_error = f"{error.__class__.__name__}: {error}"[:2000]
    # Any error but a permanent one is retried: outside services fail in unforeseen ways.
    if isinstance(error, PermanentError) or task.attempts >= task.max_attempts:
        task.status, task.finished_at = TaskStatus.DEAD, now
        result.dead += 1
        return "dead"
    delay = backoff_seconds(
        attempt=task.attempts, base=task.backoff_base_seconds, cap=task.backoff_cap_seconds
    )
    retry_after = getattr(error, "retry_after", None)
    task.status = TaskStatus.QUEUED
    task.due_at = now + timedelta(seconds=max(delay, retry_after or 0))
    result.retried += 1
    return "retry"


def _store_snapshot(task: FulfillmentTask, snapshot, now) -> None:
    AnalyticsSnapshot.objects.update_or_create(
        order_id=task.order_id,
        account=snapshot.account[:100],
        captured_on=now.date(),
        defaults={
            "followers": snapshot.followers,
            "follows": snapshot.follows,
            "media_count": snapshot.media_count,
            "reach": snapshot.reach,
            "impressions": snapshot.impressions,
            "profile_views": snapshot.profile_views,
            "source": task.adapter,
        },
    )


# Order status from task outcomes ---------------------------------------------------------


def orders_sync(*, order_ids) -> None:
    """Advance each order from its tasks: active once work starts, completed when all is done,
    on hold when a task is dead-lettered."""
    if not order_ids:
        return
    # Lock the orders first: two workers finishing an order's last tasks at once then see each
    # other's results instead of each deciding from a half-finished picture.
    locked = list(
        Order.objects.select_for_update()
        .filter(pk__in=order_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tasks: dict[int, list[tuple]] = {}
    for order_id, status, runs, name, error in FulfillmentTask.objects.filter(
        order_id__in=order_ids
    ).values_list("order_id", "status", "runs", "name", "last_error"):
        tasks.setdefault(order_id, []).append((status, runs, name, error))
    for order in Order.objects.filter(pk__in=locked).only("pk", "status", "is_subscription"):
        target, reason = _target_status(order, tasks.get(order.pk, []))
        if target and target != order.status and can_transition(order.status, target):
            order_transition(
                order_id=order.pk, to_status=target, source="fulfillment", reason=reason
            )


def _target_status(order: Order, tasks: list[tuple]) -> tuple[str | None, str]:
    if order.status not in (OrderStatus.PROCESSING, OrderStatus.ACTIVE) or not tasks:
        return None, ""
    dead = [(name, error) for status, _, name, error in tasks if status == TaskStatus.DEAD]
    if dead:
        name, error = dead[0]
        return OrderStatus.ON_HOLD, f"Step “{name}” failed: {error}"[:500]
    if all(status in FINISHED for status, *_ in tasks):
        if order.is_subscription:
            return OrderStatus.ACTIVE, "All steps done; the subscription keeps running"
        return OrderStatus.COMPLETED, "All steps done"
    if any(runs > 0 or status in FINISHED for status, runs, *_ in tasks):
        return OrderStatus.ACTIVE, "Delivery under way"
    return None, ""


def tasks_cancel_for_order(*, order_id: int) -> int:
    """A cancelled or refunded order stops: its unfinished tasks are cancelled."""
    return FulfillmentTask.objects.filter(
        order_id=order_id,
        status__in=[
            TaskStatus.QUEUED,
            TaskStatus.RUNNING,
            TaskStatus.WAITING_STAFF,
            TaskStatus.DEAD,
        ],
    ).update(
        status=TaskStatus.CANCELLED,
        locked_by="",
        lease_expires_at=None,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


# Staff actions ---------------------------------------------------------------------------


class TaskActionError(ApplicationError):
    code = "task_action_invalid"
    status = 409


@transaction.atomic
def _staff_change(
    *, task_id: int, actor, action: str, allowed, note: str, **changes
) -> FulfillmentTask:
    task = FulfillmentTask.objects.select_for_update().select_related("order").get(pk=task_id)
    if task.order.status in STOPPED_ORDER_STATUSES and changes.get("status") == TaskStatus.QUEUED:
        raise TaskActionError(
            f"Order {task.order.number} is {task.order.get_status_display().lower()}; its tasks cannot run again."
        )
    if task.status not in allowed:
        raise TaskActionError(
            f"Cannot {action.replace('_', ' ')} a task that is {task.get_status_display().lower()}."
        )
    from_status = task.status
    for name, value in changes.items():
        setattr(task, name, value)
    task.locked_by, task.lease_expires_at = "", None
    task.save(update_fields=[*changes, "locked_by", "lease_expires_at", "updated_at"])
    TaskEvent.objects.create(
        task=task,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=task.status,
        note=note[:500],
    )
    order = Order.objects.get(pk=task.order_id)
    if (
        order.status == OrderStatus.ON_HOLD
        and not task.order.tasks.filter(status=TaskStatus.DEAD).exists()
    ):
        order_transition(
            order_id=order.pk,
            to_status=OrderStatus.PROCESSING,
            source="staff",
            actor=actor,
            reason=f"{action.replace('_', ' ').capitalize()}: {task.name}",
        )
    orders_sync(order_ids={task.order_id})
    return task


def task_retry_now(*, task_id: int, actor, note: str = "") -> FulfillmentTask:
    """Run the task again at once with a fresh set of attempts (also re-queues dead letters)."""
    return _staff_change(
        task_id=task_id,
        actor=actor,
        action="retry_now",
        allowed=RETRYABLE,
        note=note,
        status=TaskStatus.QUEUED,
        due_at=timezone.now(),
        attempts=0,
        finished_at=None,
    )


def task_skip(*, task_id: int, actor, note: str = "") -> FulfillmentTask:
    return _staff_change(
        task_id=task_id,
        actor=actor,
        action="skip",
        allowed=SKIPPABLE,
        note=note,
        status=TaskStatus.SKIPPED,
        finished_at=timezone.now(),
    )


def task_force_complete(*, task_id: int, actor, note: str = "") -> FulfillmentTask:
    """Mark done by hand: manual steps, or work staff finished outside the system."""
    return _staff_change(
        task_id=task_id,
        actor=actor,
        action="force_complete",
        allowed=COMPLETABLE,
        note=note,
        status=TaskStatus.SUCCEEDED,
        finished_at=timezone.now(),
        last_error="",
    )


def order_requeue_dead(*, order_id: int, actor, note: str = "") -> int:
    """Re-queue every dead-lettered task of an order; the order leaves on_hold."""
    ids = list(
        FulfillmentTask.objects.filter(order_id=order_id, status=TaskStatus.DEAD).values_list(
            "pk", flat=True
        )
    )
    for task_id in ids:
        task_retry_now(task_id=task_id, actor=actor, note=note or "Re-queued dead letter")
    return len(ids)


@transaction.atomic
def order_put_on_hold(*, order_id: int, actor, reason: str) -> Order:
    if not reason.strip():
        raise TaskActionError("Give a reason for putting the order on hold.")
    return order_transition(
        order_id=order_id, to_status=OrderStatus.ON_HOLD, source="staff", actor=actor, reason=reason
    )


@transaction.atomic
def order_release_hold(*, order_id: int, actor, note: str = "") -> Order:
    """Resume an order staff put on hold; dead letters must be re-queued or skipped first."""
    if FulfillmentTask.objects.filter(order_id=order_id, status=TaskStatus.DEAD).exists():
        raise TaskActionError("Re-queue or skip the dead-lettered tasks first.")
    order = order_transition(
        order_id=order_id,
        to_status=OrderStatus.PROCESSING,
        source="staff",
        actor=actor,
        reason=note or "Hold released",
    )
    orders_sync(order_ids={order_id})
    return order


# Telemetry -------------------------------------------------------------------------------


def counters_bump(**deltas: int) -> None:
    """Add to the shared processor counters (rows are created on first use)."""
    for name, delta in deltas.items():
        if not delta and name != "loops":
            continue
        updated = ProcessorCounter.objects.filter(name=name).update(
            value=F("value") + delta, updated_at=timezone.now()
        )
        if not updated:
            ProcessorCounter.objects.bulk_create(
                [ProcessorCounter(name=name, value=0)], ignore_conflicts=True
            )
            ProcessorCounter.objects.filter(name=name).update(
                value=F("value") + delta, updated_at=timezone.now()
            )
