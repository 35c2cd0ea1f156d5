"""Every page a visitor, a signed-in client or an operator opens with GET is scanned by axe-core
in Chromium, at desktop (1280×800) and phone (390×844) widths, on the demo shop's data.

The URLconf is walked: a route that is neither a page listed here (who opens it, and the
address filled from the demo's objects) nor an exclusion with its reason fails
`test_every_route_is_a_scanned_page_or_a_stated_exclusion`, so a new page cannot go unscanned.
Screenshots go to tests/browser/.screenshots/every-page-<page>-<width>.png.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, StringConverter
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import PageViewRestriction

from backoffice.demo_clients import CLIENTS
from catalog.pricing import default_configuration
from catalog.selectors import product_get_for_pricing
from checkout.models import Cart
from checkout.services import cart_add
from core.flags import BILLING_CENTRE, flag_enable
from orders.models import Order
from tests.browser.a11y import AccessibilityAudit
from tests.browser.test_dashboard_overview import sign_in
from tests.checkout.factories import placed_order

pytestmark = pytest.mark.django_db(transaction=True)

# Whole URLconfs that are not the storefront's pages, by their prefix.
EXCLUDED_INCLUDES = {
    "admin/": "Django's admin: staff tools Django renders and tests",
    "cms-admin/": "Wagtail's editor: staff tools Wagtail renders and tests",
    "documents/": "Wagtail's document downloads: files, not pages",
}

POST = "post"  # GET answers 405 Method Not Allowed
JSON = "json"  # answers JSON for a script or a program
CSV = "csv"  # a download
REDIRECT = "redirect"  # records something and sends the browser on
TEXT = "text"  # plain text for a monitor

EXCLUDED = {
    "catalog:search-suggest": (JSON, "search-as-you-type's suggestions"),
    "catalog:search-suggest-choose": (REDIRECT, "records a chosen suggestion, opens the product"),
    # Its HTML partial is the product page's price breakdown, scanned with that page.
    "catalog:product-price": (JSON, "the configurator's live price"),
    "catalog:product-configure": (POST, "Update price without JavaScript"),
    "catalog:preset-save": (POST, "Save preset"),
    "catalog:preset-delete": (POST, "Delete preset"),
    "checkout:cart-add": (POST, "Add to cart"),
    "checkout:cart-add-bundle": (POST, "Add the bundle to my cart"),
    "checkout:cart-item-update": (POST, "the cart's Update"),
    "checkout:cart-item-remove": (POST, "the cart's Remove"),
    "checkout:order-state": (JSON, "the order page's state, for its script"),
    "checkout:cancelled": (REDIRECT, "the payment page's cancel; lands on the order page"),
    "checkout:resume": (POST, "Start a new payment"),
    "checkout:stripe-webhook": (POST, "Stripe's webhooks"),
    "checkout:payments-observability": (JSON, "operators' API"),
    "checkout:session-regenerate": (POST, "operators' API"),
    "checkout:session-expire": (POST, "operators' API"),
    "checkout:payment-link-resend": (POST, "operators' API"),
    "fulfillment:metrics": (JSON, "operators' API"),
    "fulfillment:health": (JSON, "the worker's health check"),
    "fulfillment:task-retry": (POST, "operators' API"),
    "fulfillment:order-progress": (JSON, "an order's progress for programs"),
    "dashboard:order-select": (POST, "the dashboard's Show order"),
    "dashboard:invoices-csv": (CSV, "Download CSV (its rows: test_full_journey)"),
    "dashboard:resume-payment": (POST, "the billing centre's Pay now"),
    "dashboard:staff-action-session-regenerate": (POST, "an operator's quick action"),
    "dashboard:staff-action-session-expire": (POST, "an operator's quick action"),
    "dashboard:staff-action-payment-link-resend": (POST, "an operator's quick action"),
    "dashboard:staff-action-task-retry": (POST, "an operator's quick action"),
    "healthz": (TEXT, "the load balancer's health check"),
    "metrics": (TEXT, "Prometheus' scrape"),
    "observability-prometheus": (JSON, "operators' API (Prometheus text with its key)"),
    "observability-catalog-search": (JSON, "operators' API"),
    "^media/(?P<path>.*)$": (None, "uploaded images, not pages"),
    # Wagtail's forms for pages behind a password or a sign-in; the shop restricts no page.
    "wagtailcore_authenticate_with_password": (None, "no page of the shop is restricted"),
    "wagtailcore_login": (None, "no page of the shop is restricted"),
}

VISITOR, CLIENT, OPERATOR = "visitor", "client", "operator"


@dataclass(frozen=True)
class Demo:
    """The demo shop's objects the pages' addresses are filled with."""

    client: object
    operator: object
    order: Order
    hosted: str
    reset: dict


@dataclass(frozen=True)
class Page:
    route: str  # the URL name, or the pattern of an unnamed route
    name: str  # of the screenshot
    who: str
    path: Callable[[Demo], str]
    heading: str  # in its first-level heading: the page meant, not a sign-in or error page
    status: int = 200


PAGES = [
    # Visitors, signed out.
    Page("home", "home", VISITOR, lambda d: "/", "Growth services you can configure"),
    Page("catalog:catalog-list", "catalog", VISITOR, lambda d: "/catalog/", "All services"),
    Page(
        "catalog:product-detail",
        "product",
        VISITOR,
        lambda d: "/products/instagram-growth/",
        "Instagram Growth",
    ),
    Page("terms", "terms", VISITOR, lambda d: reverse("terms"), "Terms"),
    Page(
        "wagtail_serve",  # what Wagtail serves: marketing pages redirect to products, else 404
        "not-found",
        VISITOR,
        lambda d: "/no-such-page/",
        "We cannot find that page",
        404,
    ),
    Page("login", "sign-in", VISITOR, lambda d: reverse("login"), "Sign in"),
    Page(
        "password_reset",
        "password-reset",
        VISITOR,
        lambda d: reverse("password_reset"),
        "Reset your password",
    ),
    Page(
        "password_reset_done",
        "password-reset-done",
        VISITOR,
        lambda d: reverse("password_reset_done"),
        "Check your e-mail",
    ),
    Page(
        "password_reset_confirm",
        "password-reset-confirm",
        VISITOR,
        lambda d: reverse("password_reset_confirm", kwargs=d.reset),
        "Choose a new password",
    ),
    Page(
        "password_reset_complete",
        "password-reset-complete",
        VISITOR,
        lambda d: reverse("password_reset_complete"),
        "Your password is set.",
    ),
    Page(
        "password_set",
        "set-password",
        VISITOR,
        lambda d: reverse("password_set", kwargs=d.reset),
        "Set your password",
    ),
    Page(
        "checkout:order-status",
        "order-link-expired",
        VISITOR,
        lambda d: f"{d.order.get_absolute_url()}?t=expired",
        "This order link no longer works.",
        403,
    ),
    # A signed-in demo client.
    Page("checkout:cart", "cart", CLIENT, lambda d: reverse("checkout:cart"), "Your cart"),
    Page(
        "checkout:checkout", "checkout", CLIENT, lambda d: reverse("checkout:checkout"), "Checkout"
    ),
    Page("checkout:hosted", "hosted-payment", CLIENT, lambda d: d.hosted, "Pay $"),
    Page(
        "checkout:order-status",
        "order",
        CLIENT,
        lambda d: d.order.get_absolute_url(),
        "Delivery is under way.",
    ),
    Page("logout", "sign-out", CLIENT, lambda d: reverse("logout"), "Sign out"),
    Page(
        "password_change",
        "password-change",
        CLIENT,
        lambda d: reverse("password_change"),
        "Change your password",
    ),
    Page(
        "password_change_done",
        "password-change-done",
        CLIENT,
        lambda d: reverse("password_change_done"),
        "Your password is changed",
    ),
    Page(
        "dashboard:overview",
        "dashboard",
        CLIENT,
        lambda d: reverse("dashboard:overview"),
        "Your dashboard",
    ),
    Page(
        "dashboard:order-progress",
        "order-progress",
        CLIENT,
        lambda d: reverse("dashboard:order-progress", kwargs={"number": d.order.number}),
        "Progress",
    ),
    Page(
        "dashboard:preferences",
        "preferences",
        CLIENT,
        lambda d: reverse("dashboard:preferences"),
        "E-mail preferences",
    ),
    Page("dashboard:billing", "billing", CLIENT, lambda d: reverse("dashboard:billing"), "Billing"),
    Page(
        "dashboard:invoice",
        "invoice",
        CLIENT,
        lambda d: reverse("dashboard:invoice", kwargs={"number": d.order.invoices.get().number}),
        "Invoice",
    ),
    # An operator.
    Page(
        "dashboard:staff",
        "staff-operations",
        OPERATOR,
        lambda d: reverse("dashboard:staff"),
        "Operations",
    ),
]


def routes(patterns=None, prefix="", namespace="") -> Iterator[tuple[str, URLPattern]]:
    """(name, pattern) of each route of the URLconf (the route itself names one that has no
    name), outside the excluded includes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route not in EXCLUDED_INCLUDES:
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from routes(pattern.url_patterns, route, inner)
        else:
            yield (namespace + pattern.name if pattern.name else route), pattern


