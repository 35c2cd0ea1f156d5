from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from core.admin import ReadOnlyInline
from core.exceptions import ApplicationError
from fulfillment.models import FulfillmentTask
from fulfillment.services import order_put_on_hold, order_release_hold, order_requeue_dead

from .models import Order, OrderLine, OrderStatusChange


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["title", "description", "target", "quantity", "billing", "total_amount", "currency"]


class TaskInline(ReadOnlyInline):
    model = FulfillmentTask
    show_change_link = True
    fields = [
        "name",
        "adapter",
        "status",
        "attempts",
        "due_at",
        "delivered",
        "remains",
        "last_error",
    ]


class HistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "source", "actor", "reason"]


# Callables (order -> list of texts) that apps above orders register to warn staff on an
# order's page; orders cannot import them.
ORDER_PAGE_WARNINGS: list = []


class HoldForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
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
    inlines = [OrderLineInline, TaskInline, HistoryInline]
    actions = ["requeue_dead_letters", "put_on_hold", "release_hold"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id) if request.method == "GET" else None
        for warnings in ORDER_PAGE_WARNINGS if order else ():
            for text in warnings(order):
                self.message_user(request, text, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Re-queue dead-lettered tasks", permissions=["change"])
    def requeue_dead_letters(self, request, queryset):
        total = 0
        for order in queryset:
            try:
                total += order_requeue_dead(order_id=order.pk, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Re-queued {total} task(s).", messages.SUCCESS)

    @admin.action(description="Release the hold", permissions=["change"])
    def release_hold(self, request, queryset):
        for order in queryset:
            try:
                order_release_hold(order_id=order.pk, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{order.number} resumed.", messages.SUCCESS)

    @admin.action(description="Put on hold (with a reason)", permissions=["change"])
    def put_on_hold(self, request, queryset):
        form = HoldForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for order in queryset:
                try:
                    order_put_on_hold(
                        order_id=order.pk, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
            self.message_user(request, f"Put {done} order(s) on hold.", messages.SUCCESS)
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
