"""Clients with orders for dashboard tests: real paid orders through checkout and the
webhook, or many rows at once with bulk_create for budgets."""

from datetime import timedelta

from django.utils import timezone

from fulfillment.models import AnalyticsSnapshot
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from tests.catalog.factories import ProductFactory

SANDBOX_DELIVERY = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "sandbox",
    "parameters": {"units": 400, "progress_steps": 4},
}
INSTAGRAM_SNAPSHOT = {
    "name": "Instagram snapshot",
    "kind": "analytics",
    "adapter": "instagram",
    "parameters": {},
}


def snapshots_for(order, *, account="@target.account", days=7, followers=1_000, step=25):
    """Daily snapshots up to today, growing by `step` followers a day."""
    today = timezone.localdate()
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order,
            account=account,
            captured_on=today - timedelta(days=days - 1 - n),
            followers=followers + step * n,
            reach=500 + 10 * n,
            views=2_000 + 30 * n,
            source="sandbox",
        )
        for n in range(days)
    )


def order_line(order, product, *, target: str = "") -> OrderLine:
    """An unsaved one-off line of one unit at $10.00, for orders written in bulk."""
    return OrderLine(
        order=order,
        product=product,
        title=product.title,
        configuration={},
        breakdown={},
        quantity=1,
        billing="one_off",
        target=target,
        targets=[target] if target else [],
        currency="USD",
        gross_amount=1_000,
        discount_amount=0,
        total_amount=1_000,
    )


def bulk_orders(owner, count, *, snapshot_days=5, status=OrderStatus.ACTIVE):
    """`count` paid orders of `owner` with a line, status history and daily snapshots each."""
    product = ProductFactory()
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            number=f"B{owner.pk}-{n:06d}",
            user=owner,
            email=owner.email,
            name="Bulk Buyer",
            status=status,
            currency="USD",
            subtotal_amount=1_000,
            total_amount=1_000,
            paid_at=now - timedelta(days=snapshot_days),
        )
        for n in range(count)
    )
    OrderLine.objects.bulk_create(
        order_line(order, product, target=f"@account.{n}") for n, order in enumerate(orders)
    )
    OrderStatusChange.objects.bulk_create(
        OrderStatusChange(order=order, from_status=before, to_status=after, source="test")
        for order in orders
        for before, after in (("", "pending"), ("pending", "processing"), ("processing", status))
    )
    today = timezone.localdate()
    AnalyticsSnapshot.objects.bulk_create(
        AnalyticsSnapshot(
            order=order,
            account=f"@account.{n}",
            captured_on=today - timedelta(days=day),
            followers=1_000 + 10 * (snapshot_days - day),
            reach=400,
            views=900,
            source="sandbox",
        )
        for n, order in enumerate(orders)
        for day in range(snapshot_days)
    )
    return orders
