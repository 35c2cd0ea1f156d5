"""Chat messages for operators: queued once per key, posted to a Slack-compatible webhook by
the chat queue, every try logged; a receiver that fails is tried again after backoff, and the
message fails for good after the last attempt."""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.queues import QUEUES, run_queues
from core.chat import RETRY, chat_queue, chat_withhold, chats_send_due
from core.models import ChatAttempt, ChatMessage, DeliveryStatus
from core.outbox import email_queue
from tests.fake_chat import ERROR, GARBAGE, HANG

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Checkout abandoned*"}}]


def queue(key="chat:abandoned:1", **fields):
    values = {"kind": "checkout_abandoned", "text": "Checkout abandoned: SMP-1", "blocks": BLOCKS}
    values.update(fields)
    return chat_queue(key=key, **values)


def due_now(message):
    ChatMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_a_message_is_posted_once_in_slacks_shape(fake_chat):
    message = queue()
    assert QUEUES["chat"].step(None) == 1
    assert QUEUES["chat"].step(None) == 0
    assert fake_chat.received == [{"text": "Checkout abandoned: SMP-1", "blocks": BLOCKS}]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.attempts == 1
    [attempt] = message.tries.all()
    assert attempt.number == 1 and attempt.http_status == 200 and attempt.error == ""


def test_the_same_key_twice_leaves_one_message(fake_chat):
    assert queue() is not None
    assert queue(text="A second copy") is None
    chats_send_due()
    assert [body["text"] for body in fake_chat.received] == ["Checkout abandoned: SMP-1"]


def test_without_a_webhook_url_nothing_is_queued(settings):
    settings.OPS_CHAT_WEBHOOK_URL = ""
    assert queue() is None
    assert not ChatMessage.objects.exists()


def test_a_failing_receiver_is_retried_after_backoff_and_every_try_is_logged(fake_chat):
    message = queue()
    fake_chat.fail_next(ERROR, HANG, GARBAGE)
    for number, error in enumerate(["HTTP 500", "ReadTimeout", "ConnectionError"], start=1):
        assert chats_send_due() == 1
        message.refresh_from_db()
        assert message.status == DeliveryStatus.PENDING and message.attempts == number
        assert error in message.last_error
        assert message.next_attempt_at > timezone.now()  # backed off: not due straight away
        assert chats_send_due() == 0
        due_now(message)
    chats_send_due()
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.last_error == ""
    assert len(fake_chat.received) == 1 and fake_chat.requests == 4
    log = list(ChatAttempt.objects.filter(message=message))
    assert [(a.number, a.http_status) for a in log] == [(1, 500), (2, None), (3, None), (4, 200)]
    assert "HTTP 500: internal_error" in log[0].error
    assert "ReadTimeout" in log[1].error and log[1].duration_ms >= 500  # OPS_CHAT_TIMEOUT
    assert log[2].error and log[3].error == ""


def test_a_message_fails_for_good_after_the_last_attempt(fake_chat):
    message = queue()
    fake_chat.fail_next(*[ERROR] * RETRY.max_attempts)
    for _ in range(RETRY.max_attempts):
        assert chats_send_due() == 1
        due_now(message)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED and message.attempts == RETRY.max_attempts
    assert message.tries.count() == RETRY.max_attempts
    assert chats_send_due() == 0
    assert fake_chat.received == []


def test_a_withheld_key_is_never_posted(fake_chat):
    chat_withhold(key="chat:abandoned:1", kind="checkout_abandoned", reason="Not sent: demo data.")
    assert queue() is None
    assert chats_send_due() == 0
    assert ChatMessage.objects.get().status == DeliveryStatus.CANCELLED
    assert fake_chat.requests == 0


def test_a_message_queued_before_chat_was_switched_off_is_cancelled(fake_chat, settings):
    message = queue()
    settings.OPS_CHAT_WEBHOOK_URL = ""
    chats_send_due()
    message.refresh_from_db()
    assert message.status == DeliveryStatus.CANCELLED and fake_chat.requests == 0


def test_staff_read_the_delivery_log_in_the_admin(fake_chat, client, django_user_model):
    message = queue()
    fake_chat.fail_next(ERROR)
    chats_send_due()
    staff = django_user_model.objects.create_superuser("chat-ops", "ops@example.com", "pw-x-12345")
    client.force_login(staff)
    listing = client.get("/admin/core/chatmessage/")
    assert listing.status_code == 200 and b"chat:abandoned:1" in listing.content
    page = client.get(f"/admin/core/chatmessage/{message.pk}/change/")
    assert page.status_code == 200
    assert b"HTTP 500: internal_error" in page.content
    assert b"Save" not in page.content  # read only


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two queue threads lock each other on the in-memory SQLite test database",
)
def test_a_hanging_chat_receiver_does_not_delay_emails(fake_chat, fake_smtp, settings):
    settings.OPS_CHAT_TIMEOUT = 2
    for n in range(3):
        queue(key=f"chat:abandoned:{n}")
    fake_chat.fail_next(HANG, HANG, HANG)
    email_queue(key="digest:1", kind="weekly_digest", to="ada@example.com", subject="Hi", text=".")
    stop = threading.Event()
    worker = threading.Thread(
        target=run_queues,
        args=(["emails", "chat"],),
        kwargs={"poll": 0.05, "seconds": 30, "stop": stop},
    )
    started = time.monotonic()
    worker.start()
    try:
        while not fake_smtp.accepted and time.monotonic() - started < 10:
            time.sleep(0.02)
        assert fake_smtp.accepted, "the e-mail was not sent"
        assert fake_smtp.accepted[0].at - started < 1.0  # not after the chat's 6 s of timeouts
    finally:
        stop.set()
        worker.join(timeout=30)
    assert ChatAttempt.objects.filter(error__contains="ReadTimeout").exists()