PLACEHOLDERS = {IntConverter: 1, SlugConverter: "any-slug", StringConverter: "any"}


@pytest.mark.django_db  # no browser: rolled back, not flushed
def test_every_route_is_a_scanned_page_or_a_stated_exclusion():
    found = dict(routes())
    pages = {page.route for page in PAGES}
    assert not pages & set(EXCLUDED), "a route is both a page and excluded"
    unknown = set(found) - pages - set(EXCLUDED)
    assert not unknown, f"routes no browser test scans; list them in PAGES or EXCLUDED: {unknown}"
    assert not (pages | set(EXCLUDED)) - set(found), "PAGES or EXCLUDED name routes that are gone"
    roots = {str(pattern.pattern) for pattern in get_resolver().url_patterns}
    assert set(EXCLUDED_INCLUDES) <= roots


@pytest.mark.django_db  # no browser: rolled back, not flushed
def test_each_exclusion_answers_as_its_reason_says(client):
    """What an excluded route answers a GET with, for someone allowed everywhere: 405 for a
    form's action, JSON, CSV, plain text or a redirect, never a page."""
    operator = get_user_model().objects.create_superuser("root", "root@example.com", "pw-1234567")
    flag_enable(name=BILLING_CENTRE, users=[operator])
    client.force_login(operator)
    order, _ = placed_order()
    product = order.lines.get().product
    real = {
        "catalog:search-suggest-choose": (
            {},
            {"q": "boost", "product": product.slug, "position": 1},
        ),
        "checkout:cancelled": ({"number": order.number}, {}),
    }
    found = dict(routes())
    answers = {}
    for name, (kind, _) in EXCLUDED.items():
        if kind is None:
            continue
        converters = found[name].pattern.converters
        kwargs, query = real.get(
            name, ({arg: PLACEHOLDERS[type(c)] for arg, c in converters.items()}, {})
        )
        response = client.get(reverse(name, kwargs=kwargs), query)
        content_type = response.get("Content-Type", "")
        answers[name] = {
            POST: response.status_code == 405,
            JSON: content_type.startswith("application/json"),
            CSV: content_type.startswith("text/csv"),
            TEXT: content_type.startswith("text/plain"),
            REDIRECT: response.status_code == 302,
        }[kind] or (kind, response.status_code, content_type)
    assert {name: answer for name, answer in answers.items() if answer is not True} == {}


