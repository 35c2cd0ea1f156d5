"""One sweep over every URL a client can reach with an order, invoice, session, task,
preset or cart-line identifier: client B asking for client A's object gets 404 (or, for the
operator API, a refused key) and changes nothing; visitors are sent to sign in from the
dashboard; staff pages and quick actions refuse clients and serve staff; and no page B can
open shows any of A's order or invoice numbers.

The URL lists are checked against the resolver, so a new URL without a sweep entry fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import get_resolver, reverse

from catalog.models import ConfigurationPreset
from catalog.pricing import Configuration
from checkout.models import Cart, CheckoutSession, SessionStatus
from checkout.services import cart_add
from fulfillment.models import TaskStatus
from orders.models import OrderLine, OrderSelection
from tests.billing.factories import invoice_for, order_for, task_for
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import placed_order, user

from .factories import bulk_orders, snapshots_for
from .staff_fixtures import operator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

STAFF_PAGE = "/dashboard/staff/"


# The two clients and what they own ----------------------------------------------------


def client_objects(owner, *, preset_name: str):
    """Everything of `owner`'s the sweep asks for: a paid order with its invoice and
    snapshots, an unpaid order with an open hosted session, a dead-lettered task, a saved
    preset and a line in the cart."""
    unpaid, session = placed_order(owner=owner)
    paid = order_for(owner)
    invoice = invoice_for(paid)
    handle = f"@{owner.username}.private"
    snapshots_for(paid, account=handle)
    product = unpaid.lines.first().product
    preset = ConfigurationPreset.objects.create(
        user=owner, product=product, name=preset_name, configuration={"quantity": 2}
    )
    task = task_for(paid, status=TaskStatus.DEAD, last_error="Provider refused", attempts=5)
    cart, _ = Cart.objects.get_or_create(user=owner)
    item = cart_add(cart=cart, product=ProductFactory(), configuration=Configuration())
    # Two active orders of each client deliver to the same account as the other client's:
    # each sees an overlap warning, of their own orders only.
    active = bulk_orders(owner, 2)
    OrderLine.objects.filter(order__in=active).update(target=SHARED_TARGET, targets=[SHARED_TARGET])
    return SimpleNamespace(
        user=owner,
        unpaid=unpaid,
        session=session,
        paid=paid,
        invoice=invoice,
        product=product,
        preset=preset,
        task=task,
        item=item,
        handle=handle,
        numbers=(unpaid.number, paid.number, invoice.number, *(o.number for o in active)),
    )


SHARED_TARGET = "@shared.account"


@pytest.fixture
def world():
    a = client_objects(user("alice"), preset_name="Alice launch week")
    b = client_objects(user("bob"), preset_name="Bob steady growth")
    return SimpleNamespace(a=a, b=b, staff=operator("ops"))


def signed_in(account) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


def ask(browser: Client, method: str, url: str, data: dict | None = None):
    return getattr(browser, method)(url, data or {})


# The dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Url:
    """One URL of the sweep: how to reach it for a client's objects (`side` is A's or B's),
    and what must still be true of A's objects after B (or a visitor) asked."""

    method: str
    path: Callable[[SimpleNamespace], str]
    data: Callable[[SimpleNamespace], dict] = field(default=lambda side: {})
    takes_object: bool = True
    staff_only: bool = False
    unchanged: Callable[[SimpleNamespace], bool] = field(default=lambda side: True)


def _session_open(side) -> bool:
    side.session.refresh_from_db()
    return side.session.status == SessionStatus.OPEN and side.unpaid.checkout_sessions.count() == 1


def _task_dead(side) -> bool:
    side.task.refresh_from_db()
    return side.task.status == TaskStatus.DEAD


