from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, Refund, Subscription
from catalog.models import SearchEvent
from checkout.alerts import abandoned_checkouts_notify
from checkout.models import CheckoutSession
from checkout.recovery import recovery_emails_queue
from checkout.services import sessions_sweep
from core.models import OutgoingEmail
from core.outbox import emails_send_due
from fulfillment.models import AnalyticsSnapshot, FulfillmentTask, TaskEvent
from fulfillment.processor import process_due
from orders.models import Order, OrderNotification, OrderStatus, OrderStatusChange
from orders.notifications import notifications_send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=StringIO())


def fingerprint() -> dict:
    """What a person would see change if a second run added or altered anything."""
    return {
        "users": sorted(get_user_model().objects.values_list("username", flat=True)),
        "orders": sorted(Order.objects.values_list("number", "user__username", "status")),
        "invoices": sorted(Invoice.objects.values_list("number", "kind", "status", "total_amount")),
        "invoice_lines": InvoiceLine.objects.count(),
        "refunds": sorted(Refund.objects.values_list("provider_id", "amount")),
        "sessions": sorted(
            CheckoutSession.objects.values_list("order__number", "attempt", "status")
        ),
        "snapshots": sorted(
            AnalyticsSnapshot.objects.values_list("order__number", "captured_on", "followers")
        ),
        "history": OrderStatusChange.objects.count(),
        "task_events": TaskEvent.objects.count(),
        "searches": SearchEvent.objects.count(),
    }


def test_seed_demo_twice_leaves_the_same_data(seeded):
    first = fingerprint()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert fingerprint() == first
    assert "(already there)" in out.getvalue()
    assert "client2 / smplat-client2" in out.getvalue()


def test_the_demo_accounts_sign_in_with_the_printed_passwords(seeded):
    users = get_user_model().objects
    assert users.get(username="admin", is_staff=True).check_password("smplat-admin")
    assert users.get(username="client", is_staff=False).check_password("smplat-client")
    assert users.get(username="client2", is_staff=False).check_password("smplat-client2")


def test_the_demo_client_has_orders_in_every_state(seeded):
    statuses = set(Order.objects.filter(user__username="client").values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)
    paid = Order.objects.filter(user__username="client").exclude(
        status__in=["pending", "cancelled"]
    )
    assert all(order.invoices.exists() for order in paid)


def test_the_demo_client_has_weeks_of_analytics_with_a_visible_change(seeded):
    lengths, statuses = [], set()
    for order in Order.objects.filter(user__username="client"):
        days = list(order.snapshots.order_by("captured_on"))
        if not days:
            continue
        first, last = days[0], days[-1]
        # Daily, from the day of purchase to today, one row per day.
        assert first.captured_on == order.paid_at.date()
        assert last.captured_on == timezone.now().date()
        assert len(days) == (last.captured_on - first.captured_on).days + 1
        assert last.followers > first.followers
        assert last.reach > first.reach
        lengths.append(len(days))
        statuses.add(order.status)
    assert len(lengths) >= 2 and max(lengths) >= 21  # weeks of history
    assert len(statuses) >= 2  # on orders in different states


def test_the_demo_client_has_invoices_of_several_kinds_and_statuses(seeded):
    invoices = Invoice.objects.filter(order__user__username="client")
    assert set(invoices.values_list("kind", flat=True)) == {"order", "renewal"}
    assert set(invoices.values_list("status", flat=True)) == {
        "paid",
        "partially_refunded",
        "refunded",
    }
    assert Refund.objects.filter(invoice__order__user__username="client").count() == 2
    renewal = invoices.get(kind="renewal")
    assert renewal.lines.exists()
    assert renewal.period_start < renewal.period_end
    assert renewal.issued_at > renewal.order.paid_at + timedelta(days=29)
    assert Subscription.objects.get(order=renewal.order).status == "active"
    refunded = invoices.get(status="refunded")
    assert refunded.order.status == "refunded"  # the full refund refunded the order


def test_the_demo_client_has_checkout_sessions_in_every_state(seeded):
    sessions = CheckoutSession.objects.filter(order__user__username="client")
    assert set(sessions.values_list("status", flat=True)) == {
        "open",
        "complete",
        "expired",
        "abandoned",
    }
    regenerated = sessions.get(regenerated_from__isnull=False)
    assert regenerated.status == "complete"
    assert regenerated.regenerated_from.status == "expired"
    assert regenerated.order.status == "completed"
    paid = sessions.filter(status="complete")
    assert all(s.completed_at > s.created_at for s in paid)  # time to pay is minutes


