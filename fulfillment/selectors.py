"""Reads for progress pages, the client dashboard, operator metrics and health."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from orders.models import Order, OrderStatus, OrderStatusChange

from .models import (
    FINISHED,
    AnalyticsSnapshot,
    FulfillmentTask,
    ProcessorCounter,
    StepKind,
    TaskEvent,
    TaskStatus,
)

# What a client reads instead of a provider's or Graph's error text.
DELAYED = "Delayed — we are on it"


def order_progress(*, order: Order, for_client: bool = False) -> dict:
    """What operators see of an order's fulfillment, or with `for_client` what its client
    sees: no error texts (they may quote a provider), a failed step or an order on hold reads
    "Delayed — we are on it". One query."""
    return _progress(order, list(order.tasks.order_by("position", "pk")), for_client=for_client)


def orders_progress(*, orders: Iterable[Order], for_client: bool = False) -> dict[int, dict]:
    """`order_progress` of many orders, by order id: one query, whatever their number."""
    orders = list(orders)
    tasks: dict[int, list[FulfillmentTask]] = defaultdict(list)
    for task in FulfillmentTask.objects.filter(order__in=orders).order_by(
        "order_id", "position", "pk"
    ):
        tasks[task.order_id].append(task)
    return {order.pk: _progress(order, tasks[order.pk], for_client=for_client) for order in orders}


def _progress(order: Order, tasks: list[FulfillmentTask], *, for_client: bool) -> dict:
    held = for_client and order.status == OrderStatus.ON_HOLD
    done = sum(_step_done(t) for t in tasks)
    deliveries = [t for t in tasks if t.quantity is not None and t.kind == "delivery"]
    next_task = next((t for t in tasks if t.status not in FINISHED), None)
    return {
        "order": order.number,
        "status": order.status,
        "status_display": DELAYED if held else order.get_status_display(),
        "percent_complete": int(100 * done / len(tasks))
        if tasks
        else (100 if order.status == "completed" else 0),
        "steps": [
            {
                "id": t.pk,
                "name": t.name,
                "kind": t.kind,
                "status": t.status,
                "status_display": DELAYED
                if for_client and t.status == TaskStatus.DEAD
                else task_status_display(status=t.status, order_status=order.status),
                "attempts": t.attempts,
                "started_at": _iso(t.started_at),
                "finished_at": _iso(t.finished_at),
                "next_run_at": _iso(t.due_at) if t.status == TaskStatus.QUEUED else None,
                "last_error": t.last_error
                if t.status == TaskStatus.DEAD and not for_client
                else "",
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
        "next_action": DELAYED if held else _next_action(order, next_task),
        "expected_finish": _iso(_expected_finish(order, tasks)),
    }


def _expected_finish(order: Order, tasks: list[FulfillmentTask]) -> datetime | None:
    """When the last unfinished step should be done: a delivery at the pace it has kept so
    far, any other step when it is due. None when nothing runs (unpaid, on hold, over) or a
    delivery has not reported yet; a completed order's is when its last step finished."""
    if order.status == OrderStatus.COMPLETED:
        return max((t.finished_at for t in tasks if t.finished_at), default=None)
    if order.status not in (OrderStatus.PROCESSING, OrderStatus.ACTIVE):
        return None
    now = timezone.now()
    estimates = []
    for task in tasks:
        if task.status in FINISHED:
            continue
        if task.kind == StepKind.DELIVERY and task.quantity:
            if not (task.delivered and task.started_at and task.remains is not None):
                return None
            pace = (now - task.started_at) / task.delivered
            estimates.append(now + pace * task.remains)
        elif task.status == TaskStatus.WAITING_STAFF:
            return None
        else:
            estimates.append(max(task.due_at, now))
    return max(estimates, default=None)


