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
from .services import payment_link_resend, session_expire, session_regenerate
from .webhooks import HandlerFailed, webhook_ingest


@csrf_exempt
@require_POST
def stripe_webhook(request):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()) or int(length) > settings.WEBHOOK_MAX_BYTES:
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


def _session_action(request, ref, act, *, status: int = 200):
    """Run a session service on the session named `ref`; its JSON, or the refusal's."""
    session = session_get_by_ref(ref)
    if session is None:
        return json_error("session_not_found", "No checkout session with that id.", status=404)
    try:
        result = act(session)
    except ApplicationError as exc:
        return json_error(exc.code, exc.message, status=exc.status)
    url = result.url if result.url.startswith("http") else base_url(request) + result.url
    return JsonResponse(
        {
            "session_id": result.pk,
            "provider_id": result.provider_id,
            "url": url,
            "attempt": result.attempt,
            "status": result.status,
            "order": result.order.number,
        },
        status=status,
    )


@csrf_exempt
@require_POST
@api_key_required
def session_regenerate_api(request, ref):
    return _session_action(
        request,
        ref,
        lambda session: session_regenerate(
            session_id=session.pk, base_url=base_url(request), via=Via.API
        ),
        status=201,
    )


@csrf_exempt
@require_POST
@api_key_required
def session_expire_api(request, ref):
    """Close an open session now; any other is refused (409 `session_not_open`)."""
    return _session_action(
        request, ref, lambda session: session_expire(session_id=session.pk, via=Via.API)
    )


@csrf_exempt
@require_POST
@api_key_required
def payment_link_resend_api(request, ref):
    """A new session replaces the payable ones and the customer is e-mailed the way to it."""
    return _session_action(
        request,
        ref,
        lambda session: payment_link_resend(
            session_id=session.pk, base_url=base_url(request), via=Via.API
        ),
        status=201,
    )


@require_GET
@api_key_required
def payments_observability(request):
    return JsonResponse(payment_observability())
