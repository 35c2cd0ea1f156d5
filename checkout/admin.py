from django.contrib import admin

from .models import Cart, CheckoutSession, WebhookEvent, WebhookOutcome
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
