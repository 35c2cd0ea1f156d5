"""Signing in with the username or the e-mail address; the session key changes on sign-in."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from .helpers import PASSWORD, account, sign_in, signed_in_id

pytestmark = pytest.mark.django_db


def test_the_form_asks_for_e_mail_or_username(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<label for="id_username">E-mail or username' in page.text
    assert 'autocomplete="username"' in page.text and 'maxlength="254"' in page.text


@pytest.mark.parametrize(
    "identifier", ["dana", "Dana.Client@example.com", "dana.client@EXAMPLE.com", " dana "]
)
def test_signs_in_with_the_username_or_the_e_mail_in_any_case(client, identifier):
    dana = account()
    response = sign_in(client, identifier)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert signed_in_id(client) == str(dana.pk)


def test_an_account_made_at_checkout_signs_in_with_its_e_mail_once_it_has_a_password(client):
    # Checkout names the account after the lower-cased address it was given.
    buyer = account(username="guest@example.com", email="guest@example.com")
    assert sign_in(client, "Guest@Example.com").status_code == 302
    assert signed_in_id(client) == str(buyer.pk)


def test_a_wrong_password_or_unknown_name_gets_the_same_message(client):
    account()
    wrong = sign_in(client, "dana", "not the password")
    unknown = sign_in(client, "nobody@example.com")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "do not match an account" in response.text
        assert 'role="alert"' in response.text
    assert signed_in_id(client) is None


def test_an_e_mail_shared_by_two_accounts_signs_in_neither_but_usernames_still_work(client):
    first = account("first", email="shared@example.com")
    account("second", email="Shared@Example.com")
    refused = sign_in(client, "shared@example.com")
    assert refused.status_code == 200 and "do not match an account" in refused.text
    assert signed_in_id(client) is None
    assert sign_in(client, "first").status_code == 302
    assert signed_in_id(client) == str(first.pk)


def test_a_username_wins_over_another_accounts_e_mail(client):
    owner = account("boss@example.com", email="boss@example.com")
    account("other", email="other@example.com")
    assert sign_in(client, "boss@example.com").status_code == 302
    assert signed_in_id(client) == str(owner.pk)


def test_an_inactive_account_cannot_sign_in(client):
    account(is_active=False)
    assert sign_in(client, "dana").status_code == 200
    assert signed_in_id(client) is None


def test_an_account_without_a_usable_password_cannot_sign_in(client):
    buyer = account(username="guest@example.com", email="guest@example.com")
    buyer.set_unusable_password()
    buyer.save()
    for password in ("", "!", buyer.password, PASSWORD):
        assert sign_in(client, "guest@example.com", password).status_code == 200
    assert signed_in_id(client) is None


def test_signing_in_gives_the_session_a_new_key(client):
    account()
    session = client.session  # a visitor's session, as an attacker could have planted it
    session["probe"] = "kept"
    session.save()
    before = session.session_key
    assert client.cookies["sessionid"].value == before

    assert sign_in(client, "dana").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not SessionStore().exists(before)  # the old key opens nothing any more
    assert client.session["probe"] == "kept"  # the visitor's cart and choices stay
    assert signed_in_id(client) is not None


def test_next_leads_back_but_never_off_site(client):
    account()
    back = client.post(
        "/accounts/login/", {"username": "dana", "password": PASSWORD, "next": "/cart/"}
    )
    assert back["Location"] == "/cart/"
    client.logout()
    away = client.post(
        "/accounts/login/",
        {"username": "dana", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert away["Location"] == "/dashboard/"


def test_the_sign_in_page_stays_within_its_query_budget(client, django_assert_max_num_queries):
    for name in ("a", "b", "c"):
        account(name, email=f"{name}@example.com")
    with django_assert_max_num_queries(3):
        assert client.get("/accounts/login/").status_code == 200
