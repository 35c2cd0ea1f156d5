"""No route redirects off the site, whatever `next=` (or a form's Referer) says: every URL
of the URLconf without parameters, asked by a visitor and by a signed-in client, by GET and
by POST."""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "http://testserver@evil.example/",
]
PARAMETERS = ("next", "next_page", "redirect_to", "return_to")


def plain_routes(resolver=None, prefix: str = "") -> list[str]:
    """Every route without a parameter, as a path."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if "<" in route or "(" in route or "^" in route:
            continue
        if isinstance(entry, URLResolver):
            found += plain_routes(entry, route)
        elif isinstance(entry, URLPattern):
            found.append("/" + route)
    return sorted(set(found))


def stays_home(response) -> bool:
    """Its redirect, and any way back a page offers, lead to this site."""
    location = response.get("Location") or _back_link(response)
    if not location:
        return True
    parts = urlsplit(location.strip())
    return (
        parts.scheme in ("", "http", "https")
        and parts.netloc in ("", "testserver")
        and not location.strip().startswith(("//", "/\\"))
    )


def _back_link(response) -> str:
    """The refused form's "Back to the page" link (the CSRF failure page), if any."""
    if response.status_code != 403 or "text/html" not in response.get("Content-Type", ""):
        return ""
    match = re.search(r'href="([^"]*)">Back to the page', response.content.decode())
    return html.unescape(match.group(1)) if match else ""


def test_the_sweep_reaches_the_routes_that_take_next():
    routes = plain_routes()
    assert {"/accounts/login/", "/accounts/logout/", "/catalog/", "/checkout/"} <= set(routes)


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "client"])
def test_no_route_redirects_off_site(signed_in):
    # The second client enforces CSRF as browsers meet it: a refused form offers a way back.
    client, strict = Client(), Client(enforce_csrf_checks=True)
    if signed_in:
        account = get_user_model().objects.create_user("dana", password="pw-123456")
        client.force_login(account)
        strict.force_login(account)
    off_site = []
    for path in plain_routes():
        if path.startswith(("/cms-admin/", "/admin/", "/metrics")):
            continue  # Wagtail's and Django's own admin; checked by their projects
        for value in HOSTILE:
            query = dict.fromkeys(PARAMETERS, value)
            for response in (
                client.get(path, query, HTTP_REFERER=value),
                client.post(path, query, HTTP_REFERER=value),
                strict.post(path, query, HTTP_REFERER=value),
            ):
                if not stays_home(response):
                    off_site.append((path, value, response["Location"]))
    assert not off_site
