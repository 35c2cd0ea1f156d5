"""The demo clients of `seed_demo` and each order's story, told through the real services.

Every order is placed through the cart and checkout, paid (or expired, abandoned,
regenerated, refunded, renewed) by signed Stripe-shaped webhooks from the local gateway,
and fulfilled by the processor, exactly as in production. Each step of a story happens
now and is then dated back to when the story says it happened (`_Timeline`),
so timelines, invoices and checkout analytics read like weeks of real use. The analytics
history is the one bulk insert: no service writes a month of past snapshots.

Safe to run again: an order's checkout token derives from its client and key, so an order
told once is never told twice; the analytics history is upserted day by day.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, F, When
from django.utils import timezone

from billing.models import Invoice, Refund, Subscription
from catalog.models import SearchEvent
from catalog.pricing import Configuration, default_configuration
from catalog.selectors import product_get_for_pricing
from checkout.gateways.local import LocalGateway, session_object
from checkout.models import Cart, CheckoutSession, SessionStatus
from checkout.recovery import recovery_hold_back
from checkout.selectors import session_latest
from checkout.services import (
    cart_add,
    checkout_submit,
    session_open_at_gateway,
    session_regenerate,
    session_transition,
)
from checkout.webhooks import webhook_ingest, webhooks_apply_due
from fulfillment.adapters.base import PermanentError
from fulfillment.models import (
    AnalyticsSnapshot,
    FulfillmentTask,
    PlanStep,
    StepKind,
    TaskAttempt,
    TaskEvent,
)
from fulfillment.processor import Ran, process_due, tasks_claim_due, tasks_record
from fulfillment.services import task_force_complete, tasks_postpone_for_order
from orders.models import (
    Order,
    OrderNotification,
    OrderSelection,
    OrderStatus,
    OrderStatusChange,
)
from orders.notifications import notifications_hold_back
from orders.services import order_selection_set, order_transition

WORKER = "seed-demo"
# The sandbox delivers within seconds; the seeded in-flight orders wait this long for their
# next step, so a new user finds an order in every state whenever the workers run.
DEMO_PACE = timedelta(days=30)
TOKEN_NAMESPACE = uuid.UUID("5b0f3c3e-6f1d-4c55-9a57-1d4c2f8a9e10")


@dataclass(frozen=True)
class DemoOrder:
    """One order of a demo client and what happened to it.

    `payment`: how the hosted checkout went — "paid" (at once), "regenerated" (the first
    page expired, a new one was opened and paid), "open" (not paid yet), "abandoned" (the
    client cancelled on the payment page), "expired" (never paid).
    """

    key: str
    product: str
    target: str
    status: str
    days_ago: int = 0
    options: tuple[str, ...] = ()  # option labels chosen instead of the defaults
    billing: str = ""  # the product's default billing when empty
    payment: str = "paid"
    minutes_to_pay: int = 4
    delivery_runs: int = 1  # sandbox delivery runs (each delivers a quarter), a day apart
    dead_letter: str = ""  # the provider's refusal that dead-letters delivery (on hold)
    renewals: int = 0  # monthly renewals paid since the order
    refund_amount: int = 0  # refunded in part after delivery (cents)
    follower_gain: int = 0  # followers the analytics history shows gained since purchase


@dataclass(frozen=True)
class DemoClient:
    username: str
    email: str
    password: str
    name: str
    orders: tuple[DemoOrder, ...]


S = OrderStatus
CLIENTS = (
    DemoClient(
        "client",
        "client@smplat.localhost",
        "smplat-client",
        "Demo Client",
        (
            DemoOrder(
                "growth-2500",
                "instagram-growth",
                "@demo.cafe",
                S.COMPLETED,
                days_ago=49,
                options=("2,500 followers",),
                payment="regenerated",
                delivery_runs=5,
                refund_amount=1500,
                follower_gain=2500,
            ),
            DemoOrder(
                "growth-monthly",
                "instagram-growth",
                "@demo.cafe.kitchen",
                S.ACTIVE,
                days_ago=38,
                billing="subscription",
                delivery_runs=3,
                renewals=1,
                follower_gain=1000,
            ),
            DemoOrder(
                "tiktok", "tiktok-growth", "@demo.cafe", S.ACTIVE, days_ago=9, delivery_runs=2
            ),
            DemoOrder("audit", "instagram-audit", "@demo.cafe", S.PROCESSING, days_ago=1),
            DemoOrder(
                "likes",
                "instagram-likes",
                "@demo.cafe",
                S.ON_HOLD,
                days_ago=16,
                delivery_runs=2,
                dead_letter="Panel refused the order: the post is private (error 1034)",
                follower_gain=180,
            ),
            DemoOrder("tiktok-views", "tiktok-views", "@demo.cafe", S.PENDING, payment="open"),
            DemoOrder(
                "reels-views",
                "instagram-reels-views",
                "@demo.cafe",
                S.PENDING,
                payment="abandoned",
            ),
            DemoOrder(
                "youtube",
                "youtube-subscribers",
                "@demochannel",
                S.CANCELLED,
                days_ago=20,
                payment="expired",
            ),
            DemoOrder(
                "reels-production",
                "reels-production",
                "https://demo-cafe.example",
                S.REFUNDED,
                days_ago=28,
                minutes_to_pay=11,
            ),
        ),
    ),
    DemoClient(
        "client2",
        "client2@smplat.localhost",
        "smplat-client2",
        "Demo Studio",
        (
            DemoOrder(
                "growth",
                "instagram-growth",
                "@studio.north",
                S.ACTIVE,
                days_ago=24,
                delivery_runs=3,
                follower_gain=1000,
            ),
            DemoOrder(
                "tiktok",
                "tiktok-growth",
                "@studio.north",
                S.COMPLETED,
                days_ago=40,
                minutes_to_pay=2,
                delivery_runs=5,
            ),
            DemoOrder("likes", "instagram-likes", "@studio.north", S.PENDING, payment="open"),
        ),
    ),
)

# Catalog searches for the staff view: (query, results, times searched this week).
SEARCHES = (
    ("instagram followers", 3, 14),
    ("tiktok", 3, 9),
    ("reels", 2, 6),
    ("youtube subscribers", 1, 4),
    ("linkedin", 0, 5),
    ("twitch followers", 0, 3),
    ("pinterest pins", 0, 2),
)


def user_ensure(*, username: str, email: str, password: str, staff: bool = False):
    """The demo account, created once; its password reset to the printed one."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": staff, "is_superuser": staff}
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    return user


