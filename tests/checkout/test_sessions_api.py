from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from checkout.models import CheckoutSession
from checkout.services import sessions_sweep
from checkout.tasks import sweep_checkout_sessions

from .factories import placed_order, post_event, session_event

pytestmark = pytest.mark.django_db

KEY = {"HTTP_X_API_KEY": "dev-checkout-key"}


def regenerate(client, ref, **headers):
    return client.post(f"/api/v1/checkout/sessions/{ref}/regenerate", **headers)


def test_sweep_expires_sessions_past_expiry_and_grace_only():
    _, stale = placed_order()
    _, fresh = placed_order()
    _, abandoned = placed_order()
    CheckoutSession.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(minutes=6)
    )
    CheckoutSession.objects.filter(pk=abandoned.pk).update(
        status="abandoned", expires_at=timezone.now() - timedelta(hours=1)
    )
    CheckoutSession.objects.filter(pk=fresh.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )  # in grace
    assert sessions_sweep() == {"expired": 2}
    statuses = dict(CheckoutSession.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "expired", fresh.pk: "open", abandoned.pk: "expired"}
    assert sessions_sweep() == {"expired": 0}


def test_sweep_command_and_scheduled_task():
    _, session = placed_order()
    CheckoutSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    out = StringIO()
    call_command("sweep_checkout_sessions", stdout=out)
    assert "Expired 1 checkout session" in out.getvalue()
    assert sweep_checkout_sessions() == {
        "expired": 0,
        "recovery_emails": 0,  # the page closed just now: not yet
        "chat_abandoned": 0,  # chat is off (no OPS_CHAT_WEBHOOK_URL)
        "chat_webhook_failures": 0,
    }


def test_sweep_never_touches_completed_sessions(client):
    _, session = placed_order()
    post_event(client, session_event(session))
    CheckoutSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    sessions_sweep()
    assert CheckoutSession.objects.get(pk=session.pk).status == "complete"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "api_key_missing"), ({"HTTP_X_API_KEY": "wrong"}, 403, "api_key_invalid")],
)
def test_regenerate_requires_the_api_key(client, headers, status, code):
    _, session = placed_order()
    response = regenerate(client, session.pk, **headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert CheckoutSession.objects.count() == 1


def test_regenerate_creates_a_fresh_session_for_the_unpaid_order(client):
    order, session = placed_order()
    response = regenerate(client, session.provider_id, **KEY)
    assert response.status_code == 201
    data = response.json()
    new = CheckoutSession.objects.get(pk=data["session_id"])
    assert data["url"] == f"http://testserver{new.url}"
    assert (new.order_id, new.attempt, new.regenerated_from_id) == (order.pk, 2, session.pk)
    session.refresh_from_db()
    assert session.status == "expired"
    # Asking again for the same old session hands back the same new one.
    assert regenerate(client, session.pk, **KEY).json()["session_id"] == new.pk
    # Paying through the new session settles the order.
    client.post(new.url, {"action": "pay"})
    order.refresh_from_db()
    assert order.is_paid


def test_regenerate_refuses_paid_orders_and_unknown_sessions(client):
    _, session = placed_order()
    post_event(client, session_event(session))
    response = regenerate(client, session.pk, **KEY)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_regenerable"
    assert regenerate(client, "cs_nope", **KEY).status_code == 404
    assert regenerate(client, "999999", **KEY).status_code == 404


def test_regenerate_is_post_only(client):
    _, session = placed_order()
    assert (
        client.get(f"/api/v1/checkout/sessions/{session.pk}/regenerate", **KEY).status_code == 405
    )


def test_observability_reports_funnel_and_webhook_health(client, monkeypatch):
    _, paid = placed_order()
    _, expired = placed_order()
    _, regenerated = placed_order()
    completed = session_event(paid)
    post_event(client, completed)
    post_event(client, completed)  # a duplicate delivery
    post_event(client, session_event(expired, "checkout.session.expired"))
    regenerate(client, regenerated.pk, **KEY)
    import checkout.webhooks

    def boom(**kwargs):
        raise RuntimeError("ledger offline")

    monkeypatch.setattr(checkout.webhooks, "invoice_create_for_order", boom)
    post_event(
        client, session_event(regenerated.__class__.objects.get(attempt=2, order=regenerated.order))
    )

    assert client.get("/api/v1/payments/observability").status_code == 401
    data = client.get("/api/v1/payments/observability", **KEY).json()
    assert data["sessions"]["created"] == 4
    assert data["sessions"]["completed"] == 1
    assert data["sessions"]["expired"] == 2  # one by webhook, one replaced by regeneration
    assert data["sessions"]["regenerated"] == 1
    assert data["conversion_rate"] == 0.25
    hooks = data["webhooks"]
    assert hooks["by_type"]["checkout.session.completed"] == {"processed": 1, "failed": 1}
    assert hooks["deliveries"] == 4
    assert "ledger offline" in hooks["last_error"]
    assert hooks["processing_ms"]["p50"] is not None
    assert data["webhook_queue"] == {
        "mode": "inline",
        "waiting": 0,
        "oldest_waiting_seconds": None,
        "failed_awaiting_redelivery": 1,
    }


def test_observability_shows_the_queued_backlog(client, settings):
    settings.STRIPE_WEBHOOK_MODE = "queued"
    for _ in range(2):
        post_event(client, session_event(placed_order()[1]))

    queue = client.get("/api/v1/payments/observability", **KEY).json()["webhook_queue"]

    assert queue["mode"] == "queued" and queue["waiting"] == 2
    assert 0 <= queue["oldest_waiting_seconds"] < 60
    assert queue["failed_awaiting_redelivery"] == 0
