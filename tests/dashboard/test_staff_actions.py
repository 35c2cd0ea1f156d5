"""Operator quick actions: each goes through the service the admin and the API use, changes
what it says, writes an audit row, and refuses what it must not do with a clear message."""

import pytest
from django.core import mail
from django.test import Client

from checkout.models import CheckoutSession
from core.models import AuditEntry
from fulfillment.models import FulfillmentTask, TaskEvent
from orders.models import OrderNotification
from orders.notifications import notifications_send_due

from .staff_fixtures import STAFF_URL, dead_task, operator, paid, placed_order

pytestmark = pytest.mark.django_db

KEY = {"HTTP_X_API_KEY": "dev-checkout-key"}


@pytest.fixture
def ops(client):
    account = operator()
    client.force_login(account)
    return account


def act(client, url):
    """POST the action and follow back to the staff page; (page text, final url)."""
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == STAFF_URL
    return response.content.decode()


def audit_rows():
    return list(
        AuditEntry.objects.order_by("pk").values_list("actor_name", "action", "via", "object_id")
    )


# Regenerate -------------------------------------------------------------------------------


def test_regenerate_opens_a_new_linked_session_and_expires_the_old_one(client, ops):
    order, old = placed_order()
    page = act(client, f"/dashboard/staff/sessions/{old.pk}/regenerate/")
    new = order.checkout_sessions.get(attempt=2)
    old.refresh_from_db()
    assert (old.status, new.status, new.regenerated_from_id) == ("expired", "open", old.pk)
    assert new.provider_id
    assert f"New payment page for {order.number} (attempt 2)." in page
    assert audit_rows() == [("ops", "session.regenerate", "staff_view", str(new.pk))]
    assert "session.regenerate" in page  # the recent-actions table


def test_regenerate_refuses_a_paid_order(client, ops):
    order, session = paid(*placed_order())
    page = act(client, f"/dashboard/staff/sessions/{session.pk}/regenerate/")
    assert "This order is already paid; there is nothing to regenerate." in page
    assert order.checkout_sessions.count() == 1
    assert audit_rows() == []


def test_the_api_and_the_admin_regenerate_through_the_same_audited_service(client):
    order, first = placed_order()
    assert (
        Client().post(f"/api/v1/checkout/sessions/{first.pk}/regenerate", **KEY).status_code == 201
    )
    second = order.checkout_sessions.get(attempt=2)
    admin = operator("admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(
        "/admin/checkout/checkoutsession/",
        {"action": "regenerate", "_selected_action": [second.pk]},
        follow=True,
    )
    assert "New payment page opened for" in response.content.decode()
    third = order.checkout_sessions.get(attempt=3)
    assert third.regenerated_from_id == second.pk
    assert audit_rows() == [
        ("operator API key", "session.regenerate", "api", str(second.pk)),
        ("admin", "session.regenerate", "admin", str(third.pk)),
    ]


# Expire -----------------------------------------------------------------------------------


def test_expire_closes_an_open_session(client, ops):
    order, session = placed_order()
    page = act(client, f"/dashboard/staff/sessions/{session.pk}/expire/")
    session.refresh_from_db()
    assert session.status == "expired" and session.closed_at is not None
    assert f"Expired the payment page of {order.number} (attempt 1)." in page
    assert audit_rows() == [("ops", "session.expire", "staff_view", str(session.pk))]


@pytest.mark.parametrize("state", ["expired", "paid"])
def test_expire_refuses_a_session_that_is_not_open(client, ops, state):
    order, session = placed_order()
    if state == "paid":
        order, session = paid(order, session)
    else:
        CheckoutSession.objects.filter(pk=session.pk).update(status="expired")
    page = act(client, f"/dashboard/staff/sessions/{session.pk}/expire/")
    label = "complete" if state == "paid" else "expired"
    assert f"Attempt 1 of {order.number} is {label}: only an open session can be expired." in page
    session.refresh_from_db()
    assert session.status == ("complete" if state == "paid" else "expired")
    assert audit_rows() == []


def test_the_admin_expires_through_the_same_service_and_reports_refusals(client):
    order, session = placed_order()
    _, done = paid(*placed_order())
    admin = operator("admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.post(
        "/admin/checkout/checkoutsession/",
        {"action": "expire", "_selected_action": [session.pk, done.pk]},
        follow=True,
    ).content.decode()
    assert "only an open session can be expired" in page
    session.refresh_from_db()
    assert session.status == "expired"
    assert audit_rows() == [("admin", "session.expire", "admin", str(session.pk))]


# Resend the payment link ------------------------------------------------------------------


def test_resend_link_expires_the_old_session_opens_a_linked_one_and_queues_an_email(client, ops):
    order, old = placed_order()
    page = act(client, f"/dashboard/staff/sessions/{old.pk}/resend-link/")
    old.refresh_from_db()
    new = order.checkout_sessions.get(attempt=2)
    assert (old.status, new.status, new.regenerated_from_id) == ("expired", "open", old.pk)
    assert f"Payment link for {order.number} (attempt 2) e-mailed to {order.email}." in page
    assert mail.outbox == []  # never sent from the request: the e-mail queue sends it
    assert OrderNotification.objects.filter(order=order, to_status="pending").count() == 1
    notifications_send_due()
    [message] = mail.outbox
    assert message.to == [order.email]
    assert message.subject == f"Your payment link · {order.number}"
    assert "a fresh payment page is ready" in message.body
    assert f"{order.get_absolute_url()}?t=" in message.body  # the signed order link
    assert audit_rows() == [
        ("ops", "session.regenerate", "staff_view", str(new.pk)),
        ("ops", "payment_link.resend", "staff_view", str(new.pk)),
    ]


