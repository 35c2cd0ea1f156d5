from django.core.cache import caches
from django.db.models.signals import post_delete, post_save

from catalog.signals import bump_catalog_version

from .models import Bundle, BundleItem, SiteSettings
from .selectors import SITE_SETTINGS_KEY


def forget_site_settings(**kwargs):
    caches["config"].delete(SITE_SETTINGS_KEY)


post_save.connect(forget_site_settings, sender=SiteSettings, dispatch_uid="cms-settings-saved")
# Bundles change prices shown on product pages, like any catalog edit.
for model in (Bundle, BundleItem):
    post_save.connect(bump_catalog_version, sender=model, dispatch_uid=f"cms-save-{model.__name__}")
    post_delete.connect(
        bump_catalog_version, sender=model, dispatch_uid=f"cms-del-{model.__name__}"
    )
