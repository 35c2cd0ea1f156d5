"""The forms a visitor or a client posts, fuzzed beyond the cart and checkout (`test_fuzz.py`):
a price a browser sends is ignored; sign-in, password reset, choosing a password, presets,
cart quantities and dashboard preferences answer anything with a page and never a 500, and
write nothing but what a valid form writes."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from catalog.models import ConfigurationPreset
from checkout.models import CartItem
from core.models import OutgoingEmail
from orders.models import NotificationPreference, Order
from tests.accounts.helpers import PASSWORD, account, signed_in_id
from tests.checkout.test_checkout_flow import add, submit

from .test_fuzz import FUZZ, TEXT, product  # noqa: F401 - product is a fixture

pytestmark = pytest.mark.django_db

PRICE_FIELDS = ("price", "amount", "total", "total_amount", "unit_amount", "discount_percent")


@FUZZ
@given(
    posted=st.dictionaries(
        st.sampled_from(PRICE_FIELDS),
        st.sampled_from(["0", "1", "-100", "0.01", "999999999999"]),
        min_size=1,
    )
)
def test_a_price_the_browser_sends_changes_no_total(product, posted):  # noqa: F811
    honest, tampering = Client(), Client()
    add(honest, product)
    add(tampering, product)
    tampering.post(f"/cart/add/{product.slug}/", {"quantity": "1", **posted})
    honest.post(f"/cart/add/{product.slug}/", {"quantity": "1"})
    submit(honest)
    submit(tampering, **posted)
    first, second = Order.objects.order_by("-pk")[:2]
    assert first.total_amount == second.total_amount > 0
    Order.objects.all().delete()


@FUZZ
@given(username=TEXT, password=TEXT)
def test_sign_in_with_anything_signs_nobody_in(username, password):
    if not get_user_model().objects.exists():
        account()
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code in (200, 403, 429), response.status_code
    assert signed_in_id(client) is None


@FUZZ
@given(email=TEXT)
def test_a_reset_request_with_anything_queues_only_for_a_real_address(email):
    if not get_user_model().objects.exists():
        account()
    before = OutgoingEmail.objects.count()
    response = Client().post("/accounts/password_reset/", {"email": email})
    assert response.status_code in (200, 302), response.status_code
    queued = OutgoingEmail.objects.count() - before
    assert queued == (1 if email.strip().lower() == "dana.client@example.com" else 0)


@FUZZ
@given(
    first=TEXT,
    second=TEXT,
    uid=st.sampled_from(["MQ", "", "x" * 50, "%00", "²"]),
    token=st.sampled_from(["set-password", "abc-def", "x" * 200]),
)
def test_choosing_a_password_through_a_bad_link_changes_no_password(first, second, uid, token):
    client = Client()
    for path in (f"/accounts/reset/{uid}/{token}/", f"/accounts/set-password/{uid}/{token}/"):
        if not uid:
            continue
        response = client.post(path, {"new_password1": first, "new_password2": second})
        assert response.status_code in (200, 302, 404), (path, response.status_code)
    for user in get_user_model().objects.all():
        assert user.check_password(PASSWORD)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["name", "on_conflict", "quantity", "billing"]), TEXT))
def test_a_preset_is_saved_only_from_a_valid_form(product, data):  # noqa: F811
    owner = get_user_model().objects.filter(username="dana").first() or account()
    client = Client()
    client.force_login(owner)
    before = ConfigurationPreset.objects.count()
    response = client.post(f"/products/{product.slug}/presets/", data)
    assert response.status_code < 500, data
    saved = ConfigurationPreset.objects.count() - before
    assert saved in (0, 1)
    if saved:
        preset = ConfigurationPreset.objects.latest("pk")
        assert preset.user == owner and preset.name == data["name"].strip()
        preset.delete()


@FUZZ
@given(quantity=TEXT)
def test_a_cart_quantity_is_changed_only_to_a_valid_one(product, quantity):  # noqa: F811
    client = Client()
    add(client, product)
    item = CartItem.objects.latest("pk")
    response = client.post(f"/cart/items/{item.pk}/quantity/", {"quantity": quantity})
    assert response.status_code < 500, quantity
    item.refresh_from_db()
    stored = item.configuration["quantity"]
    assert stored == 1 or str(stored) == quantity.strip()


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["order_updates", "weekly_digest", "marketing"]), TEXT))
def test_dashboard_preferences_take_only_the_offered_choices(data):
    owner = get_user_model().objects.filter(username="dana").first() or account()
    client = Client()
    client.force_login(owner)
    response = client.post("/dashboard/preferences/", data)
    assert response.status_code in (200, 302), response.status_code
    assert set(NotificationPreference.objects.values_list("user", flat=True)) <= {owner.pk}
