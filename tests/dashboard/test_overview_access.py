"""Who sees what on /dashboard/: the signed-in client's own orders, and nobody else's."""

import re

import pytest
from django.urls import reverse

from orders.models import OrderSelection
from tests.checkout.factories import placed_order

from .factories import bulk_orders

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("dashboard:overview")
SELECT = reverse("dashboard:order-select")
PREFERENCES = reverse("dashboard:preferences")


def progress_url(order):
    return reverse("dashboard:order-progress", args=[order.number])


def picked(response) -> str:
    """The order number the picker shows as selected."""
    match = re.search(r'<option value="([^"]+)" selected>', response.content.decode())
    return match.group(1) if match else ""


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_from_every_url(client, alice, method):
    order, _ = placed_order(owner=alice)
    urls = [OVERVIEW, PREFERENCES, progress_url(order)] if method == "get" else [SELECT]
    for url in urls:
        response = getattr(client, method)(url, {"order": order.number} if url == SELECT else {})
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_another_clients_order_is_404_in_the_picker_and_the_progress_url(client, alice, bob):
    mine, _ = placed_order(owner=bob)
    theirs, _ = placed_order(owner=alice)
    client.force_login(bob)

    assert client.post(SELECT, {"order": theirs.number}).status_code == 404
    assert client.get(progress_url(theirs)).status_code == 404
    assert client.get(progress_url(theirs), HTTP_HX_REQUEST="true").status_code == 404
    assert not OrderSelection.objects.exists()
    # An order number that does not exist answers the same.
    assert client.post(SELECT, {"order": "SMP-1999-000001"}).status_code == 404
    assert client.get(progress_url(mine)).status_code == 200


def test_no_page_of_another_client_shows_their_order_numbers(client, alice, bob):
    alices = [placed_order(owner=alice)[0] for _ in range(2)]
    bobs, _ = placed_order(owner=bob)
    client.force_login(bob)
    pages = [
        client.get(OVERVIEW),
        client.get(OVERVIEW + "?orders_page=2"),
        client.get(PREFERENCES),
        client.get(progress_url(bobs)),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        for order in alices:
            assert order.number not in body
    assert bobs.number in pages[0].content.decode()


def test_a_client_without_orders_is_pointed_to_the_services(client, bob):
    client.force_login(bob)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert "No orders yet" in response.content.decode()
    assert reverse("catalog:catalog-list") in response.content.decode()


def test_the_picked_order_is_remembered_for_the_account_on_every_device(client, alice):
    older, _ = placed_order(owner=alice)
    newer, _ = placed_order(owner=alice)
    client.force_login(alice)
    assert picked(client.get(OVERVIEW)) == newer.number  # the latest until one is picked

    response = client.post(SELECT, {"order": older.number})
    assert response.status_code == 302 and response["Location"] == OVERVIEW
    page = client.get(OVERVIEW)
    assert picked(page) == older.number
    assert f"Order {older.number}, placed" in page.content.decode()

    client.logout()
    client.force_login(alice)  # a new session, as on another device
    assert picked(client.get(OVERVIEW)) == older.number
    assert OrderSelection.objects.get(user=alice).order == older


def test_a_stale_pick_falls_back_to_the_latest_order(client, alice, bob):
    given_away, _ = placed_order(owner=alice)
    latest, _ = placed_order(owner=alice)
    OrderSelection.objects.create(user=alice, order=given_away)
    given_away.user = bob  # staff moved the order to another account
    given_away.save(update_fields=["user"])
    client.force_login(alice)
    page = client.get(OVERVIEW)
    assert picked(page) == latest.number
    assert given_away.number not in page.content.decode()

    OrderSelection.objects.filter(user=alice).update(order=None)  # the order was deleted
    assert picked(client.get(OVERVIEW)) == latest.number


def test_a_broken_pick_gets_a_message_not_an_error(client, alice):
    placed_order(owner=alice)
    client.force_login(alice)
    response = client.post(SELECT, {"order": ""}, follow=True)
    assert response.status_code == 200
    assert "Pick one of your orders" in response.content.decode()
    response = client.post(SELECT, {"order": "x" * 300}, follow=True)
    assert response.status_code == 200
    assert client.get(SELECT).status_code == 405


def test_the_picker_pages_through_many_orders(client, alice):
    orders = bulk_orders(alice, 60, snapshot_days=1)
    client.force_login(alice)
    first = client.get(OVERVIEW).content.decode()
    assert first.count("<option ") == 50
    assert "?orders_page=2" in first and "Older orders" in first
    second = client.get(OVERVIEW + "?orders_page=2").content.decode()
    assert second.count("<option ") == 10 and "Newer orders" in second
    assert orders[0].number in second  # the oldest of the bulk

    # Picking from page 2 keeps the client there, and the pick shows on page 1 too.
    response = client.post(SELECT, {"order": orders[0].number, "orders_page": 2})
    assert response["Location"] == OVERVIEW + "?orders_page=2"
    assert f"Order {orders[0].number}, placed" in client.get(OVERVIEW).content.decode()

    for nonsense in ("abc", "0", "-3", "99999999"):
        response = client.get(OVERVIEW, {"orders_page": nonsense})
        assert response.status_code == 200
        assert response.content.decode().count("<option ") == 50


def test_without_a_pick_the_newest_order_under_way_is_shown(client, alice):
    under_way, _ = placed_order(owner=alice)
    under_way.status = "active"  # paid, delivery running
    under_way.save(update_fields=["status"])
    unpaid, _ = placed_order(owner=alice)  # newer, still awaiting payment
    client.force_login(alice)
    assert picked(client.get(OVERVIEW)) == under_way.number
    under_way.status = "completed"
    under_way.save(update_fields=["status"])
    assert picked(client.get(OVERVIEW)) == unpaid.number  # nothing under way: the newest
