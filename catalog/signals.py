"""Any catalog write invalidates cached listings by bumping the catalog version."""

from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    AddOn,
    Campaign,
    Category,
    Option,
    OptionGroup,
    PricingVersion,
    Product,
    QuantityTier,
)
from .selectors import CATALOG_VERSION_KEY


def bump_catalog_version(**kwargs):
    """Display caches (listings, product pages) start over."""
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:
        cache.set(CATALOG_VERSION_KEY, 2, timeout=None)


def pricing_changed(action: str = "", **kwargs):
    """What prices are computed from changed: display caches and pricing data start over."""
    if action.startswith("pre_"):  # m2m_changed fires before and after; the after counts
        return
    bump_catalog_version()
    # In the editing transaction: readers see the new version exactly when the edit commits.
    if not PricingVersion.objects.filter(pk=1).update(value=F("value") + 1):
        PricingVersion.objects.get_or_create(pk=1, defaults={"value": 2})


for model in (Category, Product, OptionGroup, Option, AddOn, QuantityTier, Campaign):
    post_save.connect(pricing_changed, sender=model, dispatch_uid=f"catalog-save-{model.__name__}")
    post_delete.connect(pricing_changed, sender=model, dispatch_uid=f"catalog-del-{model.__name__}")
for through in (Campaign.products.through, Campaign.categories.through):
    m2m_changed.connect(
        pricing_changed, sender=through, dispatch_uid=f"catalog-m2m-{through.__name__}"
    )


def adopt_presets_on_login(sender, request, user, **kwargs):
    from .services import preset_adopt_session

    if request is not None and hasattr(request, "session"):
        preset_adopt_session(session=request.session, user=user)


user_logged_in.connect(adopt_presets_on_login, dispatch_uid="catalog-adopt-presets")
