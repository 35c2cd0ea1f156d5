"""The admin speaks like the business: money as money, statuses as labels, and every action says
what it changed, or at warning level what it did not and why."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from billing.models import Invoice
from checkout.models import WebhookEvent
from orders.models import Order
from tests.checkout.factories import placed_order
from tests.fulfillment.factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-12345")
    client.force_login(user)
    return user


@pytest.fixture
def order(client):
    """A paid order of one $222.30 service, processing."""
    product = product_with_plan(base_amount=22230, title="Followers")
    order = paid_order(client, product)
    assert (order.status, order.total_amount, order.currency) == ("processing", 22230, "USD")
    return order


def pending_order() -> Order:
    order, _ = placed_order(products=None)
    return order


def act(client, url, action, objects, **extra):
    response = client.post(
        url,
        {"action": action, "_selected_action": [obj.pk for obj in objects], **extra},
        follow=True,
    )
    assert response.status_code == 200
    return response, [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_amounts_show_as_money_on_the_order_list_order_page_and_invoice_list(
    client, staff, order, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        listing = client.get("/admin/orders/order/").content.decode()
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    invoices = client.get("/admin/billing/invoice/").content.decode()
    invoice = client.get(
        f"/admin/billing/invoice/{Invoice.objects.get(order=order).pk}/change/"
    ).content.decode()
    products = client.get("/admin/catalog/product/").content.decode()

    for html in (listing, page, invoices, invoice, products):
        assert "$222.30" in html
        assert "22230" not in html
    # The list keeps to six short columns, so it fits a 1280 px screen.
    header = listing.split('id="result_list"', 1)[1].split("</thead>", 1)[0]
    assert header.count('<th scope="col"') == 7  # with the selection checkbox
    assert "Test Buyer" in listing and "Processing" in listing


def test_history_rows_speak_in_status_labels(client, staff, order):
    task = order.tasks.get()
    act(client, "/admin/orders/order/", "put_on_hold", [order], apply="1", reason="Check target")
    act(client, "/admin/orders/order/", "release_hold", [order])
    act(client, "/admin/fulfillment/fulfillmenttask/", "task_force_complete", [task])

    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    task_page = client.get(f"/admin/fulfillment/fulfillmenttask/{task.pk}/change/").content.decode()

    history = page.split('id="history-group"', 1)[1]
    for row in ("— → Awaiting payment", "Awaiting payment → Processing", "Processing → On hold"):
        assert row in history
    assert "On hold → Processing" in history
    assert "on_hold" not in history.split("</fieldset>")[0]
    assert "Force-complete" in task_page and "Queued → Succeeded" in task_page
    assert "force_complete" not in task_page


def test_releasing_an_order_that_is_not_on_hold_is_a_warning_naming_it(client, staff, order):
    _, shown = act(client, "/admin/orders/order/", "release_hold", [order])

    assert shown == [("warning", f"Order {order.number} is processing, not on hold.")]
    assert Order.objects.get(pk=order.pk).status == "processing"


def test_the_hold_form_offers_only_orders_that_can_be_held(client, staff, order):
    waiting = pending_order()

    response, shown = act(client, "/admin/orders/order/", "put_on_hold", [order, waiting])

    html = response.content.decode()
    assert 'name="reason"' in html
    assert f'value="{order.pk}"' in html and f'value="{waiting.pk}"' not in html
    assert shown == [
        ("warning", f"{waiting.number} is awaiting payment: it cannot be put on hold.")
    ]

    _, shown = act(
        client, "/admin/orders/order/", "put_on_hold", [order], apply="1", reason="Check target"
    )
    assert shown == [("success", f"On hold: {order.number}.")]
    assert Order.objects.get(pk=order.pk).status == "on_hold"


def test_holding_only_orders_that_cannot_be_held_refuses_before_asking_a_reason(client, staff):
    waiting = pending_order()

    response, shown = act(client, "/admin/orders/order/", "put_on_hold", [waiting])

    assert 'name="reason"' not in response.content.decode()
    assert shown == [
        ("warning", f"{waiting.number} is awaiting payment: it cannot be put on hold.")
    ]
    assert Order.objects.get(pk=waiting.pk).status == "pending"


def test_retrying_a_webhook_that_did_not_fail_is_a_warning_naming_it(client, staff, order):
    event = WebhookEvent.objects.get()

    _, shown = act(client, "/admin/checkout/webhookevent/", "retry_now", [event])

    assert shown == [("warning", f"{event.event_id} is processed, not failed.")]


def test_a_task_action_that_changes_nothing_warns_and_never_reports_success(client, staff, order):
    task = order.tasks.get()
    _, shown = act(client, "/admin/fulfillment/fulfillmenttask/", "task_force_complete", [task])
    assert shown == [("success", f"Force-complete: {order.number} · {task.name}.")]

    _, shown = act(client, "/admin/fulfillment/fulfillmenttask/", "task_skip", [task])

    assert [level for level, _ in shown] == ["warning", "warning"]
    refusal, summary = (text for _, text in shown)
    assert order.number in refusal and task.name in refusal
    assert summary == "Skip: nothing changed."
