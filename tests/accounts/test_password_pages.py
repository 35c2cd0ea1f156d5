"""Password reset, set and change in the storefront's frame; e-mails name the shop, not the host."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from .helpers import PASSWORD, account, link_in, sign_in, signed_in_id

pytestmark = pytest.mark.django_db

NEW = "a brand new passphrase"


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://shop.example.com"
    settings.WAGTAIL_SITE_NAME = "SMPLAT"


def checkout_account(email="guest@example.com"):
    """An account as checkout makes it: named after the address, no usable password."""
    buyer = get_user_model()(username=email, email=email)
    buyer.set_unusable_password()
    buyer.save()
    return buyer


def ask_for_reset(client, email):
    return client.post("/accounts/password_reset/", {"email": email}, follow=True)


def choose(client, link, password=NEW):
    """Open an e-mailed link and choose a password on the page it leads to."""
    page = client.get(link, follow=True)
    assert page.status_code == 200
    return client.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )


def test_reset_reaches_an_account_created_at_checkout(client, site):
    buyer = checkout_account()
    sent = ask_for_reset(client, "Guest@Example.com")
    assert "Check your e-mail" in sent.text
    (message,) = mail.outbox
    assert message.to == ["guest@example.com"]
    assert message.subject == "Choose your SMPLAT password"
    html = message.alternatives[0][0]
    link = link_in(message.body, "/accounts/reset/")
    assert f"https://shop.example.com{link}" in message.body
    assert f"https://shop.example.com{link}" in html
    for text in (message.subject, message.body, html):
        assert "testserver" not in text and "127.0.0.1" not in text
    assert "SMPLAT" in message.body

    done = choose(client, link)
    assert done["Location"] == "/accounts/reset/done/"
    assert signed_in_id(client) == str(buyer.pk)
    complete = client.get("/accounts/reset/done/")
    assert "Your password is set." in complete.text and "guest@example.com" in complete.text
    client.logout()
    assert sign_in(client, "guest@example.com", NEW).status_code == 302


def test_the_sent_page_is_the_same_whether_or_not_the_address_has_an_account(client, site):
    account()
    known = ask_for_reset(client, "dana.client@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")
    assert (
        known.redirect_chain == unknown.redirect_chain == [("/accounts/password_reset/done/", 302)]
    )
    assert known.text == unknown.text
    assert len(mail.outbox) == 1


def test_an_inactive_account_gets_no_reset_e_mail(client, site):
    account(is_active=False)
    ask_for_reset(client, "dana.client@example.com")
    assert mail.outbox == []


def test_a_reset_link_works_once(client, site):
    account()
    ask_for_reset(client, "dana.client@example.com")
    link = link_in(mail.outbox[0].body, "/accounts/reset/")
    choose(client, link)
    again = client.get(link, follow=True)
    assert "This link no longer works." in again.text
    assert 'href="/accounts/password_reset/"' in again.text


def test_a_bad_address_gets_a_form_message(client):
    response = client.post("/accounts/password_reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text and 'role="alert"' in response.text
    assert mail.outbox == []


def test_password_change_needs_the_current_password(client):
    dana = account()
    client.force_login(dana)
    refused = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert (
        refused.status_code == 200 and "Your old password was entered incorrectly" in refused.text
    )
    changed = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert changed.redirect_chain == [("/accounts/password_change/done/", 302)]
    assert "Your password is changed." in changed.text
    assert signed_in_id(client) == str(dana.pk)  # this session stays signed in
    dana.refresh_from_db()
    assert dana.check_password(NEW)


def test_password_change_asks_visitors_to_sign_in(client):
    response = client.get("/accounts/password_change/")
    assert response["Location"] == "/accounts/login/?next=/accounts/password_change/"


def account_pages(client):
    """Every page of the accounts app, as a visitor or a client would reach it."""
    dana = account()
    ask_for_reset(client, "dana.client@example.com")
    reset_link = link_in(mail.outbox[-1].body, "/accounts/reset/")
    reset_form = client.get(reset_link, follow=True)
    pages = {
        "sign-in": client.get("/accounts/login/"),
        "sign-in error": sign_in(client, "dana", "wrong"),
        "sign-out": client.get("/accounts/logout/"),
        "reset": client.get("/accounts/password_reset/"),
        "reset sent": client.get("/accounts/password_reset/done/"),
        "reset new password": reset_form,
        "reset link used": client.get("/accounts/reset/MQ/set-password/"),
        "reset complete": client.get("/accounts/reset/done/"),
        "set password, link used": client.get("/accounts/set-password/MQ/bad-token/"),
    }
    client.force_login(dana)
    pages["change"] = client.get("/accounts/password_change/")
    pages["change done"] = client.get("/accounts/password_change/done/")
    pages["sign-out, signed in"] = client.get("/accounts/logout/")
    return pages


def test_no_account_page_wears_the_admin_look(client, site):
    for name, page in account_pages(client).items():
        assert page.status_code == 200, name
        body = page.text
        assert '<header class="site-header">' in body, name  # the storefront frame
        for admin_text in ("Django administration", 'href="/admin/', "Django site admin"):
            assert admin_text not in body, (name, admin_text)
        assert body.count("<h1") == 1, name


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
    ],
)
def test_each_account_page_stays_within_its_query_budget(
    client, path, django_assert_max_num_queries
):
    for name in ("a", "b", "c"):
        account(name, email=f"{name}@example.com")
    client.force_login(get_user_model().objects.get(username="a"))
    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200
