import pytest
from django.contrib.auth import get_user_model

from catalog.models import ConfigurationPreset, Option

from .factories import CampaignFactory, configurable_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost", base_amount=10_000)


def opt(product, label) -> str:
    return str(Option.objects.get(group__product=product, label=label).pk)


def group_field(product, name) -> str:
    return f"group_{product.option_groups.get(name=name).pk}"


def config(product, **extra):
    data = {
        group_field(product, "Size"): opt(product, "Large"),
        "quantity": "3",
        "billing": "one_off",
    }
    data.update(extra)
    return data


def test_product_page_shows_configurator_and_default_price(client, product):
    response = client.get("/products/insta/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Insta Boost" in body
    assert "Large (+$25.00)" in body
    assert 'data-total="10000"' in body  # default: Small, quantity 1


def test_configurator_get_recomputes_breakdown_on_the_server(client, product):
    body = client.get("/products/insta/", config(product)).content.decode()
    # (100 + 25) × 3 = 375; 5% tier → 356.25
    assert 'data-total="35625"' in body
    assert "Volume discount (5%)" in body


def test_invalid_configuration_shows_form_errors(client, product):
    response = client.get("/products/insta/", config(product, quantity="1000"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the highlighted choices." in body
    assert "field-invalid" in body


def test_unknown_or_inactive_product_is_404(client, product):
    assert client.get("/products/nope/").status_code == 404
    product.is_active = False
    product.save()
    assert client.get("/products/insta/").status_code == 404


def test_price_endpoint_returns_breakdown_json(client, product):
    CampaignFactory(products=[product], percent=10, name="Launch")
    response = client.get("/products/insta/price/", config(product))
    data = response.json()
    assert response.status_code == 200
    assert data["campaign_discount"]["amount"] == 3_563  # 10% of 35,625 = 3,562.5, half up
    assert data["total"]["amount"] == 32_062
    assert data["campaign"] == "Launch"


@pytest.mark.parametrize(
    "override",
    [
        {"quantity": "0"},
        {"quantity": "abc"},
        {"billing": "subscription"},
        {"addons": "999999"},
        {"Size": None},
    ],
)
def test_price_endpoint_rejects_bad_configurations_with_a_code(client, product, override):
    data = config(product)
    if "Size" in override:
        data.pop(group_field(product, "Size"))
    else:
        data.update(override)
    response = client.get("/products/insta/price/", data)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_configuration"


def test_price_endpoint_rejects_option_of_another_product(client, product):
    other = configurable_product()
    response = client.get(
        "/products/insta/price/",
        config(product, **{group_field(product, "Size"): opt(other, "Large")}),
    )
    assert response.status_code == 400


def test_price_endpoint_html_partial(client, product):
    response = client.get("/products/insta/price/", config(product, format="html"))
    assert response.status_code == 200
    assert b'<table class="breakdown">' in response.content


def test_price_endpoint_unknown_product(client):
    response = client.get("/products/none/price/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"


def test_visitor_saves_applies_and_deletes_a_preset_in_the_session(client, product):
    response = client.post("/products/insta/presets/", config(product, name="Launch week"))
    assert response.status_code == 302
    page = client.get("/products/insta/").content.decode()
    assert "Launch week" in page
    preset_id = client.session["catalog_presets"][0]["id"]

    applied = client.get("/products/insta/", {"preset": preset_id}).content.decode()
    assert 'data-total="35625"' in applied
    assert "Applied preset" in applied

    client.post(f"/products/insta/presets/{preset_id}/delete/")
    assert "Launch week" not in client.get("/products/insta/").content.decode()
    assert ConfigurationPreset.objects.count() == 0
    # Deleting it again (another tab) finds nothing of the visitor's: 404, as for a stranger's.
    assert client.post(f"/products/insta/presets/{preset_id}/delete/").status_code == 404


def test_client_presets_are_stored_per_account(client, product):
    alice = get_user_model().objects.create_user("alice", password="pw-alice-123")
    bob = get_user_model().objects.create_user("bob", password="pw-bob-123")
    client.force_login(alice)
    client.post("/products/insta/presets/", config(product, name="Alice's"))
    preset = ConfigurationPreset.objects.get()
    assert preset.user == alice
    assert preset.configuration["quantity"] == 3

    client.force_login(bob)
    assert f'href="?preset={preset.pk}"' not in client.get("/products/insta/").content.decode()
    response = client.post(f"/products/insta/presets/{preset.pk}/delete/")  # not Bob's
    assert response.status_code == 404
    assert ConfigurationPreset.objects.filter(pk=preset.pk).exists()
    page = client.get("/products/insta/", {"preset": preset.pk}).content.decode()
    assert "That preset no longer exists." in page


def test_visitor_presets_move_to_the_account_on_sign_in(client, product):
    get_user_model().objects.create_user("carol", password="pw-carol-123")
    client.post("/products/insta/presets/", config(product, name="Before login"))
    client.post("/accounts/login/", {"username": "carol", "password": "pw-carol-123"})
    assert list(ConfigurationPreset.objects.values_list("name", flat=True)) == ["Before login"]


@pytest.mark.parametrize(
    "data",
    [
        {"name": ""},
        {"name": "x" * 61},
        {"name": "ok", "quantity": "-4"},
    ],
)
def test_invalid_presets_are_refused_with_a_message(client, product, data):
    response = client.post("/products/insta/presets/", config(product, **data), follow=True)
    assert response.status_code == 200
    assert "catalog_presets" not in client.session
    assert b"message-error" in response.content


def test_preset_endpoints_require_post(client, product):
    assert client.get("/products/insta/presets/").status_code == 405
