"""CSRF over the whole URLconf: a POST without the page's token is refused with the storefront's
CSRF failure page on every route, except the few that authenticate otherwise (listed here with
their reasons), and every POST form any page shows carries a token that the form's target takes.

Account forms are also checked one by one, with the token taken from their own page, in
tests/accounts/test_csrf.py.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import Page

from checkout.models import CartItem

from .urlconf import ROUTES, Guard, admin_values, is_admin, routes
from .urlconf import world as build_world

pytestmark = pytest.mark.django_db

# Routes that take a POST without the CSRF token, and why they may.
EXEMPT = {
    "checkout:stripe-webhook": "Stripe signs each delivery; no browser, no cookies",
    "checkout:session-regenerate": "operator API: X-API-Key, never the session",
    "checkout:session-expire": "operator API: X-API-Key, never the session",
    "checkout:payment-link-resend": "operator API: X-API-Key, never the session",
    "fulfillment:task-retry": "operator API: X-API-Key, never the session",
}
# Wagtail's admin API is Django REST framework's: exempt from Django's middleware, because its
# SessionAuthentication checks the token itself (test_the_wagtail_admin_api_checks_the_token).
DRF_PREFIX = "cms-admin/api/"
EXPIRED_PAGE = "This page had expired"


def test_exactly_the_listed_routes_are_exempt():
    exempt = {
        route.key: route.pattern
        for route in routes()
        if getattr(route.callback, "csrf_exempt", False)
        and not route.pattern.startswith(DRF_PREFIX)
    }
    assert set(exempt) == set(EXEMPT), f"exempt routes: {sorted(exempt)}"
    # None of them reads the session: each is guarded by a signature or the operator key,
    # which tests/security/test_access_sweep.py proves a signed-in staff session does not open.
    assert {ROUTES[key].guard for key in EXEMPT} == {Guard.STRIPE_SIGNATURE, Guard.API_KEY}


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize("who", ["visitor", "client"])
def test_every_route_refuses_a_post_without_the_token(world, who):
    """The refusal comes before the view: nothing is written (here: no cart line for A)."""
    browser = Client(enforce_csrf_checks=True)
    if who == "client":
        browser.force_login(world.a.user)
    browser.get(reverse("catalog:catalog-list"))  # a CSRF cookie, as a real visit would have
    lines = CartItem.objects.count()
    problems = []
    for route in routes():
        if route.key in EXEMPT or route.pattern.startswith(DRF_PREFIX):
            continue
        values = admin_values(route) if is_admin(route) else ROUTES[route.key].values(world.a)
        data = {} if is_admin(route) else ROUTES[route.key].data(world.a)
        path = route.path(values)
        response = browser.post(path, data)
        if response.status_code != 403 or EXPIRED_PAGE not in response.text:
            problems.append(f"POST {path} ({route.key}) -> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert CartItem.objects.count() == lines


def test_a_refused_add_to_cart_offers_the_choices_again_with_a_fresh_token(world):
    browser = Client(enforce_csrf_checks=True)
    path = reverse("checkout:cart-add", args=[world.a.product.slug])
    response = browser.post(path, {"quantity": "3"})
    assert response.status_code == 403
    (form,) = post_forms(response.content.decode(), base=path)
    assert form.action == path and form.fields["quantity"] == "3"
    assert form.fields["csrfmiddlewaretoken"]


def test_the_wagtail_admin_api_checks_the_token(world):
    editor = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-x")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    page = Page.objects.filter(depth=2).first()
    path = f"/cms-admin/api/main/pages/{page.pk}/action/copy/"
    response = browser.post(path, {"destination_page_id": 1}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# Every POST form on every page -------------------------------------------------------------


class Form:
    def __init__(self, action: str):
        self.action = action
        self.fields: dict[str, str] = {}


class PostForms(HTMLParser):
    """The POST forms of a page: their targets and the values they would send as they are."""

    def __init__(self, base: str):
        super().__init__()
        self.base, self.forms, self._open = base, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            is_post = (attrs.get("method") or "get").lower() == "post"
            self._open = Form(urljoin(self.base, attrs.get("action") or self.base))
            if is_post:
                self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name"):
            unticked = attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs
            if not unticked:
                self._open.fields.setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html: str, *, base: str) -> list[Form]:
    parser = PostForms(base)
    parser.feed(html)
    return parser.forms


def pages(world) -> list[tuple[str, str]]:
    """(who, path) of every page the sweep renders: A's payment page (it opens by its secret)
    and checkout first, while A's session is open and A's cart full, then each route's GET (for
    A's objects)."""
    found = [
        ("client", reverse("checkout:hosted", args=[world.a.session.provider_id])),
        ("visitor", reverse("checkout:hosted", args=[world.a.session.provider_id])),
        ("client", reverse("checkout:checkout")),
    ]
    for route in routes():
        if is_admin(route):
            continue
        entry = ROUTES[route.key]
        path = route.path(entry.values(world.a))
        # Each page as whoever it serves: the client, a visitor where it is public, staff theirs.
        found.append(("staff" if entry.guard is Guard.STAFF else "client", path))
        if entry.guard is Guard.PUBLIC:
            found.append(("visitor", path))
    return found


def browser_for(world, who: str) -> Client:
    browser = Client(enforce_csrf_checks=True)
    account = {"client": world.a.user, "staff": world.staff}.get(who)
    if account:
        browser.force_login(account)
    return browser


def _signature(form: Form) -> tuple:
    return form.action, tuple(sorted(form.fields))


def test_every_post_form_carries_a_token_its_target_takes(world):
    problems, sent = [], set()
    for who, path in pages(world):
        response = browser_for(world, who).get(path, follow=True)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        page = response.redirect_chain[-1][0] if response.redirect_chain else path
        for form in post_forms(response.content.decode(), base=page):
            if not form.fields.get("csrfmiddlewaretoken"):
                problems.append(f"{who} {page}: the form to {form.action} has no token")
            elif (who, *_signature(form)) not in sent:
                sent.add((who, *_signature(form)))
                problems += _submit(world, who, page, form)
    assert not problems, "\n".join(problems)
    assert len(sent) >= 15, sorted(sent)  # the storefront's and the dashboard's forms were seen
    assert settings.CSRF_FAILURE_VIEW == "core.views.csrf_failure"


def _submit(world, who, page, form) -> list[str]:
    """The form as it stands, from a browser that has just opened its page: never refused."""
    browser = browser_for(world, who)
    fresh = post_forms(browser.get(page).content.decode(), base=page)
    same = [f for f in fresh if _signature(f) == _signature(form)]
    if not same:  # an earlier form changed the page (a removed cart line, a saved preset)
        return []
    answer = browser.post(same[0].action, same[0].fields)
    if answer.status_code == 403 and EXPIRED_PAGE in answer.content.decode():
        return [f"{who} {page}: the form to {form.action} was refused with its own token"]
    return []
