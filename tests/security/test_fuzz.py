"""Whatever a browser or a caller sends, the answer is a page or a JSON error, never a 500,
and a refused request writes nothing (hypothesis generates the input)."""

import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout.models import CartItem, WebhookEvent
from orders.models import Order
from tests.catalog.factories import configurable_product
from tests.checkout.factories import envelope, post_event, stripe_signature

pytestmark = pytest.mark.django_db
# CI replays the same examples every run (a failure there is reproducible); elsewhere each run
# explores new ones.
FUZZ = settings(
    derandomize=bool(os.environ.get("CI")),
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as browsers send it: anything printable, control characters, NUL, very long.
TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=30),
    st.sampled_from(['"', "*", "NEAR", "OR", "AND(", "'; DROP", "\x00", "%", "-1", "1e309"]),
    st.just("x" * 5000),
)
PARAMS = st.dictionaries(
    st.sampled_from(["q", "category", "sort", "page", "platform", "quantity", "billing", "preset"]),
    TEXT,
    max_size=5,
)


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost")


def clean(params: dict) -> dict:
    """What an HTTP client can put in a URL or form: no NUL in the wire format's keys."""
    return {k: v.replace("\x00", "") if k == "category" else v for k, v in params.items()}


@FUZZ
@given(params=PARAMS)
def test_listing_and_search_never_fail(client, product, params):
    for path in ("/catalog/", "/catalog/suggest/"):
        response = client.get(path, clean(params))
        assert response.status_code < 500, (path, params)


@FUZZ
@given(
    params=PARAMS,
    groups=st.dictionaries(
        st.sampled_from(["group_1", "group_2", "addon_1", "addons"]), TEXT, max_size=3
    ),
)
def test_configurator_and_price_never_fail(client, product, params, groups):
    data = {**clean(params), **groups}
    for path in ("/products/insta/", "/products/insta/price/", "/products/insta/configure/"):
        assert client.get(path, data).status_code < 500, (path, data)


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["quantity", "billing", "group_1", "group_2", "addons", "name"]),
        TEXT,
        max_size=5,
    )
)
def test_add_to_cart_refuses_bad_choices_without_writing(product, data):
    client = Client()
    before = CartItem.objects.count()
    response = client.post("/cart/add/insta/", data)
    assert response.status_code < 500, data
    if response.status_code != 302 or response["Location"] != "/cart/":
        assert CartItem.objects.count() == before  # refused: nothing half-added


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["email", "name", "accept_terms", "checkout_token", "target_1"]),
        TEXT,
        max_size=5,
    )
)
def test_checkout_with_anything_places_no_order_unless_valid(product, data):
    client = Client()
    client.post("/cart/add/insta/", {"quantity": "1", "billing": "one_off"})
    before = Order.objects.count()
    response = client.post("/checkout/", data)
    assert response.status_code < 500, data
    if Order.objects.count() != before:
        assert response.status_code == 302 and "/checkout/pay/" in response["Location"]


# Strict JSON without NUL or unpaired surrogates: those are refused with 400 (tested below).
JSON_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=20
)
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=10,
)
EVENT_TYPES = st.sampled_from(
    [
        "checkout.session.completed",
        "checkout.session.expired",
        "checkout.session.async_payment_succeeded",
        "charge.refunded",
        "invoice.paid",
        "customer.subscription.updated",
        "unknown.event",
    ]
)


@FUZZ
@given(body=st.binary(max_size=300), signature=TEXT)
def test_unsigned_or_garbled_webhooks_are_refused_and_stored_nowhere(body, signature):
    before = WebhookEvent.objects.count()
    response = Client().post(
        "/api/v1/payments/webhooks/stripe",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature.replace("\x00", "") or "t=1,v1=00",
    )
    assert 400 <= response.status_code < 500 and response.json()["error"]["code"]
    assert WebhookEvent.objects.count() == before


@FUZZ
@given(
    event_type=EVENT_TYPES,
    obj=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "object",
                "metadata",
                "amount_refunded",
                "payment_intent",
                "client_reference_id",
                "status",
                "subscription",
                "customer",
                "currency",
            ]
        ),
        JSONISH,
        max_size=6,
    ),
)
def test_signed_events_of_any_shape_never_fail(event_type, obj):
    response = post_event(Client(), envelope(event_type, obj))
    assert response.status_code == 200, (response.status_code, response.content[:300], obj)


def test_a_signed_body_that_is_not_strict_json_is_refused():
    """Python reads NaN and Infinity; JSON (and the database's JSON check) does not."""
    payload = (
        b'{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"amount": Infinity}}}'
    )
    response = Client().post(
        "/api/v1/payments/webhooks/stripe",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "malformed_json")
    assert not WebhookEvent.objects.exists()


def test_a_signed_event_of_the_wrong_shape_is_ignored_with_its_reason():
    event = envelope("checkout.session.completed", {"id": "cs_1", "metadata": ["not", "a dict"]})
    response = post_event(Client(), event)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert WebhookEvent.objects.get().outcome == "ignored"


@pytest.mark.parametrize("text", ["cs_\x00", "cs_\ud800"], ids=["nul", "lone-surrogate"])
def test_a_signed_event_holding_text_no_database_stores_is_refused(text):
    response = post_event(Client(), envelope("checkout.session.completed", {"id": text}))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "malformed_json")
    assert not WebhookEvent.objects.exists()
