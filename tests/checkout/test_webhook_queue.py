"""Queued webhook mode: the request only records the event; worker loops apply it."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.utils import timezone

from billing.models import Invoice
from checkout.models import WebhookEvent
from checkout.webhooks import webhooks_apply_due

from .factories import placed_order, post_event, session_event
from .test_webhooks import changes_to, event_record, fails_once, reload

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year


@pytest.fixture(autouse=True)
def queued(settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_CAP_SECONDS = 60
    settings.WEBHOOK_MAX_PROCESSING_ATTEMPTS = 3


def make_due(event) -> None:
    """Let the retry time of a failed event pass."""
    WebhookEvent.objects.filter(event_id=event["id"]).update(next_attempt_at=timezone.now())


def test_event_is_recorded_at_once_and_applied_by_a_worker(client):
    order, session = placed_order()
    event = session_event(session)

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.json() == {
        "received": True,
        "event_id": event["id"],
        "outcome": "received",
        "duplicate": False,
    }
    assert reload(order).status == "pending" and not Invoice.objects.exists()
    assert event_record(event).next_attempt_at is not None

    assert webhooks_apply_due() == 1

    reload(order, session)
    assert order.status == "processing" and order.paid_at is not None
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert Invoice.objects.get().order == order
    record = event_record(event)
    assert (record.outcome, record.next_attempt_at, record.processing_attempts) == (
        "processed",
        None,
        1,
    )
    assert webhooks_apply_due() == 0  # nothing left


def test_repeated_deliveries_are_counted_and_applied_once(client):
    order, session = placed_order()
    event = session_event(session)

    answers = [post_event(client, event).json() for _ in range(5)]
    applied = webhooks_apply_due()
    again = post_event(client, event).json()

    assert [a["duplicate"] for a in answers] == [False, True, True, True, True]
    assert applied == 1 and webhooks_apply_due() == 0
    assert again["outcome"] == "processed" and again["duplicate"] is True
    assert changes_to(order, "processing") == 1 and Invoice.objects.count() == 1
    assert event_record(event).attempts == 6


def test_failing_handler_is_rolled_back_and_retried_by_the_worker(client, monkeypatch):
    order, session = placed_order()
    fails_once(monkeypatch, "checkout.webhooks.invoice_create_for_order", "invoice store down")
    event = session_event(session)
    assert post_event(client, event).status_code == 200  # Stripe is never asked to retry

    before = timezone.now()
    assert webhooks_apply_due() == 1

    reload(order, session)
    assert order.status == "pending" and order.paid_at is None
    assert session.status == "open" and changes_to(order, "processing") == 0
    assert not Invoice.objects.exists()
    record = event_record(event)
    assert (record.outcome, record.error) == ("failed", "RuntimeError: invoice store down")
    # First retry after 10 s with equal jitter: between 5 and 10 s from now.
    assert before + timedelta(seconds=5) <= record.next_attempt_at
    assert record.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert webhooks_apply_due() == 0  # not due yet

    make_due(event)
    assert webhooks_apply_due() == 1

    reload(order, record)
    assert order.status == "processing" and changes_to(order, "processing") == 1
    assert Invoice.objects.get().number == f"INV-{YEAR}-000001"
    assert (record.outcome, record.error, record.processing_attempts) == ("processed", "", 2)


def test_worker_gives_up_after_the_last_attempt_until_stripe_delivers_again(client, monkeypatch):
    order, session = placed_order()

    def broken(**kwargs):
        raise RuntimeError("invoice store down")

    monkeypatch.setattr("checkout.webhooks.invoice_create_for_order", broken)
    event = session_event(session)
    post_event(client, event)
    for _ in range(3):
        make_due(event)
        assert webhooks_apply_due() == 1
    record = event_record(event)
    assert (record.outcome, record.processing_attempts, record.next_attempt_at) == (
        "failed",
        3,
        None,
    )
    assert webhooks_apply_due() == 0

    monkeypatch.undo()
    assert post_event(client, event).json()["duplicate"] is True  # Stripe's own retry
    assert webhooks_apply_due() == 1

    assert event_record(event).outcome == "processed"
    assert reload(order).status == "processing" and Invoice.objects.count() == 1


def test_the_longest_due_event_is_applied_first(client):
    sessions = [placed_order()[1] for _ in range(3)]
    events = [session_event(session) for session in sessions]
    for event in events:
        post_event(client, event)
    # Due in the reverse of arrival order (as retries after failures can be).
    for event, seconds_ago in zip(events, (1, 10, 30), strict=True):
        WebhookEvent.objects.filter(event_id=event["id"]).update(
            next_attempt_at=timezone.now() - timedelta(seconds=seconds_ago)
        )

    applied = []
    while webhooks_apply_due(limit=1):
        applied.append(
            WebhookEvent.objects.filter(outcome="processed").order_by("-processed_at")[0].event_id
        )

    assert applied == [events[2]["id"], events[1]["id"], events[0]["id"]]


def test_apply_command_reports_progress(client, capsys):
    sessions = [placed_order()[1] for _ in range(3)]
    for session in sessions:
        post_event(client, session_event(session))

    call_command("apply_webhook_events", batch=2)

    out = capsys.readouterr().out
    assert "3 event(s) waiting" in out
    assert "applied 2" in out
    assert "Applied 3 event(s)" in out and "0 waiting for a retry, 0 failed for good" in out
    assert Invoice.objects.count() == 3


def test_staff_retry_of_a_failed_event_is_applied_by_the_next_worker(
    client, admin_client, monkeypatch, settings
):
    settings.STRIPE_WEBHOOK_MODE = "inline"  # Stripe would retry; staff need not wait for it
    order, session = placed_order()
    fails_once(monkeypatch, "checkout.webhooks.invoice_create_for_order", "invoice store down")
    event = session_event(session)
    assert post_event(client, event).status_code == 500
    assert webhooks_apply_due() == 0  # inline failures wait for a new delivery

    record = event_record(event)
    response = admin_client.post(
        "/admin/checkout/webhookevent/",
        {"action": "retry_now", "_selected_action": [record.pk]},
        follow=True,
    )

    assert f"The next worker applies: {record.event_id}." in response.content.decode()
    assert webhooks_apply_due() == 1
    assert reload(order).status == "processing" and Invoice.objects.count() == 1
    assert LogEntry.objects.get().change_message == "Retry requested"
