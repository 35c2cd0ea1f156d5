"""A mail server that stalls for 10 s holds up no payment and no checkout.

Real processes on the test database (on SQLite, the embedded default, a copy of it in one
file: WAL, IMMEDIATE transactions; on PostgreSQL the test database itself): a gunicorn serving
the shop, and `manage.py run_worker --queues emails` sending a due order
e-mail to a fake SMTP server on 127.0.0.1 that answers the end of the message's DATA only
after 10 s. While the worker waits for that answer, a signed Stripe webhook is applied and a
guest goes from cart to checkout, each request under a second: the worker holds no
transaction, so no write lock, while it talks to the mail server. The e-mail then arrives
once, and the payment's own e-mail after it, once.
"""

import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.db import connection

from orders.models import OrderNotification
from orders.services import order_transition
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import placed_order, session_event, stripe_signature
from tests.fake_smtp import FakeSMTP
from tests.gunicorn_server import free_port, postgres_url
from tests.processes import Spawned, manage_py, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

STALL_SECONDS = 10


def shared_database(tmp_path: Path) -> tuple[str, Callable[[], list]]:
    """(DATABASE_URL for the processes, a reader of the order e-mails' (status, attempts)):
    on SQLite a copy of the test database (migrated, with this test's rows) in a file."""
    if connection.vendor != "sqlite":
        return postgres_url(), lambda: list(
            OrderNotification.objects.order_by("pk").values_list("status", "attempts")
        )
    path = tmp_path / "shop.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()

    def statuses():
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT status, attempts FROM orders_ordernotification ORDER BY id"
            ).fetchall()

    return f"sqlite:///{path}", statuses


def web_is_up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading the app
        return False


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_a_stalled_mail_server_delays_neither_webhooks_nor_checkout(tmp_path):
    waiting, _ = placed_order()
    order_transition(order_id=waiting.pk, to_status="processing", source="test")  # e-mail due
    paying, session = placed_order()
    product = ProductFactory(slug="reel-boost", title="Reel Boost", base_amount=2_500)
    database_url, statuses = shared_database(tmp_path)

    smtp = FakeSMTP().start()
    smtp.stall_next(STALL_SECONDS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRIPE_", "EMAIL_", "DATABASE_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="smplat.settings.dev",
        DJANGO_DEBUG="false",
        DATABASE_URL=database_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        EMAIL_TIMEOUT="30",  # longer than the stall: the worker waits for the server's answer
        LOG_LEVEL="WARNING",
        NOTIFY_COMBINE_SECONDS="0",  # each e-mail is due at once: this test times the sends
    )
    web = [sys.executable, "-m", "gunicorn", "smplat.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
    processes = [Spawned(tmp_path / "web.log", web, env=env)]
    try:
        wait_until(lambda: web_is_up(base), processes=processes, what="the web server")
        # The worker starts once the shop is up, so the whole stall is there to measure in.
        worker = ["run_worker", "--queues", "emails", "--sleep", "0.2"]
        processes.append(manage_py(tmp_path / "worker.log", worker, env=env))
        wait_until(smtp.stall_started.is_set, processes=processes, what="the stalled e-mail")
        stalled_at = time.monotonic()
        browser = requests.Session()

        payload = json.dumps(session_event(session)).encode()
        webhook, webhook_seconds = timed(
            lambda: requests.post(
                f"{base}/api/v1/payments/webhooks/stripe",
                data=payload,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe_signature(payload),
                },
                timeout=30,
            )
        )
        assert browser.get(f"{base}/products/{product.slug}/", timeout=30).status_code == 200
        csrf = browser.cookies["csrftoken"]
        added, add_seconds = timed(
            lambda: browser.post(
                f"{base}/cart/add/{product.slug}/",
                data={"csrfmiddlewaretoken": csrf, "quantity": "1", "billing": "one_off"},
                allow_redirects=False,
                timeout=30,
            )
        )
        form, form_seconds = timed(lambda: browser.get(f"{base}/checkout/", timeout=30))
        token = re.search(r'name="checkout_token" value="([^"]+)"', form.text).group(1)
        [target] = re.findall(r'name="(target_\d+)"', form.text)
        submitted, submit_seconds = timed(
            lambda: browser.post(
                f"{base}/checkout/",
                data={
                    "csrfmiddlewaretoken": csrf,
                    "email": "guest@example.com",
                    "name": "Guest Buyer",
                    "accept_terms": "on",
                    "checkout_token": token,
                    target: "@reel.brand",
                },
                allow_redirects=False,
                timeout=30,
            )
        )
        still_stalled = not smtp.accepted
        stall_so_far = time.monotonic() - stalled_at

        assert webhook.status_code == 200, webhook.text
        assert webhook.json()["outcome"] == "processed"
        assert added.status_code == 302 and form.status_code == 200
        assert submitted.status_code == 302, submitted.text
        assert submitted.headers["Location"].startswith("/checkout/pay/")
        timings = {
            "webhook": webhook_seconds,
            "add to cart": add_seconds,
            "checkout page": form_seconds,
            "checkout submit": submit_seconds,
        }
        assert max(timings.values()) < 1.0, timings
        assert still_stalled and stall_so_far < STALL_SECONDS  # all of it inside the stall

        # After the stall: the waiting e-mail, then the one the payment wrote.
        # The worker records an e-mail as sent a moment after the server accepted it.
        wait_until(
            lambda: len(smtp.accepted) >= 2 and all(s == "sent" for s, _ in statuses()),
            processes=processes,
            timeout=STALL_SECONDS + 20,
            what="both e-mails sent and recorded",
        )
        assert statuses() == [("sent", 1), ("sent", 1)]
        time.sleep(0.5)  # a few more polls of the worker: nothing is sent again
        subjects = smtp.subjects()
        assert len(subjects) == 2
        assert waiting.number in subjects[0] and paying.number in subjects[1]
        assert smtp.accepted[0].at - stalled_at >= STALL_SECONDS - 0.5
    finally:
        for running in processes:
            running.stop(timeout=30)
        smtp.stop()