def demo_clients_seed(*, staff, log: Callable[[str], None], only: str | None = None) -> None:
    """Every demo client (or the one named `only`) with every order of its story that is
    not there yet, and the analytics history of its orders up to today. Orders are placed
    oldest first, so their numbers follow their dates."""
    stories = []
    for spec in CLIENTS:
        if only is None or spec.username == only:
            client = user_ensure(username=spec.username, email=spec.email, password=spec.password)
            stories += [(spec, client, demo) for demo in spec.orders]
    stories.sort(key=lambda story: -story[2].days_ago)
    growing: dict[int, tuple[int, Order]] = {}  # per client: its running order with most history
    for index, (spec, client, demo) in enumerate(stories, start=1):
        order, told = _order_tell(client, spec, demo, staff)
        days = _analytics_history(order, demo)
        if order.status == S.ACTIVE and days > growing.get(client.pk, (0, None))[0]:
            growing[client.pk] = (days, order)
        log(
            f"  order {index}/{len(stories)}: {order.number} of {spec.username}, "
            f"{order.status}"
            + ("" if told else " (already there)")
            + (f", {days} days of analytics" if days else "")
        )
    # A fresh demo opens on an order whose growth shows; a client's own pick is kept.
    for _, order in growing.values():
        if not OrderSelection.objects.filter(user_id=order.user_id).exists():
            order_selection_set(user=order.user, order=order)


def searches_seed(*, now: datetime | None = None) -> int:
    """A week of catalog searches, only into a catalog nobody has searched yet."""
    if SearchEvent.objects.exists():
        return 0
    now = now or timezone.now()
    events = [
        SearchEvent(
            query=query,
            result_count=results,
            created_at=now - timedelta(hours=7 + 11 * n + 3 * i),
        )
        for i, (query, results, times) in enumerate(SEARCHES)
        for n in range(times)
    ]
    SearchEvent.objects.bulk_create(events)
    return len(events)


# Orders -----------------------------------------------------------------------------------


def demo_token(username: str, key: str) -> uuid.UUID:
    return uuid.uuid5(TOKEN_NAMESPACE, f"{username}:{key}")


