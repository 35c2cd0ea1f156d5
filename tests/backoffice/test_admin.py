"""Admin screens that combine apps are registered once, by backoffice, at the models' own URLs;
the apps below fulfillment do not import it."""

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from backoffice.admin import OrderWithTasksAdmin, ProductWithPlanAdmin
from catalog.models import Product
from orders.models import Order
from tests.fulfillment.factories import paid_order, product_with_plan

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(app: str) -> set[tuple[str, str]]:
    """(file, module) for every import anywhere in an app's code, functions included."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize("app", ["catalog", "orders"])
def test_apps_below_fulfillment_do_not_import_it(app):
    assert {
        (path, module)
        for path, module in imported_modules(app)
        if module.split(".")[0] in {"fulfillment", "backoffice"}
    } == set()


def test_the_combined_admins_are_registered_by_backoffice_only():
    assert type(admin.site._registry[Product]) is ProductWithPlanAdmin
    assert type(admin.site._registry[Order]) is OrderWithTasksAdmin


@pytest.mark.django_db
def test_staff_see_the_plan_on_the_product_and_the_tasks_on_the_order(client):
    product = product_with_plan({"name": "Deliver", "kind": "delivery", "adapter": "sandbox"})
    order = paid_order(client, product)
    client.force_login(
        get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-12345")
    )

    product_page = client.get(f"/admin/catalog/product/{product.pk}/change/")
    order_page = client.get(f"/admin/orders/order/{order.pk}/change/")

    assert product_page.status_code == 200 and b"plan_steps-0-adapter" in product_page.content
    assert order_page.status_code == 200
    task = order.tasks.get()
    assert f"/admin/fulfillment/fulfillmenttask/{task.pk}/change/" in order_page.content.decode()
