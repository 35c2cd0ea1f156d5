"""A worker killed (SIGKILL) in the middle of its work loses nothing and leaves nothing stuck.

Mid-task: tests/fulfillment/test_workers_postgres.py::
test_a_worker_killed_during_add_leaves_the_step_to_staff_until_they_retry kills a worker during
a provider `add` and proves that its lease hands the task to another worker, which never sends
the `add` again blindly.

Mid-e-mail, here: `manage.py run_worker --queues emails` (real processes on the test database)
sends to a fake SMTP server on 127.0.0.1 that has received the whole first message but has not
answered it yet, and the worker is killed while it waits for that answer. E-mails are sent at
least once (core/delivery.py, orders/notifications.py): what the killed worker claimed is
leased to it and sent again by another worker once the lease ends; what it had not claimed yet
is sent by the next worker at once.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

from django.utils import timezone

from core.models import OutgoingEmail
from core.outbox import email_queue
from orders.models import OrderNotification
from orders.services import order_transition
from tests.checkout.factories import placed_order
from tests.fake_smtp import FakeSMTP
from tests.gunicorn_server import postgres_url
from tests.processes import Spawned, manage_py, postgres_only, wait_until

pytestmark = postgres_only("a database shared by worker processes")

STALL_SECONDS = 60  # longer than the test: the killed worker's copy is never acknowledged


def email_worker(tmp_path: Path, smtp: FakeSMTP, name: str) -> Spawned:
    """`manage.py run_worker --queues emails` sending through SMTP to `smtp`."""
    # The development settings honour EMAIL_URL (the test settings keep mail in memory).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="smplat.settings.dev",
        DJANGO_DEBUG="false",
        DATABASE_URL=postgres_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        EMAIL_TIMEOUT=str(STALL_SECONDS * 2),  # the worker waits for the server's answer
        NOTIFY_COMBINE_SECONDS="0",
        LOG_LEVEL="WARNING",
    )
    args = ["run_worker", "--queues", "emails", "--sleep", "0.2"]
    return manage_py(tmp_path / f"{name}.log", args, env=env)


def statuses(model) -> list[tuple[str, int]]:
    return list(model.objects.order_by("pk").values_list("status", "attempts"))


def test_an_email_whose_worker_was_killed_mid_send_is_sent_by_another_after_its_lease(tmp_path):
    """A worker killed while the mail server holds its message leaves that e-mail and the rest
    of its batch claimed until their lease ends, then another worker sends each of them (at
    least once, never lost); an e-mail it had not claimed yet goes out at once."""
    orders = [placed_order()[0] for _ in range(2)]
    for order in orders:  # each change writes the client's "We received your payment"
        order_transition(order_id=order.pk, to_status="processing", source="test")
    email_queue(
        key="staff-digest-test",
        kind="staff_digest",
        to="ops@example.com",
        subject="Weekly review",
        text="The week in numbers.",
    )
    smtp = FakeSMTP().start()
    smtp.stall_next(STALL_SECONDS)
    survivor = None
    try:
        doomed = email_worker(tmp_path, smtp, "doomed")
        wait_until(smtp.stall_started.is_set, processes=[doomed], what="the first e-mail's DATA")
        # The order e-mails are claimed (the first one is at the server), the outbox is not.
        assert statuses(OrderNotification) == [("sending", 1), ("sending", 1)]
        assert statuses(OutgoingEmail) == [("pending", 0)]
        assert doomed.stop(signal.SIGKILL, timeout=30) == -signal.SIGKILL

        survivor = email_worker(tmp_path, smtp, "survivor")
        wait_until(
            lambda: statuses(OutgoingEmail) == [("sent", 1)],
            processes=[survivor],
            what="the e-mail the killed worker had not claimed",
        )
        time.sleep(1)  # five polls: the claimed e-mails wait for their lease
        assert statuses(OrderNotification) == [("sending", 1), ("sending", 1)]
        assert smtp.subjects() == ["Weekly review"]

        # Ten minutes on (core.delivery.LEASE_SECONDS): the killed worker's lease has ended.
        OrderNotification.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
        wait_until(
            lambda: statuses(OrderNotification) == [("sent", 2), ("sent", 2)],
            processes=[survivor],
            what="the killed worker's e-mails",
        )
        time.sleep(0.5)  # more polls: nothing is sent again
        assert survivor.process.poll() is None, survivor.output()
    finally:
        if survivor is not None:
            assert survivor.stop() == 0, survivor.output()
        smtp.stop()

    received = [
        (a.recipients, str(make_header(decode_header(s))))
        for a, s in zip(smtp.accepted, smtp.subjects(), strict=True)
    ]
    assert received == [
        (("ops@example.com",), "Weekly review"),
        *(((o.email,), f"We received your payment · {o.number}") for o in orders),
    ]
    assert "pass failed" not in survivor.output()
