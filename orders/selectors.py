"""Reads of a client's orders for the dashboard, and who wants which e-mail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When

from .models import (
    NotificationPreference,
    NotificationTopic,
    Order,
    OrderLine,
    OrderSelection,
    OrderStatus,
    OrderStatusChange,
)

# Paid orders whose delivery is not over: two of them on one account mix up its counts.
ACTIVE_STATUSES = (OrderStatus.PROCESSING, OrderStatus.ACTIVE, OrderStatus.ON_HOLD)
PICKER_PAGE_SIZE = 50


def notification_recipients(*, user_ids: Iterable[int], topic: NotificationTopic) -> set[int]:
    """Which of `user_ids` want e-mails about `topic`: their saved choice, or the preference's
    default for clients who never chose. Every sender of client e-mails (order updates, the
    weekly digest, marketing) asks this before it sends. One query."""
    ids = set(user_ids)
    default = NotificationPreference._meta.get_field(topic).default
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids).values_list("user_id", topic)
    )
    return {user_id for user_id in ids if chosen.get(user_id, default)}


def notification_preference_get(*, user) -> NotificationPreference:
    """The client's preferences; an unsaved row with the defaults when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def client_order_get(*, user, number: str) -> Order | None:
    """One of the client's own orders by number; None for anyone else's."""
    return Order.objects.filter(user=user, number=number).first()


@dataclass(frozen=True)
class OrderPicker:
    selected: Order | None  # the order the dashboard shows
    orders: list[Order]  # one page of the client's orders, newest first
    number: int
    has_previous: bool
    has_next: bool


def order_picker_get(*, user, page: int = 1, size: int = PICKER_PAGE_SIZE) -> OrderPicker:
    """One page of the client's orders for the picker, and the order the dashboard shows:
    the one the client last picked, or else (the pick missing or stale: deleted, or no longer
    theirs) their newest order under way, or their newest order, wherever it is in the list.
    One query."""
    page = max(page, 1)
    start = (page - 1) * size
    mine = Order.objects.filter(user=user)
    newest_first = ("-created_at", "-pk")
    on_page = mine.order_by(*newest_first).values("pk")[start : start + size + 1]
    # Without a pick: the newest order under way, which is what a client comes to follow.
    under_way = _flag(Q(status__in=ACTIVE_STATUSES))
    latest = mine.annotate(under_way=under_way).order_by("-under_way", *newest_first)
    latest = latest.values("pk")[:1]
    picked = OrderSelection.objects.filter(user=user).values("order_id")[:1]
    rows = list(
        mine.filter(Q(pk__in=on_page) | Q(pk=Subquery(latest)) | Q(pk=Subquery(picked)))
        .annotate(
            on_page=_flag(Q(pk__in=on_page)),
            picked=_flag(Q(pk=Subquery(picked))),
            fallback=_flag(Q(pk=Subquery(latest))),
        )
        .order_by(*newest_first)
    )
    listed = [order for order in rows if order.on_page]
    selected = next(
        (order for order in rows if order.picked),
        next((order for order in rows if order.fallback), None),
    )
    return OrderPicker(
        selected=selected,
        orders=listed[:size],
        number=page,
        has_previous=page > 1,
        has_next=len(listed) > size,
    )


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


@dataclass(frozen=True)
class Overlap:
    account: str
    orders: list[str]  # order numbers, oldest first


def order_overlaps(*, user) -> list[Overlap]:
    """Accounts or links that two or more of the client's active orders deliver to (handles
    compared without case, per platform). One query."""
    rows = (
        OrderLine.objects.filter(order__user=user, order__status__in=ACTIVE_STATUSES)
        .order_by("order__created_at", "order_id")
        .values_list("order__number", "product__platform", "target", "targets")
    )
    numbers: dict[tuple[str, str], list[str]] = defaultdict(list)
    shown: dict[tuple[str, str], str] = {}
    for number, platform, target, targets in rows:
        for account in targets or [target]:
            key = (platform, account.casefold())
            shown.setdefault(key, account)
            if number not in numbers[key]:
                numbers[key].append(number)
    return [
        Overlap(account=shown[key], orders=orders)
        for key, orders in sorted(numbers.items(), key=lambda item: shown[item[0]].casefold())
        if len(orders) > 1
    ]


def _clients():
    """Active accounts with at least one order."""
    orders = Order.objects.filter(user=OuterRef("pk"))
    return get_user_model()._default_manager.filter(Exists(orders), is_active=True)


def clients_count() -> int:
    return _clients().count()


def clients_after(*, after: int, limit: int) -> list:
    """The next `limit` clients (active accounts with an order) after account id `after`, in
    id order: one query, as fast for the last page as the first."""
    return list(_clients().filter(pk__gt=after).order_by("pk")[:limit])


def clients_week_orders(
    *, user_ids: Iterable[int], since: datetime, until: datetime
) -> dict[int, list[Order]]:
    """Each client's orders that a weekly report covers: those under way now and those whose
    status changed between `since` and `until`, newest first. One query."""
    moved = OrderStatusChange.objects.filter(created_at__gte=since, created_at__lt=until)
    rows = (
        Order.objects.filter(user_id__in=list(user_ids))
        .filter(Q(status__in=ACTIVE_STATUSES) | Q(pk__in=moved.values("order_id")))
        .order_by("user_id", "-created_at", "-pk")
    )
    orders: dict[int, list[Order]] = defaultdict(list)
    for order in rows:
        orders[order.user_id].append(order)
    return orders


@dataclass(frozen=True)
class BundleSales:
    headline: str
    orders: int  # paid orders with the bundle complete on at least one line set
    revenue_amount: int  # what its lines charged, minor units of `currency`
    saved_amount: int  # what the bundle took off those lines
    currency: str


def bundle_sales(*, since: datetime, until: datetime) -> list[BundleSales]:
    """Bundles sold in orders paid between `since` and `until`, by revenue: one query. An
    order line keeps the bundle that priced it in its snapshot (`breakdown.bundle.name`)."""
    rows = (
        OrderLine.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until)
        .filter(breakdown__bundle__name__gt="")
        .values_list("breakdown", "currency", "order_id", "total_amount")
    )
    sales: dict[tuple[str, str], tuple[set, list]] = {}
    for breakdown, currency, order_id, total in rows:
        bundle = breakdown["bundle"]
        orders, amounts = sales.setdefault((bundle["name"], currency), (set(), [0, 0]))
        orders.add(order_id)
        amounts[0] += total
        amounts[1] += bundle.get("discount", 0)
    return sorted(
        (
            BundleSales(headline, len(orders), revenue, saved, currency)
            for (headline, currency), (orders, [revenue, saved]) in sales.items()
        ),
        key=lambda sale: (-sale.revenue_amount, sale.headline),
    )
