"""Clients with a week to report: an order that moved, a delivery under way, a finished step,
follower figures and an invoice, all inside one ISO week; or many such clients in bulk."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from core.weeks import IsoWeek
from fulfillment.models import AnalyticsSnapshot, FulfillmentTask
from orders.models import NotificationPreference, Order, OrderStatus, OrderStatusChange
from tests.billing.factories import invoice_for, order_for, task_for
from tests.checkout.factories import user


def in_week(week: IsoWeek, *, days: int = 2, hours: int = 10) -> datetime:
    return week.since + timedelta(days=days, hours=hours)


def preferences(owner, **choices) -> None:
    NotificationPreference.objects.create(user=owner, **choices)


def busy_client(username: str, week: IsoWeek, **preference) -> tuple:
    """A client whose order went active during `week`: 400 of 1,000 followers delivered, one
    step finished, @`username` from 1,000 to 1,250 followers, a $49.00 invoice."""
    owner = user(username)
    if preference:
        preferences(owner, **preference)
    moment = in_week(week)
    order = order_for(owner, status=OrderStatus.ACTIVE, total=4_900, paid_at=moment)
    change = OrderStatusChange.objects.create(
        order=order, from_status="processing", to_status="active", source="test"
    )
    OrderStatusChange.objects.filter(pk=change.pk).update(created_at=moment)
    task_for(order, kind="review", name="Check the account", finished_at=moment, position=0)
    task_for(
        order,
        status="running",
        position=1,
        quantity=1_000,
        delivered=400,
        remains=600,
        started_at=moment,
    )
    figures(order, f"@{username}", {week.monday: 1_000, week.sunday: 1_250})
    invoice = invoice_for(order, issued_at=moment)
    return owner, order, invoice


def figures(order, account: str, followers_on: dict) -> None:
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order, account=account, captured_on=day, followers=followers, source="sandbox"
        )
        for day, followers in followers_on.items()
    )


def bulk_clients(prefix: str, count: int, week: IsoWeek, *, orders_each: int = 1) -> list:
    """`count` clients, each with `orders_each` active orders that moved during `week`, a
    delivery task and two snapshots per order: a few bulk inserts."""
    password = make_password(None)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password=password
        )
        for n in range(count)
    )
    moment = in_week(week)
    orders = Order.objects.bulk_create(
        Order(
            number=f"{prefix.upper()}-{n}-{k}",
            user=owner,
            email=owner.email,
            name="Bulk Buyer",
            status=OrderStatus.ACTIVE,
            currency="USD",
            subtotal_amount=1_000,
            total_amount=1_000,
            paid_at=moment,
        )
        for n, owner in enumerate(users)
        for k in range(orders_each)
    )
    changes = OrderStatusChange.objects.bulk_create(
        OrderStatusChange(order=order, from_status="processing", to_status="active", source="t")
        for order in orders
    )
    OrderStatusChange.objects.filter(pk__in=[c.pk for c in changes]).update(created_at=moment)
    FulfillmentTask.objects.bulk_create(
        FulfillmentTask(
            order=order,
            name="Deliver followers",
            kind="delivery",
            adapter="sandbox",
            status="running",
            due_at=moment,
            quantity=100,
            delivered=50,
        )
        for order in orders
    )
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order,
            account=f"@{order.number}",
            captured_on=day,
            followers=followers,
            source="sandbox",
        )
        for order in orders
        for day, followers in ((week.monday, 100), (week.sunday, 130))
    )
    return users