DASHBOARD = {
    "overview": Url("get", lambda side: reverse("dashboard:overview"), takes_object=False),
    "order-select": Url(
        "post",
        lambda side: reverse("dashboard:order-select"),
        data=lambda side: {"order": side.paid.number},
        unchanged=lambda side: not OrderSelection.objects.filter(order=side.paid).exists(),
    ),
    "order-progress": Url(
        "get", lambda side: reverse("dashboard:order-progress", args=[side.paid.number])
    ),
    "preferences": Url("get", lambda side: reverse("dashboard:preferences"), takes_object=False),
    "billing": Url("get", lambda side: reverse("dashboard:billing"), takes_object=False),
    "invoices-csv": Url("get", lambda side: reverse("dashboard:invoices-csv"), takes_object=False),
    "invoice": Url("get", lambda side: reverse("dashboard:invoice", args=[side.invoice.number])),
    "resume-payment": Url(
        "post",
        lambda side: reverse("dashboard:resume-payment", args=[side.unpaid.number]),
        unchanged=_session_open,
    ),
    "staff": Url("get", lambda side: STAFF_PAGE, takes_object=False, staff_only=True),
    "staff-action-session-regenerate": Url(
        "post",
        lambda side: reverse("dashboard:staff-action-session-regenerate", args=[side.session.pk]),
        staff_only=True,
        unchanged=_session_open,
    ),
    "staff-action-session-expire": Url(
        "post",
        lambda side: reverse("dashboard:staff-action-session-expire", args=[side.session.pk]),
        staff_only=True,
        unchanged=_session_open,
    ),
    "staff-action-payment-link-resend": Url(
        "post",
        lambda side: reverse("dashboard:staff-action-payment-link-resend", args=[side.session.pk]),
        staff_only=True,
        unchanged=lambda side: _session_open(side) and not mail.outbox,
    ),
    "staff-action-task-retry": Url(
        "post",
        lambda side: reverse("dashboard:staff-action-task-retry", args=[side.task.pk]),
        staff_only=True,
        unchanged=_task_dead,
    ),
}
CLIENT_PAGES = [name for name, url in DASHBOARD.items() if not url.staff_only]
OBJECT_PAGES = [name for name in CLIENT_PAGES if DASHBOARD[name].takes_object]
STAFF_ONLY = [name for name, url in DASHBOARD.items() if url.staff_only]


def url_names(namespace: str) -> dict[str, list[str]]:
    """Every URL name in `namespace`, with the parameters its path takes."""
    _, resolver = get_resolver().namespace_dict[namespace]
    return {
        name: resolver.reverse_dict.getlist(name)[0][0][0][1]
        for name in resolver.reverse_dict
        if isinstance(name, str)
    }


def test_the_sweep_names_every_dashboard_url():
    assert set(url_names("dashboard")) == set(DASHBOARD)


@pytest.mark.parametrize("name", DASHBOARD)
def test_visitors_are_sent_to_sign_in_from_every_dashboard_url(world, name):
    url = DASHBOARD[name]
    path = url.path(world.a)
    response = ask(Client(), url.method, path, url.data(world.a))
    assert response.status_code == 302, name
    login, _, query = response["Location"].partition("?")
    assert login == settings.LOGIN_URL and unquote(query) == f"next={path}"
    assert url.unchanged(world.a), name


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_client_b_gets_404_for_each_of_a_s_dashboard_objects(world, name):
    url = DASHBOARD[name]
    response = ask(signed_in(world.b.user), url.method, url.path(world.a), url.data(world.a))
    assert response.status_code == 404, name
    assert url.unchanged(world.a), name
    # The same URL serves its owner: the 404 is about whose object it is.
    owner = ask(signed_in(world.a.user), url.method, url.path(world.a), url.data(world.a))
    assert owner.status_code in (200, 302), name


@pytest.mark.parametrize("name", STAFF_ONLY)
def test_staff_pages_and_quick_actions_refuse_clients_and_serve_staff(world, name):
    url = DASHBOARD[name]
    for client_account in (world.a.user, world.b.user):
        response = ask(signed_in(client_account), url.method, url.path(world.a))
        assert response.status_code == 404, name
        assert url.unchanged(world.a), name

    response = ask(signed_in(world.staff), url.method, url.path(world.a))
    if url.method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response["Location"] == STAFF_PAGE
        assert not url.unchanged(world.a), f"{name} did nothing for staff"


