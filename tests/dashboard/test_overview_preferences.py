"""E-mail preferences set on /dashboard/preferences/ and honoured by every sender."""

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from orders.models import NotificationPreference, NotificationTopic, OrderNotification
from orders.notifications import notifications_send_due
from orders.selectors import notification_recipients
from orders.services import order_transition
from tests.checkout.factories import placed_order, user

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("dashboard:preferences")


def save(client, **choices):
    data = {name: "on" for name, chosen in choices.items() if chosen}
    return client.post(PREFERENCES, data, follow=True)


def test_the_page_shows_the_defaults_for_a_client_who_never_chose(client, alice):
    client.force_login(alice)
    body = client.get(PREFERENCES).content.decode()
    assert '<label for="id_order_updates">Order updates</label>' in body
    assert (
        'name="order_updates" aria-describedby="id_order_updates_helptext" id="id_order_updates" checked'
        in body
    )
    assert (
        'name="weekly_digest" aria-describedby="id_weekly_digest_helptext" id="id_weekly_digest" checked'
        in body
    )
    assert 'id="id_marketing">' in body  # not ticked
    assert not NotificationPreference.objects.exists()  # looking saves nothing


def test_saving_stores_each_choice_and_says_so(client, alice):
    client.force_login(alice)
    response = save(client, order_updates=False, weekly_digest=True, marketing=True)
    assert "Your e-mail preferences are saved." in response.content.decode()
    saved = NotificationPreference.objects.get(user=alice)
    assert (saved.order_updates, saved.weekly_digest, saved.marketing) == (False, True, True)
    assert 'id="id_marketing" checked' in response.content.decode()

    save(client, order_updates=True)
    saved.refresh_from_db()
    assert (saved.order_updates, saved.weekly_digest, saved.marketing) == (True, False, False)
    assert NotificationPreference.objects.count() == 1


def test_the_page_costs_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    caches["config"].clear()  # the footer's site settings are read cold
    with django_assert_max_num_queries(
        6
    ):  # session, user, preferences, site settings, the nav's flag (2)
        assert client.get(PREFERENCES).status_code == 200


def test_the_form_needs_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(PREFERENCES, {"marketing": "on"}).status_code == 403
    assert not NotificationPreference.objects.exists()


def test_order_e_mails_follow_the_choice_made_on_the_page(client, alice):
    client.force_login(alice)
    order, _ = placed_order(owner=alice)
    save(client, order_updates=False, weekly_digest=True)
    order_transition(order_id=order.pk, to_status="processing", source="test")
    notifications_send_due()
    assert mail.outbox == []
    assert OrderNotification.objects.get().status == "skipped"

    save(client, order_updates=True)
    order_transition(order_id=order.pk, to_status="active", source="test")
    notifications_send_due()
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Delivery has started" in mail.outbox[0].subject


def test_every_sender_asks_one_selector_which_honours_defaults_and_choices(alice, bob):
    carol = user("carol")
    NotificationPreference.objects.create(user=bob, order_updates=False, marketing=True)
    NotificationPreference.objects.create(user=carol, weekly_digest=False)
    everyone = [alice.pk, bob.pk, carol.pk]
    wanted = {
        topic: notification_recipients(user_ids=everyone, topic=topic)
        for topic in NotificationTopic
    }
    assert wanted[NotificationTopic.ORDER_UPDATES] == {alice.pk, carol.pk}
    assert wanted[NotificationTopic.WEEKLY_DIGEST] == {alice.pk, bob.pk}
    assert wanted[NotificationTopic.MARKETING] == {bob.pk}  # nobody by default