def test_resend_link_refuses_a_paid_order(client, ops):
    order, session = paid(*placed_order())
    page = act(client, f"/dashboard/staff/sessions/{session.pk}/resend-link/")
    assert "already paid" in page
    assert not OrderNotification.objects.filter(order=order, to_status="pending").exists()
    assert audit_rows() == []


# Retry a dead letter ----------------------------------------------------------------------


def test_retry_runs_a_dead_letter_again_with_fresh_attempts(client, ops):
    task = dead_task()
    page = act(client, f"/dashboard/staff/tasks/{task.pk}/retry/")
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("queued", 0)
    assert f"“{task.name}” of {task.order.number} runs again now." in page
    assert audit_rows() == [("ops", "task.retry_now", "staff_view", str(task.pk))]
    event = TaskEvent.objects.filter(task=task).latest("pk")
    assert (event.actor_id, event.from_status, event.to_status) == (ops.pk, "dead", "queued")


def test_retry_refuses_a_task_that_is_not_dead(client, ops):
    task = dead_task()
    FulfillmentTask.objects.filter(pk=task.pk).update(status="queued")
    page = act(client, f"/dashboard/staff/tasks/{task.pk}/retry/")
    assert (
        f"“{task.name}” of {task.order.number} is queued, not dead-lettered: "
        "only a dead letter can be retried here." in page
    )
    assert audit_rows() == []


def test_the_admin_task_actions_are_audited_too(client):
    task = dead_task()
    admin = operator("admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    client.post(
        "/admin/fulfillment/fulfillmenttask/",
        {"action": "task_retry_now", "_selected_action": [task.pk]},
    )
    assert audit_rows() == [("admin", "task.retry_now", "admin", str(task.pk))]


# Who may act, and how ---------------------------------------------------------------------


def test_staff_without_the_permission_are_refused(client):
    order, session = placed_order()
    task = dead_task()
    client.force_login(operator("viewer", permissions=()))
    for url in [
        f"/dashboard/staff/sessions/{session.pk}/regenerate/",
        f"/dashboard/staff/sessions/{session.pk}/expire/",
        f"/dashboard/staff/sessions/{session.pk}/resend-link/",
        f"/dashboard/staff/tasks/{task.pk}/retry/",
    ]:
        assert client.post(url).status_code == 403
    session.refresh_from_db()
    task.refresh_from_db()
    assert (session.status, task.status, audit_rows()) == ("open", "dead", [])


def test_actions_need_post_and_a_csrf_token(ops):
    order, session = placed_order()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ops)
    url = f"/dashboard/staff/sessions/{session.pk}/expire/"
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    session.refresh_from_db()
    assert session.status == "open"
    # With the page's token it goes through.
    browser.get(STAFF_URL)
    token = browser.cookies["csrftoken"].value
    assert browser.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    session.refresh_from_db()
    assert session.status == "expired"


def test_unknown_objects_are_404(client, ops):
    assert client.post("/dashboard/staff/sessions/999999/expire/").status_code == 404
    assert client.post("/dashboard/staff/tasks/999999/retry/").status_code == 404


def test_the_operator_api_runs_the_same_audited_actions():
    api = Client()
    order, session = placed_order()
    expired = api.post(f"/api/v1/checkout/sessions/{session.pk}/expire", **KEY)
    assert (expired.status_code, expired.json()["status"]) == (200, "expired")
    again = api.post(f"/api/v1/checkout/sessions/{session.pk}/expire", **KEY)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "session_not_open")
    resent = api.post(f"/api/v1/checkout/sessions/{session.provider_id}/resend-link", **KEY)
    assert (resent.status_code, resent.json()["attempt"]) == (201, 2)
    assert OrderNotification.objects.filter(order=order, to_status="pending").count() == 1

    task = dead_task()
    retried = api.post(f"/api/v1/fulfillment/tasks/{task.pk}/retry", **KEY)
    assert (retried.status_code, retried.json()["status"]) == (200, "queued")
    refused = api.post(f"/api/v1/fulfillment/tasks/{task.pk}/retry", **KEY)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "task_not_dead")
    assert api.post("/api/v1/fulfillment/tasks/999999/retry", **KEY).status_code == 404
    assert api.post(f"/api/v1/fulfillment/tasks/{task.pk}/retry").status_code == 401

    new = order.checkout_sessions.get(attempt=2)
    assert audit_rows() == [
        ("operator API key", "session.expire", "api", str(session.pk)),
        ("operator API key", "session.regenerate", "api", str(new.pk)),
        ("operator API key", "payment_link.resend", "api", str(new.pk)),
        ("operator API key", "task.retry_now", "api", str(task.pk)),
    ]