def test_order_histories_are_spread_over_weeks_in_the_past(seeded):
    now = timezone.now()
    completed = Order.objects.get(user__username="client", status="completed")
    assert completed.created_at < now - timedelta(days=40)
    history = list(completed.history.values_list("created_at", flat=True))
    assert history == sorted(history)
    assert history[-1] - history[0] > timedelta(days=14)
    assert not OrderStatusChange.objects.filter(created_at__gt=now).exists()
    assert not Invoice.objects.filter(issued_at__gt=now).exists()
    # Expiries and provider times move with the step that wrote them.
    paid = CheckoutSession.objects.filter(status="complete")
    assert all(s.created_at < s.expires_at < now for s in paid)
    renewal = Invoice.objects.get(order__user__username="client", kind="renewal")
    subscription = Subscription.objects.get(order=renewal.order)
    assert abs(subscription.status_updated_at - renewal.issued_at) < timedelta(seconds=5)
    assert renewal.period_end - renewal.period_start == timedelta(days=30)


def test_the_on_hold_order_waits_on_a_dead_letter(seeded):
    on_hold = Order.objects.get(user__username="client", status="on_hold")
    assert on_hold.tasks.filter(status="dead").exists()
    assert FulfillmentTask.objects.filter(status="dead").count() == 1


def test_the_second_client_owns_only_their_own_orders(seeded):
    client = get_user_model().objects.get(username="client")
    client2 = get_user_model().objects.get(username="client2")
    theirs = Order.objects.filter(user=client2)
    assert theirs.count() >= 3
    assert not theirs.filter(email=client.email).exists()
    assert set(theirs.values_list("number", flat=True)).isdisjoint(
        Order.objects.filter(user=client).values_list("number", flat=True)
    )
    assert Invoice.objects.filter(order__user=client2).exists()
    assert AnalyticsSnapshot.objects.filter(order__user=client2).exists()
    assert not AnalyticsSnapshot.objects.filter(
        order__user=client2, account__in=["@demo.cafe", "@demo.cafe.kitchen"]
    ).exists()


def test_the_staff_view_has_searches_to_show(seeded):
    assert SearchEvent.objects.filter(result_count=0).exists()
    assert SearchEvent.objects.filter(result_count__gt=0).exists()


def test_seed_demo_sends_no_e_mail(seeded):
    assert OrderNotification.objects.exists()  # the status changes happened for real…
    while notifications_send_due():  # …and the e-mail queue runs as it would in `make run`
        pass
    assert mail.outbox == []
    assert set(OrderNotification.objects.values_list("status", flat=True)) == {"demo"}


def test_demo_orders_left_unpaid_get_no_recovery_email_nor_chat_message(seeded, settings):
    settings.OPS_CHAT_WEBHOOK_URL = "http://127.0.0.1:9/never-called"
    settings.OPS_CHAT_ABANDONED_MIN_AMOUNT = 0
    later = timezone.now() + timedelta(hours=3)  # every demo payment page has lapsed by then
    sessions_sweep(now=later)
    assert recovery_emails_queue(now=later) == 0
    assert abandoned_checkouts_notify() == 0
    while emails_send_due():
        pass
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exclude(status="cancelled").exists()


def test_seeded_orders_stay_in_their_state_while_the_workers_run(seeded):
    seeded_statuses = dict(Order.objects.values_list("pk", "status"))
    for _ in range(5):
        process_due(worker="test")
    assert dict(Order.objects.values_list("pk", "status")) == seeded_statuses
    active = Order.objects.filter(user__username="client", status="active").first()
    assert active.tasks.filter(status="queued", due_at__gt=timezone.now() + timedelta(days=1))


def test_the_billing_centre_is_on_for_the_demo_client_only(seeded, client):
    users = get_user_model().objects
    client.force_login(users.get(username="client"))
    assert client.get("/dashboard/billing/").status_code == 200
    assert 'href="/dashboard/billing/"' in client.get("/dashboard/").text
    client.force_login(users.get(username="client2"))
    assert client.get("/dashboard/billing/").status_code == 404


def test_each_demo_client_opens_its_dashboard_on_an_order_with_growth_charts(seeded, client):
    for username in ("client", "client2"):
        client.force_login(get_user_model().objects.get(username=username))
        page = client.get("/dashboard/").text
        assert page.count('role="img"') >= 2, username
