from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("catalog/", views.catalog_list, name="catalog-list"),
    path("catalog/suggest/", views.search_suggest, name="search-suggest"),
    path("catalog/suggest/choose/", views.search_suggest_choose, name="search-suggest-choose"),
    path("products/<slug:slug>/price/", views.product_price, name="product-price"),
    path("products/<slug:slug>/configure/", views.product_configure, name="product-configure"),
    path("products/<slug:slug>/presets/", views.preset_save, name="preset-save"),
    path(
        "products/<slug:slug>/presets/<str:preset_id>/delete/",
        views.preset_delete,
        name="preset-delete",
    ),
]