def _step_done(task: FulfillmentTask) -> float:
    """How much of one step is done: a finished step all of it, a delivery under way its
    delivered share (so the percentage moves as units arrive), any other step none."""
    if task.status in FINISHED:
        return 1.0
    if task.kind == "delivery" and task.quantity and task.delivered:
        return min(task.delivered / task.quantity, 1.0)
    return 0.0


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


# The client dashboard -----------------------------------------------------------------------

TIMELINE_LIMIT = 50
# What each task event tells the client; events not listed (claims, progress polls) are
# bookkeeping. Reasons are never shown: they may hold a provider's error text.
_TASK_EVENT_TEXT = {
    "succeed": "{name}: done",
    "force_complete": "{name}: done",
    "retry": f"{{name}}: {DELAYED}",
    "dead_letter": f"{{name}}: {DELAYED}",
    "lease_expired": f"{{name}}: {DELAYED}",
    "wait_for_staff": "{name}: with our team",
    "retry_now": "{name}: resumed",
    "requeue_dead": "{name}: resumed",
    "skip": "{name}: not needed, skipped by our team",
    "skip_dead": "{name}: not needed, skipped by our team",
    "cancel": "{name}: cancelled",
}
_DELAY_ACTIONS = {"retry", "dead_letter", "lease_expired"}
_ORDER_STATUS_TEXT = {
    OrderStatus.PENDING: "Order placed",
    OrderStatus.PROCESSING: "Payment received, delivery being prepared",
    OrderStatus.ACTIVE: "Delivery started",
    OrderStatus.COMPLETED: "Order complete",
    OrderStatus.ON_HOLD: DELAYED,
    OrderStatus.CANCELLED: "Order cancelled",
    OrderStatus.REFUNDED: "Order refunded",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str
    delayed: bool = False


def order_timeline(*, order: Order, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The order's status changes and step outcomes in words a client may read, newest
    first, at most `limit`. Two queries."""
    changes = (
        OrderStatusChange.objects.filter(order=order)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "from_status", "to_status")[:limit]
    )
    events = (
        TaskEvent.objects.filter(task__order=order, action__in=_TASK_EVENT_TEXT)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "action", "task__name")[:limit]
    )
    entries = [
        TimelineEntry(
            at=at,
            text="Back under way"
            if (before, after) == (OrderStatus.ON_HOLD, OrderStatus.PROCESSING)
            else _ORDER_STATUS_TEXT[after],
            delayed=after == OrderStatus.ON_HOLD,
        )
        for at, before, after in changes
    ] + [
        TimelineEntry(
            at=at,
            text=_TASK_EVENT_TEXT[action].format(name=name),
            delayed=action in _DELAY_ACTIONS,
        )
        for at, action, name in events
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


@dataclass(frozen=True)
class SnapshotPoint:
    on: date
    followers: int
    reach: int | None
    views: int | None


@dataclass(frozen=True)
class AccountAnalytics:
    account: str
    points: list[SnapshotPoint]  # oldest first
    baseline: SnapshotPoint  # the first figures on or after the day of payment

    @property
    def latest(self) -> SnapshotPoint:
        return self.points[-1]

    def change(self, metric: str) -> int | None:
        before, now = getattr(self.baseline, metric), getattr(self.latest, metric)
        return None if before is None or now is None else now - before


ANALYTICS_DAYS = 120


def order_analytics(*, order: Order, days: int = ANALYTICS_DAYS) -> list[AccountAnalytics]:
    """Each account's snapshots of the order (the last `days` of them), with the baseline
    at purchase: the first snapshot on or after the day it was paid (its first snapshot if
    all are older). One query."""
    rows = (
        AnalyticsSnapshot.objects.filter(order=order)
        .order_by("account", "captured_on")
        .values_list("account", "captured_on", "followers", "reach", "views")
    )
    by_account: dict[str, list[SnapshotPoint]] = defaultdict(list)
    for account, on, followers, reach, views in rows:
        by_account[account].append(SnapshotPoint(on, followers, reach, views))
    paid_on = timezone.localdate(order.paid_at) if order.paid_at else None
    analytics = []
    for account, points in by_account.items():
        baseline = next((p for p in points if paid_on is None or p.on >= paid_on), points[0])
        analytics.append(AccountAnalytics(account, points[-days:], baseline))
    return analytics


@dataclass(frozen=True)
class WeekFigures:
    """A client's week: what the dashboard shows and the weekly digest sends."""

    starts_on: date
    ends_on: date
    orders_moved: int  # orders whose status changed during the week
    orders_completed: int
    steps_finished: int
    units_delivered: int  # on delivery steps finished during the week
    follower_change: int  # summed over the client's accounts
    accounts: dict[str, int]  # account: follower change


def client_week_figures(*, user, week_ending: date) -> WeekFigures:
    """The seven days up to and including `week_ending` (local dates) for one client. Three
    queries, whatever the number of orders."""
    return clients_week_figures(user_ids=[user.pk], week_ending=week_ending)[user.pk]


def clients_week_figures(*, user_ids: Iterable[int], week_ending: date) -> dict[int, WeekFigures]:
    """`client_week_figures` for many clients at once (every one of `user_ids` gets an entry):
    three queries, whatever the number of clients and orders."""
    ids = list(user_ids)
    starts_on = week_ending - timedelta(days=6)
    zone = timezone.get_current_timezone()
    since = datetime.combine(starts_on, time.min, tzinfo=zone)
    until = datetime.combine(week_ending + timedelta(days=1), time.min, tzinfo=zone)
    moved: dict[int, set] = defaultdict(set)
    completed: dict[int, set] = defaultdict(set)
    changes = OrderStatusChange.objects.filter(
        order__user_id__in=ids, created_at__gte=since, created_at__lt=until
    ).values_list("order__user_id", "order_id", "to_status")
    for user_id, order_id, to_status in changes:
        moved[user_id].add(order_id)
        if to_status == OrderStatus.COMPLETED:
            completed[user_id].add(order_id)
    steps = {
        row["order__user_id"]: row
        for row in FulfillmentTask.objects.filter(
            order__user_id__in=ids,
            status=TaskStatus.SUCCEEDED,
            finished_at__gte=since,
            finished_at__lt=until,
        )
        .values("order__user_id")
        .annotate(steps=Count("pk"), units=Sum("delivered", filter=Q(kind=StepKind.DELIVERY)))
        .order_by()
    }
    # Each account's followers at the end of the week against the last figure before it
    # (up to a week earlier), or its first figure of the week.
    snapshots = (
        AnalyticsSnapshot.objects.filter(
            order__user_id__in=ids,
            captured_on__gte=starts_on - timedelta(days=7),
            captured_on__lte=week_ending,
        )
        .order_by("order__user_id", "account", "captured_on")
        .values_list("order__user_id", "account", "captured_on", "followers")
    )
    before: dict[tuple[int, str], int] = {}
    first: dict[tuple[int, str], int] = {}
    last: dict[tuple[int, str], int] = {}
    for user_id, account, on, followers in snapshots:
        key = (user_id, account)
        if on < starts_on:
            before[key] = followers
        else:
            first.setdefault(key, followers)
            last[key] = followers
    accounts: dict[int, dict[str, int]] = defaultdict(dict)
    for (user_id, account), followers in last.items():
        key = (user_id, account)
        accounts[user_id][account] = followers - before.get(key, first[key])
    return {
        user_id: WeekFigures(
            starts_on=starts_on,
            ends_on=week_ending,
            orders_moved=len(moved[user_id]),
            orders_completed=len(completed[user_id]),
            steps_finished=steps.get(user_id, {}).get("steps", 0),
            units_delivered=steps.get(user_id, {}).get("units") or 0,
            follower_change=sum(accounts[user_id].values()),
            accounts=dict(sorted(accounts[user_id].items())),
        )
        for user_id in ids
    }
