"""The client's dashboard home: order picker, progress, timeline, analytics, the week's
figures, and notification preferences. Only the signed-in client's own orders, ever."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.selectors import (
    client_week_figures,
    order_analytics,
    order_progress,
    order_timeline,
)
from orders.models import Order, OrderStatus
from orders.selectors import (
    client_order_get,
    notification_preference_get,
    order_overlaps,
    order_picker_get,
)
from orders.services import notification_preference_set, order_selection_set

from .analytics import account_panels
from .forms import OrderPickForm, PickerPageForm, PreferencesForm

UNDER_WAY = (OrderStatus.PROCESSING, OrderStatus.ACTIVE)


@login_required
@require_GET
def overview(request):
    user = request.user
    picker = order_picker_get(user=user, page=PickerPageForm(request.GET).page())
    order = picker.selected
    context = {
        "picker": picker,
        "order": order,
        "overlaps": order_overlaps(user=user),
        "week": client_week_figures(user=user, week_ending=timezone.localdate()),
    }
    if order is not None:
        context.update(
            progress=client_progress(order),
            timeline=order_timeline(order=order),
            panels=account_panels(order_analytics(order=order)),
        )
    return render(request, "dashboard/overview/index.html", context)


@login_required
@require_POST
def order_select(request):
    form = OrderPickForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of your orders from the list.")
        return redirect("dashboard:overview")
    order = client_order_get(user=request.user, number=form.cleaned_data["order"])
    if order is None:
        raise Http404("No such order.")
    order_selection_set(user=request.user, order=order)
    url = reverse("dashboard:overview")
    page = form.cleaned_data.get("orders_page")
    if page and page > 1:
        url += "?" + urlencode({"orders_page": page})
    return redirect(url)


@login_required
@require_GET
def order_progress_view(request, number):
    """The progress block of one order: the fragment for a script that refreshes it in
    place (HX-Request), a page of its own otherwise."""
    order = client_order_get(user=request.user, number=number)
    if order is None:
        raise Http404("No such order.")
    template = (
        "dashboard/overview/_progress.html"
        if request.headers.get("HX-Request")
        else "dashboard/overview/progress.html"
    )
    response = render(request, template, {"order": order, "progress": client_progress(order)})
    patch_vary_headers(response, ["HX-Request"])  # one URL, two bodies: caches keep both
    return response


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            notification_preference_set(user=request.user, **form.cleaned_data)
            messages.success(request, "Your e-mail preferences are saved.")
            return redirect("dashboard:preferences")
    else:
        preference = notification_preference_get(user=request.user)
        form = PreferencesForm(
            initial={
                "order_updates": preference.order_updates,
                "weekly_digest": preference.weekly_digest,
                "marketing": preference.marketing,
            }
        )
    return render(request, "dashboard/overview/preferences.html", {"form": form})


def client_progress(order: Order) -> dict:
    """The client's view of `order_progress`, with its times as datetimes for the template."""
    progress = order_progress(order=order, for_client=True)
    return {
        **progress,
        "percent": progress["percent_complete"],
        "expected_finish": _datetime(progress["expected_finish"]),
        "under_way": order.status in UNDER_WAY,
        "refresh_seconds": settings.DASHBOARD_PROGRESS_REFRESH_SECONDS,
        "steps": [
            {**step, "finished_at": _datetime(step["finished_at"])} for step in progress["steps"]
        ],
    }


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
