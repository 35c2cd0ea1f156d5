"""Reads for progress pages, operator metrics and health."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.utils import timezone

from orders.models import Order, OrderStatus

from .models import FINISHED, FulfillmentTask, ProcessorCounter, TaskStatus


def order_progress(*, order: Order) -> dict:
    """What the client and operators see of an order's fulfillment."""
    tasks = list(order.tasks.order_by("position", "pk"))
    finished = sum(1 for t in tasks if t.status in FINISHED)
    deliveries = [t for t in tasks if t.quantity is not None and t.kind == "delivery"]
    next_task = next((t for t in tasks if t.status not in FINISHED), None)
    return {
        "order": order.number,
        "status": order.status,
        "status_display": order.get_status_display(),
        "percent_complete": round(100 * finished / len(tasks))
        if tasks
        else (100 if order.status == "completed" else 0),
        "steps": [
            {
                "id": t.pk,
                "name": t.name,
                "kind": t.kind,
                "status": t.status,
                "status_display": task_status_display(status=t.status, order_status=order.status),
                "attempts": t.attempts,
                "started_at": _iso(t.started_at),
                "finished_at": _iso(t.finished_at),
                "next_run_at": _iso(t.due_at) if t.status == TaskStatus.QUEUED else None,
                "last_error": t.last_error if t.status == TaskStatus.DEAD else "",
                "start_count": t.start_count,
                "quantity": t.quantity,
                "delivered": t.delivered,
                "remains": t.remains,
            }
            for t in tasks
        ],
        "delivery": {
            "start_count": sum(t.start_count or 0 for t in deliveries) if deliveries else None,
            "ordered": sum(t.quantity or 0 for t in deliveries),
            "delivered": sum(t.delivered or 0 for t in deliveries),
            "remains": sum(
                t.remains if t.remains is not None else (t.quantity or 0) for t in deliveries
            ),
        },
        "next_action": _next_action(order, next_task),
    }


def _next_action(order: Order, task: FulfillmentTask | None) -> str:
    if order.status == "pending":
        return "Waiting for payment"
    if order.status == "on_hold":
        return "On hold: our team is looking into it"
    if task is None:
        return "Nothing left to do" if order.status == "completed" else "Subscription running"
    if task.status == TaskStatus.WAITING_STAFF:
        return f"{task.name}: with our team"
    if task.status == TaskStatus.RUNNING:
        return f"{task.name}: running now"
    return f"{task.name}: next update {timezone.localtime(task.due_at):%d %b %H:%M}"


def _iso(value):
    return value.isoformat() if value else None


def processor_metrics() -> dict:
    now = timezone.now()
    counters = {c.name: c for c in ProcessorCounter.objects.all()}
    depth = dict(
        FulfillmentTask.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    due = FulfillmentTask.objects.filter(status=TaskStatus.QUEUED, due_at__lte=now).aggregate(
        n=Count("id"), oldest=Min("due_at")
    )
    loops = counters.get("loops")
    return {
        "counters": {name: c.value for name, c in counters.items()},
        "last_loop_at": _iso(loops.updated_at) if loops else None,
        "last_loop_age_seconds": round((now - loops.updated_at).total_seconds(), 1)
        if loops
        else None,
        "queue": {status: depth.get(status, 0) for status in TaskStatus.values},
        "due_now": due["n"],
        "oldest_due_age_seconds": round((now - due["oldest"]).total_seconds(), 1)
        if due["oldest"]
        else 0,
        "expired_leases": FulfillmentTask.objects.filter(
            status=TaskStatus.RUNNING, lease_expires_at__lt=now
        ).count(),
        "delivered_units": FulfillmentTask.objects.aggregate(n=Sum("delivered"))["n"] or 0,
    }


def tasks_dead_list(*, limit: int = 20) -> list[FulfillmentTask]:
    """Dead-lettered tasks with their orders, most recently failed first (one query)."""
    return list(
        FulfillmentTask.objects.filter(status=TaskStatus.DEAD)
        .select_related("order")
        .order_by("-updated_at", "-pk")[:limit]
    )


def processor_health() -> tuple[bool, list[str], dict]:
    """(healthy, reasons, metrics): the loop ran recently and dead letters are few."""
    metrics = processor_metrics()
    reasons = []
    age = metrics["last_loop_age_seconds"]
    if age is None:
        reasons.append("the processor has never run")
    elif age > settings.FULFILLMENT_HEALTH_MAX_LOOP_AGE_SECONDS:
        reasons.append(
            f"last processor loop {age:.0f}s ago (limit {settings.FULFILLMENT_HEALTH_MAX_LOOP_AGE_SECONDS}s)"
        )
    dead = metrics["queue"][TaskStatus.DEAD]
    if dead >= settings.FULFILLMENT_HEALTH_MAX_DEAD:
        reasons.append(f"{dead} dead-lettered tasks (limit {settings.FULFILLMENT_HEALTH_MAX_DEAD})")
    return not reasons, reasons, metrics


def task_status_display(*, status: str, order_status: str) -> str:
    """A task's status as staff and clients see it. An order on hold runs none of its tasks, so
    its unfinished ones show as held; the stored status stays, and releasing the hold resumes
    each task where it was."""
    label = TaskStatus(status).label
    if order_status != OrderStatus.ON_HOLD or status in FINISHED:
        return label
    return "Held" if status == TaskStatus.QUEUED else f"Held · {label}"
