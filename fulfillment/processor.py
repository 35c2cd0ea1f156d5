"""The task processor: claim due tasks in batches, run their steps outside any transaction,
record the outcomes in one go, and move each order along from its tasks."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.backoff import RetryPolicy
from core.bulk import rows_insert
from orders.models import Order, OrderStatus
from orders.services import Move, order_transition_many

from .adapters import PermanentError, StepContext, StepOutcome, WaitForStaff, get_adapter
from .models import (
    FINISHED,
    AnalyticsSnapshot,
    FulfillmentTask,
    ProcessorCounter,
    TaskAttempt,
    TaskStatus,
)
from .transitions import Change, tasks_move

logger = logging.getLogger(__name__)

STOPPED_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
# An order on hold keeps its tasks but runs none of them until staff release it.
NOT_RUNNING_ORDER_STATUSES = (*STOPPED_ORDER_STATUSES, OrderStatus.ON_HOLD)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# Claim -------------------------------------------------------------------------------------


def tasks_claim_due(
    *, worker: str, limit: int, now=None, order_id: int | None = None
) -> list[FulfillmentTask]:
    """Claim up to `limit` due tasks (and tasks whose worker's lease ran out) for `worker`;
    with `order_id`, only that order's (a smoke check runs its own order and nobody else's).

    The locking query loads the tasks with their order and line, so a claim is that query, one
    UPDATE and one INSERT of events however many tasks it takes."""
    now = now or timezone.now()
    due = FulfillmentTask.objects.filter(order_id=order_id) if order_id else FulfillmentTask.objects
    with transaction.atomic():
        tasks = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status=TaskStatus.QUEUED, due_at__lte=now)
                | Q(status=TaskStatus.RUNNING, lease_expires_at__lt=now)
            )
            .exclude(order__status__in=NOT_RUNNING_ORDER_STATUSES)
            .select_related("order", "order_line")
            .order_by("due_at", "pk")[:limit]
        )
        if not tasks:
            return []
        abandoned = [task for task in tasks if task.status == TaskStatus.RUNNING]
        exhausted = [task for task in abandoned if task.attempts >= task.max_attempts]
        if abandoned:
            _log_lost_runs(abandoned, now)
        lease = now + timedelta(seconds=settings.FULFILLMENT_LEASE_SECONDS)
        claim = {
            "locked_by": worker,
            "lease_expires_at": lease,
            "started_at": Coalesce("started_at", now),
            "runs": F("runs") + 1,
            "attempts": F("attempts") + 1,
        }
        moved = tasks_move(
            [
                Change(
                    "claim",
                    [task.pk for task in tasks if task.status == TaskStatus.QUEUED],
                    claim,
                    reason=f"Claimed by {worker}",
                ),
                # The lost run may have sent something: its successor's adapter is told so.
                Change(
                    "reclaim",
                    [task.pk for task in abandoned if task not in exhausted],
                    {**claim, "interrupted": True},
                    reason=f"The previous worker's lease expired; claimed by {worker}",
                ),
                Change(
                    "lease_expired",
                    [task.pk for task in exhausted],
                    {"last_error": LOST_ON_LAST_ATTEMPT, "interrupted": True},
                    reason=LOST_ON_LAST_ATTEMPT,
                ),
            ],
            locked={task.pk: task.status for task in tasks},
            now=now,
        )
        if exhausted:
            orders_sync(order_ids={task.order_id for task in exhausted})
    claimed = {m.task_id for m in moved if m.to_status == TaskStatus.RUNNING}
    # What the UPDATE wrote, on the loaded rows.
    for task in tasks:
        if task.pk in claimed:
            task.interrupted = task.interrupted or task.status == TaskStatus.RUNNING
            task.status, task.locked_by, task.lease_expires_at = TaskStatus.RUNNING, worker, lease
            task.started_at = task.started_at or now
            task.runs, task.attempts, task.updated_at = task.runs + 1, task.attempts + 1, now
    return [task for task in tasks if task.pk in claimed]


LOST_ON_LAST_ATTEMPT = "The worker stopped during the last attempt (lease expired)."


def _log_lost_runs(tasks: list[FulfillmentTask], now) -> None:
    """Runs whose worker died are logged as lost; the attempt counts."""
    TaskAttempt.objects.bulk_create(
        TaskAttempt(
            task_id=task.pk,
            run=task.runs,
            worker=task.locked_by,
            started_at=now,
            finished_at=now,
            outcome="lost",
            error="The worker stopped before finishing (lease expired).",
        )
        for task in tasks
    )


# Run ---------------------------------------------------------------------------------------


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


def tasks_run(batch: list[FulfillmentTask]) -> list[Ran]:
    """Run each claimed task's step, outside any transaction; slow steps must not outlive the
    lease, so what is left at half of it goes back unrun."""
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
    return ran


def _context(task: FulfillmentTask) -> StepContext:
    line = task.order_line
    return StepContext(
        task_id=task.pk,
        order_number=task.order.number,
        run=task.runs,
        idempotency_key=task.idempotency_key,
        target=task.target,
        quantity=line.quantity_per_target if line else (task.quantity or 1),
        parameters=task.parameters or {},
        remote_id=task.remote_id,
        delivered=task.delivered,
        remains=task.remains,
        start_count=task.start_count,
        interrupted=task.interrupted,
    )


def process_due(
    *, worker: str | None = None, limit: int | None = None, order_id: int | None = None
) -> BatchResult:
    """One processor loop: claim a batch (of `order_id`'s tasks only, if given), run each
    step, record the outcomes in one go."""
    worker = worker or worker_name()
    batch = tasks_claim_due(
        worker=worker, limit=limit or settings.FULFILLMENT_BATCH_SIZE, order_id=order_id
    )
    ran = tasks_run(batch)
    if not ran:
        counters_bump(loops=1)
        return BatchResult()
    return tasks_record(worker, ran)


# Record ------------------------------------------------------------------------------------

# The attempt log's word for each processor action.
ATTEMPT_OUTCOMES = {
    "succeed": "succeeded",
    "progress": "progress",
    "retry": "retry",
    "dead_letter": "dead",
    "wait_for_staff": "waiting",
    "hand_back": "released",
}

HANDED_BACK = "Half the lease was gone before the step could run."

# What a run may change on its task besides the status.
_RUN_FIELDS = [
    "due_at",
    "attempts",
    "last_error",
    "result",
    "remote_id",
    "start_count",
    "quantity",
    "delivered",
    "remains",
    "interrupted",
]


_ATTEMPT_COLUMNS = (
    "task_id",
    "run",
    "worker",
    "started_at",
    "finished_at",
    "outcome",
    "error",
    "duration_ms",
)


def tasks_record(worker: str, ran: list[Ran]) -> BatchResult:
    """Record a batch's outcomes: plain successes in one UPDATE, each other task in its own,
    the attempt log and task events in one write each, then the orders' statuses."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value
    result = BatchResult(claimed=len(ran))
    with transaction.atomic():
        mine = set(
            FulfillmentTask.objects.select_for_update(of=("self",))
            .filter(pk__in=[r.task.pk for r in ran], status=TaskStatus.RUNNING, locked_by=worker)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        changes, attempts, plain_done = [], [], []
        for r in ran:
            task = r.task
            if task.pk not in mine:
                result.lost += 1  # our lease ran out and another worker took the task over
                continue
            action = _apply(task, r, now, result)
            if action == "succeed" and not (
                r.outcome.progress or r.outcome.result or r.outcome.snapshot
            ):
                plain_done.append(task.pk)
            else:
                changes.append(
                    Change(
                        action,
                        [task.pk],
                        {name: getattr(task, name) for name in _RUN_FIELDS},
                        reason=HANDED_BACK if action == "hand_back" else task.last_error,
                    )
                )
            result.orders.add(task.order_id)
            attempts.append(
                (
                    task.pk,
                    task.runs,
                    worker,
                    at(now - timedelta(milliseconds=r.duration_ms)),
                    at(now),
                    ATTEMPT_OUTCOMES[action],
                    str(r.error or "")[:2000],
                    r.duration_ms,
                )
            )
        changes.append(
            Change("succeed", plain_done, {"attempts": 0, "last_error": "", "interrupted": False})
        )
        tasks_move(changes, locked=dict.fromkeys(mine, TaskStatus.RUNNING), now=now)
        rows_insert(TaskAttempt, _ATTEMPT_COLUMNS, attempts)
        orders_sync(order_ids=result.orders)
        # Last, in the same commit: the counter rows stay locked only until it.
        counters_bump(
            loops=1,
            claimed=result.claimed,
            succeeded=result.succeeded,
            retried=result.retried,
            dead_lettered=result.dead,
        )
    return result


def _apply(task: FulfillmentTask, r: Ran, now, result: BatchResult) -> str:
    """Set the task's fields from what its adapter did; returns the action that moves it."""
    outcome, error = r.outcome, r.error
    if r.released:
        task.due_at = now
        task.attempts = max(task.attempts - 1, 0)
        result.released += 1
        return "hand_back"  # unrun: a lost run before it stays unresolved
    task.interrupted = False  # this run's outcome is known
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
            result.succeeded += 1
            return "succeed"
        poll = outcome.poll_after
        task.due_at = now + timedelta(
            seconds=settings.FULFILLMENT_POLL_SECONDS if poll is None else poll
        )
        result.progressed += 1
        return "progress"
    if isinstance(error, WaitForStaff):
        task.last_error, task.attempts = str(error)[:2000], 0
        result.waiting += 1
        return "wait_for_staff"
    task.last_error = f"{error.__class__.__name__}: {error}"[:2000]
    # Any error but a permanent one is retried: outside services fail in unforeseen ways.
    policy = RetryPolicy(
        base=task.backoff_base_seconds, cap=task.backoff_cap_seconds, max_attempts=task.max_attempts
    )
    if isinstance(error, PermanentError) or policy.exhausted(task.attempts):
        result.dead += 1
        return "dead_letter"
    delay = policy.delay(task.attempts)
    retry_after = getattr(error, "retry_after", None)
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
            "views": snapshot.views,
            "profile_views": snapshot.profile_views,
            "source": task.adapter,
        },
    )


