"""JSON endpoints: the Stripe webhook and operator APIs (X-API-Key)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.api import api_key_required, base_url, json_error
from core.exceptions import ApplicationError
from core.models import Via

from .selectors import payment_observability, session_get_by_ref
from .services import session_regenerate
from .webhooks import HandlerFailed, webhook_ingest


@csrf_exempt
@require_POST
def stripe_webhook(request):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.WEBHOOK_MAX_BYTES:
        return json_error("payload_too_large", "Webhook bodies are limited to 1 MB.", status=413)
    if request.content_type != "application/json":
        return json_error("unsupported_content_type", "Send the event as application/json.")
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return json_error("signature_missing", "The Stripe-Signature header is required.")
    try:
        payload = request.body
    except RequestDataTooBig:
        return json_error("payload_too_large", "Webhook bodies are limited to 1 MB.", status=413)
    try:
        result = webhook_ingest(payload=payload, signature_header=signature)
    except HandlerFailed as exc:
        return json_error(
            "handler_failed",
            "The event could not be processed; it will be retried.",
            status=500,
            event_id=exc.event_id,
        )
    except ApplicationError as exc:
        return json_error(exc.code, exc.message, status=exc.status)
    return JsonResponse(
        {
            "received": True,
            "event_id": result.event_id,
            "outcome": result.outcome,
            "duplicate": result.duplicate,
        }
    )


@csrf_exempt
@require_POST
@api_key_required
def session_regenerate_api(request, ref):
    session = session_get_by_ref(ref)
    if session is None:
        return json_error("session_not_found", "No checkout session with that id.", status=404)
    try:
        new = session_regenerate(session_id=session.pk, base_url=base_url(request), via=Via.API)
    except ApplicationError as exc:
        return json_error(exc.code, exc.message, status=exc.status)
    url = new.url if new.url.startswith("http") else base_url(request) + new.url
    return JsonResponse(
        {
            "session_id": new.pk,
            "provider_id": new.provider_id,
            "url": url,
            "attempt": new.attempt,
            "order": new.order.number,
        },
        status=201,
    )


@require_GET
@api_key_required
def payments_observability(request):
    return JsonResponse(payment_observability())
