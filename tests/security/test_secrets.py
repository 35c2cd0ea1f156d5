"""Secrets never reach a log line or a stored error: not the Instagram token or the panel key
when those services fail (even when they echo the request back), not the webhook secret,
not a password or an API key someone tried."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model

from fulfillment.models import FulfillmentTask, TaskAttempt, TaskEvent
from fulfillment.processor import process_due
from orders.models import OrderStatusChange
from tests.checkout.factories import envelope, stripe_signature
from tests.fulfillment.factories import paid_order, product_with_plan
from tests.fulfillment.test_retries import GRAPH_STEP, PANEL_STEP

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def stored_errors() -> str:
    """Everything written about failures: the task's, its attempts', its events' and the
    order's history (a dead letter puts the order on hold, giving the error as reason)."""
    return json.dumps(
        [
            list(FulfillmentTask.objects.values_list("last_error", flat=True)),
            list(TaskAttempt.objects.values_list("error", flat=True)),
            list(TaskEvent.objects.values_list("reason", flat=True)),
            list(OrderStatusChange.objects.values_list("reason", flat=True)),
        ]
    )


def assert_nowhere(secret: str, logs) -> None:
    assert secret not in logs.text
    assert secret not in stored_errors()


@pytest.mark.parametrize("failure", ["unreachable", "server error", "rate limit", "echo"])
def test_the_instagram_token_is_never_logged_or_stored(client, fake_graph, settings, logs, failure):
    if failure == "unreachable":
        settings.INSTAGRAM_GRAPH_URL = "http://127.0.0.1:9"  # nothing listens there
    elif failure == "server error":
        fake_graph.fail_next(3, status=500)
    elif failure == "rate limit":
        fake_graph.rate_limit_next(retry_after=60)
    else:  # a broken proxy in front of Graph that echoes the request in its error
        echoed = f"bad request /me?access_token={fake_graph.token}"
        fake_graph.fail_next(3, status=400, message=echoed)
    paid_order(client, product_with_plan(GRAPH_STEP))
    process_due(worker="test-worker")
    assert FulfillmentTask.objects.get().last_error  # it did fail
    assert_nowhere(fake_graph.token, logs)


@pytest.mark.parametrize("failure", ["unreachable", "rate limit", "server error", "hang", "echo"])
def test_the_panel_key_is_never_logged_or_stored(client, fake_panel, settings, logs, failure):
    if failure == "unreachable":
        settings.PROVIDER_PANEL_URL = "http://127.0.0.1:9/api/v2"
    elif failure == "hang":
        settings.PROVIDER_HTTP_TIMEOUT = 0.3
        fake_panel.hang_next(1)
    elif failure == "echo":  # a documented refusal that quotes the request
        fake_panel.fail_next(
            1, status=200, body={"error": f"Incorrect request key={fake_panel.key}"}
        )
    else:
        fake_panel.fail_next(1, status=429 if failure == "rate limit" else 500)
    paid_order(client, product_with_plan(PANEL_STEP))
    process_due(worker="test-worker")
    assert FulfillmentTask.objects.get().last_error
    assert_nowhere(fake_panel.key, logs)


def test_webhook_secret_passwords_and_api_keys_are_never_logged(client, settings, logs):
    payload = json.dumps(envelope("checkout.session.completed", {"id": "cs_1"})).encode()
    forged = stripe_signature(payload, secret="whsec_guessed_wrong")
    client.post(
        "/api/v1/payments/webhooks/stripe",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=forged,
    )
    get_user_model().objects.create_user("dana", password="right-pass-123")
    client.post("/accounts/login/", {"username": "dana", "password": "wrong-pass-456"})
    client.get("/api/v1/fulfillment/health", HTTP_X_API_KEY="guessed-key-789")
    for secret in (
        settings.STRIPE_WEBHOOK_SECRET,
        "whsec_guessed_wrong",
        "right-pass-123",
        "wrong-pass-456",
        "guessed-key-789",
        settings.SECRET_KEY,
    ):
        assert secret not in logs.text, secret