# Order, checkout, fulfillment and catalog URLs that take an identifier ----------------------


def _a_cart_item_kept(side) -> bool:
    kept = type(side.item).objects.filter(pk=side.item.pk).first()
    return kept is not None and kept.configuration == side.item.configuration


OPERATOR_KEY_REFUSED = 401  # the operator API wants X-API-Key; a client's session is no key

IDENTIFIED = {
    "checkout:order-status": Url(
        "get", lambda side: reverse("checkout:order-status", args=[side.unpaid.number])
    ),
    "checkout:order-state": Url(
        "get", lambda side: reverse("checkout:order-state", args=[side.unpaid.number])
    ),
    "checkout:cancelled": Url(
        "get",
        lambda side: reverse("checkout:cancelled", args=[side.unpaid.number]),
        unchanged=_session_open,
    ),
    "checkout:resume": Url(
        "post",
        lambda side: reverse("checkout:resume", args=[side.unpaid.number]),
        unchanged=_session_open,
    ),
    # The hosted page is addressed by its gateway session id, a 128-bit secret handed only
    # to the buyer (as Stripe's pages are): the order number or the row id opens nothing.
    "checkout:hosted": Url(
        "get", lambda side: reverse("checkout:hosted", args=[side.unpaid.number])
    ),
    "fulfillment:order-progress": Url(
        "get", lambda side: reverse("fulfillment:order-progress", args=[side.paid.number])
    ),
    "catalog:preset-delete": Url(
        "post",
        lambda side: reverse(
            "catalog:preset-delete", args=[side.preset.product.slug, side.preset.pk]
        ),
        unchanged=lambda side: ConfigurationPreset.objects.filter(pk=side.preset.pk).exists(),
    ),
    # A cart line is looked up in the visitor's own cart only: another's is left alone.
    "checkout:cart-item-update": Url(
        "post",
        lambda side: reverse("checkout:cart-item-update", args=[side.item.pk]),
        data=lambda side: {"quantity": 7},
        unchanged=_a_cart_item_kept,
    ),
    "checkout:cart-item-remove": Url(
        "post",
        lambda side: reverse("checkout:cart-item-remove", args=[side.item.pk]),
        unchanged=_a_cart_item_kept,
    ),
    "checkout:session-regenerate": Url(
        "post",
        lambda side: reverse("checkout:session-regenerate", args=[side.session.provider_id]),
        unchanged=_session_open,
    ),
    "checkout:session-expire": Url(
        "post",
        lambda side: reverse("checkout:session-expire", args=[side.session.provider_id]),
        unchanged=_session_open,
    ),
    "checkout:payment-link-resend": Url(
        "post",
        lambda side: reverse("checkout:payment-link-resend", args=[side.session.provider_id]),
        unchanged=lambda side: _session_open(side) and not mail.outbox,
    ),
    "fulfillment:task-retry": Url(
        "post",
        lambda side: reverse("fulfillment:task-retry", args=[side.task.pk]),
        unchanged=_task_dead,
    ),
}
EXPECTED_FOR_B = {
    "checkout:cart-item-update": 302,  # back to B's own cart, with a message
    "checkout:cart-item-remove": 302,
    "checkout:session-regenerate": OPERATOR_KEY_REFUSED,
    "checkout:session-expire": OPERATOR_KEY_REFUSED,
    "checkout:payment-link-resend": OPERATOR_KEY_REFUSED,
    "fulfillment:task-retry": OPERATOR_KEY_REFUSED,
}
# Parameters that name something every visitor may see: a product, a bundle on sale.
PUBLIC_PARAMETERS = {"slug", "bundle_id", "path"}


