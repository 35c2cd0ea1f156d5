"""Branded error pages: 404 through the whole stack, 500 with nothing to lean on."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_answers_the_branded_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/anywhere/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We cannot find that page" in body
    assert 'class="site-header"' in body and "SMPLAT" in body  # the storefront's frame
    assert "Browse all services" in body


def test_the_500_page_renders_without_context_processors_or_database(
    settings, django_assert_num_queries
):
    settings.DEBUG = False
    request = RequestFactory().get("/checkout/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert 'class="site-header"' in body and "SMPLAT" in body
    assert 'href="/static/css/site.css"' in body
