from django.contrib import admin, messages

from core.admin import ReadOnlyInline, status_change_display
from core.models import Via

from .models import (
    AnalyticsSnapshot,
    FulfillmentTask,
    PlanStep,
    TaskAttempt,
    TaskEvent,
    TaskStatus,
)
from .selectors import task_status_display
from .services import tasks_act
from .transitions import STAFF_TASK_ACTIONS, TASK_ACTIONS


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


@admin.display(description="Action")
def action_label(event: TaskEvent) -> str:
    action = TASK_ACTIONS.get(event.action)
    return action.label if action else event.action


class EventInline(ReadOnlyInline):
    model = TaskEvent
    fields = [
        "created_at",
        "source",
        "actor",
        action_label,
        status_change_display(TaskStatus.choices),
        "reason",
    ]


@admin.display(description="Status", ordering="status")
def shown_status(task: FulfillmentTask) -> str:
    """An order on hold holds its unfinished tasks: say so rather than "Queued"."""
    return task_status_display(status=task.status, order_status=task.order.status)


def _staff_action(action: str):
    label = TASK_ACTIONS[action].label

    def run(modeladmin, request, queryset):
        result = tasks_act(
            action=action,
            task_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.user,
            reason=f"{label} from the admin",
            via=Via.ADMIN,
        )
        for refusal in result.refused:
            modeladmin.message_user(request, f"{refusal.task}: {refusal.message}", messages.WARNING)
        if result.moved:
            done = "; ".join(str(ref) for ref in result.moved)
            modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)
        else:
            modeladmin.message_user(request, f"{label}: nothing changed.", messages.WARNING)

    run.short_description = label
    run.allowed_permissions = ("change",)
    run.__name__ = f"task_{action}"
    return run


@admin.register(FulfillmentTask)
class FulfillmentTaskAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "adapter",
        shown_status,
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
        shown_status,
        "attempts",
        "runs",
        "locked_by",
        "interrupted",
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
    actions = [_staff_action(action) for action in STAFF_TASK_ACTIONS]

    def has_add_permission(self, request):
        return False


@admin.register(AnalyticsSnapshot)
class AnalyticsSnapshotAdmin(admin.ModelAdmin):
    list_display = ["order", "account", "captured_on", "followers", "reach", "source"]
    list_filter = ["source", "captured_on"]
    search_fields = ["account", "order__number"]
    list_select_related = ["order"]
