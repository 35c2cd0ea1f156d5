"""The URLconf as the security sweeps see it: every route the resolver serves, what guards it,
and how to fill its parameters from client A's objects.

`ROUTES` names every route outside the two admin sites; `ADMIN_PREFIXES` covers those, whose
hundreds of internal views are guarded as a whole. A route in neither fails the sweeps by name,
so a new URL gets an entry (and with it the sweeps' checks) before it ships.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.regex_helper import normalize

from catalog.models import ConfigurationPreset
from catalog.pricing import Configuration
from checkout.models import Cart
from checkout.services import cart_add
from core.flags import BILLING_CENTRE
from core.models import Flag
from fulfillment.models import TaskStatus
from orders.models import OrderLine
from tests.billing.factories import invoice_for, order_for, task_for
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import placed_order, user
from tests.dashboard.factories import bulk_orders, snapshots_for
from tests.dashboard.staff_fixtures import operator
from tests.experiments.factories import bundle_of

# The resolver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One view the resolver serves: its pattern as written (prefixes included), its URL name
    with namespaces (or the pattern when it has none) and the format its paths take."""

    pattern: str
    key: str
    callback: Callable
    formats: tuple[tuple[str, tuple[str, ...]], ...]

    def path(self, values: dict[str, str]) -> str:
        """The path this route answers for `values`, checked against the resolver."""
        for template, parameters in self.formats:
            if set(parameters) <= set(values):
                path = "/" + template % {name: values[name] for name in parameters}
                try:
                    match = resolve(path)
                except Resolver404:
                    continue
                if match.func is self.callback:
                    return path
        raise AssertionError(f"{self.key}: {values} make no path that reaches this route")

    def parameters(self) -> tuple[str, ...]:
        return self.formats[0][1]


def _walk(resolver: URLResolver, prefix: str, regex: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        here = prefix + str(entry.pattern)
        pattern_regex = regex + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, (namespace, entry.namespace)))
            yield from _walk(entry, here, pattern_regex, inner)
        elif isinstance(entry, URLPattern):
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or here
            yield Route(here, key, entry.callback, tuple(normalize(pattern_regex)))


def routes() -> list[Route]:
    """Every route of the project's URLconf, in resolution order."""
    return list(_walk(get_resolver(), "", "", ""))


# What guards each route --------------------------------------------------------------------


class Guard(enum.Enum):
    PUBLIC = "anyone may open it; nobody's private data is on it"
    SIGNED_IN = "a signed-in client's own page; visitors are sent to sign in"
    OWNER = "one of a client's objects: only its owner (a visitor signs in first or gets 404)"
    SECRET = "opened by a secret handed to its owner only (a link, a gateway session id)"
    STAFF = "staff only: visitors sign in, clients get 404"
    API_KEY = "the operator API: X-API-Key or a JSON 401/403"
    OWNER_OR_API_KEY = "its owner signed in, or the operator API key"
    METRICS_TOKEN = "Prometheus' bearer token (METRICS_TOKEN)"
    STRIPE_SIGNATURE = "Stripe's signature header"


@dataclass(frozen=True)
class Entry:
    guard: Guard
    values: Callable[[SimpleNamespace], dict] = field(default=lambda side: {})
    data: Callable[[SimpleNamespace], dict] = field(default=lambda side: {})


def _order(side) -> dict:
    return {"number": side.unpaid.number}