def _order_tell(client, spec: DemoClient, demo: DemoOrder, staff) -> tuple[Order, bool]:
    token = demo_token(spec.username, demo.key)
    existing = Order.objects.filter(checkout_token=token).first()
    if existing is not None:
        return existing, False
    placed = timezone.now() - timedelta(days=demo.days_ago)
    timeline = _Timeline()
    with timeline.at(placed):
        order = _place(client, spec, demo, token)
    story = _Story(order, demo, staff, placed, timeline)
    story.pay()
    story.fulfil()
    timeline.date(order_id=order.pk)
    notifications_hold_back(order=order)  # seeding must not e-mail anybody
    recovery_hold_back(order=order)
    tasks_postpone_for_order(order_id=order.pk, until=timezone.now() + DEMO_PACE)
    order.refresh_from_db()
    return order, True


def _place(client, spec: DemoClient, demo: DemoOrder, token: uuid.UUID) -> Order:
    product = product_get_for_pricing(slug=demo.product)
    cart, _ = Cart.objects.get_or_create(user=client)
    cart.items.all().delete()
    cart_add(cart=cart, product=product, configuration=_configuration(product, demo))
    item = cart.items.get()
    order, session, _ = checkout_submit(
        cart=cart,
        user=client,
        email=client.email,
        name=spec.name,
        targets={item.pk: [demo.target]},
        checkout_token=token,
    )
    session_open_at_gateway(session=session, base_url="")
    return order


def _configuration(product, demo: DemoOrder) -> Configuration:
    """The product's defaults, with `demo.options` chosen in their groups instead."""
    default = default_configuration(product)
    option_ids = list(default.option_ids)
    for group in product.option_groups.all():
        in_group = {option.pk for option in group.options.all()}
        chosen = [o.pk for o in group.options.all() if o.label in demo.options]
        if chosen:
            option_ids = [pk for pk in option_ids if pk not in in_group] + chosen
    return replace(default, option_ids=tuple(option_ids), billing=demo.billing or default.billing)


