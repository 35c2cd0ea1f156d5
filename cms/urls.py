from django.urls import path

from . import views

# Mounted by the project under the names these pages always had: "home" and
# "catalog:product-detail" (the product page's configurator endpoints live in catalog).
home = path("", views.home, name="home")
product_pages = [path("products/<slug:slug>/", views.product_detail, name="product-detail")]
