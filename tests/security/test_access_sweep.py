"""Access control over the whole URLconf.

The general sweep opens every route the resolver serves (GET and POST) as a visitor, as client
B, as client A and as staff, with the parameters filled from client A's objects
(`tests/security/urlconf.py`): nobody but A sees A's e-mail, numbers, handle or preset; B and
visitors are refused A's objects (404, the sign-in page, or B's own cart) and change none of
them; staff pages and both admin sites refuse clients; the operator API answers JSON errors
with a stable code; nothing answers 500. A route without an entry in the table fails.

The sections after it hold each URL that takes an identifier to its exact answer and to what
must still be true of A's objects afterwards.
"""

from __future__ import annotations

import json
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
from checkout.models import Cart, CartItem, CheckoutSession, SessionStatus
from core.models import AuditEntry
from fulfillment.models import FulfillmentTask, TaskStatus
from orders.models import Order, OrderSelection

from .urlconf import (
    ADMIN_PREFIXES,
    ADMIN_PUBLIC,
    ROUTES,
    SHARED_TARGET,
    Guard,
    admin_values,
    is_admin,
    markers,
    routes,
)
from .urlconf import world as build_world

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/dashboard/staff/"
OPERATOR_KEY = "sweep-operator-key-0123456789"
METRICS_TOKEN = "sweep-metrics-token-0123456789"
SESSION_COOKIE = settings.SESSION_COOKIE_NAME


@pytest.fixture
def world(settings):
    # Production refuses to start without both secrets; the sweep runs with them set.
    settings.CHECKOUT_API_KEY = OPERATOR_KEY
    settings.METRICS_TOKEN = METRICS_TOKEN
    return build_world()


def signed_in(account) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


def ask(browser: Client, method: str, url: str, data: dict | None = None):
    return getattr(browser, method)(url, data or {})


# The whole URLconf ----------------------------------------------------------------------


def test_every_route_of_the_urlconf_has_an_entry_in_the_sweep():
    served = {route.key for route in routes() if not is_admin(route)}
    unknown = sorted(served - set(ROUTES))
    assert not unknown, f"add these routes to ROUTES in tests/security/urlconf.py: {unknown}"
    gone = sorted(set(ROUTES) - served)
    assert not gone, f"ROUTES names routes the URLconf no longer serves: {gone}"
    admin = {route.key for route in routes() if is_admin(route)}
    assert set(ADMIN_PUBLIC) <= admin


@dataclass(frozen=True)
class Answer:
    """What one request got, as the sweep's checks read it."""

    key: str
    guard: Guard
    method: str
    path: str
    status: int
    location: str
    content_type: str
    body: str

    @classmethod
    def of(cls, key, guard, method, path, response) -> Answer:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return cls(
            key,
            guard,
            method,
            path,
            response.status_code,
            response.get("Location", ""),
            response.get("Content-Type", ""),
            content.decode(errors="replace"),
        )

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.key}) -> {self.status} {self.location}"

    @property
    def to_sign_in(self) -> bool:
        """Sent to sign in, and from there back to the page that was asked for."""
        login, _, query = self.location.partition("?")
        back = unquote(query.removeprefix("next=")).partition("?")[0]
        return self.status == 302 and login == settings.LOGIN_URL and back == self.path

    def error_code(self) -> str | None:
        """The stable `code` of a JSON error, if this is one."""
        if not self.content_type.startswith("application/json"):
            return None
        return json.loads(self.body).get("error", {}).get("code")

    def shows(self, secret: str) -> bool:
        """`secret` in the body, or in a redirect beyond the address that was asked for."""
        location = re.sub(r"([?&])next=[^&]*", r"\1", self.location)
        return secret in self.body or secret in location


def sweep(world, account=None, **headers) -> list[Answer]:
    """Every route but the admins', GET and POST, as `account` (a visitor when None), each
    request from a fresh browser (signing out on one route does not change the next)."""
    answers = []
    for route in routes():
        if is_admin(route):
            continue
        entry = ROUTES[route.key]
        path = route.path(entry.values(world.a))
        for method in ("get", "post"):
            browser = signed_in(account) if account else Client()
            response = getattr(browser, method)(path, entry.data(world.a), headers=headers)
            answers.append(Answer.of(route.key, entry.guard, method, path, response))
    return answers


