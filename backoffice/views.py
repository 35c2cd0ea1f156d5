import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from core.api import json_error

from .metrics import exposition


@require_GET
def metrics(request):
    """Prometheus' scrape target: with METRICS_TOKEN set, only for `Authorization: Bearer
    <token>` (compared in constant time)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not supplied.strip():
            response = json_error(
                "metrics_token_missing",
                "The Authorization: Bearer <METRICS_TOKEN> header is required.",
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if not hmac.compare_digest(supplied.strip().encode(), token.encode()):
            return json_error(
                "metrics_token_invalid", "The metrics token is not valid.", status=403
            )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
