from django.urls import path

from . import api, views

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    path("api/v1/observability/prometheus", api.prometheus, name="observability-prometheus"),
    path(
        "api/v1/observability/catalog-search",
        api.catalog_search,
        name="observability-catalog-search",
    ),
]