# Order status from task outcomes -----------------------------------------------------------


def orders_sync(*, order_ids) -> None:
    """Advance each order from its tasks: active once work starts, completed when all is done,
    on hold when a task is dead-lettered. An order on hold stays there: only staff release it.

    However many orders: one locking read, one grouped count of their tasks (and a read of the
    first dead task of those with one), then one batched transition of all that move."""
    if not order_ids:
        return
    # Lock the orders first: two workers finishing an order's last tasks at once then see each
    # other's results instead of each deciding from a half-finished picture.
    orders = list(
        Order.objects.select_for_update()
        .filter(pk__in=order_ids, status__in=(OrderStatus.PROCESSING, OrderStatus.ACTIVE))
        .order_by("pk")
        .values_list("pk", "status", "is_subscription")
    )
    if not orders:
        return
    counts = {
        row.pop("order_id"): row
        for row in FulfillmentTask.objects.filter(order_id__in=[pk for pk, _, _ in orders])
        .values("order_id")
        .annotate(
            total=Count("pk"),
            finished=Count("pk", filter=Q(status__in=FINISHED)),
            started=Count("pk", filter=Q(runs__gt=0) | Q(status__in=FINISHED)),
            dead=Count("pk", filter=Q(status=TaskStatus.DEAD)),
        )
        .order_by()
    }
    dead = _first_dead({pk for pk, row in counts.items() if row["dead"]})
    moves = []
    for pk, status, is_subscription in orders:
        target, reason = _target_status(counts.get(pk), dead.get(pk), is_subscription)
        if target and target != status:
            moves.append(Move(pk, target, reason))
    order_transition_many(moves=moves, source="fulfillment")


