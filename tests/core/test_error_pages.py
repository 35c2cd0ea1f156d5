"""403, 404 and 500 pages wear the storefront's design: header, navigation, styles, a way on."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def frame(body: str) -> dict:
    """The parts every storefront page shares, as a person would see them."""
    return {
        "stylesheet": bool(re.search(r'<link rel="stylesheet" href="/static/css/site\.css', body)),
        "header": 'class="site-header"' in body and "◆</span> SMPLAT" in body,
        "navigation": bool(re.search(r'<nav aria-label="Main">.*?>Services</a>', body, re.S)),
        "main": '<main id="main" class="page" tabindex="-1">' in body,
        "footer": 'class="site-footer"' in body,
        "title": bool(re.search(r"<title>[^<·]+ · SMPLAT</title>", body)),
    }


SHARED = dict.fromkeys(["stylesheet", "header", "navigation", "main", "footer", "title"], True)


@pytest.mark.urls("tests.core.forbidden_urls")
def test_a_refused_page_answers_the_branded_403_with_a_way_to_sign_in(client, settings):
    settings.DEBUG = False
    response = client.get("/forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert frame(body) == SHARED
    assert "You cannot open this page" in body
    assert 'href="/accounts/login/?next=/forbidden/"' in body
    assert "Browse all services" in body


@pytest.mark.urls("tests.core.forbidden_urls")
def test_a_signed_in_client_refused_a_page_is_not_asked_to_sign_in_again(client, settings):
    settings.DEBUG = False
    client.force_login(get_user_model().objects.create_user("ann", "ann@example.com", "pw"))
    body = client.get("/forbidden/").content.decode()
    assert "It belongs to another account" in body
    assert "/accounts/login/?next=" not in body


def test_the_404_page_shares_the_storefront_frame(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert frame(response.content.decode()) == SHARED


def test_the_500_page_shares_the_frame_without_a_database(settings, django_assert_num_queries):
    settings.DEBUG = False
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/cart/"))
    assert response.status_code == 500
    assert frame(response.content.decode()) == SHARED
