"""No storefront form puts the CSRF token into a URL (browser history, logs, shared links)."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog.models import Option
from tests.catalog.factories import configurable_product
from tests.checkout.factories import placed_order, user

from .factories import home_page

pytestmark = pytest.mark.django_db


class GetSubmissions(HTMLParser):
    """Input names each GET submission of each form would put into the URL: the form's own
    method, and any submit button that switches it to GET with `formmethod`."""

    def __init__(self):
        super().__init__()
        self.forms = []  # [method, [input names], has a formmethod="get" button]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([(attrs.get("method") or "get").lower(), [], False])
        elif self.forms and tag in ("input", "button", "select", "textarea"):
            if attrs.get("formmethod", "").lower() == "get":
                self.forms[-1][2] = True
            if attrs.get("name") and attrs.get("type") not in ("submit", "button"):
                self.forms[-1][1].append(attrs["name"])

    def get_forms(self) -> list[list[str]]:
        return [names for method, names, get_button in self.forms if method == "get" or get_button]


def get_form_fields(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = GetSubmissions()
    parser.feed(response.content.decode())
    return parser.get_forms()


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost", base_amount=10_000)


def test_the_parser_sees_a_token_in_a_get_form():
    parser = GetSubmissions()
    parser.feed(
        '<form method="post"><input name="csrfmiddlewaretoken"><button formmethod="get">Go'
        '</button></form><form><input name="q"></form>'
    )
    assert parser.get_forms() == [["csrfmiddlewaretoken"], ["q"]]


def test_no_get_form_on_a_storefront_page_carries_the_csrf_token(client, product):
    home_page(featured=[product])
    owner = user("shopper")
    order, _ = placed_order(owner=owner)
    client.force_login(owner)
    added = client.post(
        "/products/insta/", {**_small(product), "quantity": "1", "billing": "one_off"}
    )
    assert added["Location"] == "/cart/"
    pages = [
        "/",
        "/catalog/",
        "/catalog/?q=insta",
        "/products/insta/",
        "/products/insta/?quantity=2&billing=one_off",
        "/cart/",
        "/checkout/",
        f"/checkout/orders/{order.number}/",
    ]
    seen = {}
    for url in pages:
        seen[url] = get_form_fields(client, url)
        assert all("csrfmiddlewaretoken" not in names for names in seen[url]), url
    assert ["q"] in [names[:1] for names in seen["/catalog/"]]  # the search form was parsed


def test_the_configurator_address_has_no_token_or_preset_name(client, product):
    data = {**_small(product), "quantity": "2", "billing": "one_off", "name": "Mine"}
    location = client.post("/products/insta/configure/", data)["Location"]
    assert set(parse_qs(urlsplit(location).query)) == {*_small(product), "quantity", "billing"}


def _small(product) -> dict:
    size = Option.objects.get(group__product=product, label="Small")
    return {f"group_{size.group_id}": str(size.pk)}
