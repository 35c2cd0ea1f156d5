"""The billing centre: invoice history, printable invoices, the CSV export, checkout
analytics with a way back to payment, and campaign intelligence."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing.selectors import (
    EXPORT_HEADER,
    invoice_export_rows,
    invoice_get,
    invoice_page,
    seller_details,
)
from checkout.selectors import checkout_funnel, orders_awaiting_payment
from checkout.services import session_resume
from core.api import base_url, json_error
from core.csv_safe import csv_lines
from core.exceptions import ApplicationError
from core.flags import BILLING_CENTRE, flag_required
from orders.models import Order, OrderStatus

from .forms import InvoiceFilterForm, page_number
from .selectors import campaign_page


@login_required
@flag_required(BILLING_CENTRE)
@require_GET
def billing(request):
    form = InvoiceFilterForm(request.GET)
    form.is_valid()
    user = request.user
    return render(
        request,
        "dashboard/billing/billing.html",
        {
            "form": form,
            "filter_query": form.query(),
            "invoices": invoice_page(
                user=user, filters=form.filters(), page=page_number(request.GET.get("page"))
            ),
            "funnel": checkout_funnel(user=user),
            "awaiting_payment": orders_awaiting_payment(user=user),
            "campaigns": campaign_page(
                user=user, page=page_number(request.GET.get("campaigns_page"))
            ),
            "delivery_promise_days": settings.DELIVERY_PROMISE_DAYS,
        },
    )


@login_required
@flag_required(BILLING_CENTRE)
@require_GET
def invoice(request, number):
    found = invoice_get(user=request.user, number=number)
    if found is None:
        raise Http404("No such invoice.")
    return render(
        request,
        "dashboard/billing/invoice.html",
        {"invoice": found, "lines": list(found.lines.all()), "seller": seller_details()},
    )


@login_required
@flag_required(BILLING_CENTRE)
@require_GET
def invoices_csv(request):
    form = InvoiceFilterForm(request.GET)
    if not form.is_valid():
        return json_error(
            "invalid_filters",
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
        )
    rows = invoice_export_rows(user=request.user, filters=form.filters())
    response = StreamingHttpResponse(csv_lines(EXPORT_HEADER, rows), content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="invoices-{stamp}.csv"'
    return response


@login_required
@flag_required(BILLING_CENTRE)
@require_POST
def resume_payment(request, number):
    order = get_object_or_404(Order, number=number, user=request.user)
    if order.is_paid:
        messages.error(request, f"Order {order.number} is already paid.")
    elif order.status != OrderStatus.PENDING:
        messages.error(
            request,
            f"Order {order.number} is {order.get_status_display().lower()}: it cannot be paid.",
        )
    else:
        try:
            session = session_resume(order=order, base_url=base_url(request))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(session.url)
    return redirect("dashboard:billing")
