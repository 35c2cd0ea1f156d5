from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from waffle.admin import FlagAdmin

from .models import AuditEntry, ChatAttempt, ChatMessage, Flag, OutgoingEmail
from .money import Money


class ReadOnlyInline(admin.TabularInline):
    """History-like rows shown on a parent: never added, changed or deleted by hand."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


def money_display(field: str, currency_field: str = "currency", description: str = "") -> Callable:
    """An admin column or read-only field showing the minor units in `field` as money
    ("$222.30"), titled after the field without its `_amount`."""
    title = description or field.removesuffix("_amount").replace("_", " ").capitalize()

    @admin.display(description=title, ordering=field)
    def show(obj) -> str | None:
        value = getattr(obj, field)
        return None if value is None else Money(value, getattr(obj, currency_field)).format()

    show.__name__ = f"{field}_shown"
    return show


def status_change_display(choices: Iterable[tuple[str, str]], description: str = "Change"):
    """A history row's from → to in labels ("Processing → On hold", "— → Awaiting payment")."""
    labels = dict(choices)

    @admin.display(description=description)
    def show(row) -> str:
        before = labels.get(row.from_status, row.from_status) or "—"
        return f"{before} → {labels.get(row.to_status, row.to_status)}"

    show.__name__ = "status_change"
    return show


def report(modeladmin, request, *, done: str, changed: Iterable, unchanged: Iterable[str]):
    """An action's outcome: a warning for each thing that did not change, saying why, and a
    success naming what changed only when something did; never a green "0 done"."""
    changed = [str(item) for item in changed]
    for text in unchanged:
        modeladmin.message_user(request, text, messages.WARNING)
    if changed:
        modeladmin.message_user(request, f"{done}: {', '.join(changed)}.", messages.SUCCESS)


def readonly_fields_of(model) -> list:
    """Every field of a read-only model page, its amounts shown as money. Use it as both
    `fields` and `readonly_fields`, so the raw amounts do not come back as form fields."""
    has_currency = any(f.name == "currency" for f in model._meta.fields)
    return [
        money_display(f.name) if has_currency and ("amount" in f.name.split("_")) else f.name
        for f in model._meta.fields
    ]


# Waffle's own admin pages are off (WAFFLE_ENABLE_ADMIN_PAGES): they would show its unused model.
admin.site.register(Flag, FlagAdmin)


# What every queued delivery (`core.Delivery`) shows about its fate.
DELIVERY_FIELDS = ["status", "attempts", "next_attempt_at", "last_error", "sent_at", "created_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the services write: staff read it, nobody adds, edits or deletes it by hand."""

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail of operator actions, written by the services."""

    list_display = ["created_at", "actor_name", "action", "object_repr", "detail"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id", "detail"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "actor",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "detail",
    ]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    """Recovery e-mails and digests as they were queued, and what became of each."""

    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "created_at"
    fields = ["key", "kind", "to", "subject", *DELIVERY_FIELDS, "body_text"]


class ChatAttemptInline(ReadOnlyInline):
    """The delivery log: every try at posting the message, with the receiver's answer."""

    model = ChatAttempt
    fields = ["number", "started_at", "duration_ms", "http_status", "error"]


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    """Messages for the operators' chat as they were queued, and every try at posting them."""

    list_display = ["created_at", "kind", "key", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["key"]
    date_hierarchy = "created_at"
    inlines = [ChatAttemptInline]
    fields = ["key", "kind", *DELIVERY_FIELDS, "payload"]
