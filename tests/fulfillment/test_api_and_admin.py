from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.utils import timezone

from fulfillment.models import FulfillmentTask, ProcessorCounter, TaskEvent
from fulfillment.processor import orders_sync, process_due

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

KEY = {"HTTP_X_API_KEY": "dev-checkout-key"}
SANDBOX = {
    "name": "Deliver",
    "kind": "delivery",
    "adapter": "sandbox",
    "parameters": {"units": 300, "progress_steps": 3},
}
MANUAL = {"name": "Review", "kind": "review", "adapter": "manual"}


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-12345")
    return user


def test_progress_for_the_owner_operators_and_nobody_else(client):
    order = paid_order(client, product_with_plan(SANDBOX, MANUAL))
    process_due(worker="w")
    url = f"/api/v1/orders/{order.number}/progress"

    assert client.get(url).status_code == 404  # anonymous
    stranger = get_user_model().objects.create_user("stranger", password="pw-12345-x")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url, HTTP_X_API_KEY="wrong").status_code == 403

    data = client.get(url, **KEY).json()
    assert data["status"] == "active"
    assert data["percent_complete"] == 0
    assert [s["status"] for s in data["steps"]] == ["queued", "waiting_staff"]
    assert data["delivery"] == {
        "start_count": data["steps"][0]["start_count"],
        "ordered": 300,
        "delivered": 0,
        "remains": 300,
    }
    assert data["next_action"].startswith("Deliver: next update")

    client.force_login(order.user)
    assert client.get(f"/api/v1/orders/{order.pk}/progress").json()["order"] == order.number


def test_progress_counts_deliveries_as_they_happen(client):
    order = paid_order(client, product_with_plan(SANDBOX))
    for _ in range(3):
        FulfillmentTask.objects.update(due_at=timezone.now() - timedelta(seconds=1))
        process_due(worker="w")
    data = client.get(f"/api/v1/orders/{order.number}/progress", **KEY).json()
    assert data["delivery"]["delivered"] == 200 and data["delivery"]["remains"] == 100
    assert data["percent_complete"] == 66  # the one step is two thirds delivered
    FulfillmentTask.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    process_due(worker="w")
    data = client.get(f"/api/v1/orders/{order.number}/progress", **KEY).json()
    assert (data["percent_complete"], data["status"], data["next_action"]) == (
        100,
        "completed",
        "Nothing left to do",
    )


def test_unknown_order_progress_is_404_even_for_operators(client):
    assert client.get("/api/v1/orders/SMP-1999-000001/progress", **KEY).status_code == 404
    assert (
        client.get("/api/v1/orders/999999/progress", **KEY).json()["error"]["code"]
        == "order_not_found"
    )


def test_metrics_report_counters_queue_depth_and_oldest_due(client):
    assert client.get("/api/v1/fulfillment/metrics").status_code == 401
    paid_order(client, product_with_plan(MANUAL))
    paid_order(client, product_with_plan(SANDBOX))
    FulfillmentTask.objects.filter(adapter="sandbox").update(
        due_at=timezone.now() - timedelta(minutes=5)
    )
    before = client.get("/api/v1/fulfillment/metrics", **KEY).json()
    assert before["due_now"] == 2 and before["oldest_due_age_seconds"] >= 299
    process_due(worker="w")
    data = client.get("/api/v1/fulfillment/metrics", **KEY).json()
    assert data["counters"]["loops"] == 1 and data["counters"]["claimed"] == 2
    assert data["queue"]["waiting_staff"] == 1 and data["queue"]["queued"] == 1
    assert data["last_loop_age_seconds"] < 5


def test_health_is_503_with_reasons_until_the_loop_runs_and_with_too_many_dead(client, settings):
    response = client.get("/api/v1/fulfillment/health", **KEY)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["the processor has never run"]
    process_due(worker="w")
    assert client.get("/api/v1/fulfillment/health", **KEY).status_code == 200
    ProcessorCounter.objects.filter(name="loops").update(
        updated_at=timezone.now() - timedelta(hours=1)
    )
    stale = client.get("/api/v1/fulfillment/health", **KEY).json()
    assert stale["status"] == "unhealthy" and "last processor loop" in stale["reasons"][0]
    process_due(worker="w")
    settings.FULFILLMENT_HEALTH_MAX_DEAD = 1
    order = paid_order(client, product_with_plan(MANUAL))
    order.tasks.update(status="dead")
    assert (
        "1 dead-lettered tasks"
        in client.get("/api/v1/fulfillment/health", **KEY).json()["reasons"][0]
    )
    assert client.get("/api/v1/fulfillment/health").status_code == 401


