"""`/metrics`: the business families read from the database, what a scrape costs, the token."""

import shutil
import subprocess
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from backoffice.queues import QUEUES, Queue, run_queues
from billing.models import Refund
from catalog.models import SearchEvent
from checkout.models import WebhookEvent
from core.models import ChatMessage, OutgoingEmail
from fulfillment.models import ProcessorCounter
from orders.models import OrderNotification
from tests.billing.factories import invoice_for, order_for, session_for, task_for
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db

FAMILIES = {
    "smplat_orders": "gauge",
    "smplat_checkout_sessions": "gauge",
    "smplat_checkout_sessions_created": "counter",
    "smplat_checkout_sessions_completed": "counter",
    "smplat_payments": "counter",
    "smplat_payments_amount": "counter",
    "smplat_refunds": "counter",
    "smplat_refunds_amount": "counter",
    "smplat_webhook_deliveries": "counter",
    "smplat_fulfillment_tasks": "gauge",
    "smplat_fulfillment_oldest_due_task_age_seconds": "gauge",
    "smplat_fulfillment_dead_letters": "gauge",
    "smplat_processor_loop_errors": "counter",
    "smplat_email_outbox": "gauge",
    "smplat_email_outbox_oldest_due_age_seconds": "gauge",
    "smplat_chat_messages": "gauge",
    "smplat_catalog_searches": "counter",
    "smplat_catalog_zero_result_searches": "counter",
}


def scrape(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of the smplat families."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("smplat_")
        for s in family.samples
    }


def value(found: dict, name: str, **labels) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def webhook(event_type: str, outcome: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=f"evt_{WebhookEvent.objects.count()}",
        type=event_type,
        payload={},
        last_seen_at=timezone.now(),
        outcome=outcome,
    )


def shop_day():
    """Orders in several states, sessions, invoices in two currencies, a refund, webhooks
    (one failed, one of a type nobody handles), a due and a dead task, e-mails, searches."""
    now = timezone.now()
    owner = user("metrics-client")
    paid = order_for(owner, status="completed", total=1_250)
    refunded = order_for(owner, status="refunded", total=5_000, currency="JPY")
    waiting = order_for(owner, status="pending", paid=False)
    order_for(owner, status="pending", paid=False)
    session_for(paid, status="complete", completed_at=now)
    session_for(refunded, status="complete", completed_at=now)
    session_for(waiting, status="expired")
    session_for(waiting, status="open", attempt=2)
    invoice_for(paid)
    Refund.objects.create(
        invoice=invoice_for(refunded, status="refunded", refunded_amount=5_000),
        provider_id="re_1",
        amount=5_000,
        currency="JPY",
    )
    webhook("checkout.session.completed", "processed")
    webhook("checkout.session.completed", "processed")
    webhook("charge.refunded", "failed")
    webhook("customer.created", "ignored")
    task_for(paid, status="queued", due_at=now - timedelta(seconds=90))
    task_for(paid, status="queued", due_at=now + timedelta(hours=1))
    task_for(paid, status="dead")
    task_for(paid, status="succeeded")
    OrderNotification.objects.create(
        order=paid,
        to_status="completed",
        email=owner.email,
        next_attempt_at=now - timedelta(seconds=40),
    )
    OrderNotification.objects.create(
        order=paid, to_status="processing", email=owner.email, next_attempt_at=now, status="sent"
    )
    OutgoingEmail.objects.create(
        key="digest-1",
        kind="weekly_digest",
        to=owner.email,
        subject="Your week",
        body_text="…",
        next_attempt_at=now - timedelta(seconds=70),
    )
    for key, status in (("chat:1", "sent"), ("chat:2", "failed"), ("chat:3", "sent")):
        ChatMessage.objects.create(
            key=key, kind="webhook_failures", payload={}, status=status, next_attempt_at=now
        )
    ProcessorCounter.objects.create(name="loop_errors", value=3)
    SearchEvent.objects.bulk_create(
        [
            SearchEvent(query="followers", result_count=4),
            SearchEvent(query="likes", result_count=2),
            SearchEvent(query="tiktok saves", result_count=0),
        ]
    )


def test_every_family_is_there_with_help_even_on_an_empty_shop(client):
    families = {
        f.name: f for f in text_string_to_metric_families(scrape(client)) if f.name in FAMILIES
    }
    assert {name: f.type for name, f in families.items()} == FAMILIES
    assert all(f.documentation for f in families.values())
    found = samples(scrape(client))
    # Every status is reported, 0 when nothing is in it; ages are 0 when nothing is due.
    assert value(found, "smplat_orders", status="on_hold") == 0
    assert value(found, "smplat_fulfillment_tasks", status="dead") == 0
    assert value(found, "smplat_email_outbox_oldest_due_age_seconds") == 0
    assert value(found, "smplat_fulfillment_oldest_due_task_age_seconds") == 0


