"""`run_worker` runs the named queues; `setup_schedules` keeps the django-q2 schedules right."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from billing.models import Invoice
from checkout.models import WebhookEvent
from fulfillment.models import FulfillmentTask
from tests.checkout.factories import placed_order, post_event, session_event
from tests.checkout.test_webhooks import reload


def run_worker(*queues: str) -> str:
    out = StringIO()
    call_command("run_worker", "--queues", ",".join(queues), "--once", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # the queues run in threads with their own connections
def test_each_queue_does_only_its_own_work(client, settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    order, session = placed_order()
    post_event(client, session_event(session))

    # One queue per run: two threads on the in-memory SQLite test database lock each other.
    for queue in ("emails", "fulfillment"):
        assert "took" not in run_worker(queue)  # nothing due before the payment is applied
    assert WebhookEvent.objects.get().outcome == "received"

    out = run_worker("payments")
    assert "payments: took 1" in out and "stopped; items taken: payments 1" in out
    assert reload(order).status == "processing" and Invoice.objects.count() == 1
    assert mail.outbox == [] and not FulfillmentTask.objects.exclude(runs=0).exists()

    out = run_worker("fulfillment")
    assert "fulfillment: took" in out
    assert not FulfillmentTask.objects.filter(runs=0).exists()
    assert mail.outbox == []

    out = run_worker("emails")
    assert "emails: took" in out
    assert [m.to for m in mail.outbox][0] == [order.email]
    assert order.number in mail.outbox[0].subject


def test_an_unknown_queue_is_refused_with_the_choices():
    with pytest.raises(CommandError, match="Unknown queue.*mail.*payments, fulfillment, emails"):
        call_command("run_worker", "--queues", "payments,mail", "--once")


@pytest.mark.django_db
def test_setup_schedules_is_idempotent_and_replaces_the_migrations_rows():
    Schedule.objects.all().delete()
    Schedule.objects.create(name="Retry order e-mails", func="orders.tasks.send_due_notifications")
    Schedule.objects.create(
        name="Process due fulfillment tasks", func="fulfillment.tasks.process_due_tasks"
    )
    Schedule.objects.create(  # edited by hand: set back
        name="Sweep expired checkout sessions",
        func="checkout.tasks.sweep_checkout_sessions",
        schedule_type=Schedule.MINUTES,
        minutes=60,
    )

    def rows():
        return sorted(
            Schedule.objects.values_list(
                "pk", "name", "func", "kwargs", "schedule_type", "minutes", "repeats", "next_run"
            ),
            key=lambda row: row[1],
        )

    call_command("setup_schedules", stdout=StringIO())
    first = rows()
    call_command("setup_schedules", stdout=StringIO())

    assert rows() == first
    assert [row[1:7] for row in first] == [
        ("Propose bundles", "experiments.tasks.propose_bundles", "", "W", None, -1),
        (
            "Run the worker queues",
            "backoffice.tasks.run_worker_queues",
            "{'seconds': 50}",
            "I",
            1,
            -1,
        ),
        ("Send the weekly digests", "backoffice.tasks.send_weekly_digests", "", "W", None, -1),
        (
            "Sweep expired checkout sessions",
            "checkout.tasks.sweep_checkout_sessions",
            "",
            "I",
            5,
            -1,
        ),
    ]
