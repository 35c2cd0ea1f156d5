"""Hosted-checkout figures of the client's orders and the way back to payment."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from checkout.models import SessionStatus
from orders.models import Order
from tests.billing.factories import order_for, session_for
from tests.checkout.factories import placed_order, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

URL = "/dashboard/billing/"


def figures(page: str) -> dict[str, str]:
    """The figures of the Payments section: {label: value}."""
    section = page.split('id="payments-heading"')[1].split("</dl>")[0]
    pairs = section.split("<div><dt>")[1:]
    return {pair.split("</dt>")[0]: pair.split("<dd>")[1].split("</dd>")[0] for pair in pairs}


def test_funnel_counts_the_client_s_sessions_only(client):
    alice, bob = user("alice"), user("bob")
    paid = order_for(alice)
    Order.objects.filter(pk=paid.pk).update(created_at=paid.paid_at - timedelta(minutes=90))
    first = session_for(paid, status=SessionStatus.EXPIRED)
    session_for(paid, status=SessionStatus.COMPLETE, attempt=2, regenerated_from=first)
    session_for(order_for(alice, status="pending", paid=False), status=SessionStatus.ABANDONED)
    session_for(order_for(bob), status=SessionStatus.COMPLETE)
    client.force_login(alice)
    shown = figures(client.get(URL).content.decode())
    assert shown == {
        "Sessions started": "3",
        "Completed": "1",
        "Expired": "1",
        "Abandoned": "1",
        "Conversion": "33%",
        "Average time to pay": "1 h 30 min",
        "New payment links": "1",
    }


def test_a_client_without_sessions_sees_dashes(client):
    client.force_login(user("alice"))
    shown = figures(client.get(URL).content.decode())
    assert shown["Sessions started"] == "0"
    assert shown["Conversion"] == "—" and shown["Average time to pay"] == "—"


def test_resume_payment_sends_the_client_to_the_hosted_page(client):
    alice = user("alice")
    order, session = placed_order(owner=alice)
    client.force_login(alice)
    page = client.get(URL).content.decode()
    action = reverse("dashboard:resume-payment", args=[order.number])
    assert f'action="{action}"' in page and f"Pay order {order.number}" in page
    response = client.post(action)
    assert response.status_code == 302
    assert response["Location"] == session.url


def test_resume_payment_opens_a_new_session_when_the_last_one_expired(client):
    alice = user("alice")
    order, session = placed_order(owner=alice)
    session.status = SessionStatus.EXPIRED
    session.save(update_fields=["status"])
    client.force_login(alice)
    response = client.post(reverse("dashboard:resume-payment", args=[order.number]))
    latest = order.checkout_sessions.order_by("-attempt").first()
    assert latest.attempt == 2 and latest.status == SessionStatus.OPEN
    assert response["Location"] == latest.url


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"status": "processing"}, "is already paid"),
        ({"status": "cancelled", "paid": False}, "is cancelled: it cannot be paid"),
    ],
)
def test_resume_payment_refuses_a_paid_or_cancelled_order(client, fields, message):
    alice = user("alice")
    order = order_for(alice, **fields)
    session_for(order, status=SessionStatus.EXPIRED)
    client.force_login(alice)
    response = client.post(reverse("dashboard:resume-payment", args=[order.number]), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert message in response.content.decode()
    assert order.checkout_sessions.count() == 1


def test_resume_payment_needs_post_and_a_csrf_token():
    alice = user("alice")
    order, _ = placed_order(owner=alice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    url = reverse("dashboard:resume-payment", args=[order.number])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    assert order.checkout_sessions.count() == 1
