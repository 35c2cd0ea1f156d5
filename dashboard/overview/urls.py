from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("select/", views.order_select, name="order-select"),
    path("orders/<str:number>/progress/", views.order_progress_view, name="order-progress"),
    path("preferences/", views.preferences, name="preferences"),
]
