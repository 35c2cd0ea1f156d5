from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import formats

from core.admin import (
    DELIVERY_FIELDS,
    ReadOnlyAdmin,
    ReadOnlyInline,
    money_display,
    report,
    status_change_display,
)
from core.exceptions import ApplicationError

from .models import OrderLine, OrderNotification, OrderStatus, OrderStatusChange
from .services import order_put_on_hold, order_release_hold
from .transitions import can_transition


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "title",
        "description",
        "target",
        "quantity",
        "billing",
        money_display("total_amount"),
    ]


class HistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = [
        "created_at",
        status_change_display(OrderStatus.choices),
        "source",
        "actor",
        "reason",
    ]


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The client reads this on their order page: write it for them.",
    )


def _describe(order) -> str:
    return f"{order.number} is {order.get_status_display().lower()}"


@admin.display(description="Customer", ordering="email")
def customer(order) -> str:
    return order.name or order.email


@admin.display(description="Paid", boolean=True, ordering="paid_at")
def paid(order) -> bool:
    return order.paid_at is not None


@admin.display(description="Created", ordering="created_at")
def created(order) -> str:
    return formats.date_format(order.created_at, "SHORT_DATETIME_FORMAT")


class OrderAdmin(admin.ModelAdmin):
    """Orders and their staff operations. Registered by `backoffice`, which adds the order's
    fulfillment tasks to the page."""

    # Six short columns: the list fits a 1280 px screen.
    list_display = [
        "number",
        customer,
        "status",
        money_display("total_amount", description="Total"),
        paid,
        created,
    ]
    list_filter = ["status", "is_subscription", "created_at"]
    search_fields = ["number", "email", "name", "payment_reference"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [
        "number",
        "user",
        "email",
        "name",
        "status",
        money_display("subtotal_amount"),
        money_display("discount_amount"),
        money_display("total_amount"),
        "is_subscription",
        "paid_at",
        "payment_reference",
        "checkout_token",
    ]
    exclude = ["currency", "subtotal_amount", "discount_amount", "total_amount"]
    inlines = [OrderLineInline, HistoryInline]
    actions = ["put_on_hold", "release_hold", "release_hold_skipping_failed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Release the hold (failed steps run again)", permissions=["change"])
    def release_hold(self, request, queryset):
        self._release(request, queryset, retry_failed=True)

    @admin.action(description="Release the hold (failed steps skipped)", permissions=["change"])
    def release_hold_skipping_failed(self, request, queryset):
        self._release(request, queryset, retry_failed=False)

    def _release(self, request, queryset, *, retry_failed: bool):
        for order in queryset:
            try:
                order = order_release_hold(
                    order_id=order.pk, actor=request.user, retry_failed=retry_failed
                )
            except ApplicationError as exc:
                # "Order SMP-… is completed, not on hold." names the order already.
                text = (
                    exc.message if order.number in exc.message else f"{order.number}: {exc.message}"
                )
                self.message_user(request, text, messages.WARNING)
            else:
                now = order.get_status_display().lower()
                self.message_user(
                    request, f"{order.number}: hold released, now {now}.", messages.SUCCESS
                )

    @admin.action(description="Put on hold (with a reason)", permissions=["change"])
    def put_on_hold(self, request, queryset):
        # Only orders the status graph lets go on hold are offered; the rest are named at once,
        # before staff type a reason.
        holdable = [o for o in queryset if can_transition(o.status, OrderStatus.ON_HOLD)]
        refused = [
            f"{_describe(o)}: it cannot be put on hold." for o in queryset if o not in holdable
        ]
        if not holdable:
            report(self, request, done="Put on hold", changed=[], unchanged=refused)
            return None
        form = HoldForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = []
            for order in holdable:
                try:
                    order_put_on_hold(
                        order_id=order.pk, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    refused.append(f"{order.number}: {exc.message}")
                else:
                    done.append(order.number)
            report(self, request, done="On hold", changed=done, unchanged=refused)
            return None
        for text in refused:
            self.message_user(request, text, messages.WARNING)
        return TemplateResponse(
            request,
            "admin/orders/hold_reason.html",
            {
                **self.admin_site.each_context(request),
                "orders": holdable,
                "form": form,
                "title": "Put orders on hold",
            },
        )


@admin.register(OrderNotification)
class OrderNotificationAdmin(ReadOnlyAdmin):
    """Order status e-mails and what became of each. One the mail server kept refusing ends
    Failed with the server's own words, here for operators to find (filter by status)."""

    list_display = ["created_at", "order", "email", "to_status", "status", "attempts", "last_error"]
    list_filter = ["status", "to_status"]
    search_fields = ["order__number", "email"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    fields = ["order", "email", "to_status", *DELIVERY_FIELDS]
