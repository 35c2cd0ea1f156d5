"""Every route that takes an identifier in its path or a JSON answer's parameters, fuzzed:
whatever a caller puts there (NUL, digits of other scripts such as "²", numbers too large for
any column, slashes, very long text), the answer is a page or a JSON error with a stable code,
never a 500, and nothing anybody owns changes."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import assume, given
from hypothesis import strategies as st

from checkout.models import CheckoutSession
from core.ids import parse_id
from fulfillment.models import FulfillmentTask
from orders.models import Order
from tests.checkout.factories import placed_order, user

from .test_fuzz import FUZZ, TEXT

pytestmark = pytest.mark.django_db

API_KEY = {"HTTP_X_API_KEY": "dev-checkout-key"}
# Each route with its identifier as {}; the storefront's, the dashboard's and the operator API's.
ROUTES = [
    "/api/v1/orders/{}/progress",
    "/api/v1/checkout/sessions/{}/regenerate",
    "/api/v1/checkout/sessions/{}/expire",
    "/api/v1/checkout/sessions/{}/resend-link",
    "/api/v1/fulfillment/tasks/{}/retry",
    "/checkout/pay/{}/",
    "/checkout/orders/{}/",
    "/checkout/orders/{}/state/",
    "/checkout/orders/{}/cancelled/",
    "/checkout/orders/{}/pay/",
    "/dashboard/orders/{}/progress/",
    "/dashboard/billing/invoices/{}/",
    "/dashboard/billing/orders/{}/pay/",
    "/dashboard/staff/sessions/{}/expire/",
    "/dashboard/staff/tasks/{}/retry/",
    "/products/{}/",
    "/products/{}/price/",
    "/products/insta/presets/{}/delete/",
    "/cart/items/{}/remove/",
    "/cart/add-bundle/{}/",
]
SEGMENT = st.one_of(
    TEXT,
    st.sampled_from(["²", "٣٤", "1" * 30, str(2**63), "-1", "0", "%", "..", "a/b", "\x00"]),
)


@pytest.fixture
def world(settings):
    """An order of client A, paid for nothing yet, with its open payment page."""
    settings.PAYMENT_GATEWAY = "local"
    owner = user("client-a")
    order, session = placed_order(owner=owner)
    staff = user("staff", is_staff=True)
    return owner, staff, order, session


def state() -> list:
    """What a refused request must leave as it was."""
    return [
        list(Order.objects.values_list("pk", "status", "updated_at")),
        list(CheckoutSession.objects.values_list("pk", "status", "url")),
        list(FulfillmentTask.objects.values_list("pk", "status", "attempts")),
    ]


def as_role(role: str, owner, staff) -> Client:
    client = Client()
    if role == "client":
        client.force_login(owner)
    elif role == "staff":
        client.force_login(staff)
    return client


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    segment=SEGMENT,
    role=st.sampled_from(["visitor", "client", "staff", "api-key"]),
    method=st.sampled_from(["get", "post"]),
)
def test_any_identifier_in_any_route_is_answered_without_a_500_or_a_change(
    world, route, segment, role, method
):
    owner, staff, order, session = world
    # Small numbers may be a real id; those routes' answers for real ids are tested elsewhere.
    number = parse_id(segment)
    assume(number is None or number >= 10**6)
    before = state()
    client = as_role(role, owner, staff)
    headers = API_KEY if role == "api-key" else {}
    response = getattr(client, method)(route.format(quote(segment, safe="")), **headers)
    assert response.status_code < 500, (route, segment, response.status_code)
    if route.startswith("/api/") and response.status_code >= 400:
        assert response.json()["error"]["code"], response.content
    assert state() == before, (route, segment)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["q", "limit", "days", "since", "t"]), TEXT))
def test_the_json_read_endpoints_answer_any_parameters(world, params):
    owner, staff, order, session = world
    for path, headers in (
        ("/catalog/suggest/", {}),
        (f"/checkout/orders/{order.number}/state/", {}),
        ("/api/v1/observability/catalog-search", API_KEY),
        ("/api/v1/payments/observability", API_KEY),
        (f"/api/v1/orders/{order.number}/progress", API_KEY),
    ):
        response = Client().get(path, params, **headers)
        assert response.status_code < 500, (path, params)
        assert response["Content-Type"].startswith("application/json"), path


@FUZZ
@given(
    body=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/plain"])
)
def test_operator_actions_ignore_any_body(world, body, content_type):
    """The session and task actions take their target from the path only."""
    owner, staff, order, session = world
    before = state()
    for path in (
        "/api/v1/checkout/sessions/999999999/expire",
        "/api/v1/fulfillment/tasks/999999999/retry",
    ):
        response = Client().post(path, data=body, content_type=content_type, **API_KEY)
        assert response.status_code == 404 and response.json()["error"]["code"], response.content
    assert state() == before


@pytest.mark.parametrize("segment", ["²", "٣", str(2**64), "\x00", "x\x00y"])
def test_a_refused_identifier_gets_the_not_found_answer_of_its_route(world, segment):
    """Unicode digits and NUL are "no such …" like any unknown id: the storefront's 404 page,
    the API's JSON 404 with the route's code."""
    owner, staff, order, session = world
    quoted = quote(segment, safe="")
    progress = Client().get(f"/api/v1/orders/{quoted}/progress", **API_KEY)
    assert progress.status_code == 404
    code = progress.json()["error"]["code"]
    assert code == ("not_found" if "\x00" in segment else "order_not_found")
    expire = Client().post(f"/api/v1/checkout/sessions/{quoted}/expire", **API_KEY)
    assert expire.status_code == 404 and expire.json()["error"]["code"]
    page = Client().get(f"/checkout/orders/{quoted}/")
    assert page.status_code == 404 and "<html" in page.content.decode().lower()
    session.refresh_from_db()
    assert session.status == "open"