SWEPT_NAMESPACES = ("checkout", "fulfillment", "catalog")


def test_the_sweep_names_every_url_that_takes_an_identifier():
    ours = {
        namespace
        for namespace in get_resolver().namespace_dict
        if namespace != "admin" and not namespace.startswith("wagtail")
    }
    assert ours == {"dashboard", *SWEPT_NAMESPACES}  # a new app's URLs need entries here too
    taking = {
        f"{namespace}:{name}"
        for namespace in SWEPT_NAMESPACES
        for name, parameters in url_names(namespace).items()
        if set(parameters) - PUBLIC_PARAMETERS
    }
    assert taking == set(IDENTIFIED)


@pytest.mark.parametrize("name", IDENTIFIED)
@pytest.mark.parametrize("who", ["client B", "visitor"])
def test_b_and_visitors_get_nothing_of_a_s_through_identified_urls(world, name, who):
    url = IDENTIFIED[name]
    browser = signed_in(world.b.user) if who == "client B" else Client()
    response = ask(browser, url.method, url.path(world.a), url.data(world.a))
    assert response.status_code == EXPECTED_FOR_B.get(name, 404), name
    assert url.unchanged(world.a), name
    if response.headers.get("Content-Type") == "application/json":
        assert set(response.json()) == {"error"}
    body = response.content.decode()
    for number in world.a.numbers:
        assert number not in body


def test_the_order_progress_api_refuses_a_s_order_by_row_id_too(world):
    path = reverse("fulfillment:order-progress", args=[world.a.paid.pk])
    response = signed_in(world.b.user).get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert signed_in(world.a.user).get(path).status_code == 200


def test_the_hosted_page_opens_by_its_secret_only(world):
    browser = signed_in(world.b.user)
    for guess in (world.a.unpaid.number, str(world.a.session.pk), world.a.session.idempotency_key):
        assert browser.get(reverse("checkout:hosted", args=[guess])).status_code == 404


