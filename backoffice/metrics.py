"""Business metrics for Prometheus, read from the database at scrape time.

Every web process, on every machine, answers a scrape with the same numbers because they come
from the shared database, not from process memory: nothing to merge across gunicorn workers,
nothing lost on a restart. Each family costs at most one aggregate query (fourteen in all,
whatever the data size); counting with COUNT(*) lets the status counts read only their indexes.
Gauges describe states; counters count rows that are only ever added (orders'
invoices, refunds, webhook deliveries, searches). Dashboards combine these families across
instances with `max`, never `sum`. The contract of names is docs/operations.md, "Metrics".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY

from billing.models import Invoice, Refund
from catalog.models import SearchEvent
from checkout.models import CheckoutSession, SessionStatus, WebhookEvent, WebhookOutcome
from checkout.webhooks import HANDLERS
from core.models import ChatMessage, DeliveryStatus, OutgoingEmail
from core.money import currency_exponent
from core.outbox import EMAIL_KINDS
from fulfillment.models import FulfillmentTask, ProcessorCounter, TaskStatus
from orders.models import Order, OrderNotification, OrderStatus

# The ProcessorCounter row a worker bumps when a queue pass raises.
LOOP_ERRORS_COUNTER = "loop_errors"


def _major(amount: int | None, currency: str) -> float:
    """Minor units to the currency's major unit (1250 USD cents → 12.5)."""
    return float(Decimal(amount or 0).scaleb(-currency_exponent(currency)))


def _by_status(model, choices) -> dict[str, int]:
    counts = dict.fromkeys(choices.values, 0)
    counts.update(model.objects.order_by().values_list("status").annotate(n=Count("*")))
    return counts