def demo() -> Demo:
    users = get_user_model().objects
    client = users.get(username=CLIENTS[0].username)  # the billing centre is on for this one
    product = product_get_for_pricing(slug="instagram-growth")
    _, session = placed_order(owner=client, products=[(product, default_configuration(product))])
    cart_add(
        cart=Cart.objects.get_or_create(user=client)[0],
        product=product,
        configuration=default_configuration(product),
    )
    return Demo(
        client=client,
        operator=users.get(is_superuser=True),
        order=Order.objects.filter(user=client, status="active").latest("created_at"),
        hosted=reverse("checkout:hosted", kwargs={"provider_id": session.provider_id}),
        reset={
            "uidb64": urlsafe_base64_encode(force_bytes(client.pk)),
            "token": default_token_generator.make_token(client),
        },
    )


def test_every_page_is_accessible_at_both_widths(page, live_server, seeded):
    shop = demo()
    assert not PageViewRestriction.objects.exists()  # so Wagtail's restricted-page forms are out
    audit = AccessibilityAudit(page)  # one seeding for both widths: the slow part
    who = VISITOR
    wrong = []  # pages that were not what was meant, all listed at once
    for listed in PAGES:
        if listed.who != who:
            page.context.clear_cookies()
            sign_in(page, live_server, shop.client if listed.who == CLIENT else shop.operator)
            who = listed.who
        response = page.goto(listed.path(shop))
        heading = page.get_by_role("heading", level=1).first.text_content()
        if response.status != listed.status or listed.heading not in heading:
            wrong.append((listed.name, page.url, response.status, heading))
        audit.scan(f"every-page-{listed.name}")
    assert not wrong, f"pages other than meant (name, address, status, heading): {wrong}"
    audit.assert_clean()
