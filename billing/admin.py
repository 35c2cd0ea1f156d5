from django.contrib import admin

from core.admin import ReadOnlyInline, money_display, readonly_fields_of

from .models import Invoice, InvoiceLine, Refund, Subscription


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = [
        "description",
        "quantity",
        money_display("gross_amount"),
        money_display("discount_amount"),
        money_display("total_amount"),
    ]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "order",
        "kind",
        "status",
        money_display("total_amount", description="Total"),
        money_display("refunded_amount", description="Refunded"),
        "issued_at",
    ]
    list_filter = ["kind", "status", "issued_at"]
    search_fields = ["number", "order__number", "payment_reference", "provider_invoice_id"]
    list_select_related = ["order"]
    fields = readonly_fields = readonly_fields_of(Invoice)
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["provider_id", "order", "status", "current_period_end", "cancel_at_period_end"]
    list_filter = ["status"]
    search_fields = ["provider_id", "order__number"]
    list_select_related = ["order"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["provider_id", "invoice", money_display("amount"), "created_at"]
    search_fields = ["provider_id", "invoice__number"]
    list_select_related = ["invoice"]
