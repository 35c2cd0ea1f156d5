"""The e-mail outbox: queued once per key, sent over SMTP by the e-mail queue, retried with
backoff when the mail server refuses, withdrawn when it no longer applies."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import DeliveryStatus, OutgoingEmail
from core.outbox import (
    RETRY,
    EmailToQueue,
    email_cancel,
    email_queue,
    emails_queue_many,
    emails_send_due,
)

pytestmark = pytest.mark.django_db(transaction=True)


def queue(key="digest:1:2026-W48", **fields):
    values = {
        "kind": "weekly_digest",
        "to": "ada@example.com",
        "subject": "Your week at SMPLAT",
        "text": "Two orders moved this week.",
        "html": "<p>Two orders moved this week.</p>",
    }
    values.update(fields)
    return email_queue(key=key, **values)


def test_a_queued_email_is_sent_once_with_both_bodies(fake_smtp):
    email = queue()
    assert emails_send_due() == 1
    assert emails_send_due() == 0
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.sent_at and email.attempts == 1
    [accepted] = fake_smtp.accepted
    assert accepted.recipients == ("ada@example.com",)
    assert accepted.message["Subject"] == "Your week at SMPLAT"
    parts = {part.get_content_type(): part.get_payload() for part in accepted.message.walk()}
    assert "Two orders moved this week." in parts["text/plain"]
    assert "<p>Two orders moved this week.</p>" in parts["text/html"]


def test_the_same_key_twice_leaves_one_email():
    with transaction.atomic():
        first = queue()
        again = queue(subject="A second copy")
    assert first is not None and again is None
    assert OutgoingEmail.objects.get().subject == "Your week at SMPLAT"


def test_a_refusing_mail_server_is_tried_again_later_then_the_email_fails(fake_smtp):
    email = queue()
    fake_smtp.reject_next(RETRY.max_attempts)
    for attempt in range(1, RETRY.max_attempts + 1):
        assert emails_send_due() == 1
        email.refresh_from_db()
        assert email.attempts == attempt
        assert "451" in email.last_error
        if email.status == DeliveryStatus.FAILED:
            break
        assert email.status == DeliveryStatus.PENDING
        assert email.next_attempt_at > timezone.now()  # backed off: not due straight away
        assert emails_send_due() == 0
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert email.status == DeliveryStatus.FAILED and attempt == RETRY.max_attempts
    assert fake_smtp.accepted == []


def test_a_refusal_then_success_sends_it(fake_smtp):
    email = queue()
    fake_smtp.reject_next(1)
    emails_send_due()
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    emails_send_due()
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 2 and email.last_error == ""
    assert fake_smtp.subjects() == ["Your week at SMPLAT"]


def test_an_email_due_later_waits(fake_smtp):
    queue(due=timezone.now() + timedelta(minutes=5))
    assert emails_send_due() == 0
    assert fake_smtp.accepted == []


def test_a_cancelled_email_is_never_sent(fake_smtp):
    queue(key="recovery:7", kind="checkout_recovery")
    assert email_cancel(key="recovery:7") is True
    assert emails_send_due() == 0
    assert OutgoingEmail.objects.get().status == DeliveryStatus.CANCELLED
    assert email_cancel(key="recovery:7") is False
    assert fake_smtp.accepted == []


def test_a_sender_that_died_mid_send_has_its_email_sent_again_after_the_lease(fake_smtp):
    email = queue()
    # Claimed by a worker that then vanished: its lease has run out.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=timezone.now()
    )
    assert emails_send_due() == 1
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        queue(kind="newsletter")


def test_many_emails_are_queued_at_once_leaving_out_keys_queued_before(fake_smtp):
    queue(key="digest:1:2026-W48")
    emails = [
        EmailToQueue(f"digest:{n}:2026-W48", "weekly_digest", f"c{n}@example.com", "Week", "t")
        for n in range(1, 4)
    ]
    with transaction.atomic():
        assert emails_queue_many(emails=emails) == {"digest:2:2026-W48", "digest:3:2026-W48"}
    with transaction.atomic():
        assert emails_queue_many(emails=emails) == set()
    assert OutgoingEmail.objects.count() == 3
    assert emails_send_due() == 3
    assert sorted(m.recipients for m in fake_smtp.accepted) == [
        ("ada@example.com",),
        ("c2@example.com",),
        ("c3@example.com",),
    ]
