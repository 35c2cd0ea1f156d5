"""Helpers for JSON endpoints: stable error bodies and operator API-key checks."""

import hmac
from functools import wraps

from django.conf import settings
from django.http import JsonResponse


def json_error(code: str, message: str, *, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def api_key_required(view):
    """Operator endpoints: `X-API-Key` must equal CHECKOUT_API_KEY (constant-time)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        supplied = request.headers.get("X-API-Key")
        if not supplied:
            return json_error("api_key_missing", "The X-API-Key header is required.", status=401)
        expected = settings.CHECKOUT_API_KEY
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            return json_error("api_key_invalid", "The API key is not valid.", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def base_url(request) -> str:
    """This site's origin as the client reached it, for absolute links handed to gateways."""
    return request.build_absolute_uri("/").rstrip("/")
