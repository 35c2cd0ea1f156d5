from django.contrib import admin, messages

from core.admin import ReadOnlyInline
from core.exceptions import ApplicationError

from .models import AnalyticsSnapshot, FulfillmentTask, PlanStep, TaskAttempt, TaskEvent
from .services import task_force_complete, task_retry_now, task_skip


class PlanStepInline(admin.TabularInline):
    """Shown on the product: staff edit each service's fulfillment plan there."""

    model = PlanStep
    extra = 0
    fields = [
        "position",
        "name",
        "kind",
        "adapter",
        "parameters",
        "delay_seconds",
        "max_attempts",
        "backoff_base_seconds",
        "backoff_cap_seconds",
    ]


class AttemptInline(ReadOnlyInline):
    model = TaskAttempt
    fields = ["run", "worker", "started_at", "finished_at", "outcome", "duration_ms", "error"]


class EventInline(ReadOnlyInline):
    model = TaskEvent
    fields = ["created_at", "actor", "action", "from_status", "to_status", "note"]


def _bulk(action, verb):
    def run(modeladmin, request, queryset):
        done = 0
        for task in queryset:
            try:
                action(task_id=task.pk, actor=request.user, note=f"{verb} from the admin")
                done += 1
            except ApplicationError as exc:
                modeladmin.message_user(request, f"{task}: {exc.message}", messages.WARNING)
        modeladmin.message_user(request, f"{verb}: {done} task(s).", messages.SUCCESS)

    run.short_description = verb
    run.allowed_permissions = ("change",)
    run.__name__ = action.__name__
    return run


@admin.register(FulfillmentTask)
class FulfillmentTaskAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "adapter",
        "status",
        "attempts",
        "runs",
        "due_at",
        "locked_by",
        "last_error",
    ]
    list_filter = ["status", "adapter", "kind"]
    search_fields = ["order__number", "name", "remote_id", "last_error"]
    list_select_related = ["order"]
    raw_id_fields = ["order", "order_line", "step"]
    readonly_fields = [
        "order",
        "order_line",
        "step",
        "status",
        "attempts",
        "runs",
        "locked_by",
        "lease_expires_at",
        "started_at",
        "finished_at",
        "last_error",
        "result",
        "remote_id",
        "start_count",
        "quantity",
        "delivered",
        "remains",
        "due_at",
    ]
    inlines = [AttemptInline, EventInline]
    actions = [
        _bulk(task_retry_now, "Retry now"),
        _bulk(task_skip, "Skip"),
        _bulk(task_force_complete, "Force-complete"),
    ]

    def has_add_permission(self, request):
        return False


@admin.register(AnalyticsSnapshot)
class AnalyticsSnapshotAdmin(admin.ModelAdmin):
    list_display = ["order", "account", "captured_on", "followers", "reach", "source"]
    list_filter = ["source", "captured_on"]
    search_fields = ["account", "order__number"]
    list_select_related = ["order"]