def _age_seconds(oldest, now) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def _status_gauge(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status, n in counts.items():
        family.add_metric([status], n)
    return family


def _money_counters(name: str, what: str, rows) -> Iterator[Metric]:
    count = CounterMetricFamily(name, f"{what}, by currency.", labels=["currency"])
    amount = CounterMetricFamily(
        f"{name}_amount",
        f"{what}: the sum, in the currency's major unit, by currency.",
        labels=["currency"],
    )
    for currency, n, total in rows:
        count.add_metric([currency.lower()], n)
        amount.add_metric([currency.lower()], _major(total, currency))
    yield count
    yield amount


class BusinessCollector:
    """The families of docs/operations.md "Metrics", from the database on every collect."""

    def describe(self) -> list[Metric]:
        return []  # collected only at scrape time: registering must not query the database

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from self._orders()
        yield from self._checkout()
        yield from self._money()
        yield from self._webhooks()
        yield from self._fulfillment(now)
        yield from self._email(now)
        yield from self._chat()
        yield from self._searches()

    def _orders(self) -> Iterator[Metric]:
        yield _status_gauge("smplat_orders", "Orders by status.", _by_status(Order, OrderStatus))

    def _checkout(self) -> Iterator[Metric]:
        counts = _by_status(CheckoutSession, SessionStatus)
        yield _status_gauge(
            "smplat_checkout_sessions", "Hosted checkout sessions by status.", counts
        )
        yield CounterMetricFamily(
            "smplat_checkout_sessions_created",
            "Hosted checkout sessions created.",
            value=sum(counts.values()),
        )
        yield CounterMetricFamily(
            "smplat_checkout_sessions_completed",
            "Hosted checkout sessions completed (paid or awaiting a delayed payment).",
            value=counts[SessionStatus.COMPLETE],
        )

    def _money(self) -> Iterator[Metric]:
        payments = (
            Invoice.objects.order_by()
            .values_list("currency")
            .annotate(n=Count("*"), total=Sum("total_amount"))
        )
        yield from _money_counters("smplat_payments", "Paid invoices", payments)
        refunds = (
            Refund.objects.order_by()
            .values_list("currency")
            .annotate(n=Count("*"), total=Sum("amount"))
        )
        yield from _money_counters("smplat_refunds", "Refunds", refunds)

    def _webhooks(self) -> Iterator[Metric]:
        counts: dict[tuple[str, str], int] = {}
        rows = WebhookEvent.objects.order_by().values_list("type", "outcome").annotate(n=Count("*"))
        for event_type, outcome, n in rows:
            key = (event_type if event_type in HANDLERS else "other", outcome)
            counts[key] = counts.get(key, 0) + n
        family = CounterMetricFamily(
            "smplat_webhook_deliveries",
            "Stripe webhook events received, by type (handled types; the rest are `other`) "
            f"and outcome ({', '.join(WebhookOutcome.values)}).",
            labels=["type", "outcome"],
        )
        for (event_type, outcome), n in sorted(counts.items()):
            family.add_metric([event_type, outcome], n)
        yield family

    def _fulfillment(self, now) -> Iterator[Metric]:
        counts = _by_status(FulfillmentTask, TaskStatus)
        yield _status_gauge("smplat_fulfillment_tasks", "Fulfillment tasks by status.", counts)
        oldest = FulfillmentTask.objects.filter(
            status=TaskStatus.QUEUED, due_at__lte=now
        ).aggregate(oldest=Min("due_at"))["oldest"]
        yield GaugeMetricFamily(
            "smplat_fulfillment_oldest_due_task_age_seconds",
            "Seconds since the oldest queued task fell due (0 when none is due).",
            value=_age_seconds(oldest, now),
        )
        yield GaugeMetricFamily(
            "smplat_fulfillment_dead_letters",
            "Fulfillment tasks dead-lettered and waiting for staff.",
            value=counts[TaskStatus.DEAD],
        )
        errors = (
            ProcessorCounter.objects.filter(name=LOOP_ERRORS_COUNTER)
            .values_list("value", flat=True)
            .first()
        )
        yield CounterMetricFamily(
            "smplat_processor_loop_errors",
            "Worker queue passes that raised (logged; the queue carried on).",
            value=errors or 0,
        )

    def _email(self, now) -> Iterator[Metric]:
        outbox = GaugeMetricFamily(
            "smplat_email_outbox",
            "E-mails by kind (order updates, or what the outbox row says) and status.",
            labels=["kind", "status"],
        )
        for status, count in _by_status(OrderNotification, OrderNotification.Status).items():
            outbox.add_metric(["order_update", status], count)
        queued = dict.fromkeys(
            ((kind, status) for kind in EMAIL_KINDS for status in DeliveryStatus.values), 0
        )
        for row in OutgoingEmail.objects.order_by().values("kind", "status").annotate(n=Count("*")):
            queued[row["kind"], row["status"]] = row["n"]
        for (kind, status), count in queued.items():
            outbox.add_metric([kind, status], count)
        yield outbox
        oldest = [
            model.objects.filter(status="pending", next_attempt_at__lte=now).aggregate(
                oldest=Min("next_attempt_at")
            )["oldest"]
            for model in (OrderNotification, OutgoingEmail)
        ]
        yield GaugeMetricFamily(
            "smplat_email_outbox_oldest_due_age_seconds",
            "Seconds since the oldest unsent e-mail fell due (0 when none is due).",
            value=_age_seconds(min(filter(None, oldest), default=None), now),
        )

    def _chat(self) -> Iterator[Metric]:
        yield _status_gauge(
            "smplat_chat_messages",
            "Messages for the operators' chat by status.",
            _by_status(ChatMessage, DeliveryStatus),
        )

    def _searches(self) -> Iterator[Metric]:
        searches = SearchEvent.objects.aggregate(
            n=Count("*"), zero=Count("pk", filter=Q(result_count=0))
        )
        yield CounterMetricFamily(
            "smplat_catalog_searches", "Catalog searches.", value=searches["n"]
        )
        yield CounterMetricFamily(
            "smplat_catalog_zero_result_searches",
            "Catalog searches that found nothing.",
            value=searches["zero"],
        )


business_registry = CollectorRegistry(auto_describe=False)
business_registry.register(BusinessCollector())


def process_registry() -> CollectorRegistry:
    """django-prometheus' HTTP and database metrics: this process's own, or with
    PROMETHEUS_MULTIPROC_DIR set, every gunicorn worker's of this machine merged."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The whole /metrics page: the process metrics, then the business families."""
    return generate_latest(process_registry()) + generate_latest(business_registry)
