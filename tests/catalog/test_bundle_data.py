"""Bundles are catalog pricing data: moved out of the CMS without losing any, and edited in
the Wagtail admin with a revision kept for every save."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Bundle, BundleItem
from catalog.selectors import pricing_version
from tests.admin_forms import form_data

from .factories import ProductFactory

BEFORE_MOVE = [("catalog", "0003_pricing_version"), ("cms", "0003_rendition_blocks")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


@pytest.mark.django_db(transaction=True)
def test_existing_bundles_and_their_permissions_survive_the_move_to_catalog():
    old = migrate(BEFORE_MOVE)
    Category = old.get_model("catalog", "Category")
    Product = old.get_model("catalog", "Product")
    OldBundle = old.get_model("cms", "Bundle")
    OldItem = old.get_model("cms", "BundleItem")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    category = Category.objects.create(slug="growth", name="Growth")

    def product(slug, **fields):
        return Product.objects.create(
            slug=slug, title=slug, summary="", category=category, platform="tiktok", **fields
        )

    growth, audit = product("growth", base_amount=10_000), product("audit", base_amount=5_000)
    monthly = product(
        "monthly", base_amount=0, billing_modes="subscription", subscription_amount=3_000
    )
    kit = OldBundle.objects.create(headline="Launch kit", discount_percent=Decimal("10"))
    care = OldBundle.objects.create(
        headline="Care plan", discount_percent=Decimal("15"), is_active=False
    )
    for bundle, products in ((kit, [growth, audit]), (care, [audit, monthly])):
        for position, item in enumerate(products):
            OldItem.objects.create(bundle=bundle, product=item, sort_order=position)
    # As on a deployed site: the snippet's content type and a permission staff hold.
    OldContentType.objects.filter(app_label="catalog", model__in=["bundle", "bundleitem"]).delete()
    old_type = OldContentType.objects.get_or_create(app_label="cms", model="bundle")[0]
    OldPermission.objects.get_or_create(
        content_type=old_type, codename="change_bundle", defaults={"name": "Can change bundle"}
    )

    migrate(None)
    ContentType.objects.clear_cache()

    bundles = {b.headline: b for b in Bundle.objects.prefetch_related("items__product")}
    assert {
        name: (b.discount_percent, b.is_active, [i.product.slug for i in b.items.all()])
        for name, b in bundles.items()
    } == {
        "Launch kit": (Decimal("10.00"), True, ["growth", "audit"]),
        "Care plan": (Decimal("15.00"), False, ["audit", "monthly"]),
    }
    # A bundle with a monthly-only service keeps applying to its subscription line.
    assert (bundles["Launch kit"].billing, bundles["Care plan"].billing) == ("one_off", "any")
    moved = ContentType.objects.get_for_model(Bundle)
    assert moved.pk == old_type.pk
    assert moved.permission_set.filter(codename="change_bundle").exists()

    # Revisions work on the moved rows.
    bundles["Launch kit"].save_revision()
    assert bundles["Launch kit"].revisions.count() == 1


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "e@example.com", "pass-123-word")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_bundle_edit_in_the_admin_keeps_a_revision_and_reprices(editor):
    a, b = ProductFactory(base_amount=10_000), ProductFactory(base_amount=5_000)
    bundle = Bundle.objects.create(headline="Launch kit", discount_percent=Decimal("10"))
    for position, product in enumerate((a, b)):
        BundleItem.objects.create(bundle=bundle, product=product, sort_order=position)
    url = f"/cms-admin/snippets/catalog/bundle/edit/{bundle.pk}/"
    data = form_data("headline", BeautifulSoup(editor.get(url).content, "html.parser"))
    version = pricing_version()

    response = editor.post(url, {**data, "discount_percent": "20"})

    assert response.status_code == 302
    bundle.refresh_from_db()
    assert bundle.discount_percent == Decimal("20")
    revisions = list(bundle.revisions.order_by("created_at"))
    assert len(revisions) == 1
    assert Decimal(revisions[0].content["discount_percent"]) == Decimal("20")
    assert revisions[0].user.username == "editor"
    assert bundle.latest_revision_id == revisions[0].pk
    assert pricing_version() > version  # carts and product pages show the new saving

    history = editor.get(f"/cms-admin/snippets/catalog/bundle/history/{bundle.pk}/")
    assert history.status_code == 200


@pytest.mark.django_db
def test_a_bundle_needs_two_services(editor):
    a = ProductFactory()
    url = "/cms-admin/snippets/catalog/bundle/add/"
    data = form_data("headline", BeautifulSoup(editor.get(url).content, "html.parser"))
    data.update(
        {
            "headline": "Solo",
            "discount_percent": "10",
            "billing": "one_off",
            "items-TOTAL_FORMS": "1",
            "items-0-product": str(a.pk),
            "items-0-ORDER": "1",
            "items-0-id": "",
        }
    )
    response = editor.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert not Bundle.objects.exists()
