"""Pages for visitors without a session may use the pricing version this process read up to
PRICING_VERSION_RECENT_SECONDS ago: a cached listing then costs no query at all. Anyone with a
session (a cart, a preset, a sign-in) always gets the exact version."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from catalog.models import PricingVersion
from catalog.selectors import pricing_version_forget

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_window(settings):
    settings.PRICING_VERSION_RECENT_SECONDS = 60
    pricing_version_forget()
    yield
    pricing_version_forget()


def edit_in_another_process():
    """What an edit made by another worker looks like from here: the row changes, and this
    process is not told."""
    PricingVersion.objects.update_or_create(pk=1, defaults={"value": F("value") + 1})


def test_a_cached_listing_costs_no_query_for_a_visitor_without_a_session(client, recent_window):
    ProductFactory(title="Growth followers")
    client.get("/catalog/", {"sort": "price_asc"})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/catalog/", {"sort": "price_asc"})
    assert response.status_code == 200
    assert b"Growth followers" in response.content
    assert ctx.captured_queries == []


def test_an_edit_in_this_process_shows_on_the_next_request(
    client, recent_window, django_capture_on_commit_callbacks
):
    product = ProductFactory(title="Growth followers", base_amount=10_007)
    assert b"$100.07" in client.get("/catalog/").content
    with django_capture_on_commit_callbacks(execute=True):
        product.base_amount = 12_345
        product.save()
    assert b"$123.45" in client.get("/catalog/").content


def test_an_edit_elsewhere_reaches_sessionless_pages_after_the_window(
    client, recent_window, settings
):
    product = ProductFactory(title="Growth followers", base_amount=10_007)
    assert b"$100.07" in client.get("/catalog/").content
    # The product changes in another process (its own edit bumped the version there).
    type(product).objects.filter(pk=product.pk).update(base_amount=12_345)
    edit_in_another_process()
    assert b"$100.07" in client.get("/catalog/").content  # within the window
    settings.PRICING_VERSION_RECENT_SECONDS = 0  # the window has passed
    assert b"$123.45" in client.get("/catalog/").content


def test_a_visitor_with_a_session_always_sees_the_exact_price(client, recent_window):
    product = ProductFactory(slug="growth", title="Growth followers", base_amount=10_007)
    client.post("/cart/add/growth/", {"quantity": "1", "billing": "one_off"})
    assert b'data-total="10007"' in client.get("/products/growth/").content
    type(product).objects.filter(pk=product.pk).update(base_amount=12_345)
    edit_in_another_process()
    assert b'data-total="12345"' in client.get("/products/growth/").content
    assert b"$123.45" in client.get("/cart/").content