def footprint(side) -> dict:
    """What B or a visitor must not change of `side`'s: orders, sessions, tasks, presets, cart,
    the remembered order, e-mails to them and operator actions."""
    owner = side.user
    return {
        "orders": sorted(Order.objects.filter(user=owner).values_list("number", "status")),
        "sessions": sorted(
            CheckoutSession.objects.filter(order__user=owner).values_list("pk", "status")
        ),
        "tasks": sorted(
            FulfillmentTask.objects.filter(order__user=owner).values_list(
                "pk", "status", "attempts"
            )
        ),
        "presets": sorted(ConfigurationPreset.objects.filter(user=owner).values_list("pk", "name")),
        "cart": sorted(
            CartItem.objects.filter(cart__user=owner).values_list("pk", "configuration")
        ),
        "selected": list(OrderSelection.objects.filter(user=owner).values_list("order", flat=True)),
        "mail": [m.subject for m in mail.outbox if owner.email in m.to],
        "audit": AuditEntry.objects.count(),
    }


def _no_data(answer: Answer) -> bool:
    """The method the view does not take: an empty 405, under /api/ its JSON error."""
    return answer.status == 405 and (
        not answer.body.strip() or answer.error_code() == "method_not_allowed"
    )


def _refused_to_others(answer: Answer, *, signed_in: bool) -> bool:
    """How a route answers someone who may not have what it serves for A's parameters."""
    guard, code = answer.guard, answer.error_code()
    if _no_data(answer):  # the method the view does not take
        return True
    if guard is Guard.PUBLIC:
        return answer.status < 500
    if guard is Guard.SIGNED_IN:
        return answer.status < 400 if signed_in else answer.to_sign_in
    if guard is Guard.OWNER:
        if not signed_in and answer.path.startswith("/dashboard/"):
            return answer.to_sign_in  # every dashboard URL sends visitors to sign in
        own_cart = answer.status == 302 and answer.location == reverse("checkout:cart")
        return answer.status == 404 or own_cart
    if guard is Guard.SECRET:
        invalid_link = answer.status == 200 and "Link no longer works" in answer.body
        return answer.status == 404 or invalid_link
    if guard is Guard.STAFF:
        return answer.status == 404 if signed_in else answer.to_sign_in
    if guard is Guard.API_KEY:
        return (answer.status, code) == (401, "api_key_missing")
    if guard is Guard.OWNER_OR_API_KEY:
        return (answer.status, code) == (404, "order_not_found")
    if guard is Guard.METRICS_TOKEN:
        return (answer.status, code) == (401, "metrics_token_missing")
    if guard is Guard.STRIPE_SIGNATURE:
        # The sweep's form-encoded POST is refused before the signature is even read.
        return answer.status == 400 and code in ("unsupported_content_type", "signature_missing")
    raise AssertionError(f"no rule for {guard}")


def problems_of(answers, *, allowed: Callable[[Answer], bool], secrets=()) -> list[str]:
    found = []
    for answer in answers:
        if answer.status >= 500:
            found.append(f"{answer}: a server error")
        elif not allowed(answer):
            found.append(f"{answer}: not what {answer.guard.name} allows")
        json_error = answer.status >= 400 and answer.content_type.startswith("application/json")
        if json_error and not answer.error_code():
            found.append(f"{answer}: a JSON error without a code")
        found += [f"{answer}: shows {secret!r}" for secret in secrets if answer.shows(secret)]
    return found


@pytest.mark.parametrize("who", ["visitor", "client B"])
def test_no_route_gives_a_visitor_or_client_b_anything_of_a_s(world, who):
    before = footprint(world.a)
    account = world.b.user if who == "client B" else None
    answers = sweep(world, account)
    problems = problems_of(
        answers,
        allowed=lambda answer: _refused_to_others(answer, signed_in=account is not None),
        secrets=markers(world.a),
    )
    assert not problems, "\n".join(problems)
    assert footprint(world.a) == before


def _served_to_owner(answer: Answer) -> bool:
    if _no_data(answer):
        return True
    if answer.guard in (Guard.SIGNED_IN, Guard.OWNER, Guard.OWNER_OR_API_KEY):
        return answer.status < 400
    return _refused_to_others(answer, signed_in=True)


def test_client_a_is_served_their_own_routes_and_sees_nothing_of_b_s(world):
    before = footprint(world.b)
    problems = problems_of(
        sweep(world, world.a.user), allowed=_served_to_owner, secrets=markers(world.b)
    )
    assert not problems, "\n".join(problems)
    assert footprint(world.b) == before


def test_staff_are_served_the_staff_routes_and_no_route_fails_for_them(world):
    def allowed(answer: Answer) -> bool:
        if _no_data(answer):
            return True
        if answer.guard is Guard.STAFF:
            return answer.status < 400
        # A staff session is no operator key, and no metrics token.
        return answer.guard not in (Guard.API_KEY, Guard.METRICS_TOKEN) or _refused_to_others(
            answer, signed_in=True
        )

    problems = problems_of(sweep(world, world.staff), allowed=allowed)
    assert not problems, "\n".join(problems)


