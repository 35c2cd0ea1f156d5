"""A form sent from a stale tab gets the storefront's explanation, and the cart a safe retry."""

import html
import re

import pytest
from django.test import Client

from checkout.models import CartItem
from tests.catalog.factories import configurable_product
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    """A client whose forms are checked for CSRF tokens, as a real browser's are."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost", base_amount=10_000)


def form_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def choices(product) -> dict:
    large = product.option_groups.get(name="Size").options.get(label="Large")
    targeting = product.option_groups.get(name="Extras").options.get(label="Targeting")
    extras = product.option_groups.get(name="Extras")
    return {
        f"group_{large.group_id}": str(large.pk),
        f"group_{extras.pk}": str(targeting.pk),
        "quantity": "2",
        "billing": "one_off",
    }


def open_product_then_sign_in_elsewhere(visitor, product) -> str:
    """The product page's token, made stale by signing in (which rotates the token)."""
    stale = form_token(visitor.get("/products/insta/"))
    user("ann")
    signed_in = visitor.post(
        "/accounts/login/",
        {"username": "ann", "password": "pw-12345-x", "csrfmiddlewaretoken": stale},
    )
    assert signed_in.status_code == 302
    return stale


def retry_form(response) -> tuple[str, list[tuple[str, str]]]:
    body = response.content.decode()
    form = re.search(
        r'<form method="post" action="([^"]+)" class="actions">(.*?)</form>', body, re.S
    )
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[2])
    return html.unescape(form[1]), [(name, html.unescape(value)) for name, value in fields]


def test_add_to_cart_from_a_stale_tab_explains_and_retries_with_the_same_choices(visitor, product):
    stale = open_product_then_sign_in_elsewhere(visitor, product)
    data = choices(product)
    response = visitor.post("/cart/add/insta/", {**data, "csrfmiddlewaretoken": stale})

    assert response.status_code == 403
    body = response.content.decode()
    assert "This page had expired" in body and 'class="site-header"' in body
    assert "Your choices are kept" in body
    assert not CartItem.objects.exists()
    action, fields = retry_form(response)
    assert action == "/cart/add/insta/"
    sent = [(name, value) for name, value in fields if name != "csrfmiddlewaretoken"]
    assert sorted(sent) == sorted(data.items())
    fresh = dict(fields)["csrfmiddlewaretoken"]
    assert fresh != stale
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main  # nothing is sent on the customer's behalf

    retried = visitor.post(action, dict(fields))
    assert retried.status_code == 302 and retried["Location"] == "/cart/"
    item = CartItem.objects.get()
    assert item.cart.user.username == "ann"
    assert sorted(item.configuration["options"]) == sorted(
        int(data[k]) for k in data if k.startswith("group_")
    )
    assert item.configuration["quantity"] == 2


def test_the_failure_page_links_to_the_product_page_showing_the_same_choices(visitor, product):
    stale = open_product_then_sign_in_elsewhere(visitor, product)
    response = visitor.post("/cart/add/insta/", {**choices(product), "csrfmiddlewaretoken": stale})
    review = re.search(r'href="([^"]+)">Review your choices', response.content.decode())[1]
    page = visitor.get(html.unescape(review))
    assert page.status_code == 200
    body = page.content.decode()
    large = product.option_groups.get(name="Size").options.get(label="Large")
    assert re.search(rf'value="{large.pk}" id="[^"]+" checked', body)
    assert re.search(r'name="quantity" id="[^"]+" value="2"', body)


def test_cleared_cookies_ask_for_cookies_and_the_retry_works(visitor, product):
    stale = form_token(visitor.get("/products/insta/"))
    visitor.cookies.clear()
    response = visitor.post("/cart/add/insta/", {**choices(product), "csrfmiddlewaretoken": stale})
    assert response.status_code == 403
    assert "Please allow cookies for this site" in response.content.decode()
    assert "csrftoken" in response.cookies  # the fresh token the retry form carries
    action, fields = retry_form(response)
    assert visitor.post(action, dict(fields)).status_code == 302
    assert CartItem.objects.get().configuration["quantity"] == 2


def test_other_forms_are_never_offered_again_and_nothing_is_echoed(visitor, product):
    stale = form_token(visitor.get("/accounts/login/"))
    visitor.cookies.clear()
    response = visitor.post(
        "/accounts/login/",
        {"username": "ann", "password": "secret-pass-1", "csrfmiddlewaretoken": stale},
        HTTP_REFERER="http://testserver/accounts/login/?next=/cart/",
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "This page had expired" in body
    assert "secret-pass-1" not in body and 'type="hidden" name="username"' not in body
    assert 'href="http://testserver/accounts/login/?next=/cart/">Back to the page' in body


def test_a_referer_from_another_site_is_not_offered_as_the_way_back(visitor):
    response = visitor.post(
        "/checkout/", {"email": "a@example.com"}, HTTP_REFERER="https://evil.example/phish"
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "evil.example" not in body
    assert 'href="/">Back to the page' in body
