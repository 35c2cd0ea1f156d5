from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from catalog.signals import bump_catalog_version, pricing_changed

from .models import Bundle, BundleItem, ProductMarketingPage, SiteSettings
from .selectors import SITE_SETTINGS_KEY


def forget_site_settings(**kwargs):
    caches["config"].delete(SITE_SETTINGS_KEY)


post_save.connect(forget_site_settings, sender=SiteSettings, dispatch_uid="cms-settings-saved")
# Bundles change prices, like any catalog edit.
for model in (Bundle, BundleItem):
    post_save.connect(pricing_changed, sender=model, dispatch_uid=f"cms-save-{model.__name__}")
    post_delete.connect(pricing_changed, sender=model, dispatch_uid=f"cms-del-{model.__name__}")
# Product pages look their marketing page up through the catalog version's cache.
for signal, name in ((page_published, "published"), (page_unpublished, "unpublished")):
    signal.connect(
        bump_catalog_version, sender=ProductMarketingPage, dispatch_uid=f"cms-page-{name}"
    )
post_delete.connect(
    bump_catalog_version, sender=ProductMarketingPage, dispatch_uid="cms-page-deleted"
)
