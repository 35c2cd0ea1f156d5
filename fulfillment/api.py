"""Operator and client JSON endpoints for fulfillment."""

import hmac

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.api import api_key_required, json_error
from core.ids import parse_id
from core.models import Via
from orders.models import Order

from .selectors import order_progress, processor_health, processor_metrics
from .services import TaskActionError, task_retry_dead


@require_GET
@api_key_required
def metrics(request):
    return JsonResponse(processor_metrics())


@require_GET
@api_key_required
def health(request):
    healthy, reasons, data = processor_health()
    body = {"status": "ok" if healthy else "unhealthy", "reasons": reasons, "metrics": data}
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def progress(request, order_id):
    """The order's owner (signed in) or an operator (X-API-Key, or staff); anyone else gets
    404. Owners get the client's view: no error texts. An empty header is no key (as for
    `api_key_required`), whatever the configured key is."""
    supplied = request.headers.get("X-API-Key") or None
    if supplied is not None and not hmac.compare_digest(
        supplied.encode(), settings.CHECKOUT_API_KEY.encode()
    ):
        return json_error("api_key_invalid", "The API key is not valid.", status=403)
    pk = parse_id(order_id)
    lookup = {"pk": pk} if pk is not None else {"number": order_id}
    order = Order.objects.filter(**lookup).first()
    allowed = supplied is not None or (
        order is not None
        and request.user.is_authenticated
        and (request.user.pk == order.user_id or request.user.is_staff)
    )
    if order is None or not allowed:
        return json_error("order_not_found", "No such order.", status=404)
    operator = supplied is not None or request.user.is_staff
    return JsonResponse(order_progress(order=order, for_client=not operator))


@csrf_exempt
@require_POST
@api_key_required
def task_retry(request, task_id):
    """Run a dead-lettered task again now; a task that is not dead is refused (409)."""
    try:
        task = task_retry_dead(
            task_id=task_id, actor=None, reason="Retry through the operator API", via=Via.API
        )
    except TaskActionError as exc:
        status = 404 if exc.code == "task_not_found" else exc.status
        return json_error(exc.code, exc.message, status=status)
    return JsonResponse({"task_id": task.pk, "status": task.status, "attempts": task.attempts})