ROUTES: dict[str, Entry] = {
    # Storefront
    "home": Entry(Guard.PUBLIC),
    "catalog:product-detail": Entry(Guard.PUBLIC, lambda side: {"slug": side.product.slug}),
    "catalog:catalog-list": Entry(Guard.PUBLIC),
    "catalog:search-suggest": Entry(Guard.PUBLIC),
    "catalog:search-suggest-choose": Entry(Guard.PUBLIC),
    "catalog:product-price": Entry(Guard.PUBLIC, lambda side: {"slug": side.product.slug}),
    "catalog:product-configure": Entry(Guard.PUBLIC, lambda side: {"slug": side.product.slug}),
    # Visitors keep presets in their session; a name posted by B is B's own.
    "catalog:preset-save": Entry(
        Guard.PUBLIC,
        lambda side: {"slug": side.product.slug},
        data=lambda side: {"name": "Swept preset"},
    ),
    "catalog:preset-delete": Entry(
        Guard.OWNER, lambda side: {"slug": side.product.slug, "preset_id": str(side.preset.pk)}
    ),
    "checkout:cart": Entry(Guard.PUBLIC),
    "checkout:cart-add": Entry(Guard.PUBLIC, lambda side: {"slug": side.product.slug}),
    "checkout:cart-add-bundle": Entry(
        Guard.PUBLIC, lambda side: {"bundle_id": str(side.bundle.pk)}
    ),
    # A cart line is looked up in the visitor's own cart: another's answers with one's own cart.
    "checkout:cart-item-update": Entry(
        Guard.OWNER, lambda side: {"item_id": str(side.item.pk)}, data=lambda side: {"quantity": 7}
    ),
    "checkout:cart-item-remove": Entry(Guard.OWNER, lambda side: {"item_id": str(side.item.pk)}),
    "checkout:checkout": Entry(Guard.PUBLIC),
    # Secrets are filled with what another client could know or guess (the order number, the
    # account's uid with a made-up token); the owner's own link is checked by the sweep itself.
    "checkout:hosted": Entry(Guard.SECRET, lambda side: {"provider_id": side.unpaid.number}),
    "checkout:order-status": Entry(Guard.OWNER, _order),
    "checkout:order-state": Entry(Guard.OWNER, _order),
    "checkout:cancelled": Entry(Guard.OWNER, _order),
    "checkout:resume": Entry(Guard.OWNER, _order),
    "terms": Entry(Guard.PUBLIC),
    "healthz": Entry(Guard.PUBLIC),
    # Accounts
    "login": Entry(Guard.PUBLIC),
    "logout": Entry(Guard.PUBLIC),
    "password_change": Entry(Guard.SIGNED_IN),
    "password_change_done": Entry(Guard.SIGNED_IN),
    "password_reset": Entry(Guard.PUBLIC),
    "password_reset_done": Entry(Guard.PUBLIC),
    "password_reset_confirm": Entry(Guard.SECRET, lambda side: side.reset_link),
    "password_reset_complete": Entry(Guard.PUBLIC),
    "password_set": Entry(Guard.SECRET, lambda side: side.reset_link),
    # Dashboard
    "dashboard:overview": Entry(Guard.SIGNED_IN),
    "dashboard:order-select": Entry(Guard.OWNER, data=lambda side: {"order": side.paid.number}),
    "dashboard:order-progress": Entry(Guard.OWNER, lambda side: {"number": side.paid.number}),
    "dashboard:preferences": Entry(Guard.SIGNED_IN),
    "dashboard:billing": Entry(Guard.SIGNED_IN),
    "dashboard:invoices-csv": Entry(Guard.SIGNED_IN),
    "dashboard:invoice": Entry(Guard.OWNER, lambda side: {"number": side.invoice.number}),
    "dashboard:resume-payment": Entry(Guard.OWNER, _order),
    "dashboard:staff": Entry(Guard.STAFF),
    "dashboard:staff-action-session-regenerate": Entry(
        Guard.STAFF, lambda side: {"session_id": str(side.session.pk)}
    ),
    "dashboard:staff-action-session-expire": Entry(
        Guard.STAFF, lambda side: {"session_id": str(side.session.pk)}
    ),
    "dashboard:staff-action-payment-link-resend": Entry(
        Guard.STAFF, lambda side: {"session_id": str(side.session.pk)}
    ),
    "dashboard:staff-action-task-retry": Entry(
        Guard.STAFF, lambda side: {"task_id": str(side.task.pk)}
    ),
    # JSON APIs
    "checkout:stripe-webhook": Entry(Guard.STRIPE_SIGNATURE),
    "checkout:payments-observability": Entry(Guard.API_KEY),
    "checkout:session-regenerate": Entry(
        Guard.API_KEY, lambda side: {"ref": side.session.provider_id}
    ),
    "checkout:session-expire": Entry(Guard.API_KEY, lambda side: {"ref": side.session.provider_id}),
    "checkout:payment-link-resend": Entry(
        Guard.API_KEY, lambda side: {"ref": side.session.provider_id}
    ),
    "fulfillment:metrics": Entry(Guard.API_KEY),
    "fulfillment:health": Entry(Guard.API_KEY),
    "fulfillment:task-retry": Entry(Guard.API_KEY, lambda side: {"task_id": str(side.task.pk)}),
    "fulfillment:order-progress": Entry(
        Guard.OWNER_OR_API_KEY, lambda side: {"order_id": side.paid.number}
    ),
    "observability-prometheus": Entry(Guard.API_KEY),
    "observability-catalog-search": Entry(Guard.API_KEY),
    "metrics": Entry(Guard.METRICS_TOKEN),
    # Wagtail's public serving: CMS pages, documents and the forms of password-protected pages.
    "wagtail_serve": Entry(Guard.PUBLIC, lambda side: {"_0": "about-us/"}),
    "wagtaildocs_serve": Entry(Guard.PUBLIC, lambda side: {"_0": "1", "_1": "price-list.pdf"}),
    "wagtaildocs_authenticate_with_password": Entry(
        Guard.PUBLIC, lambda side: {"restriction_id": "1"}
    ),
    "wagtailcore_authenticate_with_password": Entry(
        Guard.PUBLIC, lambda side: {"page_view_restriction_id": "1", "page_id": "1"}
    ),
    # Wagtail's sign-in for password-protected pages: Django's LoginView, throttled by the same
    # authentication backends as /accounts/login/.
    "wagtailcore_login": Entry(Guard.PUBLIC),
    "^media/(?P<path>.*)$": Entry(Guard.PUBLIC, lambda side: {"path": "original_images/a.png"}),
}

