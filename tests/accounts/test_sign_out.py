"""Signing out is a POST with a CSRF token; a typed /accounts/logout/ shows the button."""

import pytest
from django.test import Client

from .helpers import account, form_token, signed_in_id

pytestmark = pytest.mark.django_db


def test_typing_the_sign_out_address_shows_a_page_with_the_button(client):
    client.force_login(account())
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert "<h1>Sign out?</h1>" in page.text
    assert '<form method="post" action="/accounts/logout/"' in page.text
    assert '<button type="submit" class="button">Sign out</button>' in page.text
    assert signed_in_id(client) is not None  # a GET changes nothing


def test_the_sign_out_page_for_a_visitor_offers_to_sign_in(client):
    page = client.get("/accounts/logout/")
    assert page.status_code == 200 and "You are not signed in." in page.text
    assert 'href="/accounts/login/"' in page.text


def test_sign_out_by_post_with_the_token_from_the_page():
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account())
    token = form_token(browser.get("/accounts/logout/"))
    response = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert signed_in_id(browser) is None
    assert "You are signed out." in response.text


def test_the_header_offers_the_dashboard_and_sign_out_when_signed_in(client):
    visitor = client.get("/accounts/login/").text
    assert ">Dashboard</a>" not in visitor and ">Sign out</button>" not in visitor
    client.force_login(account())
    header = client.get("/accounts/password_change/").text
    assert '<a href="/dashboard/">Dashboard</a>' in header
    assert '<form method="post" action="/accounts/logout/"' in header
    assert ">Sign out</button>" in header


def test_the_sign_out_page_stays_within_its_query_budget(client, django_assert_max_num_queries):
    client.force_login(account())
    with django_assert_max_num_queries(4):
        assert client.get("/accounts/logout/").status_code == 200