def test_the_numbers_are_the_databases(client):
    shop_day()
    found = samples(scrape(client))

    assert value(found, "smplat_orders", status="pending") == 2
    assert value(found, "smplat_orders", status="completed") == 1
    assert value(found, "smplat_orders", status="refunded") == 1
    assert value(found, "smplat_orders", status="cancelled") == 0

    assert value(found, "smplat_checkout_sessions", status="complete") == 2
    assert value(found, "smplat_checkout_sessions", status="open") == 1
    assert value(found, "smplat_checkout_sessions", status="expired") == 1
    assert value(found, "smplat_checkout_sessions_created_total") == 4
    assert value(found, "smplat_checkout_sessions_completed_total") == 2

    # Money in the currency's major unit: $12.50, and yen have no minor unit.
    assert value(found, "smplat_payments_total", currency="usd") == 1
    assert value(found, "smplat_payments_amount_total", currency="usd") == 12.5
    assert value(found, "smplat_payments_total", currency="jpy") == 1
    assert value(found, "smplat_payments_amount_total", currency="jpy") == 5_000
    assert value(found, "smplat_refunds_total", currency="jpy") == 1
    assert value(found, "smplat_refunds_amount_total", currency="jpy") == 5_000
    assert ("smplat_refunds_total", (("currency", "usd"),)) not in found

    deliveries = {
        labels: n
        for (name, labels), n in found.items()
        if name == "smplat_webhook_deliveries_total"
    }
    assert deliveries == {
        (("outcome", "processed"), ("type", "checkout.session.completed")): 2,
        (("outcome", "failed"), ("type", "charge.refunded")): 1,
        (("outcome", "ignored"), ("type", "other")): 1,
    }

    assert value(found, "smplat_fulfillment_tasks", status="queued") == 2
    assert value(found, "smplat_fulfillment_tasks", status="succeeded") == 1
    assert value(found, "smplat_fulfillment_dead_letters") == 1
    assert 90 <= value(found, "smplat_fulfillment_oldest_due_task_age_seconds") < 150
    assert value(found, "smplat_processor_loop_errors_total") == 3

    assert value(found, "smplat_email_outbox", kind="order_update", status="pending") == 1
    assert value(found, "smplat_email_outbox", kind="order_update", status="sent") == 1
    assert value(found, "smplat_email_outbox", kind="order_update", status="failed") == 0
    assert value(found, "smplat_email_outbox", kind="weekly_digest", status="pending") == 1
    assert value(found, "smplat_email_outbox", kind="checkout_recovery", status="pending") == 0
    # The digest waits longer than the order e-mail: the oldest of both tables counts.
    assert 70 <= value(found, "smplat_email_outbox_oldest_due_age_seconds") < 130

    assert value(found, "smplat_chat_messages", status="sent") == 2
    assert value(found, "smplat_chat_messages", status="failed") == 1
    assert value(found, "smplat_chat_messages", status="pending") == 0

    assert value(found, "smplat_catalog_searches_total") == 3
    assert value(found, "smplat_catalog_zero_result_searches_total") == 1


@pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed (apt-get install --no-install-recommends prometheus)",
)
def test_the_exposition_passes_promtool(client):
    shop_day()
    done = subprocess.run(
        ["promtool", "check", "metrics"],
        input=scrape(client),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def more_of_everything(n: int):
    owner = user(f"metrics-more-{n}")
    for status in ("pending", "active", "on_hold"):
        order = order_for(owner, status=status)
        session_for(order, status="abandoned")
        invoice_for(order, currency="EUR")
        task_for(order, status="waiting_staff")
    webhook("invoice.paid", "processed")
    SearchEvent.objects.create(query="reach", result_count=0)


def test_a_scrape_costs_the_same_queries_whatever_the_data(client, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as empty:
        scrape(client)
    shop_day()
    for n in range(3):
        more_of_everything(n)
    with CaptureQueriesContext(connection) as busy:
        scrape(client)
    assert len(busy) == len(empty)
    with django_assert_max_num_queries(14):
        scrape(client)


# The token ------------------------------------------------------------------------------------


def test_with_a_token_set_only_its_bearer_gets_the_metrics(client, settings):
    settings.METRICS_TOKEN = "metrics-token-0123456789"
    shop_day()

    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "metrics_token_missing"
    assert missing["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "metrics_token_invalid"
    for refused in (missing, wrong):
        assert b"smplat_orders" not in refused.content

    found = samples(scrape(client, HTTP_AUTHORIZATION="Bearer metrics-token-0123456789"))
    assert value(found, "smplat_orders", status="pending") == 2


def test_without_a_token_development_and_tests_are_open(client, settings):
    settings.METRICS_TOKEN = ""
    assert "smplat_orders" in scrape(client)


# Loop errors are counted where every process sees them -----------------------------------------


@pytest.mark.django_db(transaction=True)  # the queue runs in a thread with its own connection
def test_a_failing_queue_pass_is_counted_in_the_shared_loop_errors(client, monkeypatch):
    def fail(batch):
        raise RuntimeError("provider panel answered garbage")

    monkeypatch.setitem(QUEUES, "broken", Queue("broken", "always fails", fail))
    stop = threading.Event()
    runs = run_queues(["broken"], poll=0.01, seconds=0, stop=stop)
    assert runs["broken"].errors >= 1
    found = samples(scrape(client))
    assert value(found, "smplat_processor_loop_errors_total") == runs["broken"].errors
