from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import money_display, readonly_fields_of, report
from core.api import base_url
from core.exceptions import ApplicationError
from core.models import Via
from core.money import Money

from .models import (
    Cart,
    CheckoutSession,
    DuplicatePayment,
    RefundLookup,
    WebhookEvent,
    WebhookOutcome,
)
from .services import (
    duplicate_payments_retry_now,
    payment_link_resend,
    session_expire,
    session_regenerate,
)
from .webhooks import webhooks_retry_now


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "attempt",
        "gateway",
        "status",
        "payment_status",
        money_display("amount_total", description="Total"),
        "expires_at",
    ]
    list_filter = ["status", "payment_status", "gateway"]
    search_fields = ["order__number", "provider_id", "payment_intent"]
    list_select_related = ["order"]
    fields = readonly_fields = readonly_fields_of(CheckoutSession)
    actions = ["regenerate", "expire", "resend_payment_link"]

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, service, done: str):
        """Run a session service (the one the staff view and the API use) on each selected
        session, reporting each refusal with its reason."""
        changed, refused = [], []
        for session in queryset.select_related("order"):
            try:
                service(session=session)
            except ApplicationError as exc:
                refused.append(f"{session.order.number} attempt {session.attempt}: {exc.message}")
            else:
                changed.append(f"{session.order.number} attempt {session.attempt}")
        report(self, request, done=done, changed=changed, unchanged=refused)

    @admin.action(description="Regenerate: a fresh payment page", permissions=["change"])
    def regenerate(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda session: session_regenerate(
                session_id=session.pk, base_url=base_url(request), actor=request.user, via=Via.ADMIN
            ),
            "New payment page opened for",
        )

    @admin.action(description="Expire the selected open sessions", permissions=["change"])
    def expire(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda session: session_expire(
                session_id=session.pk, actor=request.user, via=Via.ADMIN
            ),
            "Expired",
        )

    @admin.action(description="Resend the payment link to the customer", permissions=["change"])
    def resend_payment_link(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda session: payment_link_resend(
                session_id=session.pk, base_url=base_url(request), actor=request.user, via=Via.ADMIN
            ),
            "Payment link e-mailed for",
        )


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
        events = list(queryset)
        failed = [event for event in events if event.outcome == WebhookOutcome.FAILED]
        webhooks_retry_now(pks=[event.pk for event in failed])
        for event in failed:
            self.log_change(request, event, "Retry requested")
        report(
            self,
            request,
            done="The next worker applies",
            changed=[event.event_id for event in failed],
            unchanged=[
                f"{event.event_id} is {event.get_outcome_display().lower()}, not failed."
                for event in events
                if event not in failed
            ],
        )


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
        money_display("amount"),
        "status",
        "attempts",
        "refund_id",
        "last_error",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["order__number", "payment_intent", "refund_id", "session__provider_id"]
    list_select_related = ["order", "session"]
    fields = readonly_fields = readonly_fields_of(DuplicatePayment)
    actions = ["retry_refund"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed refunds now", permissions=["change"])
    def retry_refund(self, request, queryset):
        records = list(queryset.select_related("order"))
        duplicate_payments_retry_now(pks=[record.pk for record in records])
        failed = DuplicatePayment.Status.FAILED
        # A failed record the service moved on (to pending, or already refunded) was retried.
        retried = set(
            DuplicatePayment.objects.filter(
                pk__in=[record.pk for record in records if record.status == failed]
            )
            .exclude(status=failed)
            .values_list("pk", flat=True)
        )
        report(
            self,
            request,
            done="Refund of the second payment sent again with the next worker pass",
            changed=[record.order.number for record in records if record.pk in retried],
            unchanged=[
                f"The second payment for {record.order.number} is"
                f" {record.get_status_display().lower()}, not failed."
                if record.status != failed
                else f"The second payment for {record.order.number} has no payment to refund."
                for record in records
                if record.pk not in retried
            ],
        )


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
