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
)
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