class _Story:
    """The rest of one order's life, each step at its own moment after `placed`."""

    def __init__(self, order: Order, demo: DemoOrder, staff, placed: datetime, timeline):
        self.order, self.demo, self.staff, self.placed = order, demo, staff, placed
        self.timeline = timeline
        self.gateway = LocalGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
        self.paid_at = placed + timedelta(minutes=demo.minutes_to_pay)

    def at(self, when: datetime):
        return self.timeline.at(when)

    def send(self, event_type: str, obj: dict) -> None:
        payload, signature = self.gateway.signed_event(event_type, obj)
        webhook_ingest(payload=payload, signature_header=signature)
        webhooks_apply_due()  # in queued mode the workers would; the demo needs it now

    def session_event(self, event_type: str, *, status: str, payment_status: str) -> None:
        session = session_latest(order=self.order)
        self.send(event_type, session_object(session, status=status, payment_status=payment_status))

    def pay(self) -> None:
        demo = self.demo
        if demo.payment == "open":
            return
        if demo.payment == "abandoned":
            with self.at(self.placed + timedelta(minutes=3)):
                session = session_latest(order=self.order)
                session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
            return
        if demo.payment in ("expired", "regenerated"):
            ttl = timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES)
            with self.at(self.placed + ttl):
                self.session_event(
                    "checkout.session.expired", status="expired", payment_status="unpaid"
                )
            if demo.payment == "expired":
                return
            with self.at(self.placed + ttl + timedelta(hours=2)):
                session_regenerate(session_id=session_latest(order=self.order).pk, base_url="")
            self.paid_at = self.placed + ttl + timedelta(hours=2, minutes=demo.minutes_to_pay)
        with self.at(self.paid_at):
            self.session_event(
                "checkout.session.completed", status="complete", payment_status="paid"
            )

    def fulfil(self) -> None:
        demo, order = self.demo, self.order
        if demo.status == S.PENDING:
            return
        if demo.status == S.CANCELLED:
            with self.at(self.placed + timedelta(days=1)):
                order_transition(
                    order_id=order.pk,
                    to_status=S.CANCELLED,
                    source="staff",
                    actor=self.staff,
                    reason="The client chose another service instead",
                )
            return
        if demo.status == S.PROCESSING:
            return
        if demo.status == S.REFUNDED:
            with self.at(self.paid_at + timedelta(days=2)):
                self.refund(order.total_amount, reason="requested_by_customer")
            return
        # Delivery runs spread over the first weeks (at most three), the first soon after payment.
        every = timedelta(days=max(1, min(demo.days_ago - 1, 21) // max(demo.delivery_runs, 1)))
        first = self.paid_at + timedelta(minutes=10)
        for run in range(demo.delivery_runs):
            with self.at(first + run * every):
                tasks_postpone_for_order(order_id=order.pk, until=timezone.now())
                process_due(worker=WORKER)
        done = first + demo.delivery_runs * every
        if demo.dead_letter:
            with self.at(done - every + timedelta(hours=2)):
                self.dead_letter(demo.dead_letter)
        if demo.status == S.COMPLETED:
            with self.at(done):
                for task in order.tasks.exclude(status="succeeded"):
                    task_force_complete(
                        task_id=task.pk, actor=self.staff, reason="Delivered in full"
                    )
        for n in range(1, demo.renewals + 1):
            with self.at(self.paid_at + timedelta(days=30 * n)):
                self.renew(n)
        if demo.refund_amount:
            with self.at(done + timedelta(days=3)):
                self.refund(demo.refund_amount, reason="Refill shortfall credit")

    def dead_letter(self, error: str) -> None:
        """The provider refuses for good: the processor dead-letters the delivery step."""
        tasks_postpone_for_order(order_id=self.order.pk, until=timezone.now())
        claimed = tasks_claim_due(worker=WORKER, limit=50)
        started = time.perf_counter()
        tasks_record(
            WORKER,
            [
                Ran(task, started, 140.0, error=PermanentError(error))
                if task.order_id == self.order.pk
                else Ran(task, started, 0.0, released=True)
                for task in claimed
            ],
        )

    def refund(self, amount: int, *, reason: str) -> None:
        invoice = self.order.invoices.get(kind=Invoice.Kind.ORDER)
        charge = invoice.payment_reference.replace("pi_", "ch_", 1)
        self.send(
            "charge.refunded",
            {
                "id": charge,
                "object": "charge",
                "amount": invoice.total_amount,
                "amount_refunded": invoice.refunded_amount + amount,
                "currency": invoice.currency.lower(),
                "payment_intent": invoice.payment_reference,
                "refunded": invoice.refunded_amount + amount >= invoice.total_amount,
                "refunds": {
                    "object": "list",
                    "data": [
                        {
                            "id": f"re_{charge}_{invoice.refunded_amount + amount}",
                            "object": "refund",
                            "amount": amount,
                            "currency": invoice.currency.lower(),
                            "reason": reason,
                            "status": "succeeded",
                        }
                    ],
                },
            },
        )

    def renew(self, n: int) -> None:
        """The subscription's n-th monthly cycle is paid (Stripe's `invoice.paid`)."""
        subscription = Subscription.objects.get(order=self.order)
        amount = sum(line.total_amount for line in self.order.lines.all() if line.interval)
        start = int(timezone.now().timestamp())
        self.send(
            "invoice.paid",
            {
                "id": f"in_{subscription.provider_id}_{n}",
                "object": "invoice",
                "billing_reason": "subscription_cycle",
                "subscription": subscription.provider_id,
                "customer": subscription.customer_id,
                "amount_paid": amount,
                "currency": self.order.currency.lower(),
                "payment_intent": f"pi_{subscription.provider_id}_{n}",
                "status": "paid",
                "lines": {"data": [{"period": {"start": start, "end": start + 30 * 86_400}}]},
            },
        )


# Moving a step back in time -------------------------------------------------------------

# Every timestamp an order's story writes (due times excluded: they stay live), by model and
# the path from the model to the order. A field written with a time other than "now" (an
# expiry, a period, a provider's whole-second time) is dated by the step that wrote the
# field after the colon, on the same row.
_TIMESTAMPS = (
    (Order, "pk", ("created_at", "updated_at", "paid_at")),
    (OrderStatusChange, "order_id", ("created_at",)),
    (
        OrderNotification,
        "order_id",
        ("created_at", "next_attempt_at:created_at", "sent_at:created_at"),
    ),
    (
        CheckoutSession,
        "order_id",
        ("created_at", "updated_at", "expires_at:created_at", "completed_at", "closed_at"),
    ),
    (
        Invoice,
        "order_id",
        (
            "created_at",
            "updated_at",
            "issued_at:created_at",
            "period_start:created_at",
            "period_end:created_at",
        ),
    ),
    (Refund, "invoice__order_id", ("created_at", "updated_at")),
    (Subscription, "order_id", ("created_at", "updated_at", "status_updated_at:updated_at")),
    (FulfillmentTask, "order_id", ("created_at", "updated_at", "started_at", "finished_at")),
    (TaskAttempt, "task__order_id", ("started_at:finished_at", "finished_at")),
    (TaskEvent, "task__order_id", ("created_at",)),
)


class _Timeline:
    """The steps of one order's story, run now one after another, each to be dated at the
    moment the story gives it.

    A field is dated by the last step that wrote it: a row keeps its spacing within a step,
    and a field a later step rewrites (`updated_at`, a status time) takes that step's date.
    `date` moves every timestamp of the order back in one UPDATE per table (each SET reads
    the row's values from before the UPDATE).
    """

    def __init__(self):
        self.steps: list[tuple[datetime, timedelta]] = []  # (real start, how far back)

    @contextmanager
    def at(self, when: datetime) -> Iterator[None]:
        start = timezone.now()
        yield
        self.steps.append((start, max(start - when, timedelta(0))))

    def date(self, *, order_id: int) -> None:
        latest_first = self.steps[::-1]
        for model, path, fields in _TIMESTAMPS:
            moved = {}
            for field in fields:
                name, _, anchor = field.partition(":")
                moved[name] = Case(
                    *(
                        When(**{f"{anchor or name}__gte": start}, then=F(name) - back)
                        for start, back in latest_first
                    ),
                    default=F(name),
                )
            model.objects.filter(**{path: order_id}).update(**moved)


# Analytics history --------------------------------------------------------------------------


SNAPSHOT_UPDATE_FIELDS = (
    "followers",
    "follows",
    "media_count",
    "reach",
    "profile_views",
    "views",
)


def snapshot_row(*, order_id: int, account: str, on: date, followers: int, reach: int, views: int):
    """One day's figures of one account."""
    return AnalyticsSnapshot(
        order_id=order_id,
        account=account,
        captured_on=on,
        followers=followers,
        follows=310 + followers % 97,
        media_count=60 + (on.toordinal() - 739_000) // 3,
        reach=reach,
        profile_views=reach // 9,
        source="sandbox",
        views=views,
    )


# Orders whose fulfillment has started: their analytics step has been taking snapshots.
HISTORY_STATUSES = (S.ACTIVE, S.COMPLETED, S.ON_HOLD)


def _analytics_history(order: Order, demo: DemoOrder) -> int:
    """Daily snapshots from the purchase to today for orders with an analytics step."""
    if order.status not in HISTORY_STATUSES:
        return 0
    has_step = PlanStep.objects.filter(
        product_id__in=order.lines.values("product_id"), kind=StepKind.ANALYTICS
    ).exists()
    if not has_step:
        return 0
    rows = list(_series(order, demo, today=timezone.now().date()))
    AnalyticsSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["order", "account", "captured_on"],
        update_fields=SNAPSHOT_UPDATE_FIELDS,
    )
    return len(rows)


def _series(order: Order, demo: DemoOrder, *, today: date) -> Iterator[AnalyticsSnapshot]:
    """Deterministic figures: a per-account baseline, steady organic growth, the order's gain
    spread over its first weeks, and the weekly rhythm reach and views have."""
    seed = sum(demo.target.encode()) * 7919
    baseline = 4_000 + seed % 16_000
    start = order.paid_at.date()
    days = (today - start).days
    ramp = 21  # the delivery pace: the gain arrives over three weeks
    for i in range(days + 1):
        on = start + timedelta(days=i)
        rhythm = (0, 4, 7, 5, 2, -3, -6)[on.weekday()]
        followers = baseline + i * (4 + seed % 9) + demo.follower_gain * min(i, ramp) // ramp
        reach = followers * (130 + 2 * rhythm + min(i, 30)) // 100
        views = reach * (19 + seed % 7 + rhythm // 2) // 10
        yield snapshot_row(
            order_id=order.pk,
            account=demo.target,
            on=on,
            followers=followers,
            reach=reach,
            views=views,
        )