def _admin_action(client, url, action, ids, **extra):
    return client.post(
        url, {"action": action, "_selected_action": [str(i) for i in ids], **extra}, follow=True
    )


def test_staff_complete_a_manual_step_in_the_admin_and_the_order_completes(client, staff):
    order = paid_order(client, product_with_plan(MANUAL))
    process_due(worker="w")
    task = order.tasks.get()
    client.force_login(staff)
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    response = _admin_action(
        client, "/admin/fulfillment/fulfillmenttask/", "task_force_complete", [task.pk]
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "completed"
    event = TaskEvent.objects.get(task=task, source="staff")
    assert (event.actor, event.action, event.from_status, event.to_status) == (
        staff,
        "force_complete",
        "waiting_staff",
        "succeeded",
    )


def test_staff_release_a_dead_letter_then_skip_and_retry_from_the_admin(client, staff):
    order = paid_order(client, product_with_plan(SANDBOX, MANUAL))
    delivery, review = order.tasks.order_by("position")
    FulfillmentTask.objects.filter(pk=delivery.pk).update(status="dead", last_error="boom")

    orders_sync(order_ids={order.pk})
    order.refresh_from_db()
    assert order.status == "on_hold"
    client.force_login(staff)
    _admin_action(client, "/admin/orders/order/", "release_hold", [order.pk])
    order.refresh_from_db()
    delivery.refresh_from_db()
    assert order.status == "processing" and delivery.status == "queued"
    assert order.history.last().actor == staff
    _admin_action(client, "/admin/fulfillment/fulfillmenttask/", "task_skip", [review.pk])
    refused = _admin_action(
        client, "/admin/fulfillment/fulfillmenttask/", "task_retry_now", [review.pk]
    )
    review.refresh_from_db()
    assert review.status == "skipped"
    assert [(m.level_tag, str(m)) for m in get_messages(refused.wsgi_request)] == [
        (
            "warning",
            f"{order.number} · Review: Cannot retry now “Review” of {order.number}: it is skipped.",
        ),
        ("warning", "Retry now: nothing changed."),
    ]
    assert list(TaskEvent.objects.filter(source="staff").values_list("action", flat=True)) == [
        "requeue_dead",
        "skip",
    ]


def test_staff_put_an_order_on_hold_with_a_reason(client, staff):
    order = paid_order(client, product_with_plan(SANDBOX))
    client.force_login(staff)
    form = _admin_action(client, "/admin/orders/order/", "put_on_hold", [order.pk])
    assert b"Put orders on hold" in form.content
    _admin_action(
        client,
        "/admin/orders/order/",
        "put_on_hold",
        [order.pk],
        apply="1",
        reason="Client asked to pause",
    )
    order.refresh_from_db()
    change = order.history.last()
    assert (order.status, change.actor, change.reason) == (
        "on_hold",
        staff,
        "Client asked to pause",
    )


def test_plan_steps_are_edited_on_the_product_in_the_admin(client, staff):
    product = product_with_plan(SANDBOX)
    client.force_login(staff)
    page = client.get(f"/admin/catalog/product/{product.pk}/change/")
    assert page.status_code == 200 and b"plan_steps-0-adapter" in page.content


def test_clients_cannot_reach_the_admin(client):
    user = get_user_model().objects.create_user("client", password="pw-12345-x")
    client.force_login(user)
    assert client.get("/admin/orders/order/")["Location"].startswith("/admin/login/")


def test_an_order_on_hold_runs_nothing_until_staff_release_it(client, staff):
    order = paid_order(client, product_with_plan(SANDBOX))
    client.force_login(staff)
    _admin_action(
        client, "/admin/orders/order/", "put_on_hold", [order.pk], apply="1", reason="Pause"
    )
    assert process_due(worker="w").claimed == 0
    _admin_action(client, "/admin/orders/order/", "release_hold", [order.pk])
    order.refresh_from_db()
    assert order.status == "processing"
    assert order.history.last().actor == staff
    assert process_due(worker="w").claimed == 1
