"""Reads for cart, checkout pages and payment observability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    CharField,
    Count,
    DurationField,
    Exists,
    F,
    Min,
    Model,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from catalog.pricing import (
    CartLineInput,
    CartPricing,
    PaymentPlan,
    PricedLine,
    payment_plan,
    price_cart,
)
from catalog.selectors import pricing_rules, pricing_version, products_for_pricing
from core.ids import parse_id
from core.money import Money
from orders.models import Order, OrderStatus

from .models import Cart, CartItem, CheckoutSession, SessionStatus, WebhookEvent, WebhookOutcome
from .targets import targets_needed


@dataclass(frozen=True)
class CartLine:
    """A cart item with its price from `price_cart`."""

    item: CartItem
    priced: PricedLine
    label: str  # tells two lines of one service apart

    @property
    def product(self):
        return self.item.product

    @property
    def targets_needed(self) -> int:
        return targets_needed(
            one_account_per_unit=self.product.one_account_per_unit,
            quantity=self.breakdown.quantity if self.breakdown else 1,
        )

    @property
    def breakdown(self):
        return self.priced.breakdown

    @property
    def error(self) -> str:
        return self.priced.error

    @property
    def bundle(self):
        return self.priced.bundle

    @property
    def to_pay(self) -> Money | None:
        return self.priced.total


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    pricing: CartPricing | None
    plan: PaymentPlan | None = None  # what is paid today and what renews

    @property
    def total(self) -> Money | None:
        return self.pricing.total if self.pricing else None

    @property
    def bundles(self) -> list[tuple[str, Money]]:
        return self.pricing.bundles if self.pricing else []

    @property
    def has_errors(self) -> bool:
        return any(line.error for line in self.lines)

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.has_errors and self.total is not None


def cart_view(*, cart: Cart | None) -> CartView:
    """Every item priced now by `price_cart`; items that stopped being valid say why."""
    if cart is None:
        return CartView(lines=[], pricing=None)
    items = list(CartItem.objects.filter(cart=cart))
    if not items:
        return CartView(lines=[], pricing=None)
    # Products, campaigns and bundles as of the pricing version read now: cached, yet as
    # fresh as reading them (the version changes in the same transaction as any edit).
    version = pricing_version()
    products = products_for_pricing([item.product_id for item in items], version=version)
    items = [item for item in items if item.product_id in products]  # deleted meanwhile
    for item in items:
        item.product = products[item.product_id]
    pricing = price_cart(
        [
            CartLineInput(
                key=item.pk,
                product=item.product,
                configuration=item.configuration,
                bundle_id=item.bundle_id,
            )
            for item in items
        ],
        pricing_rules(version=version, bundles=any(item.bundle_id for item in items)),
    )
    lines = [
        CartLine(item=item, priced=priced, label=label)
        for item, priced, label in zip(items, pricing.lines, _labels(pricing.lines), strict=True)
    ]
    return CartView(
        lines=lines, pricing=pricing, plan=pricing.payment_plan(today=timezone.localdate())
    )


def _labels(lines: tuple[PricedLine, ...]) -> list[str]:
    """The service's title; where a service has several lines, also which line it is, its
    quantity and choices ("Instagram Growth — line 2, 3 accounts, Premium")."""
    lines_of = {}
    for line in lines:
        lines_of.setdefault(line.product.pk, []).append(line.key)
    labels = []
    for line in lines:
        keys, product = lines_of[line.product.pk], line.product
        if len(keys) == 1 or line.breakdown is None:
            labels.append(product.title)
            continue
        quantity = line.breakdown.quantity
        unit = product.quantity_label.removesuffix("s") if quantity == 1 else product.quantity_label
        chosen = set(line.breakdown.configuration.option_ids)
        choices = [
            option.label
            for group in product.option_groups.all()
            for option in group.options.all()
            if option.pk in chosen
        ]
        details = ", ".join([f"line {keys.index(line.key) + 1}", f"{quantity} {unit}", *choices])
        labels.append(f"{product.title} — {details}")
    return labels


def order_payment_plan(*, order, lines) -> PaymentPlan:
    """The plan of a placed order, from its lines (copies of the cart's pricing), as the cart
    and checkout said it."""
    return payment_plan(
        ((line.total, line.interval or None) for line in lines),
        currency=order.currency,
        today=timezone.localdate(),
    )


def session_latest(*, order) -> CheckoutSession | None:
    """The order's most recent payment attempt."""
    return order.checkout_sessions.order_by("-attempt").first()


def orders_left_unpaid(
    *,
    closed_between: tuple[datetime, datetime],
    unannounced_in: type[Model],
    key_prefix: str,
    min_amount: int = 0,
    limit: int,
) -> list[Order]:
    """Orders awaiting payment whose latest payment page closed unpaid (expired, or abandoned
    by the customer) within `closed_between`, with no page open or paid since, and no row of
    `unannounced_in` (a `core.models.Delivery`) keyed `key_prefix<order pk>` yet; oldest
    first, with client and lines. Two queries."""
    start, end = closed_between
    latest = CheckoutSession.objects.filter(order=OuterRef("pk")).order_by("-attempt")
    announced = unannounced_in._default_manager.filter(
        key=Concat(Value(key_prefix), Cast(OuterRef("pk"), CharField()))
    )
    return list(
        Order.objects.filter(
            status=OrderStatus.PENDING, paid_at__isnull=True, total_amount__gte=min_amount
        )
        .annotate(
            page_status=Subquery(latest.values("status")[:1]),
            page_closed_at=Subquery(latest.values("closed_at")[:1]),
        )
        .filter(
            page_status__in=[SessionStatus.EXPIRED, SessionStatus.ABANDONED],
            page_closed_at__gte=start,
            page_closed_at__lte=end,
        )
        .exclude(
            Exists(
                CheckoutSession.objects.filter(
                    order=OuterRef("pk"), status__in=[SessionStatus.OPEN, SessionStatus.COMPLETE]
                )
            )
        )
        .exclude(Exists(announced))
        .select_related("user")
        .prefetch_related("lines")
        .order_by("page_closed_at", "pk")[:limit]
    )


def session_get_by_ref(ref: str) -> CheckoutSession | None:
    """An operator's reference to a session: our id or the provider's."""
    qs = CheckoutSession.objects.select_related("order")
    pk = parse_id(ref)
    if pk is not None:
        return qs.filter(pk=pk).first()
    return qs.filter(provider_id=ref).first()


def sessions_awaiting_payment(*, limit: int = 20) -> list[CheckoutSession]:
    """The newest payment attempt of each order still awaiting payment, newest first, with its
    order (one query): what staff may regenerate, expire or send again."""
    return list(
        CheckoutSession.objects.filter(order__status="pending", regenerated_as__isnull=True)
        .select_related("order")
        .order_by("-created_at", "-pk")[:limit]
    )


def session_counts(*, user=None, since=None, until=None, **extra) -> dict:
    """Hosted sessions by outcome: every client's, or one client's (`user`); all of them, or
    those opened between `since` and `until`. `extra` adds aggregates over the same rows."""
    sessions = CheckoutSession.objects.all()
    if user is not None:
        sessions = sessions.filter(order__user=user)
    if since is not None:
        sessions = sessions.filter(created_at__gte=since)
    if until is not None:
        sessions = sessions.filter(created_at__lt=until)
    rows = sessions.aggregate(
        created=Count("id"),
        open=Count("id", filter=Q(status="open")),
        completed=Count("id", filter=Q(status="complete")),
        expired=Count("id", filter=Q(status="expired")),
        abandoned=Count("id", filter=Q(status="abandoned")),
        regenerated=Count("id", filter=Q(regenerated_from__isnull=False)),
        paid=Count("id", filter=Q(payment_status="paid")),
        **extra,
    )
    return rows


@dataclass(frozen=True)
class CheckoutFunnel:
    """A client's hosted-checkout figures."""

    created: int
    open: int
    completed: int
    expired: int
    abandoned: int
    regenerated: int
    paid: int
    time_to_pay: timedelta | None  # on average, from placing an order to its payment

    @property
    def conversion_percent(self) -> int | None:
        """Completed sessions of every session opened, as a whole percentage."""
        return round(100 * self.completed / self.created) if self.created else None


def checkout_funnel(*, user) -> CheckoutFunnel:
    """`user`'s sessions by outcome and the average time to pay: one query."""
    rows = session_counts(
        user=user,
        time_to_pay=Avg(
            F("order__paid_at") - F("order__created_at"),
            filter=Q(status="complete", order__paid_at__isnull=False),
            output_field=DurationField(),
        ),
    )
    return CheckoutFunnel(**rows)


def orders_awaiting_payment(*, user, limit: int = 5) -> list[Order]:
    """`user`'s unpaid orders that can still be paid, newest first."""
    return list(
        Order.objects.filter(user=user, status=OrderStatus.PENDING, paid_at__isnull=True).order_by(
            "-created_at"
        )[:limit]
    )


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 3)}


