"""A checkout that cannot go ahead says why at the top, links each error to its field, and
asks for the terms in words a customer understands."""

import re

import pytest

from orders.models import Order

from .test_checkout_flow import add, submit

pytestmark = pytest.mark.django_db


def summary(body: str) -> str:
    found = re.search(r'<div class="error-summary"[^>]*>.*?</div>', body, re.S)
    assert found, "no error summary"
    return found[0]


def test_a_failed_submit_leads_with_a_focused_summary_linking_each_error(client, shop):
    add(client, shop[1])
    response, data = submit(client, accept_terms="", email="not-an-email")
    assert response.status_code == 200
    body = response.content.decode()
    box = summary(body)
    assert 'role="alert"' in box and 'tabindex="-1"' in box and "autofocus" in box
    assert body.index('class="error-summary"') < body.index("<fieldset")  # at the top
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', box)
    assert links == [
        ("id_email", "E-mail: Enter a valid email address."),
        ("id_accept_terms", "Terms of service: Please accept the terms of service to continue."),
    ]
    for field_id, _ in links:
        assert f'id="{field_id}"' in body
    assert not Order.objects.exists()


def test_the_terms_error_is_in_plain_words_next_to_the_box(client, shop):
    add(client, shop[1])
    body = submit(client, accept_terms="")[0].content.decode()
    assert "This field is required" not in body
    assert re.search(
        r'<ul class="errorlist" id="id_accept_terms_error"><li>Please accept the terms of '
        r"service to continue\.</li></ul>",
        body,
    )
    assert re.search(
        r'id="id_accept_terms" required aria-invalid="true" '
        r'aria-describedby="id_accept_terms_error"',
        body,
    )


def test_the_terms_label_links_to_the_terms_page(client, shop):
    add(client, shop[1])
    body = client.get("/checkout/").content.decode()
    assert "error-summary" not in body
    label = re.search(r'<label for="id_accept_terms">(.*?)</label>', body, re.S)[1]
    assert '<a href="/terms/">terms of service</a>' in label
    assert "Delivery starts after your payment" in client.get("/terms/").content.decode()


def test_a_ticked_box_stays_ticked_when_another_field_fails(client, shop):
    add(client, shop[1])
    body = submit(client, email="")[0].content.decode()
    assert re.search(r'id="id_accept_terms" checked required', body)
    assert "E-mail: This field is required." in summary(body)
