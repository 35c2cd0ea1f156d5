"""Admin pages that show more than one app: each lower app defines its ModelAdmin without the
other app's parts and leaves registering it to this module. URLs stay the models' own
(/admin/catalog/product/, /admin/orders/order/)."""

from django.contrib import admin, messages

from catalog.admin import ProductAdmin
from catalog.models import Product
from checkout.admin import duplicate_payment_warnings
from core.admin import ReadOnlyInline
from fulfillment.admin import PlanStepInline, shown_status
from fulfillment.models import FulfillmentTask
from orders.admin import OrderAdmin
from orders.models import Order


@admin.register(Product)
class ProductWithPlanAdmin(ProductAdmin):
    """Staff edit each service's fulfillment plan on the product."""

    inlines = [*ProductAdmin.inlines, PlanStepInline]


class TaskInline(ReadOnlyInline):
    model = FulfillmentTask
    show_change_link = True
    fields = [
        "name",
        "adapter",
        "status_shown",
        "attempts",
        "due_at",
        "delivered",
        "remains",
        "last_error",
    ]

    @admin.display(description="Status")
    def status_shown(self, task):
        return shown_status(task)


@admin.register(Order)
class OrderWithTasksAdmin(OrderAdmin):
    """The order with its fulfillment tasks; task actions live on the task list, and an order
    on hold shows its waiting tasks as held."""

    inlines = [*OrderAdmin.inlines[:1], TaskInline, *OrderAdmin.inlines[1:]]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id) if request.method == "GET" else None
        for text in duplicate_payment_warnings(order) if order else ():
            self.message_user(request, text, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)
