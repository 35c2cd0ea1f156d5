"""Whole-page caching for visitors who carry no state, the way a CDN would cache them."""

import hashlib

from django.conf import settings


def is_stateless_visitor(request) -> bool:
    """No session and no pending messages: every such visitor sees the same page."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def may_store(request, response) -> bool:
    """Only plain 200s that did not hand out a CSRF token (a token is per visitor)."""
    return response.status_code == 200 and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")


def path_key(prefix: str, version: int, request) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"{prefix}:{version}:{digest}"