def _behind(guard: Guard) -> list:
    return [route for route in routes() if route.key in ROUTES and ROUTES[route.key].guard is guard]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("", (401, "api_key_missing")), ("wrong-key", (403, "api_key_invalid"))],
    ids=["no key", "wrong key"],
)
def test_the_operator_api_answers_a_json_error_without_the_key(world, header, expected):
    for route in _behind(Guard.API_KEY) + _behind(Guard.OWNER_OR_API_KEY):
        path = route.path(ROUTES[route.key].values(world.a))
        method = "post" if "retry" in path or "sessions" in path else "get"
        for browser in (Client(), signed_in(world.staff)):
            response = getattr(browser, method)(path, headers={"X-API-Key": header})
            answer = Answer.of(route.key, ROUTES[route.key].guard, method, path, response)
            if route.key == "fulfillment:order-progress" and not header:
                # An empty header is no key: the order's owner, or a staff account, may look.
                assert answer.status in (200, 404), str(answer)
                continue
            assert (answer.status, answer.error_code()) == expected, str(answer)
            assert set(json.loads(answer.body)) == {"error"}, str(answer)


def test_the_operator_key_opens_the_operator_api(world):
    """Every operator route serves the key. What is left is about the objects: the session the
    regenerate call replaced is no longer open to expire, and the world's dead letters make the
    health check answer "unhealthy" (503, for the load balancer)."""
    for route in _behind(Guard.API_KEY) + _behind(Guard.OWNER_OR_API_KEY):
        path = route.path(ROUTES[route.key].values(world.a))
        method = "post" if "retry" in path or "sessions" in path else "get"
        response = getattr(Client(), method)(path, headers={"X-API-Key": OPERATOR_KEY})
        answer = Answer.of(route.key, ROUTES[route.key].guard, method, path, response)
        if answer.status == 409:
            assert answer.error_code() == "session_not_open", str(answer)
        elif answer.status == 503:
            assert json.loads(answer.body)["status"] == "unhealthy", str(answer)
        else:
            assert answer.status in (200, 201), str(answer)


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "metrics_token_missing"),
        ("Bearer wrong-token", 403, "metrics_token_invalid"),
        (f"Basic {METRICS_TOKEN}", 401, "metrics_token_missing"),
        (f"Bearer {METRICS_TOKEN}", 200, None),
    ],
    ids=["none", "wrong", "not bearer", "token"],
)
def test_metrics_need_their_token_whoever_is_signed_in(world, authorization, status, code):
    headers = {"Authorization": authorization} if authorization else {}
    for browser in (Client(), signed_in(world.staff)):
        response = browser.get(reverse("metrics"), headers=headers)
        assert response.status_code == status
        if code:
            assert response.json()["error"]["code"] == code
        else:
            assert b"smplat_" in response.content


def test_the_owner_s_own_secrets_open_what_a_guess_does_not(world):
    """The SECRET routes refuse the guesses the sweep sends; with the real secret they serve
    the one it was handed to."""
    hosted = reverse("checkout:hosted", args=[world.a.session.provider_id])
    assert world.a.unpaid.number in Client().get(hosted).text
    link = {"uidb64": world.a.reset_link["uidb64"], "token": world.a.reset_token}
    page = Client().get(reverse("password_reset_confirm", kwargs=link), follow=True)
    assert "Choose a new password" in page.text


@pytest.mark.parametrize("who", ["visitor", "client"])
def test_every_admin_route_sends_visitors_and_clients_to_its_sign_in_page(world, who):
    """Both admin sites, route by route (the page explorer's API and every changelist too)."""
    browser = Client()
    problems = []
    for route in routes():
        if not is_admin(route):
            continue
        path = route.path(admin_values(route))
        sign_in = next(url for prefix, url in ADMIN_PREFIXES.items() if path[1:].startswith(prefix))
        for method in ("get", "post"):
            if who == "client" and SESSION_COOKIE not in browser.cookies:
                browser.force_login(world.a.user)  # again after an admin's sign-out
            response = getattr(browser, method)(path)
            answer = Answer.of(route.key, Guard.STAFF, method, path, response)
            if route.key in ADMIN_PUBLIC:
                refused = answer.status < 500
            else:
                refused = answer.status == 302 and answer.location.startswith(sign_in)
            if not refused:
                problems.append(f"{answer}: not refused")
            problems += [f"{answer}: shows {s!r}" for s in markers(world.a) if answer.shows(s)]
    assert not problems, "\n".join(problems)


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
