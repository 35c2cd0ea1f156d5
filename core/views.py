from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme


def healthz(request):
    """Liveness probe and the benchmark's ceiling: no database, no templates."""
    return HttpResponse("ok", content_type="text/plain")


@dataclass(frozen=True)
class CsrfRetry:
    action: str  # the button that sends the form again
    review: str | None  # URL name of a GET page showing the same fields from its query string


def csrf_retryable(*, action: str, review: str | None = None):
    """Mark a POST view whose form the CSRF failure page may offer again with a fresh token.

    Only for harmless storefront forms such as adding to the cart: the customer sees the page
    and presses the button; nothing is ever sent again on their behalf. `review` is resolved
    with the same URL arguments as the view.
    """

    def mark(view):
        view.csrf_retry = CsrfRetry(action=action, review=review)
        return view

    return mark


def csrf_failure(request, reason=""):
    """A form from a stale tab (signed in or out elsewhere, cookies cleared): explain, and for a
    retryable form offer the same choices again. Rendering the page issues a fresh token."""
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "back_url": _back_url(request)}
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    retry = getattr(match.func, "csrf_retry", None) if match else None
    if retry is not None:
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
        context.update(retry=retry, retry_url=request.get_full_path(), retry_fields=fields)
        if retry.review:
            review = reverse(retry.review, args=match.args, kwargs=match.kwargs)
            context["review_url"] = f"{review}?{urlencode(fields)}"
    return render(request, "403_csrf.html", context, status=403)


def _back_url(request) -> str:
    """The page the form came from, when it is one of ours; the home page otherwise."""
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"
