"""Operator observability endpoints (X-API-Key), for scrapers and tools outside the cluster."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from catalog.selectors import search_insights
from core.api import api_key_required, json_error

from .forms import ERROR_CODES, SearchInsightsForm
from .metrics import exposition


@require_GET
@api_key_required
def prometheus(request):
    """The same exposition as /metrics, behind the operator API key instead of the token."""
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


@require_GET
@api_key_required
def catalog_search(request):
    form = SearchInsightsForm(request.GET)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        return json_error(ERROR_CODES[field], f"{field}: {' '.join(errors)}", status=400)
    return JsonResponse(search_insights(**form.cleaned_data))
