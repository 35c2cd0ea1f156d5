from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.money import Money

from .models import (
    Cart,
    CheckoutSession,
    DuplicatePayment,
    RefundLookup,
    WebhookEvent,
    WebhookOutcome,
)
from .services import duplicate_payments_retry_now
from .webhooks import webhooks_retry_now


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "attempt",
        "gateway",
        "status",
        "payment_status",
        "amount_total",
        "expires_at",
    ]
    list_filter = ["status", "payment_status", "gateway"]
    search_fields = ["order__number", "provider_id", "payment_intent"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in CheckoutSession._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "event_id",
        "type",
        "outcome",
        "attempts",
        "first_seen_at",
        "last_seen_at",
        "processing_ms",
        "next_attempt_at",
    ]
    list_filter = ["outcome", "type"]
    search_fields = ["event_id", "error"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected failed events now", permissions=["change"])
    def retry_now(self, request, queryset):
        failed = list(queryset.filter(outcome=WebhookOutcome.FAILED))
        count = webhooks_retry_now(pks=[event.pk for event in failed])
        for event in failed:
            self.log_change(request, event, "Retry requested")
        self.message_user(request, f"{count} failed event(s) will be applied by the next worker.")


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "session_key", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(DuplicatePayment)
class DuplicatePaymentAdmin(admin.ModelAdmin):
    """Orders paid twice: each second payment and where its automatic refund stands."""

    list_display = [
        "created_at",
        "order",
        "session",
        "payment_intent",
        "amount",
        "currency",
        "status",
        "attempts",
        "refund_id",
        "last_error",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["order__number", "payment_intent", "refund_id", "session__provider_id"]
    list_select_related = ["order", "session"]
    readonly_fields = [f.name for f in DuplicatePayment._meta.fields]
    actions = ["retry_refund"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed refunds now", permissions=["change"])
    def retry_refund(self, request, queryset):
        count = duplicate_payments_retry_now(pks=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} refund(s) will be sent by the next worker.")


@admin.register(RefundLookup)
class RefundLookupAdmin(admin.ModelAdmin):
    list_display = ["event_id", "attempts", "next_attempt_at", "done_at", "last_error"]
    readonly_fields = [f.name for f in RefundLookup._meta.fields]

    def has_add_permission(self, request):
        return False


def duplicate_payment_warnings(order) -> list[str]:
    """Shown on the order's admin page: every second payment it received."""
    return [
        format_html(
            'Paid twice: session attempt {} charged {} again — <a href="{}">{}</a>.',
            record.session.attempt,
            Money(record.amount, record.currency),
            reverse("admin:checkout_duplicatepayment_change", args=[record.pk]),
            record.get_status_display().lower(),
        )
        for record in order.duplicate_payments.select_related("session")
    ]
