"""The billing centre's reads that combine apps: campaign intelligence per order.

Each lower app keeps its own reads (`billing.selectors`, `checkout.selectors`); what joins
invoices, fulfillment tasks and analytics snapshots of one order lives here, above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.selectors import order_spend
from core.money import Money
from core.paging import Page, page_of
from fulfillment.models import FINISHED, AnalyticsSnapshot, FulfillmentTask, StepKind
from orders.models import Order, OrderStatus

CAMPAIGN_PAGE_SIZE = 10


@dataclass(frozen=True)
class Outcome:
    label: str
    tone: str  # success | progress | warning | error | neutral (the `.status-*` colours)


@dataclass(frozen=True)
class Campaign:
    """One paid order as a campaign: what it cost and what it achieved."""

    order: Order
    spend: Money
    ordered: int  # units the delivery steps were asked for (0: no delivery step)
    delivered: int
    due: datetime  # delivery promised by (DELIVERY_PROMISE_DAYS after payment)
    outcome: Outcome
    followers_change: int | None  # since the order's first snapshot; None without snapshots
    reach_change: int | None

    @property
    def delivered_percent(self) -> int | None:
        return round(100 * self.delivered / self.ordered) if self.ordered else None

    @property
    def cost_per_thousand_followers(self) -> Money | None:
        """Spend per 1,000 followers gained, rounded half up to a minor unit."""
        if not self.followers_change or self.followers_change <= 0:
            return None
        value = (Decimal(self.spend.amount) * 1000 / self.followers_change).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(value), self.spend.currency)


def _tasks(*conditions, **fields):
    """The order's tasks, grouped by order, for a correlated subquery."""
    tasks = FulfillmentTask.objects.filter(*conditions, order=OuterRef("pk"), **fields)
    return tasks.order_by().values("order")


def _task_count(*conditions):
    return Coalesce(Subquery(_tasks(*conditions).annotate(n=Count("id")).values("n")), 0)


def _delivery_sum(field: str):
    rows = _tasks(kind=StepKind.DELIVERY).annotate(n=Sum(field)).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def campaign_page(*, user, page: int) -> Page:
    """`user`'s paid orders side by side, newest first, as `Campaign`s: two queries (three
    for a page past the end), however many orders, tasks and snapshots there are."""
    orders = (
        Order.objects.filter(user=user, paid_at__isnull=False)
        .annotate(
            spend=order_spend(),
            ordered=_delivery_sum("quantity"),
            delivered=_delivery_sum("delivered"),
            task_count=_task_count(),
            tasks_open=_task_count(~Q(status__in=FINISHED)),
            last_finished_at=Subquery(_tasks().annotate(last=Max("finished_at")).values("last")),
        )
        .order_by("-paid_at", "-id")
    )
    result = page_of(orders, number=page, size=CAMPAIGN_PAGE_SIZE)
    changes = _snapshot_changes([order.pk for order in result.items])
    now = timezone.now()
    campaigns = [
        _campaign(order, changes.get(order.pk, (None, None)), now) for order in result.items
    ]
    return Page(
        items=campaigns, number=result.number, num_pages=result.num_pages, count=result.count
    )


def _campaign(order: Order, change: tuple, now: datetime) -> Campaign:
    due = order.paid_at + timedelta(days=settings.DELIVERY_PROMISE_DAYS)
    return Campaign(
        order=order,
        spend=Money(order.spend, order.currency),
        ordered=order.ordered,
        delivered=order.delivered,
        due=due,
        outcome=_outcome(order, due, now),
        followers_change=change[0],
        reach_change=change[1],
    )


def _outcome(order: Order, due: datetime, now: datetime) -> Outcome:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return Outcome(order.get_status_display(), "neutral")
    if order.task_count and not order.tasks_open:
        finished = order.last_finished_at or order.updated_at
        if finished <= due:
            return Outcome("Delivered on time", "success")
        return Outcome("Delivered late", "warning")
    if not order.task_count and order.status == OrderStatus.COMPLETED:
        return Outcome("Delivered", "success")
    if now > due:
        return Outcome("Late: we are on it", "error")
    return Outcome("On track", "progress")


def _snapshot_changes(order_ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """Per order: (followers change, reach change) from each account's first snapshot to its
    latest, summed over the order's accounts; one query."""
    if not order_ids:
        return {}
    same = AnalyticsSnapshot.objects.filter(order=OuterRef("order_id"), account=OuterRef("account"))
    with_reach = same.filter(reach__isnull=False)
    rows = (
        AnalyticsSnapshot.objects.filter(order_id__in=order_ids)
        .order_by()  # the model's ordering would join the DISTINCT
        .values("order_id", "account")
        .distinct()
        .annotate(
            followers_from=Subquery(same.order_by("captured_on").values("followers")[:1]),
            followers_to=Subquery(same.order_by("-captured_on").values("followers")[:1]),
            reach_from=Subquery(with_reach.order_by("captured_on").values("reach")[:1]),
            reach_to=Subquery(with_reach.order_by("-captured_on").values("reach")[:1]),
        )
    )
    changes: dict[int, tuple[int | None, int | None]] = {}
    for row in rows:
        followers, reach = changes.get(row["order_id"], (0, None))
        followers += row["followers_to"] - row["followers_from"]
        if row["reach_from"] is not None:
            reach = (reach or 0) + row["reach_to"] - row["reach_from"]
        changes[row["order_id"]] = (followers, reach)
    return changes
