"""A guest's account, made at checkout, gets a set-password link with the order e-mail; a guest
using the address of an existing account never gets into it."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from accounts.services import password_set_link
from checkout.models import CheckoutSession
from orders.models import Order
from orders.notifications import notifications_send_due
from orders.services import order_transition
from tests.catalog.factories import ProductFactory
from tests.checkout.test_checkout_flow import add, submit

from .helpers import PASSWORD, account, link_in, sign_in, signed_in_id

pytestmark = pytest.mark.django_db

NEW = "my own new passphrase"
SET_PASSWORD = "/accounts/set-password/"


@pytest.fixture
def product(settings):
    settings.SITE_URL = "https://shop.example.com"
    return ProductFactory(slug="likes", title="Insta Likes", base_amount=2_000)


def buy_as_guest(guest, product, email) -> Order:
    """Check out without signing in and pay on the local hosted page, as a guest would."""
    add(guest, product)
    submit(guest, email=email)
    guest.post(CheckoutSession.objects.latest("pk").url, {"action": "pay"})
    order = Order.objects.latest("pk")
    assert order.status == "processing"
    return order


def sent_e_mails():
    notifications_send_due()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_the_guest_sets_a_password_from_the_order_e_mail_and_is_signed_in(product):
    guest = Client()
    order = buy_as_guest(guest, product, "New.Buyer@Example.com")
    assert signed_in_id(guest) is None  # checking out never signs anybody in
    buyer = order.user
    assert buyer.username == "new.buyer@example.com" and not buyer.has_usable_password()

    (confirmation,) = sent_e_mails()
    assert [address.lower() for address in confirmation.to] == ["new.buyer@example.com"]
    link = link_in(confirmation.body, SET_PASSWORD)
    assert f"https://shop.example.com{link}" in confirmation.alternatives[0][0]
    assert "has no password yet" in confirmation.body

    phone = Client()  # the e-mail opened on another device
    page = phone.get(link, follow=True)
    assert "<h1>Set your password</h1>" in page.text
    assert "new.buyer@example.com" in page.text
    assert link not in page.redirect_chain[-1][0]  # the token leaves the address bar
    done = phone.post(page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == "/dashboard/"
    assert signed_in_id(phone) == str(buyer.pk)

    phone.logout()
    assert sign_in(phone, "New.Buyer@example.com", NEW).status_code == 302
    assert "This link no longer works." in Client().get(link, follow=True).text

    order_transition(order_id=order.pk, to_status="active", source="test")
    (update,) = sent_e_mails()
    assert SET_PASSWORD not in update.body  # the password is chosen: no more links


def test_a_weak_password_is_refused_on_the_set_password_page(product):
    buy_as_guest(Client(), product, "buyer@example.com")
    (confirmation,) = sent_e_mails()
    phone = Client()
    page = phone.get(link_in(confirmation.body, SET_PASSWORD), follow=True)
    refused = phone.post(
        page.redirect_chain[-1][0], {"new_password1": "1234", "new_password2": "1234"}
    )
    assert refused.status_code == 200
    assert "This password is too short." in refused.text and 'role="alert"' in refused.text
    assert signed_in_id(phone) is None


def test_a_guest_using_the_address_of_an_existing_account_gets_no_way_in(product):
    owner = account("owner", email="owner@example.com")
    guest = Client()
    order = buy_as_guest(guest, product, "Owner@Example.com")
    assert order.user == owner  # the order shows in the owner's dashboard …
    assert signed_in_id(guest) is None  # … but the guest is not signed in as the owner
    assert guest.get("/accounts/password_change/")["Location"].startswith("/accounts/login/")

    (confirmation,) = sent_e_mails()
    assert SET_PASSWORD not in confirmation.body
    assert SET_PASSWORD not in confirmation.alternatives[0][0]
    assert "/accounts/reset/" not in confirmation.body
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # nothing about the account changed


def test_a_set_password_link_goes_only_to_the_accounts_own_address():
    buyer = get_user_model()(username="buyer@example.com", email="buyer@example.com")
    buyer.set_unusable_password()
    buyer.save()
    assert password_set_link(user=buyer, email="BUYER@example.com") is not None
    assert password_set_link(user=buyer, email="someone.else@example.com") is None
    buyer.is_active = False
    assert password_set_link(user=buyer, email="buyer@example.com") is None


def test_a_signed_in_clients_order_e_mail_has_no_set_password_link(client, product):
    client.force_login(account())
    add(client, product)
    submit(client, email="dana.client@example.com")
    client.post(CheckoutSession.objects.get().url, {"action": "pay"})
    (confirmation,) = sent_e_mails()
    assert SET_PASSWORD not in confirmation.body
