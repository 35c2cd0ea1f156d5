from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from catalog import urls as catalog_urls
from cms import urls as cms_urls
from core import views as core_views

urlpatterns = [
    cms_urls.home,
    # The product page is composed in cms; its name stays in the catalog namespace.
    path("", include((cms_urls.product_pages + catalog_urls.urlpatterns, "catalog"))),
    path("", include("checkout.urls")),
    path("", include("fulfillment.urls")),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("cms-admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("healthz", core_views.healthz, name="healthz"),
    path("terms/", TemplateView.as_view(template_name="terms.html"), name="terms"),
    # /metrics (django-prometheus' HTTP and database metrics plus the business families of the
    # database) and the observability API.
    path("", include("backoffice.urls")),
]

if settings.SERVE_MEDIA:
    # Uploaded images from the app itself; production usually hands /media/ to a CDN or proxy.
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

# Wagtail serves whatever is left, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
