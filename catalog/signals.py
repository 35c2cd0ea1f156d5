"""Any write to what the storefront shows or charges bumps the pricing version."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    AddOn,
    Bundle,
    BundleItem,
    Campaign,
    Category,
    Option,
    OptionGroup,
    Product,
    QuantityTier,
    SearchSynonym,
)
from .search.index import search_documents_refresh
from .services import preset_adopt_session, pricing_version_bump


def pricing_changed(action: str = "", **kwargs):
    """Display caches and pricing data start over, in every process."""
    if action.startswith("pre_"):  # m2m_changed fires before and after; the after counts
        return
    pricing_version_bump()


PRICING_INPUTS = (
    Category,
    Product,
    OptionGroup,
    Option,
    AddOn,
    QuantityTier,
    Campaign,
    Bundle,
    BundleItem,
    SearchSynonym,  # listings are cached per version: a new synonym must show at once
)
for model in PRICING_INPUTS:
    post_save.connect(pricing_changed, sender=model, dispatch_uid=f"catalog-save-{model.__name__}")
    post_delete.connect(pricing_changed, sender=model, dispatch_uid=f"catalog-del-{model.__name__}")
for through in (Campaign.products.through, Campaign.categories.through):
    m2m_changed.connect(
        pricing_changed, sender=through, dispatch_uid=f"catalog-m2m-{through.__name__}"
    )


def adopt_presets_on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        preset_adopt_session(session=request.session, user=user)


user_logged_in.connect(adopt_presets_on_login, dispatch_uid="catalog-adopt-presets")


def product_search_refresh(sender, instance: Product, **kwargs):
    search_documents_refresh(product_ids=[instance.pk])


def category_search_refresh(sender, instance: Category, **kwargs):
    search_documents_refresh(product_ids=instance.products.values_list("pk", flat=True))


# In the edit's transaction, so the next search finds what was saved (ADR 0015).
post_save.connect(product_search_refresh, sender=Product, dispatch_uid="catalog-search-product")
post_save.connect(category_search_refresh, sender=Category, dispatch_uid="catalog-search-category")