def webhook_queue() -> dict:
    """Events waiting for a worker (queued mode), and failed ones that only a new delivery
    from Stripe will retry (inline mode, or workers out of attempts)."""
    pending = WebhookEvent.objects.filter(
        outcome__in=[WebhookOutcome.RECEIVED, WebhookOutcome.FAILED]
    ).aggregate(
        waiting=Count("id", filter=Q(next_attempt_at__isnull=False)),
        oldest=Min("first_seen_at", filter=Q(next_attempt_at__isnull=False)),
        given_up=Count("id", filter=Q(outcome=WebhookOutcome.FAILED, next_attempt_at__isnull=True)),
    )
    oldest = pending["oldest"]
    return {
        "mode": settings.STRIPE_WEBHOOK_MODE,
        "waiting": pending["waiting"],
        "oldest_waiting_seconds": round((timezone.now() - oldest).total_seconds(), 1)
        if oldest
        else None,
        "failed_awaiting_redelivery": pending["given_up"],
    }


def payment_observability(*, latency_window: int = 1000, failures: int = 10) -> dict:
    """Checkout funnel and webhook delivery health for operators and alerting."""
    sessions = session_counts()
    created = sessions["created"]
    by_type: dict[str, dict[str, int]] = {}
    deliveries = 0
    for row in WebhookEvent.objects.values("type", "outcome").annotate(
        events=Count("id"), attempts=Sum("attempts")
    ):
        by_type.setdefault(row["type"], {})[row["outcome"]] = row["events"]
        deliveries += row["attempts"]
    failed = list(
        WebhookEvent.objects.filter(outcome=WebhookOutcome.FAILED)
        .order_by("-last_seen_at")
        .values("event_id", "type", "attempts", "error", "last_seen_at")[:failures]
    )
    latencies = list(
        WebhookEvent.objects.filter(processing_ms__isnull=False)
        .order_by("-last_seen_at")
        .values_list("processing_ms", flat=True)[:latency_window]
    )
    return {
        "sessions": sessions,
        "conversion_rate": round(sessions["completed"] / created, 4) if created else None,
        "webhook_queue": webhook_queue(),
        "webhooks": {
            "events": sum(sum(outcomes.values()) for outcomes in by_type.values()),
            "deliveries": deliveries,
            "by_type": by_type,
            "failures": [{**f, "last_seen_at": f["last_seen_at"].isoformat()} for f in failed],
            "last_error": failed[0]["error"] if failed else None,
            "processing_ms": _percentiles(latencies),
        },
    }