def test_a_s_preset_is_neither_listed_nor_applied_for_b(world):
    browser = signed_in(world.b.user)
    page = browser.get(world.a.product.get_absolute_url(), {"preset": world.a.preset.pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert "That preset no longer exists." in body
    assert world.a.preset.name not in body
    assert "Applied preset" not in body


# No page of B's shows A's numbers ---------------------------------------------------------


def pages_of_b(world) -> list[tuple[str, str]]:
    """(what, body) of every page B can open: each dashboard GET for B's own objects (the
    CSV streamed to the end) and B's order page, order state and progress API."""
    b = world.b
    browser = signed_in(b.user)
    # The overview then shows the order with snapshots: its charts are on the page too.
    browser.post(reverse("dashboard:order-select"), {"order": b.paid.number})
    paths = [DASHBOARD[name].path(b) for name in CLIENT_PAGES if DASHBOARD[name].method == "get"]
    paths += [
        reverse("dashboard:overview") + "?orders_page=2",
        reverse("dashboard:billing") + "?page=2&campaigns_page=2",
        reverse("checkout:order-status", args=[b.unpaid.number]),
        reverse("checkout:order-state", args=[b.unpaid.number]),
        reverse("fulfillment:order-progress", args=[b.paid.number]),
        reverse("checkout:hosted", args=[b.session.provider_id]),
        reverse("checkout:cart"),
        b.product.get_absolute_url(),
    ]
    pages = []
    for path in paths:
        response = browser.get(path)
        assert response.status_code == 200, path
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pages.append((path, content.decode()))
    return pages


def test_no_page_b_can_open_shows_a_s_order_or_invoice_numbers(world):
    pages = pages_of_b(world)
    secrets = (*world.a.numbers, world.a.session.provider_id, world.a.handle)
    for path, body in pages:
        for secret in secrets:
            assert secret not in body, f"{secret} of A's on {path}"
    shown = "".join(body for _, body in pages)
    for mine in (*world.b.numbers, world.b.handle):  # B's own are there: the pages had content
        assert mine in shown
    assert SHARED_TARGET in signed_in(world.b.user).get(reverse("dashboard:overview")).text


# Identifiers that match nothing -----------------------------------------------------------

TOO_BIG = "9" * 20  # beyond any integer column


def ghost(world) -> SimpleNamespace:
    """A side whose every identifier matches nothing (and overflows integer columns)."""
    missing = SimpleNamespace(number=TOO_BIG, pk=int(TOO_BIG), provider_id=TOO_BIG)
    return SimpleNamespace(
        unpaid=missing,
        paid=missing,
        invoice=missing,
        session=missing,
        task=missing,
        item=missing,
        preset=SimpleNamespace(pk=int(TOO_BIG), product=world.a.product),
    )


@pytest.mark.parametrize(
    "name",
    [*(f"dashboard:{n}" for n in DASHBOARD if DASHBOARD[n].takes_object), *IDENTIFIED],
)
def test_identifiers_that_match_nothing_answer_404_not_an_error(world, name):
    namespace, _, short = name.partition(":")
    url = DASHBOARD[short] if namespace == "dashboard" else IDENTIFIED[name]
    account = world.staff if url.staff_only else world.b.user
    nothing = ghost(world)
    response = ask(signed_in(account), url.method, url.path(nothing), url.data(nothing))
    assert response.status_code == EXPECTED_FOR_B.get(name, 404), name


def test_staff_see_both_clients_awaiting_payment(world):
    body = signed_in(world.staff).get(STAFF_PAGE).content.decode()
    assert world.a.unpaid.number in body and world.b.unpaid.number in body
    assert CheckoutSession.objects.filter(status=SessionStatus.OPEN).count() == 2


# Operator API ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["dev-checkout-key", ""])
def test_an_empty_api_key_header_is_no_key_for_the_progress_api(world, settings, key):
    """Even where the configured key is empty, an empty header opens no one's order."""
    settings.CHECKOUT_API_KEY = key
    path = reverse("fulfillment:order-progress", args=[world.a.paid.pk])
    for browser in (signed_in(world.b.user), Client()):
        response = browser.get(path, HTTP_X_API_KEY="")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "order_not_found"
    assert signed_in(world.a.user).get(path, HTTP_X_API_KEY="").status_code == 200


@pytest.mark.parametrize(
    "name", ["checkout:payments-observability", "fulfillment:metrics", "fulfillment:health"]
)
def test_operator_reports_refuse_a_client_s_session(world, name):
    response = signed_in(world.b.user).get(reverse(name))
    assert response.status_code == OPERATOR_KEY_REFUSED
    assert response.json()["error"]["code"] == "api_key_missing"


# Checkout -------------------------------------------------------------------------------


def test_a_s_checkout_token_posted_by_b_hands_out_nothing_of_a_s_order(world):
    """The token makes a resubmitted form idempotent for whoever sent it; from anyone else it
    opens neither A's order page nor A's payment page."""
    browser = signed_in(world.b.user)
    form = browser.get(reverse("checkout:checkout")).content.decode()
    data = {
        "email": world.b.user.email,
        "name": "Bob",
        "accept_terms": "on",
        "checkout_token": str(world.a.unpaid.checkout_token),
        **dict.fromkeys(re.findall(r'name="(target_\d+)"', form), "@bob.brand"),
    }
    response = browser.post(reverse("checkout:checkout"), data, follow=True)
    body = response.content.decode()
    for secret in (*world.a.numbers, world.a.session.provider_id):
        assert secret not in body
        assert all(secret not in url for url, _ in response.redirect_chain)
    assert "already" in body
    order_page = reverse("checkout:order-status", args=[world.a.unpaid.number])
    assert browser.get(order_page).status_code == 404
    assert Cart.objects.get(user=world.b.user).items.count() == 1  # B's cart is kept
