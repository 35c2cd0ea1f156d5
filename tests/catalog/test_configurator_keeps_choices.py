"""The configurator keeps what the customer chose: refused adds, price updates and presets."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from catalog.models import ConfigurationPreset, Option
from checkout.models import CartItem

from .factories import configurable_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return configurable_product(
        slug="insta",
        title="Insta Boost",
        base_amount=10_000,
        max_quantity=12,
        quantity_label="accounts",
    )


def opt(product, label) -> str:
    return str(Option.objects.get(group__product=product, label=label).pk)


def group(product, name) -> str:
    return f"group_{product.option_groups.get(name=name).pk}"


def choices(product, **extra):
    data = {
        group(product, "Size"): opt(product, "Large"),
        group(product, "Extras"): [opt(product, "Targeting"), opt(product, "Priority")],
        "quantity": "3",
        "billing": "one_off",
    }
    data.update(extra)
    return data


def checked(body: str, value: str) -> bool:
    return re.search(rf'value="{value}" id="[^"]+" checked', body) is not None


def test_refused_add_to_cart_answers_with_the_page_keeping_every_choice(client, product):
    response = client.post("/products/insta/", choices(product, quantity="20"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Insta Boost" in body and 'id="configure-heading"' in body
    assert checked(body, opt(product, "Large")) and not checked(body, opt(product, "Small"))
    assert checked(body, opt(product, "Targeting")) and checked(body, opt(product, "Priority"))
    assert 'name="quantity" id="id_quantity" value="20"' in body
    assert "At most 12 accounts." in body
    assert not CartItem.objects.exists()


def test_refused_field_is_marked_invalid_described_by_its_error_and_linked_from_the_top(
    client, product
):
    body = client.post("/products/insta/", choices(product, quantity="20")).content.decode()
    quantity = re.search(r'<input type="number"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in quantity
    assert 'aria-describedby="id_quantity_help id_quantity_error"' in quantity
    assert '<ul class="errorlist" id="id_quantity_error"><li>At most 12 accounts.</li>' in body
    summary = body[body.index('class="form-errors error-summary"') : body.index("product-layout")]
    assert 'role="alert"' in summary
    assert "Please correct the highlighted choices." in summary
    assert '<a href="#id_quantity">Quantity (accounts): At most 12 accounts.</a>' in summary


def test_a_missing_required_choice_links_to_its_first_option(client, product):
    data = choices(product)
    data.pop(group(product, "Size"))
    body = client.post("/products/insta/", data).content.decode()
    size = group(product, "Size")
    assert f'<a href="#id_{size}_0">Size: This field is required.</a>' in body
    assert f'aria-invalid="true" aria-describedby="id_{size}_error"' in body


def test_the_quantity_limits_are_stated_next_to_the_field(client, product):
    body = client.get("/products/insta/").content.decode()
    assert '<div class="helptext" id="id_quantity_help">1 to 12 accounts</div>' in body
    assert 'aria-describedby="id_quantity_help"' in body


def test_a_good_add_from_the_product_page_goes_to_the_cart(client, product):
    response = client.post("/products/insta/", choices(product))
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert CartItem.objects.get().configuration["quantity"] == 3


def test_a_refused_post_to_the_cart_address_returns_to_the_page_with_the_choices(client, product):
    response = client.post("/cart/add/insta/", choices(product, quantity="20", name="x"))
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["quantity"] == ["20"]
    assert query[group(product, "Extras")] == [opt(product, "Targeting"), opt(product, "Priority")]
    assert "name" not in query and "csrfmiddlewaretoken" not in query
    page = client.get(response["Location"]).content.decode()
    assert checked(page, opt(product, "Large")) and "At most 12 accounts." in page


def test_update_price_without_javascript_shows_the_choices_at_a_clean_address(client, product):
    data = choices(product, name="Half-typed preset", csrfmiddlewaretoken="secret-token")
    response = client.post("/products/insta/configure/", data)
    location = response["Location"]
    assert response.status_code == 302
    assert "csrfmiddlewaretoken" not in location and "secret-token" not in location
    assert "name=" not in location
    page = client.get(location).content.decode()
    assert 'data-total="' in page and checked(page, opt(product, "Priority"))
    assert 'name="quantity" id="id_quantity" value="3"' in page


def test_saving_a_preset_keeps_the_configuration_on_screen(client, product):
    response = client.post("/products/insta/presets/", choices(product, name="Launch"), follow=True)
    body = response.content.decode()
    assert "Saved preset “Launch”." in body
    assert checked(body, opt(product, "Large")) and checked(body, opt(product, "Priority"))
    assert 'name="quantity" id="id_quantity" value="3"' in body
    assert "csrfmiddlewaretoken" not in response.redirect_chain[-1][0]


def session_presets(client):
    return [(p["name"], p["configuration"]["quantity"]) for p in client.session["catalog_presets"]]


def test_a_taken_preset_name_asks_before_replacing(client, product):
    client.post("/products/insta/presets/", choices(product, name="Launch"))
    response = client.post(
        "/products/insta/presets/", choices(product, name=" Launch ", quantity="5")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "A preset called “Launch” exists. Replace it?" in body
    assert session_presets(client) == [("Launch", 3)]  # nothing changed yet
    assert '<input type="hidden" name="quantity" value="5">' in body
    cancel = re.search(r'<a href="([^"]+)">Cancel</a>', body).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(cancel).query)["quantity"] == ["5"]

    replaced = client.post(
        "/products/insta/presets/",
        choices(product, name="Launch", quantity="5", on_conflict="replace"),
        follow=True,
    )
    assert session_presets(client) == [("Launch", 5)]
    assert 'name="quantity" id="id_quantity" value="5"' in replaced.content.decode()


def test_keep_both_saves_the_new_preset_under_a_numbered_name(client, product):
    get_user_model().objects.create_user("dana", password="pw-dana-123")
    client.login(username="dana", password="pw-dana-123")
    client.post("/products/insta/presets/", choices(product, name="Launch"))
    client.post("/products/insta/presets/", choices(product, name="Launch", quantity="4"))
    response = client.post(
        "/products/insta/presets/",
        choices(product, name="Launch", quantity="4", on_conflict="keep_both"),
        follow=True,
    )
    saved = dict(ConfigurationPreset.objects.values_list("name", "configuration__quantity"))
    assert saved == {"Launch": 3, "Launch (2)": 4}
    assert "Saved preset “Launch (2)”." in response.content.decode()


def test_an_unnamed_preset_is_refused_without_losing_the_choices(client, product):
    response = client.post("/products/insta/presets/", choices(product, name=""), follow=True)
    body = response.content.decode()
    assert "Give the preset a name" in body
    assert checked(body, opt(product, "Large")) and checked(body, opt(product, "Targeting"))
