from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from core.admin import ReadOnlyInline
from core.exceptions import ApplicationError

from .models import OrderLine, OrderStatusChange
from .services import order_put_on_hold, order_release_hold


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["title", "description", "target", "quantity", "billing", "total_amount", "currency"]


class HistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "source", "actor", "reason"]


class HoldForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class OrderAdmin(admin.ModelAdmin):
    """Orders and their staff operations. Registered by `backoffice`, which adds the order's
    fulfillment tasks to the page."""

    list_display = [
        "number",
        "email",
        "status",
        "total_amount",
        "currency",
        "paid_at",
        "created_at",
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
        "currency",
        "subtotal_amount",
        "discount_amount",
        "total_amount",
        "is_subscription",
        "paid_at",
        "payment_reference",
        "checkout_token",
    ]
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
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
            else:
                now = order.get_status_display().lower()
                self.message_user(
                    request, f"{order.number}: hold released, now {now}.", messages.SUCCESS
                )

    @admin.action(description="Put on hold (with a reason)", permissions=["change"])
    def put_on_hold(self, request, queryset):
        form = HoldForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = []
            for order in queryset:
                try:
                    order_put_on_hold(
                        order_id=order.pk, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
                else:
                    done.append(order.number)
            if done:
                self.message_user(request, f"On hold: {', '.join(done)}.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/orders/hold_reason.html",
            {
                **self.admin_site.each_context(request),
                "orders": queryset,
                "form": form,
                "title": "Put orders on hold",
            },
        )