def _first_dead(order_ids: set[int]) -> dict[int, tuple[str, str]]:
    """By order: the name and error of its first dead-lettered task."""
    first: dict[int, tuple[str, str]] = {}
    if order_ids:
        for order_id, name, error in (
            FulfillmentTask.objects.filter(order_id__in=order_ids, status=TaskStatus.DEAD)
            .order_by("order_id", "position", "pk")
            .values_list("order_id", "name", "last_error")
        ):
            first.setdefault(order_id, (name, error))
    return first


def _target_status(
    counts: dict | None, dead: tuple[str, str] | None, is_subscription: bool
) -> tuple[str | None, str]:
    """Where an order in processing or active goes, from its tasks' counts by state."""
    if not counts:
        return None, ""
    if dead:
        name, error = dead
        return OrderStatus.ON_HOLD, f"Step “{name}” failed: {error}"[:500]
    if counts["finished"] == counts["total"]:
        if is_subscription:
            return OrderStatus.ACTIVE, "All steps done; the subscription keeps running"
        return OrderStatus.COMPLETED, "All steps done"
    if counts["started"]:
        return OrderStatus.ACTIVE, "Delivery under way"
    return None, ""


# Telemetry ---------------------------------------------------------------------------------


def counters_bump(**deltas: int) -> None:
    """Add to the shared processor counters (rows are created on first use). Every caller bumps
    them in the same order, so transactions that lock several never deadlock on them."""
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