# The Django admin and the Wagtail admin: hundreds of internal views (changelists, choosers,
# the page explorer's API), each site behind its own staff check. They are not listed one by
# one: the sweep opens every one of them as a visitor and as a client and expects that site's
# sign-in page.
ADMIN_PREFIXES = {
    "admin/": "/admin/login/",
    "cms-admin/": "/cms-admin/login/",
}
# What the admins show everybody, by design.
ADMIN_PUBLIC = {
    "admin:login": "the Django admin's sign-in page",
    "admin:logout": "signing out needs no account",
    "wagtailadmin_login": "the Wagtail admin's sign-in page",
    "wagtailadmin_password_reset": "Wagtail's password-reset form",
    "wagtailadmin_password_reset_done": "its 'sent' page",
    "wagtailadmin_password_reset_confirm": "a reset link, opened by its token",
    "wagtailadmin_password_reset_complete": "its 'done' page",
    "wagtailadmin_javascript_catalog": "the translations of the sign-in page's scripts",
    "wagtailadmin_sprite": "the icons of the sign-in page",
}


def is_admin(route: Route) -> bool:
    return route.pattern.startswith(tuple(ADMIN_PREFIXES))


def admin_values(route: Route) -> dict[str, str]:
    """Placeholder parameters that reach an admin route (ids of nothing, a model's name)."""
    for guess in ("1", "x", "auth", "user"):
        values = dict.fromkeys(route.parameters(), guess)
        try:
            route.path(values)
        except AssertionError:
            continue
        return values
    # A route with mixed parameters (app label, model name, id): each takes its own kind.
    values = {}
    for name in route.parameters():
        values[name] = (
            "1"
            if re.search(r"id|pk|_0|_1|index|revision", name)
            else {"app_label": "auth", "model_name": "user"}.get(name, "x")
        )
    return values


# Client A's objects, and client B's ---------------------------------------------------------

SHARED_TARGET = "@shared.account"


def client_objects(owner, *, preset_name: str):
    """Everything of `owner`'s the sweeps ask for: a paid order with its invoice and
    snapshots, an unpaid order with an open hosted session, a dead-lettered task, a saved
    preset, a line in the cart and a password-reset link's parameters (with a wrong token)."""
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
    token = default_token_generator.make_token(owner)
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
        bundle=bundle_of(product, ProductFactory()),
        numbers=(unpaid.number, paid.number, invoice.number, *(o.number for o in active)),
        # The uid is no secret; the token is, and a guess at it opens nothing.
        reset_link={"uidb64": urlsafe_base64_encode(force_bytes(owner.pk)), "token": "set-x"},
        reset_token=token,
    )


def world() -> SimpleNamespace:
    """Clients A (alice) and B (bob) with one of everything each, and a staff operator; the
    billing centre is on for everybody (it ships behind a flag)."""
    Flag.objects.create(name=BILLING_CENTRE, everyone=True)
    a = client_objects(user("alice"), preset_name="Alice launch week")
    b = client_objects(user("bob"), preset_name="Bob steady growth")
    return SimpleNamespace(a=a, b=b, staff=operator("ops"))


def markers(side) -> tuple[str, ...]:
    """Strings only `side`'s own pages may show: e-mail, order, invoice and session numbers,
    the account handle and the preset's name."""
    return (
        side.user.email,
        *side.numbers,
        side.session.provider_id,
        side.handle,
        side.preset.name,
    )
