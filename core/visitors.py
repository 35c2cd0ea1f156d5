"""The visitor cookie: a random id that lets a browser without an account see the same
experiment variant on every visit, and lets its order be attributed to what it saw.

Issued only when a page needs it (an experiment running there), so most responses set no
cookie; it holds no personal data and is read by no other site (HttpOnly, SameSite=Lax).
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings

COOKIE = "smplat_visitor"
MAX_AGE_SECONDS = 365 * 24 * 3600
_ID = re.compile(r"[0-9a-f]{32}")


def visitor_id_known(request) -> str:
    """The id the browser sent, or "" when it sent none or a malformed one."""
    value = request.COOKIES.get(COOKIE, "")
    return value if _ID.fullmatch(value) else ""


def visitor_id(request) -> str:
    """The browser's id; a new one (set on the response by `VisitorCookieMiddleware`) when
    it has none."""
    issued = getattr(request, "_visitor_issued", "")
    known = issued or visitor_id_known(request)
    if not known:
        known = request._visitor_issued = uuid.uuid4().hex
    return known


class VisitorCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        issued = getattr(request, "_visitor_issued", "")
        if issued:
            response.set_cookie(
                COOKIE,
                issued,
                max_age=MAX_AGE_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
