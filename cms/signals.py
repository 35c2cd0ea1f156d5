from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from catalog.services import pricing_version_bump

from .models import ProductMarketingPage, SiteSettings
from .selectors import SITE_SETTINGS_KEY


def forget_site_settings(**kwargs):
    caches["config"].delete(SITE_SETTINGS_KEY)


def marketing_pages_changed(**kwargs):
    """Product pages look their marketing page up under the pricing version."""
    pricing_version_bump()


post_save.connect(forget_site_settings, sender=SiteSettings, dispatch_uid="cms-settings-saved")
for signal, name in ((page_published, "published"), (page_unpublished, "unpublished")):
    signal.connect(
        marketing_pages_changed, sender=ProductMarketingPage, dispatch_uid=f"cms-page-{name}"
    )
post_delete.connect(
    marketing_pages_changed, sender=ProductMarketingPage, dispatch_uid="cms-page-deleted"
)
